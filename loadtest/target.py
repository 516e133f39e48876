"""Where the load test and `verify` point: the local twin by default, loopback unless allowed."""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from twin.state import DEFAULT_RUN_DIR, STATE_FILE, StateFileError, TwinState

REPO_ROOT = Path(__file__).resolve().parent.parent


class TargetError(Exception):
    """The target could not be resolved or is not allowed; the message says what to do."""


@dataclass(frozen=True)
class Target:
    """A CDN URL to test and, when known, the origin (ALB) URL behind it."""

    cdn_url: str
    origin_url: str | None = None
    source: str = "--url"
    # The target's processes on this machine, by role (the local twin's), for CPU figures.
    pids: dict[str, int] = field(default_factory=dict)
    # The twin's run dir (its autoscaler's fleet.json lives there); None for a URL.
    run_dir: Path | None = None
    # The twin's moto server (its call counts: loadtest/target_calls.py); None for a URL.
    moto_url: str | None = None


def twin_target(run_dir: Path | None = None) -> Target:
    """The running twin's CDN and ALB URLs, from the state it records in `run_dir`."""
    run_dir = run_dir or DEFAULT_RUN_DIR
    try:
        state = TwinState.load(run_dir)
    except StateFileError as exc:
        raise TargetError(str(exc)) from None
    if state is None:
        raise TargetError(
            f"no --url given and the local twin is not running ({run_dir / STATE_FILE} is "
            "missing); start it with `make demo` (or `python -m twin up`), or pass --url"
        )
    return Target(
        state.cdn_url.rstrip("/"), state.alb_url.rstrip("/") or None, "twin", dict(state.pids),
        Path(run_dir), state.moto_url or None,
    )


def is_loopback_url(url: str) -> bool:
    """True when every address the URL's host resolves to is a loopback address."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    host = parts.hostname
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    if host != "localhost" and not host.endswith(".localhost"):
        # Only names that are loopback by definition; never trust a resolver for the rest.
        return False
    try:
        infos = socket.getaddrinfo(host, parts.port or 80, proto=socket.IPPROTO_TCP)
    except OSError:
        return False
    return bool(infos) and all(ipaddress.ip_address(info[4][0]).is_loopback for info in infos)


def check_allowed(url: str, allow_remote: bool) -> str:
    """The URL without a trailing slash, or a TargetError when it is remote and not allowed."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TargetError(f"not an http(s) URL: {url!r}")
    if not allow_remote and not is_loopback_url(url):
        raise TargetError(
            f"refusing to load a non-loopback target {url!r}: pass --allow-remote "
            "to test a deployment you own (e.g. https://xxxx.cloudfront.net)"
        )
    return url.rstrip("/")


def resolve(url: str | None, allow_remote: bool = False, run_dir: Path | None = None) -> Target:
    """The explicit URL when given, else the running twin's CDN URL; checked for loopback."""
    if url:
        return Target(check_allowed(url, allow_remote))
    target = twin_target(run_dir)
    check_allowed(target.cdn_url, allow_remote)
    return target
