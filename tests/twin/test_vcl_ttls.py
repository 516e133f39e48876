"""The twin's VCL keeps objects and origin errors exactly as long as `edge.cloudfront` says
CloudFront does (`CachePolicy.effective_ttl`, `EdgeConfig.error_ttl`).

A real varnishd runs the rendered VCL in front of a scripted origin that answers any status
with any headers; Varnish's own log says what TTL each response got (or that it was not
cached), and that is compared with the Python rules, for every behaviour, code and header
kind, including the TTL precedence's hard cases (invalid max-age, s-maxage beside it, an
Expires in the past, several Cache-Control lines, a duplicated directive).
"""

from __future__ import annotations

import email.utils
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests

from edge.config import load_edge_config
from twin import processes
from twin.edge.varnish import ApiOrigin, MediaOrigin, VarnishEdge, render_vcl

EDGE = load_edge_config()
STATUSES = (400, 403, 404, 405, 410, 414, 416, 500, 501, 502, 503, 504)
# (Cache-Control: one value, several field lines or none; Expires: seconds from now or none)
Headers = tuple[str | list[str] | None, int | None]
HEADERS: tuple[Headers, ...] = (
    (None, None),
    ("public", None),
    ("max-age=2", None),
    ("max-age=60", None),
    ("max-age=600, s-maxage=100000", None),
    ("no-store", None),
    ("private, max-age=600", None),
    ("no-cache", None),
    (None, 90),
    # The TTL precedence's hard cases (edge.cloudfront's module docstring).
    ("max-age=abc", 700),
    ("max-age=abc", None),
    ("s-maxage=120, max-age=abc", 700),
    ("s-maxage=abc, max-age=120", None),
    ("max-age", 700),
    (None, -30),
    (["public", "max-age=120"], 700),
    (["max-age=120", "max-age=30"], None),
    ('max-age="120"', None),
)


class ScriptedOrigin(BaseHTTPRequestHandler):
    """Answers /.../<case>: the status and headers registered for that case."""

    cases: dict[str, tuple[int, Headers]] = {}

    def _answer(self) -> None:
        status, (cache_control, expires_in) = self.cases[self.path.rsplit("/", 1)[-1]]
        self.send_response(status)
        if expires_in is not None:
            self.send_header("Expires",
                             email.utils.formatdate(time.time() + expires_in, usegmt=True))
        lines = [cache_control] if isinstance(cache_control, str) else cache_control or []
        for line in lines:
            self.send_header("Cache-Control", line)
        self.send_header("Content-Length", "6")
        self.end_headers()
        self.wfile.write(b"answer\n")

    do_GET = do_HEAD = do_POST = _answer

    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def scripted_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Path]]:
    for binary in ("varnishd", "varnishlog", "gcc"):
        if not (shutil.which(binary) or Path("/usr/sbin", binary).exists()):
            pytest.skip(f"needs {binary} (`make setup` installs it)")
    directory = tmp_path_factory.mktemp("error-vcl")
    origin = ThreadingHTTPServer(("127.0.0.1", 0), ScriptedOrigin)
    threading.Thread(target=origin.serve_forever, daemon=True).start()
    secret = directory / "secret"
    secret.write_text("s")
    port, admin = processes.free_port(), processes.free_port()
    edge = VarnishEdge(port=port, admin_port=admin, directory=directory,
                       media=MediaOrigin(origin.server_port, "bucket"),
                       api=ApiOrigin(origin.server_port, secret))
    edge.vcl.write_text(render_vcl(EDGE, edge))
    workdir = directory / "work"
    log = directory / "varnishd.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [processes.binary("varnishd"), "-F", "-n", str(workdir), "-j", "none",
             "-a", f"127.0.0.1:{port}", "-T", f"127.0.0.1:{admin}", "-S", "none",
             "-f", str(edge.vcl), "-s", "malloc,32m"],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        processes.wait_until(processes.tcp_open(port), "varnishd", 60, proc, log)
        yield port, workdir
    finally:
        proc.terminate()
        proc.wait(timeout=15)
        origin.shutdown()


def stored_ttls(workdir: Path) -> dict[str, str]:
    """Per case id, Varnish's final verdict: the TTL in seconds, or 'uncacheable'."""
    dump = subprocess.run(
        [processes.binary("varnishlog"), "-n", str(workdir), "-d", "-g", "raw", "-b",
         "-i", "BereqURL", "-i", "TTL"], capture_output=True, text=True, timeout=30).stdout
    urls: dict[str, str] = {}
    verdicts: dict[str, str] = {}
    for vxid, tag, rest in re.findall(r"^\s*(\d+) (\w+)\s+b (.*)$", dump, re.M):
        if tag == "BereqURL":
            urls.setdefault(vxid, rest.rsplit("/", 1)[-1])
        elif rest.startswith("VCL "):
            ttl, *_, flag = rest.split()[1:]
            verdicts[vxid] = "uncacheable" if flag == "uncacheable" else ttl
    return {urls[v]: verdict for v, verdict in verdicts.items()}


