"""Start Locust as one process, or as a master and N workers on loopback, wait for them all,
and measure each process's CPU time (`os.wait4`'s rusage of the exited child: exact, no
sampling).

Locust's distributed mode: https://docs.locust.io/en/stable/running-distributed.html
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

MASTER_HOST = "127.0.0.1"
WORKERS_CONNECT_S = 60  # the master gives up when its workers have not all connected by then
WORKERS_QUIT_S = 30.0  # after the master exits, workers that are still running are stopped


def free_port(host: str = MASTER_HOST) -> int:
    """A TCP port on `host` that was free a moment ago (the OS's choice for port 0)."""
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def master_args(port: int, workers: int) -> list[str]:
    """Arguments that make a Locust command line the master of `workers` local workers."""
    return [
        "--master", "--master-bind-host", MASTER_HOST, "--master-bind-port", str(port),
        "--expect-workers", str(workers), "--expect-workers-max-wait", str(WORKERS_CONNECT_S),
    ]  # fmt: skip


def worker_command(locustfile: Path, port: int, figures_dir: Path | None) -> list[str]:
    """A Locust worker of the master on MASTER_HOST:`port`.

    The master sends its custom options (the viewer model's) with each spawn, overriding the
    worker's own: give `--worker-figures` to the master too.
    """
    command = [
        sys.executable, "-m", "locust", "-f", str(locustfile),
        "--worker", "--master-host", MASTER_HOST, "--master-port", str(port),
        "--loglevel", "WARNING",
    ]  # fmt: skip
    if figures_dir is not None:
        command += ["--worker-figures", str(figures_dir)]
    return command


@dataclass
class ProcessRun:
    """One exited (or stopped) process: its role, exit code and CPU time in seconds."""

    role: str
    pid: int
    exit_code: int | None
    cpu_user_s: float
    cpu_system_s: float
    wall_s: float

    def as_dict(self) -> dict:
        cpu = self.cpu_user_s + self.cpu_system_s
        return {
            "role": self.role,
            "pid": self.pid,
            "exit_code": self.exit_code,
            "cpu_s": round(cpu, 2),
            "cpu_user_s": round(self.cpu_user_s, 2),
            "cpu_system_s": round(self.cpu_system_s, 2),
            # Share of one core over the process's life: 100 = one core busy throughout.
            "cpu_pct_of_core": round(100 * cpu / self.wall_s, 1) if self.wall_s > 0 else None,
        }


class LaunchTimeout(Exception):
    """The main process did not exit in time; every process was stopped."""


def run_processes(
    commands: list[tuple[str, list[str]]], cwd: Path, timeout: float
) -> list[ProcessRun]:
    """Start `commands` ((role, argv) pairs; the first is the main process) and reap them all.

    Returns one ProcessRun per command, in order. Raises LaunchTimeout when the main process
    has not exited after `timeout` seconds. Others still running WORKERS_QUIT_S after the main
    one exited get SIGTERM, then SIGKILL.
    """
    started = time.monotonic()
    procs = [(role, subprocess.Popen(argv, cwd=cwd)) for role, argv in commands]
    done: dict[int, ProcessRun] = {}

    def reap(block: bool = False) -> None:
        for role, proc in procs:
            if proc.pid in done:
                continue
            pid, status, usage = os.wait4(proc.pid, 0 if block else os.WNOHANG)
            if pid == 0:
                continue
            proc.returncode = os.waitstatus_to_exitcode(status)  # Popen must not wait again
            done[pid] = ProcessRun(
                role, pid, proc.returncode, usage.ru_utime, usage.ru_stime,
                time.monotonic() - started,
            )  # fmt: skip

    def running() -> list[subprocess.Popen]:
        return [p for _, p in procs if p.pid not in done]

    main = procs[0][1]
    try:
        while main.pid not in done:
            if time.monotonic() - started > timeout:
                raise LaunchTimeout(f"{procs[0][0]} did not exit within {timeout:g} s")
            time.sleep(0.2)
            reap()
        grace = time.monotonic() + WORKERS_QUIT_S
        while running() and time.monotonic() < grace:
            time.sleep(0.2)
            reap()
    finally:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            for proc in running():
                proc.send_signal(sig)
            deadline = time.monotonic() + 5
            while running() and time.monotonic() < deadline:
                time.sleep(0.1)
                reap()
        if running():
            reap(block=True)
    return [done[p.pid] for _, p in procs]
