"""Chaos on demand: kill, freeze or slow one part of the running twin, then heal it.

A *service* is a process name from the twin's state file (`moto`, `api-1`,
`accounts-2`, `alb`, `cache`, `edge`, ...) or a group of them by prefix: one of
the API's services (app/service_map.py) acts on that service's gunicorn group on
every instance, autoscaled ones too (`accounts`, `plans`, `recommendations`;
`catalog`, or `api` as before the services split, is every instance's catalog
group, named `api-N`). The actions, and what each stands for on AWS:

- `kill`: SIGKILL to the process group, no draining (an instance that
  vanishes, a crashed service). The twin does not bring it back by itself;
  `heal` does.
- `stop`: SIGSTOP to the process group (a hung service: connections are
  accepted by the kernel and never answered, so callers meet their timeouts).
- `slow`: a throttler process freezes the group for `pause_ms` out of every
  `period_ms` (SIGSTOP/SIGCONT), so the service keeps answering, at a fraction
  of its speed with stalls up to `pause_ms` (CPU starvation, long GC pauses).
  The throttler ends by itself after `max_seconds`.
- `heal`: stops every throttler, continues every frozen group and restarts
  every recorded process that is gone, back to front (moto, API, ALB, cache,
  edge), each waited for until ready, then until a play works through the edge.

The twin's autoscaler (twin/fleet.py) never undoes chaos on the accounts, plans or
recommendations service: an instance's health is its catalog service's (the ASG's
ELB health check follows the catalog target group only), so a killed accounts group
stays down, on every instance, until `heal`. A killed catalog group is an unhealthy
instance: the autoscaler replaces it, all four services with it, as the ASG would;
`heal` leaves that to it. A service killed on an autoscaled instance is healed by
terminating that instance, which the autoscaler then replaces whole. Instances
launched after a kill (scale-out) start with all four services: chaos acts on the
instances that run when it is called.

Throttlers are recorded in `chaos.json` beside `state.json`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from twin import processes
from twin.state import TwinState, group_name

if TYPE_CHECKING:
    from twin.topology import Twin

ACTIONS = ("kill", "stop", "slow", "heal")
CHAOS_FILE = "chaos.json"
THROTTLER_MARKER = "twin.chaos throttle"
# Back to front: what a restarted part needs is up before it.
RESTART_ORDER = ("moto", "api", "accounts", "plans", "recommendations", "alb", "cache", "edge",
                 "fleet")
# The API's catalog service's groups keep the name they had before the services split.
ALIASES = {"catalog": "api"}


class ChaosError(ValueError):
    """A chaos request that cannot be carried out; the message says why."""


@dataclass(frozen=True)
class Slowdown:
    """The duty cycle of `slow`: frozen `pause_ms` of every `period_ms`, for `max_seconds`."""

    pause_ms: int = 400
    period_ms: int = 500
    max_seconds: int = 600

    def __post_init__(self) -> None:
        if not 0 < self.pause_ms < self.period_ms:
            raise ChaosError(f"pause_ms {self.pause_ms} must be above 0 and below "
                             f"period_ms {self.period_ms}")
        if not 0 < self.max_seconds <= 3600:
            raise ChaosError(f"max_seconds {self.max_seconds} must be 1-3600")


def targets(state: TwinState, service: str, autoscaled: dict[str, int] | None = None,
            ) -> list[str]:
    """The process names `service` selects among the state's and the `autoscaled`
    instances' groups (name -> pid): itself, or every `<service>-N` (`catalog`: every
    `api-N`).

    Raises ChaosError naming the known services when nothing matches.
    """
    service = ALIASES.get(service, service)
    known = [*state.pids, *(autoscaled or {})]
    names = [n for n in known if n == service or n.rsplit("-", 1)[0] == service]
    if not names:
        groups = sorted({n.rsplit("-", 1)[0] for n in known} | set(known)
                        | {a for a, group in ALIASES.items() if group in known
                           or any(n.startswith(group + "-") for n in known)})
        raise ChaosError(f"unknown service {service!r}; the twin runs: {', '.join(groups)}")
    return sorted(set(names))


def autoscaled_groups(run_dir: Path, state: TwinState) -> dict[str, int]:
    """The service groups of instances the autoscaler launched (not in state.json), by
    process name (`accounts-3`, `api-3`, ...) -> pid; {} without an autoscaler."""
    from twin.fleet import load_record, service_pids  # the autoscaler's record only

    groups: dict[str, int] = {}
    for name, inst in ((load_record(run_dir) or {}).get("instances") or {}).items():
        if name in state.pids:
            continue
        for service, pid in service_pids(inst.get("pids") or inst["pid"]).items():
            groups[group_name(service, name)] = pid
    return groups


def _signal_group(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, sig)


def frozen(pid: int) -> bool:
    """Whether process `pid` is stopped by a signal (state T in /proc/<pid>/stat)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "T"
    except (OSError, IndexError):
        return False


def _settle(pid: int, *, stopped: bool, timeout: float = 2.0) -> None:
    """Wait (at most `timeout` s) until the kernel has delivered a SIGSTOP or SIGCONT."""
    deadline = time.monotonic() + timeout
    while frozen(pid) is not stopped and time.monotonic() < deadline:
        time.sleep(0.01)


def _chaos_file(run_dir: Path) -> Path:
    return Path(run_dir) / CHAOS_FILE


def _throttlers(run_dir: Path) -> dict[str, int]:
    try:
        return json.loads(_chaos_file(run_dir).read_text())["throttlers"]
    except FileNotFoundError:
        return {}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ChaosError(f"cannot read {_chaos_file(run_dir)}: {exc}") from None