def mismatches(expected: dict[str, tuple[int, float]], workdir: Path) -> dict[str, tuple]:
    """Cases whose Varnish verdict is not the expected TTL (within the case's slack)."""
    verdicts = stored_ttls(workdir)
    wrong = {}
    for case, (ttl, slack) in expected.items():
        got = verdicts.get(case)
        if ttl == 0:
            ok = got == "uncacheable"
        else:
            ok = got not in (None, "uncacheable") and abs(float(got) - ttl) <= slack
        if not ok:
            wrong[case] = (ttl, got)
    return wrong


def fetch(port: int, index: int, method: str, case: str) -> requests.Response:
    behavior = EDGE.behaviors[index]
    prefix = "/video" if behavior.path.startswith("/video/") else "/api"
    return requests.request(method, f"http://127.0.0.1:{port}{prefix}/{case}", timeout=5,
                            headers={"X-Edge-Behavior": str(index), "Host": "edge.test"})


def slack(expires_in: int | None) -> float:
    """An Expires date ahead is read against the clock: allow the second it took."""
    return 1.0 if expires_in is not None and expires_in > 0 else 0.0


def test_vcl_error_ttls_are_cloudfronts(scripted_cache):
    port, workdir = scripted_cache
    expected: dict[str, tuple[int, float]] = {}
    for index, behavior in enumerate(EDGE.behaviors):
        methods = ["GET", *(["POST"] if "POST" in behavior.allowed_methods else [])]
        for method in methods:
            for status in STATUSES:
                for h, (cache_control, expires_in) in enumerate(HEADERS):
                    case = f"b{index}-{method}-{status}-h{h}"
                    ScriptedOrigin.cases[case] = (status, (cache_control, expires_in))
                    answer = fetch(port, index, method, case)
                    assert answer.status_code == status
                    assert answer.headers["X-Cache"] == "Error from cloudfront"
                    assert "Age" not in answer.headers  # fetched from the origin just now
                    ttl = EDGE.error_ttl(status, cache_control, expires_in,
                                         behavior=behavior, method=method)
                    expected[case] = (ttl, slack(expires_in))
    assert not mismatches(expected, workdir)
    # The matrix exercises every outcome: not cached, the minimum, a longer header, the cap.
    assert {0, 5, 10, 60, 90, 300, 86400, 100000} <= {ttl for ttl, _ in expected.values()}


def test_vcl_object_ttls_are_cloudfronts(scripted_cache):
    port, workdir = scripted_cache
    expected: dict[str, tuple[int, float]] = {}
    for index, behavior in enumerate(EDGE.behaviors):
        policy = EDGE.cache_policies[behavior.cache_policy]
        for h, (cache_control, expires_in) in enumerate(HEADERS):
            case = f"object-b{index}-h{h}"
            ScriptedOrigin.cases[case] = (200, (cache_control, expires_in))
            answer = fetch(port, index, "GET", case)
            assert answer.status_code == 200
            assert answer.headers["X-Cache"] == "Miss from cloudfront"
            expected[case] = (policy.effective_ttl(cache_control, expires_in), slack(expires_in))
    assert not mismatches(expected, workdir)
    # Not cached, a minimum, a default, the origin's own value, the cap, and Expires.
    assert {0, 60, 86400, 120, 300, 90} <= {ttl for ttl, _ in expected.values()}


def test_a_cached_error_is_served_from_the_error_cache_with_age(scripted_cache):
    port, _ = scripted_cache
    ScriptedOrigin.cases["again"] = (404, (None, None))
    url = f"http://127.0.0.1:{port}/video/again"
    headers = {"X-Edge-Behavior": str(EDGE.behaviors.index(EDGE.behavior_for("/video/a.ts"))),
               "Host": "edge.test"}
    first = requests.get(url, headers=headers, timeout=5)
    ScriptedOrigin.cases["again"] = (200, (None, None))  # the origin changed its mind: not asked
    second = requests.get(url, headers=headers, timeout=5)
    assert (first.status_code, second.status_code) == (404, 404)
    assert second.headers["X-Cache"] == "Error from cloudfront"
    assert "Age" not in first.headers and int(second.headers["Age"]) >= 0
