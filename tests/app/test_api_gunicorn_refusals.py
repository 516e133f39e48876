"""What gunicorn refuses before Flask runs is problem+json; what CloudFront forwards is not
refused. A real gunicorn with app/gunicorn.conf.py on loopback, spoken to over raw sockets."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CLOUDFRONT_MAX_URL = 8192
CLOUDFRONT_MAX_REQUEST = 20480


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(tmp_path: Path, *extra: str) -> tuple[subprocess.Popen[bytes], int]:
    """gunicorn (1 worker) serving the API with no AWS behind it (it starts degraded)."""
    port = free_port()
    env = {
        **os.environ,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "1",
        "GUNICORN_ACCESSLOG": "",
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_MAX_ATTEMPTS": "1",
    }
    log = (tmp_path / f"gunicorn-{port}.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "app/gunicorn.conf.py"), *extra,
         "app.wsgi:app"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return process, port
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError((tmp_path / f"gunicorn-{port}.log").read_text()) from None
            time.sleep(0.1)


@pytest.fixture(scope="module")
def gunicorn_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    process, port = start_gunicorn(tmp_path_factory.mktemp("gunicorn"))
    yield port
    process.kill()
    process.wait()


def exchange(port: int, raw: bytes, until_close: bool = False) -> tuple[int, dict[str, str], bytes]:
    """Send raw bytes, read the answer (or everything until the server closes): status,
    headers (lower-case names), body."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        # gunicorn may answer and close before reading everything
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(raw)
        chunks = []
        while True:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            chunks.append(chunk)
            head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
            length = [ln for ln in head.split(b"\r\n") if ln.lower().startswith(b"content-length:")]
            if not until_close and length and len(body) >= int(length[0].split(b":")[1]):
                break
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:])}
    return int(lines[0].split(" ")[1]), headers, body


def assert_problem(answer: tuple[int, dict[str, str], bytes], status: int) -> None:
    code, headers, body = answer
    assert code == status, body
    assert headers["content-type"] == "application/problem+json"
    document = json.loads(body)
    assert document["status"] == status and document["type"] == "about:blank"
    assert document["title"] and document["detail"]


def get(target: str, *headers: str) -> bytes:
    lines = [f"GET {target} HTTP/1.1", "Host: api.test", *headers, "Connection: close", "", ""]
    return "\r\n".join(lines).encode()


PLAYBACK = "/api/v1/titles/t01-x/playback"
REFUSALS = {
    "header-line-too-large": (get("/healthz", "X-Big: " + "a" * CLOUDFRONT_MAX_REQUEST), 431),
    "too-many-headers": (get("/healthz", *[f"X-{i}: 1" for i in range(6000)]), 431),
    "malformed-request-line": (b"GARBAGE\r\nHost: api.test\r\n\r\n", 400),
    "bad-method": (b"G(T / HTTP/1.1\r\nHost: api.test\r\n\r\n", 400),
    "bad-http-version": (b"GET / HTTP/9.x\r\nHost: api.test\r\n\r\n", 400),
    "invalid-header-name": (get("/healthz", "Bad Name: x"), 400),
    "header-without-colon": (get("/healthz", "NoColonHere"), 400),
    "bare-lf": (b"GET / HTTP/1.1\nHost: api.test\n\n", 400),
    "content-length-and-chunked": (
        f"POST {PLAYBACK} HTTP/1.1\r\nHost: api.test\r\nContent-Length: 2\r\n"
        "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n".encode(), 400),
    "chunked-not-last": (
        f"POST {PLAYBACK} HTTP/1.1\r\nHost: api.test\r\n"
        "Transfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n".encode(), 400),
    # RFC 9112 section 6.1: an unknown transfer coding is 501, gunicorn's choice too.
    "unknown-transfer-coding": (
        f"POST {PLAYBACK} HTTP/1.1\r\nHost: api.test\r\n"
        "Transfer-Encoding: xyz\r\n\r\n0\r\n\r\n".encode(), 501),
}


@pytest.mark.parametrize("kind", REFUSALS)
def test_gunicorn_refusals_are_problem_json(gunicorn_port: int, kind: str) -> None:
    raw, status = REFUSALS[kind]
    assert_problem(exchange(gunicorn_port, raw), status)


@pytest.mark.parametrize(
    "raw",
    [
        get("/api/v1/titles?q=" + "a" * (CLOUDFRONT_MAX_URL - len("/api/v1/titles?q="))),
        get("/healthz", "X-Long: " + "a" * (CLOUDFRONT_MAX_REQUEST - 200)),
        get("/healthz", *[f"X{i:04d}:" for i in range((CLOUDFRONT_MAX_REQUEST - 100) // 8)]),
    ],
    ids=["url-of-8192-bytes", "one-header-near-20480-bytes", "many-short-headers"],
)
def test_what_cloudfront_forwards_reaches_flask(gunicorn_port: int, raw: bytes) -> None:
    assert len(raw) <= CLOUDFRONT_MAX_REQUEST + 100
    status, headers, _ = exchange(gunicorn_port, raw)
    assert "x-request-id" in headers, "answered by the application, not by gunicorn"
    assert status < 500 or status == 503  # 503: no AWS behind this gunicorn


def test_a_request_line_past_a_set_limit_is_414_problem_json(tmp_path: Path) -> None:
    process, port = start_gunicorn(tmp_path, "--limit-request-line", "4094")
    try:
        assert_problem(exchange(port, get("/healthz?x=" + "a" * 5000)), 414)
    finally:
        process.kill()
        process.wait()


@pytest.mark.parametrize("chunks", ["ZZ\r\n{}\r\n0\r\n\r\n", "2\r\n{}XX0\r\n\r\n",
                                    "2;bad\x01ext\r\n{}\r\n0\r\n\r\n"],
                         ids=["bad-chunk-size", "missing-terminator", "bad-extension"])
def test_a_bad_chunked_body_after_an_answer_gets_no_second_answer(
        gunicorn_port: int, chunks: str) -> None:
    """Without a catalog the API answers 503 before reading the body; gunicorn then finds
    the bad chunk while draining, and must close rather than write a second response."""
    raw = (f"POST {PLAYBACK} HTTP/1.1\r\nHost: api.test\r\nContent-Type: application/json\r\n"
           f"Transfer-Encoding: chunked\r\n\r\n{chunks}").encode()
    status, headers, body = exchange(gunicorn_port, raw, until_close=True)
    assert status == 503 and headers["content-type"] == "application/problem+json"
    assert body.count(b'"status"') == 1, body