def _save_throttlers(run_dir: Path, throttlers: dict[str, int]) -> None:
    path = _chaos_file(run_dir)
    if throttlers:
        path.write_text(json.dumps({"throttlers": throttlers}, indent=2) + "\n")
    else:
        path.unlink(missing_ok=True)


def act(run_dir: Path, service: str, action: str, slowdown: Slowdown = Slowdown()) -> list[str]:
    """Apply `action` (kill, stop or slow) to `service` of the twin in `run_dir`.

    Returns the process names acted on. Raises ChaosError for an unknown action
    or service, or when no twin runs there.
    """
    if action not in ACTIONS or action == "heal":
        raise ChaosError(f"action {action!r} is not one of kill, stop, slow (or heal alone)")
    state = _state(run_dir)
    autoscaled = autoscaled_groups(run_dir, state)
    names = targets(state, service, autoscaled)
    throttlers = _throttlers(run_dir)
    for name in names:
        pid = state.pids.get(name) or autoscaled[name]
        if action == "kill":
            processes.stop(pid, state.markers.get(name, "gunicorn"), sig=signal.SIGKILL)
        elif action == "stop":
            _signal_group(pid, signal.SIGSTOP)
            _settle(pid, stopped=True)
        elif name not in throttlers:
            proc = processes.spawn(
                f"chaos-{name}",
                [sys.executable, "-m", "twin.chaos", "throttle", str(pid),
                 str(slowdown.pause_ms), str(slowdown.period_ms), str(slowdown.max_seconds)],
                Path(run_dir) / "logs",
            )
            throttlers[name] = proc.pid
    _save_throttlers(run_dir, throttlers)
    return names


def heal(run_dir: Path, progress=lambda _line: None, twin: Twin | None = None) -> list[str]:
    """Undo every chaos action on the twin in `run_dir`; the process names healed.

    `twin` is the running Twin when the caller holds it (a test's): restarts then
    go through it, so its own record of pids stays true; otherwise one is attached
    from the state file. Raises ChaosError when no twin runs there, StartupFailed
    (twin.processes) when a restarted part does not become ready.
    """
    state = _state(run_dir)
    healed: list[str] = []
    for name, pid in _throttlers(run_dir).items():
        processes.stop(pid, THROTTLER_MARKER, timeout=2)
        healed.append(name)
    _save_throttlers(run_dir, {})
    gone = []
    autoscaled = autoscaled_groups(run_dir, state)
    for name, pid in [*state.pids.items(), *autoscaled.items()]:
        if not processes.alive(pid):
            gone.append(name)
            continue
        was_frozen = frozen(pid)
        _signal_group(pid, signal.SIGCONT)  # also a group a killed throttler left frozen
        _settle(pid, stopped=False)
        if was_frozen and name not in healed:
            healed.append(name)
    for name in [n for n in gone if n in autoscaled]:
        # An autoscaled instance that lost a service is terminated; the autoscaler
        # replaces it whole (it has no slot in state.json to restart a group into).
        gone.remove(name)
        catalog = autoscaled[group_name("catalog", "api-" + name.rsplit("-", 1)[1])]
        processes.stop(catalog, "gunicorn", timeout=2)
        healed.append(name)
    if "fleet" in state.pids and processes.alive(state.pids["fleet"]):
        # The autoscaler replaces a lost instance itself, as the ASG does: every service
        # of an instance whose catalog group is gone is left to it.
        lost = {n.rsplit("-", 1)[1] for n in gone if n.startswith("api-")}
        gone = [n for n in gone if n.rsplit("-", 1)[-1] not in lost]
    if gone:
        if twin is None:
            from twin.topology import Twin  # the twin's lifecycle, only needed to restart

            twin = Twin.attach(Path(run_dir))
        for name in sorted(gone, key=lambda n: RESTART_ORDER.index(n.rsplit("-", 1)[0])):
            progress(f"restarting {name} ...")
            twin.restart(name)
            healed.append(name)
        progress("waiting until a play works through the edge ...")
        twin.wait_ready()
    return healed


def _state(run_dir: Path) -> TwinState:
    state = TwinState.load(Path(run_dir))
    if state is None:
        raise ChaosError(f"no twin runs from {run_dir} (`python -m twin up` starts one)")
    return state


def throttle(pid: int, slowdown: Slowdown) -> None:
    """Freeze and continue process group `pid` on `slowdown`'s duty cycle until it ends.

    Ends after `max_seconds`, when the group is gone, or on SIGTERM; always
    leaves the group continued.
    """
    running = True

    def _stop(_sig: int, _frame: object) -> None:
        nonlocal running
        running = False

    signal.signal(signal.SIGTERM, _stop)
    pause, rest = slowdown.pause_ms / 1000, (slowdown.period_ms - slowdown.pause_ms) / 1000
    deadline = time.monotonic() + slowdown.max_seconds
    try:
        while running and time.monotonic() < deadline and processes.alive(pid):
            _signal_group(pid, signal.SIGSTOP)
            time.sleep(pause)
            _signal_group(pid, signal.SIGCONT)
            time.sleep(rest)
    finally:
        _signal_group(pid, signal.SIGCONT)


def main(argv: list[str] | None = None) -> int:
    """The throttler's entry point (`python -m twin.chaos throttle PID PAUSE PERIOD MAX`)."""
    parser = argparse.ArgumentParser(prog="python -m twin.chaos")
    sub = parser.add_subparsers(dest="command", required=True)
    t = sub.add_parser("throttle")
    for name in ("pid", "pause_ms", "period_ms", "max_seconds"):
        t.add_argument(name, type=int)
    args = parser.parse_args(argv)
    throttle(args.pid, Slowdown(args.pause_ms, args.period_ms, args.max_seconds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
