"""A real gunicorn with app/gunicorn.conf.py: graceful SIGTERM and JSON access logs."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
GRACEFUL_TIMEOUT = 25


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def gunicorn(tmp_path: Path) -> Any:
    """gunicorn (1 worker) serving the API plus a test-only slow path, no AWS behind it."""
    port = free_port()
    log = tmp_path / "gunicorn.log"
    env = {
        **os.environ,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "1",
        # Nothing listens there: the API starts degraded (catalog and key retried later).
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_MAX_ATTEMPTS": "1",
        "PYTHONPATH": str(Path(__file__).parent),
        "SLOW_STARTED_FILE": str(tmp_path / "slow-request-started"),
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-c",
                str(ROOT / "app/gunicorn.conf.py"),
                "slow_api:app",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=1) as response:
                if response.status == 200:
                    break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(log.read_text()) from None
            time.sleep(0.1)
    yield process, base, log
    if process.poll() is None:
        process.kill()
        process.wait()


def test_sigterm_lets_an_in_flight_request_finish_then_exits(gunicorn: Any) -> None:
    process, base, log = gunicorn
    outcome: dict[str, Any] = {}

    def slow_request() -> None:
        request = urllib.request.Request(
            f"{base}/__test__/slow?seconds=2", headers={"X-Request-Id": "graceful-1"}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            outcome["status"] = response.status
            outcome["body"] = response.read()
            outcome["request_id"] = response.headers.get("X-Request-Id")

    client = threading.Thread(target=slow_request)
    client.start()
    started = log.parent / "slow-request-started"
    deadline = time.monotonic() + 10
    while not started.exists():  # wait until the request is in the worker
        assert time.monotonic() < deadline, "the slow request never reached the worker"
        time.sleep(0.02)
    sent = time.monotonic()
    process.send_signal(signal.SIGTERM)
    client.join(30)
    assert outcome.get("status") == 200
    assert outcome["body"] == b'{"slow":"done"}'
    process.wait(GRACEFUL_TIMEOUT + 5)
    assert time.monotonic() - sent < GRACEFUL_TIMEOUT
    assert process.returncode == 0


def test_access_log_is_json_with_the_request_id(gunicorn: Any) -> None:
    process, base, log = gunicorn
    request = urllib.request.Request(f"{base}/healthz", headers={"X-Request-Id": "trace-42"})
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.headers["X-Request-Id"] == "trace-42"
    process.send_signal(signal.SIGTERM)
    process.wait(GRACEFUL_TIMEOUT)
    records = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    mine = [r for r in records if r.get("request_id") == "trace-42"]
    assert len(mine) == 1
    assert mine[0]["path"] == "/healthz" and mine[0]["status"] == 200
    assert mine[0]["service"] == "all"
    assert mine[0]["duration_ms"] >= 0


def test_app_log_lines_are_json_with_the_access_logs_request_id(gunicorn: Any) -> None:
    process, base, log = gunicorn
    request = urllib.request.Request(f"{base}/readyz", headers={"X-Request-Id": "ready-7"})
    try:
        urllib.request.urlopen(request, timeout=10)
    except urllib.error.HTTPError as not_ready:  # no AWS behind it: 503 is expected
        assert not_ready.code == 503
    process.send_signal(signal.SIGTERM)
    process.wait(GRACEFUL_TIMEOUT)
    records = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    app_lines = [r for r in records if str(r.get("logger", "")).startswith("app.")]
    mine = [r for r in records if r.get("request_id") == "ready-7"]
    assert {r.get("logger") for r in mine} == {None, "app.plays"}, "access line + table warning"
    assert any("unreachable" in r["message"] for r in mine if r.get("logger"))
    startup = [r for r in app_lines if r["logger"] == "app.catalog_store"]
    assert startup and {r["request_id"] for r in startup} == {"-"}
