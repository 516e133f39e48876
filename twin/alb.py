"""The ALB stand-in: HAProxy in front of the gunicorn fleet.

Like the real listener: path-pattern rules send each service's paths to its own
backend (a target group), in rule-priority order, and everything else to the
catalog service's backend (the listener's default action); the rules come from
`app.service_map`, so HAProxy and the Pulumi program route alike. ALB path patterns
are case-sensitive and `*` matches any run of characters, `?` exactly one (Elastic
Load Balancing User Guide for Application Load Balancers, "Listener rules", path
conditions); each becomes an anchored regular expression on HAProxy's `path` (the
path without its query string, as the ALB matches). Each backend health-checks its
own service's port. Every answer that came from a backend names it in
TARGET_GROUP_HEADER, so a test can see the routing HAProxy actually does.
Also like the listener: health checks on the stack's health path, round robin,
a fixed 403 for any request without the secret X-Origin-Verify header (the
value lives only in a 0600 file HAProxy reads as a pattern file, so it is in no
config, argument or log line), and retries with redispatch so a dying instance
costs no viewer request (FACTS: 0 failures out of 2000 with these settings).
Every error HAProxy answers itself (the 403, a refused request, no instance left,
a timeout) is problem+json (`twin.problem_pages`).

For a scaling fleet the backend holds `slots` servers (the group's maxSize): the ones
beyond the starting instances are disabled until the autoscaler registers an instance
in one through HAProxy's runtime API on the stats socket (`AlbRuntime`), as the ASG
registers targets in the target group; draining is HAProxy's DRAIN state.
"""

from __future__ import annotations

import re
import socket
from dataclasses import dataclass
from pathlib import Path

from app.service_map import CATALOG, RULED, SERVICES, ServiceRoute
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


# The twin's own diagnostic header: which backend (target group) answered a request.
TARGET_GROUP_HEADER = "X-Twin-Target-Group"


def path_pattern_regex(pattern: str) -> str:
    """An ALB path pattern as an anchored regular expression: `*` any run of characters,
    `?` one character, everything else itself, case-sensitive."""
    wild = {"*": ".*", "?": "."}
    return "^" + "".join(wild.get(c, re.escape(c)) for c in pattern) + "$"


def _routing(default: ServiceRoute = CATALOG) -> str:
    """The frontend's listener rules: one ACL and `use_backend` per ruled service, by
    priority, then the default action."""
    lines = []
    for service in RULED:
        patterns = " ".join(f"'{path_pattern_regex(p)}'" for p in service.path_patterns)
        lines.append(f"    acl rule_{service.name} path -m reg {patterns}")
    lines += [f"    use_backend {s.name} if rule_{s.name}" for s in RULED]
    lines.append(f"    default_backend {default.name}")
    return "\n".join(lines)


@dataclass(frozen=True)
class AlbTwin:
    port: int
    # Each instance's catalog port; its other services follow by their port offset.
    instance_ports: tuple[int, ...]
    health_check_path: str
    idle_timeout: int
    read_timeout: int
    secret_file: Path
    directory: Path
    # Server slots in the backend (0: exactly the instance ports, a fixed fleet).
    slots: int = 0

    @property
    def conf(self) -> Path:
        return self.directory / "haproxy.cfg"

    @property
    def stats_socket(self) -> Path:
        """HAProxy's runtime API (admin level, mode 0600), for registration and draining."""
        return self.directory / "haproxy.sock"


def _backend(alb: AlbTwin, service: ServiceRoute) -> str:
    """One service's backend (target group): its health check and one server per instance."""
    servers = "".join(
        f"    server api-{i} 127.0.0.1:{service.port(port)} check\n"
        for i, port in enumerate(alb.instance_ports, start=1)
    ) + "".join(
        # Free slots: no instance yet (port 1 is never ours); `AlbRuntime.register` fills one.
        f"    server api-{i} 127.0.0.1:1 check disabled\n"
        for i in range(len(alb.instance_ports) + 1, alb.slots + 1)
    )
    return f"""
backend {service.name}
    balance roundrobin
    option httpchk GET {alb.health_check_path}
    http-check expect status 200
    # The ALB's timeout and thresholds; only the interval is compressed (10 s -> 0.5 s).
    # A shorter check timeout would mark a busy instance down where the ALB would not.
    timeout check {HEALTH_CHECK_TIMEOUT_SECONDS}s
    default-server inter 500ms fall {UNHEALTHY_THRESHOLD} rise {HEALTHY_THRESHOLD}
    http-response set-header {TARGET_GROUP_HEADER} {service.name}
{servers}"""


