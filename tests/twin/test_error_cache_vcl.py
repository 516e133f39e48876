"""The twin's VCL caches origin errors exactly as `EdgeConfig.error_ttl` says CloudFront does.

A real varnishd runs the rendered VCL in front of a scripted origin that answers any status
with any headers; Varnish's own log says what TTL each error got (or that it was not cached),
and that is compared with the loader's function, for every behaviour, code and header kind.
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

from infra.edge_config import load_edge_config
from twin import processes
from twin.edge.varnish import ApiOrigin, MediaOrigin, VarnishEdge, render_vcl

EDGE = load_edge_config()
STATUSES = (400, 403, 404, 405, 410, 414, 416, 500, 501, 502, 503, 504)
HEADERS = (
    None,
    "public",
    "max-age=2",
    "max-age=60",
    "max-age=600, s-maxage=100000",
    "no-store",
    "private, max-age=600",
    "no-cache",
    "expires+90",  # an Expires header 90 s ahead
)


class ScriptedOrigin(BaseHTTPRequestHandler):
    """Answers /.../<case>: the status and headers registered for that case."""

    cases: dict[str, tuple[int, str | None]] = {}

    def _answer(self) -> None:
        status, header = self.cases[self.path.rsplit("/", 1)[-1]]
        self.send_response(status)
        if header == "expires+90":
            self.send_header("Expires", email.utils.formatdate(time.time() + 90, usegmt=True))
        elif header is not None:
            self.send_header("Cache-Control", header)
        self.send_header("Content-Length", "6")
        self.end_headers()
        self.wfile.write(b"error\n")

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


def test_vcl_error_ttls_are_cloudfronts(scripted_cache):
    port, workdir = scripted_cache
    expected: dict[str, int] = {}
    slack: dict[str, float] = {}
    for index, behavior in enumerate(EDGE.behaviors):
        prefix = "/video" if behavior.path.startswith("/video/") else "/api"
        methods = ["GET", *(["POST"] if "POST" in behavior.allowed_methods else [])]
        for method in methods:
            for status in STATUSES:
                for h, header in enumerate(HEADERS):
                    case = f"b{index}-{method}-{status}-h{h}"
                    ScriptedOrigin.cases[case] = (status, header)
                    answer = requests.request(
                        method, f"http://127.0.0.1:{port}{prefix}/{case}", timeout=5,
                        headers={"X-Edge-Behavior": str(index), "Host": "edge.test"})
                    assert answer.status_code == status
                    assert answer.headers["X-Cache"] == "Error from cloudfront"
                    assert "Age" not in answer.headers  # fetched from the origin just now
                    expires_in = 90 if header == "expires+90" else None
                    # Expires is read against the clock: allow the second it took.
                    slack[case] = 1.0 if expires_in else 0.0
                    cache_control = None if header == "expires+90" else header
                    expected[case] = EDGE.error_ttl(status, cache_control, expires_in,
                                                    behavior=behavior, method=method)
    verdicts = stored_ttls(workdir)
    mismatches = {}
    for case, ttl in expected.items():
        got = verdicts.get(case)
        if ttl == 0:
            ok = got == "uncacheable"
        else:
            ok = got not in (None, "uncacheable") and abs(float(got) - ttl) <= slack[case]
        if not ok:
            mismatches[case] = (ttl, got)
    assert not mismatches, mismatches
    # The matrix exercises every outcome: not cached, the minimum, a longer header, the cap.
    assert {0, 5, 10, 60, 90, 300, 86400, 100000} <= set(expected.values())


def test_a_cached_error_is_served_from_the_error_cache_with_age(scripted_cache):
    port, _ = scripted_cache
    ScriptedOrigin.cases["again"] = (404, None)
    url = f"http://127.0.0.1:{port}/video/again"
    headers = {"X-Edge-Behavior": str(EDGE.behaviors.index(EDGE.behavior_for("/video/a.ts"))),
               "Host": "edge.test"}
    first = requests.get(url, headers=headers, timeout=5)
    ScriptedOrigin.cases["again"] = (200, None)  # the origin changed its mind: not asked
    second = requests.get(url, headers=headers, timeout=5)
    assert (first.status_code, second.status_code) == (404, 404)
    assert second.headers["X-Cache"] == "Error from cloudfront"
    assert "Age" not in first.headers and int(second.headers["Age"]) >= 0
