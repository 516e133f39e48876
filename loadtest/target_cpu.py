"""CPU time the target's own processes spent during a run (the local twin: moto, gunicorn,
HAProxy, Varnish, nginx), from the pids the twin records in its state.

Each recorded process counts with all its descendants (gunicorn's and nginx's workers) and
the descendants it already reaped; sampled at the start and the end of the run, so CPU of a
descendant that started and exited between the samples without being reaped is missed.
psutil comes with Locust (one of its requirements).
"""

from __future__ import annotations

import psutil


def _tree_cpu_s(pid: int) -> float | None:
    """user + system seconds of `pid`, its live descendants and its reaped children."""
    try:
        root = psutil.Process(pid)
        times = root.cpu_times()
        total = times.user + times.system + times.children_user + times.children_system
        for child in root.children(recursive=True):
            try:
                child_times = child.cpu_times()
            except psutil.Error:
                continue
            total += child_times.user + child_times.system
        return total
    except psutil.Error:
        return None


class TargetCpu:
    """Start sampling on creation; `finish()` gives each process's CPU since then."""

    def __init__(self, pids: dict[str, int]):
        self._start = {name: (pid, _tree_cpu_s(pid)) for name, pid in sorted(pids.items())}

    def finish(self, wall_s: float) -> list[dict]:
        """One dict per process: name, pid, cpu_s over the run and cpu_pct_of_core
        (100 = one core busy throughout `wall_s`); cpu_s is None for a process that was
        gone at either end."""
        out = []
        for name, (pid, started) in self._start.items():
            ended = _tree_cpu_s(pid)
            cpu = None if started is None or ended is None else max(0.0, ended - started)
            out.append({
                "role": name,
                "pid": pid,
                "cpu_s": None if cpu is None else round(cpu, 2),
                "cpu_pct_of_core": None if cpu is None or wall_s <= 0 else round(
                    100 * cpu / wall_s, 1
                ),
            })  # fmt: skip
        return out
