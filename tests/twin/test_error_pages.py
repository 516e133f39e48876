"""Every error a twin layer answers by itself is problem+json, whichever layer it is: the
edge (nginx), the cache (Varnish), the ALB stand-in (HAProxy). And the edge accepts what
CloudFront accepts (a URL of up to 8,192 bytes, header lines within a 20,480-byte request)."""

from __future__ import annotations

import contextlib
import json
import socket

import pytest

CLOUDFRONT_MAX_URL = 8192


def exchange(port: int, raw: bytes) -> tuple[int, dict[str, str], bytes]:
    """Raw bytes to a loopback port; status, headers (lower-case names) and body back."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
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
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:])}
    return int(lines[0].split(" ")[1]), headers, body


def request(method: str, target: str, *headers: str, body: bytes = b"") -> bytes:
    lines = [f"{method} {target} HTTP/1.1", "Host: twin.test", *headers, "Connection: close"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def edge_cases(title: str) -> dict[str, tuple[bytes, int]]:
    big = b"x" * (2 * 1024 * 1024)
    return {
        "missing-signed-cookie": (request("GET", f"/video/{title}/master.m3u8"), 403),
        "method-not-allowed": (request("DELETE", f"/video/{title}/master.m3u8"), 403),
        "malformed-request-line": (b"GARBAGE\r\n\r\n", 400),
        "url-past-cloudfronts-limit": (request("GET", "/api/v1/titles?q=" + "a" * 9000), 414),
        "header-past-cloudfronts-request": (request("GET", "/", "X-Big: " + "a" * 30000), 431),
        "body-too-large": (request("POST", f"/api/v1/titles/{title}/playback",
                                   "Content-Type: application/json",
                                   f"Content-Length: {len(big)}", body=big), 413),
        "unknown-transfer-coding": (request("POST", f"/api/v1/titles/{title}/playback",
                                            "Transfer-Encoding: xyz"), 501),
    }


def assert_problem(answer: tuple[int, dict[str, str], bytes], status: int) -> None:
    code, headers, body = answer
    assert code == status, body[:300]
    assert headers.get("content-type") == "application/problem+json", headers
    document = json.loads(body)
    assert document["status"] == status and document["type"] == "about:blank"
    assert document["title"] and document["detail"]


KINDS = ["missing-signed-cookie", "method-not-allowed", "malformed-request-line",
         "url-past-cloudfronts-limit", "header-past-cloudfronts-request", "body-too-large",
         "unknown-transfer-coding"]


@pytest.mark.parametrize("kind", KINDS)
def test_the_edges_own_errors_are_problem_json(twin, titles, kind: str) -> None:
    raw, status = edge_cases(titles[0])[kind]
    assert_problem(exchange(twin.ports.edge, raw), status)


@pytest.mark.parametrize(
    "raw",
    [
        request("GET", "/api/v1/titles?q=" + "a" * (CLOUDFRONT_MAX_URL - len("/api/v1/titles?q="))),
        # The ALB takes a header line of up to 16 KB (Elastic Load Balancing quotas), so
        # this is the longest line that reaches the API through both.
        request("GET", "/api/v1/titles", "X-Long: " + "a" * 15000),
    ],
    ids=["url-of-8192-bytes", "header-line-of-15000-bytes"],
)
def test_the_edge_forwards_what_cloudfront_forwards(twin, raw: bytes) -> None:
    status, headers, _ = exchange(twin.ports.edge, raw)
    assert status not in (400, 414, 431, 494), status
    assert "x-request-id" in headers, "answered by the API, not refused on the way"


@pytest.mark.parametrize(
    ("layer", "raw", "status"),
    [
        ("alb", request("GET", "/api/v1/titles"), 403),  # no secret origin header
        ("cache", request("GET", "/api/v1/titles"), 400),  # no edge behaviour chosen
    ],
    ids=["alb-without-the-secret", "cache-without-a-behaviour"],
)
def test_the_alb_and_caches_own_errors_are_problem_json(twin, layer: str, raw: bytes,
                                                        status: int) -> None:
    assert_problem(exchange(getattr(twin.ports, layer), raw), status)
