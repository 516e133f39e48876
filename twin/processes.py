"""Plain child processes of the twin: start detached, wait until ready, stop by pid."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import requests


class StartupFailed(RuntimeError):
    """A twin process exited or never became ready; the message names its log."""


def binary(name: str) -> str:
    """A system binary by name, also found in /usr/sbin when PATH lacks it."""
    for candidate in (shutil.which(name), f"/usr/sbin/{name}", f"/usr/bin/{name}"):
        if candidate and Path(candidate).exists():
            return candidate
    raise StartupFailed(f"{name} is not installed (`python -m twin up` installs it as root)")


def free_port() -> int:
    """A TCP port on loopback that is free right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_port_block(size: int, avoid: set[int] | frozenset[int] = frozenset(),
                    attempts: int = 200) -> int:
    """The first of `size` consecutive loopback ports free right now and not in `avoid`
    (an instance's four services: `app.service_map` port offsets). StartupFailed after
    `attempts` tries."""
    for _ in range(attempts):
        base = free_port()
        block = range(base, base + size)
        if base + size <= 65535 and not avoid.intersection(block) \
                and all(port_is_free(p) for p in block):
            return base
    raise StartupFailed(f"no {size} consecutive free ports on loopback after {attempts} tries")


def port_is_free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def spawn(name: str, argv: Sequence[str], log_dir: Path,
          env: Mapping[str, str] | None = None, cwd: Path | None = None) -> subprocess.Popen:
    """Start a process in its own session (it outlives the CLI), output to <name>.log."""
    log_dir.mkdir(parents=True, exist_ok=True)
    with open(log_dir / f"{name}.log", "ab") as log:
        return subprocess.Popen(
            list(argv), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env=dict(env) if env is not None else None, cwd=cwd, start_new_session=True,
        )


def alive(pid: int) -> bool:
    """Whether a pid runs (zombies count as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def stop(pid: int, marker: str, timeout: float = 10.0, sig: int = signal.SIGTERM) -> bool:
    """Stop the process group `pid` leads if its command line still contains `marker`.

    The marker guards against a recycled pid. Returns True when it was running.
    """
    if not alive(pid) or marker not in command_line(pid):
        return False
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, sig)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        _reap(pid)
        if not alive(pid):
            return True
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)
    _reap(pid)
    return True


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def wait_until(ready: Callable[[], bool], what: str, timeout: float,
               proc: subprocess.Popen | None = None, log: Path | None = None) -> None:
    """Poll `ready` until it holds; fail fast if `proc` exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise StartupFailed(f"{what} exited with {proc.returncode}; see {log}\n"
                                + _tail(log))
        with contextlib.suppress(requests.RequestException, OSError):
            if ready():
                return
        time.sleep(0.05)
    raise StartupFailed(f"{what} not ready after {timeout:.0f} s; see {log}\n" + _tail(log))


def _tail(log: Path | None, lines: int = 15) -> str:
    if log is None or not log.exists():
        return ""
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


def http_ok(url: str, status: int = 200, headers: Mapping[str, str] | None = None,
            ) -> Callable[[], bool]:
    def check() -> bool:
        return requests.get(url, timeout=1, headers=headers).status_code == status
    return check


def tcp_open(port: int) -> Callable[[], bool]:
    def check() -> bool:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    return check