def render_haproxy_cfg(alb: AlbTwin) -> str:
    """haproxy.cfg for the ALB twin."""
    errors = "".join(
        f"    errorfile {code} {alb.directory / f'{code}.http'}\n" for code in OWN_ERRORS
    )
    forbidden = problem_body(403, "The request did not come through the distribution.")
    refuse = (f"http-request return status 403 content-type {PROBLEM_JSON} "
              f"hdr Cache-Control no-store string '{forbidden}' unless from_edge")
    return f"""# Rendered by twin/alb.py; do not edit.
global
    maxconn 4096
    stats socket {alb.stats_socket} mode 600 level admin
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
{_routing()}
""" + "".join(_backend(alb, service) for service in SERVICES)


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


@dataclass(frozen=True)
class ServerStat:
    """One backend server in `show stat`: HAProxy status (UP, DOWN, DRAIN, MAINT, "UP 1/2"
    while checks settle) and its cumulative HTTP requests."""

    status: str
    requests: int

    @property
    def up(self) -> bool:
        return self.status.startswith("UP")


class AlbRuntime:
    """The ALB twin's runtime API: register, drain and deregister targets; read counters.

    Commands from the HAProxy 2.6 management guide ("Unix Socket commands"): `show stat`,
    `set server <backend>/<server> addr|state`. Raises RuntimeError when HAProxy answers
    a command with an error, OSError when the socket is unreachable.
    """

    def __init__(self, socket_path: Path, backend: str = CATALOG.name) -> None:
        self.socket_path = Path(socket_path)
        self.backend = backend

    def command(self, line: str) -> str:
        with socket.socket(socket.AF_UNIX) as conn:
            conn.settimeout(5)
            conn.connect(str(self.socket_path))
            conn.sendall(line.encode() + b"\n")
            chunks = []
            while chunk := conn.recv(65536):
                chunks.append(chunk)
        answer = b"".join(chunks).decode()
        lowered = answer.lower()
        if "unknown" in lowered or "not found" in lowered or "require" in lowered:
            raise RuntimeError(f"haproxy: {line!r}: {answer.strip()}")
        return answer

    def servers(self) -> dict[str, ServerStat]:
        """Every server of the backend by name."""
        lines = self.command("show stat").splitlines()
        header = lines[0].lstrip("# ").split(",")
        col = {name: i for i, name in enumerate(header)}
        out = {}
        for line in lines[1:]:
            row = line.split(",")
            if len(row) < len(header) or row[0] != self.backend:
                continue
            if row[1] in ("BACKEND", "FRONTEND"):
                continue
            out[row[1]] = ServerStat(row[col["status"]], int(row[col["req_tot"]] or 0))
        return out

    def register(self, server: str, port: int) -> None:
        """Point a free slot at an instance on loopback `port` and put it in service."""
        self.command(f"set server {self.backend}/{server} addr 127.0.0.1 port {port}")
        self.command(f"set server {self.backend}/{server} state ready")

    def drain(self, server: str) -> None:
        """No new requests for `server`; requests in flight finish (deregistration delay)."""
        self.command(f"set server {self.backend}/{server} state drain")

    def deregister(self, server: str) -> None:
        """Take `server` out of the backend (its slot is free again)."""
        self.command(f"set server {self.backend}/{server} state maint")


class AlbInstances:
    """An instance's targets in every service's backend at once, as the ASG registers an
    instance in each target group attached to it: `register`, `drain` and `deregister`
    act on the instance's server slot in all four backends, each service at its own port.
    `servers()` reads the catalog backend, whose health is the instance's (the ASG's ELB
    health check follows the catalog target group only: README "Services that fail
    alone"). Errors as AlbRuntime's."""

    def __init__(self, socket_path: Path) -> None:
        self.by_service = {s.name: (s, AlbRuntime(socket_path, s.name)) for s in SERVICES}
        self.catalog = self.by_service[CATALOG.name][1]

    def servers(self) -> dict[str, ServerStat]:
        return self.catalog.servers()

    def register(self, server: str, port: int) -> None:
        """Put the instance whose catalog service is on `port` in service everywhere."""
        for service, runtime in self.by_service.values():
            runtime.register(server, service.port(port))

    def drain(self, server: str) -> None:
        for _, runtime in self.by_service.values():
            runtime.drain(server)

    def deregister(self, server: str) -> None:
        for _, runtime in self.by_service.values():
            runtime.deregister(server)
