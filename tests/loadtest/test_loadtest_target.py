"""Where the load test points: the twin by default, loopback only unless allowed."""

from __future__ import annotations

import subprocess

import pytest

from loadtest import run, target
from loadtest.target import TargetError, check_allowed, is_loopback_url, resolve
from twin.state import STATE_FILE, TwinPorts, TwinState


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8080", "http://127.8.9.1/x", "http://[::1]:8080/", "http://localhost:1"],
)
def test_loopback_urls_are_recognised(url):
    assert is_loopback_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://d111111abcdef8.cloudfront.net",
        "http://10.0.0.1:8080",
        "http://0.0.0.0:8080",
        "http://127.0.0.1.nip.io",
        "ftp://127.0.0.1/",
        "127.0.0.1:8080",
    ],
)
def test_other_urls_are_not_loopback(url):
    assert not is_loopback_url(url)


def test_a_remote_url_is_refused_without_allow_remote():
    with pytest.raises(TargetError, match="--allow-remote"):
        check_allowed("https://d111111abcdef8.cloudfront.net", allow_remote=False)
    assert (
        check_allowed("https://d111111abcdef8.cloudfront.net/", allow_remote=True)
        == "https://d111111abcdef8.cloudfront.net"
    )


def _record_twin(run_dir) -> None:
    TwinState(cdn_url="http://127.0.0.1:8080/", alb_url="http://127.0.0.1:8081",
              moto_url="http://127.0.0.1:8084", bucket="b", table="t", secret_id="s",
              key_pair_id="K", catalog_key="c.json", stack="dev", run_dir=str(run_dir),
              ports=TwinPorts.defaults(2).all()).save(run_dir)


def test_default_target_is_the_running_twin(tmp_path):
    _record_twin(tmp_path)
    found = resolve(None, run_dir=tmp_path)
    assert (found.cdn_url, found.origin_url, found.source) == (
        "http://127.0.0.1:8080",
        "http://127.0.0.1:8081",
        "twin",
    )


def test_no_url_and_no_twin_is_a_clear_error(tmp_path):
    with pytest.raises(TargetError, match="twin is not running.*--url"):
        resolve(None, run_dir=tmp_path)


@pytest.mark.parametrize("content", ["{not json", '{"cdn_url": "http://127.0.0.1:8080"}', "[]"])
def test_a_damaged_state_file_is_a_clear_error(tmp_path, content):
    (tmp_path / STATE_FILE).write_text(content)
    with pytest.raises(TargetError, match=str(tmp_path / STATE_FILE)):
        resolve(None, run_dir=tmp_path)


def test_the_cli_refuses_a_remote_url_before_starting_locust(monkeypatch, capsys):
    def no_locust(*_args, **_kwargs):
        raise AssertionError("Locust must not start")

    monkeypatch.setattr(subprocess, "run", no_locust)
    assert run.main(["--url", "https://d111111abcdef8.cloudfront.net", "--duration", "5s"]) == 2
    assert "refusing to load a non-loopback target" in capsys.readouterr().err


def test_the_cli_without_a_twin_says_how_to_start_it(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(target, "DEFAULT_RUN_DIR", tmp_path)
    assert run.main(["--duration", "5s"]) == 2
    assert "make demo" in capsys.readouterr().err


@pytest.mark.parametrize("text,seconds", [("90", 90), ("90s", 90), ("5m", 300), ("1h30m", 5400)])
def test_durations_read_like_locusts(text, seconds):
    assert run.parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "5x", "m", "0s"])
def test_bad_durations_are_refused(text):
    with pytest.raises(Exception, match="duration"):
        run.parse_duration(text)
