"""The ALB twin forwards only what the edge sends with the secret origin header, routing
each path to its service's backend as the listener rules of app/service_map.py do."""

from __future__ import annotations

import re
import stat
from urllib.parse import urlsplit

import pytest
import requests

from app.service_map import SERVICE_NAMES, SERVICES, route
from edge.origin import ORIGIN_VERIFY_HEADER
from twin.alb import TARGET_GROUP_HEADER, AlbRuntime, path_pattern_regex


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


# Sample paths: each service's patterns at their edges (an exact prefix, a longer path, a
# query string the rule ignores), near misses that fall to the default action (case, a
# shorter prefix), and the catalog's own paths.
ROUTED_PATHS = (
    "/api/v1/accounts", "/api/v1/accounts/confirmation", "/api/v1/accountsX",
    "/api/v1/sessions", "/api/v1/sessions/refresh", "/api/v1/profiles?limit=3",
    "/api/v1/plans", "/api/v1/plans/basic", "/api/v1/account/plan", "/api/v1/account/planX",
    "/api/v1/recommendations?profile=p", "/api/v1/recommendations/x",
    "/api/v1/Accounts", "/api/v1/account", "/api/v1/account/", "/API/v1/plans",
    "/api/v1/titles", "/api/v1/titles/t1/playback", "/api/v1/trending", "/healthz",
    "/api/v1/openapi.json", "/nowhere",
)


def test_alb_routes_every_path_as_the_service_map_does(twin):
    """HAProxy's own routing, seen from the backend that answered, equals service_map.route."""
    secret = twin.secret_file.read_text()
    seen = {}
    for path in ROUTED_PATHS:
        answer = requests.get(f"{twin.state.alb_url}{path}", timeout=5,
                              headers={ORIGIN_VERIFY_HEADER: secret})
        seen[path] = answer.headers.get(TARGET_GROUP_HEADER)
    assert seen == {path: route(urlsplit(path).path).name for path in ROUTED_PATHS}
    assert set(seen.values()) == set(SERVICE_NAMES)


def test_each_service_backend_checks_its_own_port(twin):
    servers = {s: AlbRuntime(twin.alb_twin().stats_socket, s).servers() for s in SERVICE_NAMES}
    assert all(stat.up for backend in servers.values() for stat in backend.values()), servers
    cfg = twin.alb_twin().conf.read_text()
    for service in SERVICES:
        for i, base in enumerate(twin.ports.api, start=1):
            assert f"server api-{i} 127.0.0.1:{service.port(base)} check" in cfg


@pytest.mark.parametrize(("pattern", "path", "matched"), [
    ("/api/v1/accounts*", "/api/v1/accounts", True),
    ("/api/v1/accounts*", "/api/v1/accounts/x/y", True),
    ("/api/v1/accounts*", "/api/v1/Accounts", False),
    ("/api/v1/accounts*", "/x/api/v1/accounts", False),
    ("/a?c", "/abc", True),
    ("/a?c", "/abbc", False),
    ("/a.c*", "/abc", False),
])
def test_path_patterns_become_anchored_case_sensitive_regexes(pattern, path, matched):
    assert bool(re.fullmatch(path_pattern_regex(pattern), path)) is matched
