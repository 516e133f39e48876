"""The ALB stand-in: HAProxy in front of the gunicorn fleet.

Like the real listener: health checks on the stack's health path, round robin,
a fixed 403 for any request without the secret X-Origin-Verify header (the
value lives only in a 0600 file HAProxy reads as a pattern file, so it is in no
config, argument or log line), and retries with redispatch so a dying instance
costs no viewer request (FACTS: 0 failures out of 2000 with these settings).
Every error HAProxy answers itself (the 403, a refused request, no instance left,
a timeout) is problem+json (`twin.problem_pages`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from edge.origin import ORIGIN_VERIFY_HEADER
from infra.config import HEALTH_CHECK_TIMEOUT_SECONDS, HEALTHY_THRESHOLD, UNHEALTHY_THRESHOLD
from twin.problem_pages import PROBLEM_JSON, phrase, problem_body

# The codes HAProxy answers by itself (`errorfile`), each written next to haproxy.cfg.
OWN_ERRORS = {
    400: "The load balancer could not parse the request.",
    403: "The load balancer refused the request.",
    404: "No route for the request.",
    405: "Method not allowed here.",
    408: "The request was not received in time.",
    410: "Gone.",
    413: "The request is too large.",
    425: "Too early.",
    429: "Too many requests.",
    500: "The load balancer failed.",
    501: "Not implemented.",
    502: "An instance answered with an invalid response.",
    503: "No healthy instance is available.",
    504: "An instance did not answer in time.",
}


@dataclass(frozen=True)
class AlbTwin:
    port: int
    instance_ports: tuple[int, ...]
    health_check_path: str
    idle_timeout: int
    read_timeout: int
    secret_file: Path
    directory: Path

    @property
    def conf(self) -> Path:
        return self.directory / "haproxy.cfg"


def render_haproxy_cfg(alb: AlbTwin) -> str:
    """haproxy.cfg for the ALB twin."""
    servers = "".join(
        f"    server api-{i} 127.0.0.1:{port} check\n"
        for i, port in enumerate(alb.instance_ports, start=1)
    )
    errors = "".join(
        f"    errorfile {code} {alb.directory / f'{code}.http'}\n" for code in OWN_ERRORS
    )
    forbidden = problem_body(403, "The request did not come through the distribution.")
    refuse = (f"http-request return status 403 content-type {PROBLEM_JSON} "
              f"hdr Cache-Control no-store string '{forbidden}' unless from_edge")
    return f"""# Rendered by twin/alb.py; do not edit.
global
    maxconn 4096
    # No log section on purpose: the secret origin header never reaches a log.

defaults
    mode http
    timeout connect 250ms
    timeout client {alb.idle_timeout}s
    timeout http-keep-alive {alb.idle_timeout}s
    timeout server {alb.read_timeout}s
    timeout queue 5s
    retries 3
    retry-on all-retryable-errors
    option redispatch 1
    option http-keep-alive
{errors}
frontend alb
    bind 127.0.0.1:{alb.port}
    acl from_edge req.hdr({ORIGIN_VERIFY_HEADER}) -m str -f {alb.secret_file}
    {refuse}
    http-request del-header {ORIGIN_VERIFY_HEADER}
    default_backend fleet

backend fleet
    balance roundrobin
    option httpchk GET {alb.health_check_path}
    http-check expect status 200
    # The ALB's timeout and thresholds; only the interval is compressed (10 s -> 0.5 s).
    # A shorter check timeout would mark a busy instance down where the ALB would not.
    timeout check {HEALTH_CHECK_TIMEOUT_SECONDS}s
    default-server inter 500ms fall {UNHEALTHY_THRESHOLD} rise {HEALTHY_THRESHOLD}
{servers}"""


def error_response(code: int, detail: str) -> bytes:
    """A whole HTTP response for `errorfile`: status line, headers, problem document."""
    body = problem_body(code, detail).encode()
    head = (f"HTTP/1.1 {code} {phrase(code)}\r\nContent-Type: {PROBLEM_JSON}\r\n"
            f"Cache-Control: no-store\r\nContent-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n")
    return head.encode() + body


def write_alb(alb: AlbTwin) -> Path:
    alb.directory.mkdir(parents=True, exist_ok=True)
    for code, detail in OWN_ERRORS.items():
        (alb.directory / f"{code}.http").write_bytes(error_response(code, detail))
    alb.conf.write_text(render_haproxy_cfg(alb))
    return alb.conf
