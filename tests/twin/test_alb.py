"""The ALB twin forwards only what the edge sends with the secret origin header."""

from __future__ import annotations

import stat

import requests

from edge.origin import ORIGIN_VERIFY_HEADER


def test_alb_refuses_requests_without_the_origin_header(twin):
    answer = requests.get(f"{twin.state.alb_url}/api/v1/titles", timeout=5)
    assert answer.status_code == 403


def test_alb_refuses_a_wrong_origin_header(twin):
    answer = requests.get(f"{twin.state.alb_url}/healthz", timeout=5,
                          headers={ORIGIN_VERIFY_HEADER: "guess"})
    assert answer.status_code == 403


def test_alb_forwards_with_the_secret_header(twin):
    secret = twin.secret_file.read_text()
    answer = requests.get(f"{twin.state.alb_url}/healthz", timeout=5,
                          headers={ORIGIN_VERIFY_HEADER: secret})
    assert answer.status_code == 200


def test_origin_secret_is_private_and_in_no_config(twin):
    secret = twin.secret_file.read_text()
    assert stat.S_IMODE(twin.secret_file.stat().st_mode) == 0o600
    for path in twin.run_dir.rglob("*"):
        if path.is_file() and path != twin.secret_file and path.suffix in (
                ".cfg", ".vcl", ".conf", ".json", ".log"):
            assert secret not in path.read_text(errors="replace"), path


def test_api_reached_through_the_edge(twin):
    assert requests.get(f"{twin.state.cdn_url}/healthz", timeout=5).status_code == 200
