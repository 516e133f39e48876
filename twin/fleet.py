"""The twin's Auto Scaling group: `python -m twin.fleet --run-dir DIR` beside a running twin.

Every period (60 s on the policy clock; `--time-scale 12` makes it 5 s of wall clock) it
reads the two metrics the stack's target tracking policies use, records one datapoint
each, and lets `twin.target_tracking` decide:

- ALBRequestCountPerTarget: the requests HAProxy (the ALB twin) passed to in-service
  instances in the period, per healthy target, as requests per minute of wall clock (the
  count times the time scale, so the stack's target keeps its real-world meaning); no
  requests at all is no datapoint, as the ALB reports none.
- ASGAverageCPUUtilization: CPU time of each warmed instance's gunicorn process group
  (master and workers) over the period, in percent of one core (a one-vCPU instance),
  averaged; instances still in their warmup are left out.

Then it acts as the ASG does: a new instance is the API's four services, a gunicorn group
each (twin/topology.py), on free loopback ports; it joins every service's backend of the
ALB twin (`AlbInstances.register`) only once its catalog service's health check answers;
scale-in drains the chosen instances for the stack's deregistration delay, then stops
them (SIGTERM: gunicorn finishes what is in flight). An instance whose catalog process
exits is replaced, all four services with it. The instance's health is its catalog
service's: a dead accounts, plans or recommendations group is left alone (no replacement,
no restart), as the ASG's ELB health check follows the catalog target group only (README
"Services that fail alone": were the ASG to replace every instance whose accounts service
fails its check, an accounts outage would recycle the whole fleet and take playback down
with it). `make chaos SERVICE=accounts ACTION=heal` restarts those groups.
CPU is the whole instance's: its four groups together. `fleet.json` in the run dir
records the instances, a timeline of instances in service with the period's metrics, and
every scaling decision; `Twin.down()` stops the instances it lists. Warmup,
deregistration delay and the launch timeout (the health check grace period) run on the
policy clock too.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import psutil
import requests

from app.service_map import SERVICES
from twin import processes
from twin.alarms import PERIOD_S
from twin.alb import AlbInstances, AlbRuntime
from twin.state import INSTANCE_PORTS, group_name
from twin.target_tracking import (
    CPU,
    REQUESTS_PER_TARGET,
    InstanceView,
    TargetTracking,
    scale_in_order,
    stack_limits,
    stack_policies,
)

if TYPE_CHECKING:
    from infra.config import StackConfig

FLEET_FILE = "fleet.json"
MARKER = "twin.fleet"
DEFAULT_TIME_SCALE = 12.0  # a 60 s period becomes 5 s
POLL_S = 0.1
LAUNCH_TIMEOUT_WALL_S = 30.0


def service_pids(pids: int | dict[str, int]) -> dict[str, int]:
    """An instance's processes by service name (a bare pid is a catalog-only instance)."""
    return dict(pids) if isinstance(pids, dict) else {"catalog": pids}


@dataclass
class Instance:
    """One API instance: its ALB slot name, catalog port and process (`pid`), every
    service's process by name (`pids`); times on the policy clock."""

    name: str
    port: int
    pid: int
    launched_at: float
    in_service_at: float | None = None
    state: str = "pending"  # pending | in-service | draining
    drain_until: float | None = None
    healthy: bool = True
    requests_mark: int = 0
    cpu_mark: float | None = None
    pids: dict[str, int] = field(default_factory=dict)

    def cpu_seconds(self) -> float | None:
        """CPU seconds of all the instance's groups; None once the catalog group is gone."""
        if group_cpu_seconds(self.pid) is None:
            return None
        return sum(group_cpu_seconds(p) or 0.0 for p in (self.pids or {"": self.pid}).values())

    def view(self) -> InstanceView:
        return InstanceView(self.name, self.launched_at, self.in_service_at, self.healthy)


def group_cpu_seconds(pid: int) -> float | None:
    """user + system CPU seconds of a process and its descendants (gunicorn's workers),
    reaped children included; None when the process is gone."""
    try:
        root = psutil.Process(pid)
        t = root.cpu_times()
        total = t.user + t.system + t.children_user + t.children_system
        for child in root.children(recursive=True):
            try:
                ct = child.cpu_times()
            except psutil.Error:
                continue
            total += ct.user + ct.system
        return total
    except psutil.Error:
        return None


@dataclass
class FleetRecord:
    """What fleet.json holds (see the module docstring); `at` fields are epoch seconds."""

    time_scale: float
    period_s: int
    min: int
    max: int
    warmup_s: float
    deregistration_delay_s: float
    policies: list[dict]
    instances: dict[str, dict] = field(default_factory=dict)
    timeline: list[dict] = field(default_factory=list)
    decisions: list[dict] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)

    def save(self, path: Path) -> None:
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=1) + "\n")
        tmp.replace(path)


def load_record(run_dir: Path) -> dict | None:
    """fleet.json of a twin run dir as a mapping, or None when no autoscaler ran there."""
    try:
        return json.loads((Path(run_dir) / FLEET_FILE).read_text())
    except (OSError, ValueError):
        return None


def fleet_summary(record: dict, start: float, end: float) -> dict:
    """summary.json's `fleet` object: the autoscaler's record over a run (epoch seconds
    `start`..`end`), times as `t_s` seconds since `start`.

    min, max: the group's bounds; max_in_service: the most instances in service in any
    period of the run; time_scale and period_wall_s: the compressed clock; timeline: one
    point per period (in_service, pending, draining, desired, requests_per_target in
    requests/min, cpu_percent; `decision` with the alarm states, metric values and reason
    when the period scaled); events: launch, in-service, drain, terminated, exited.
    """
    def t(at: float) -> float:
        return round(at - start, 2)

    periods = [p for p in record.get("timeline", []) if start <= p["at"] <= end]
    timeline = []
    for p in periods:
        point = {"t_s": t(p["at"]), "in_service": p["in_service"], "pending": p["pending"],
                 "draining": p["draining"], "desired": p["desired"],
                 "requests_per_target": p["metrics"].get(REQUESTS_PER_TARGET),
                 "cpu_percent": p["metrics"].get(CPU)}
        if "decision" in p:
            d = p["decision"]
            point["decision"] = {"action": d["action"], "from": d["capacity"],
                                 "to": d["desired"], "reason": d["reason"],
                                 "metrics": d["metrics"], "alarms": d["alarms"]}
        timeline.append(point)
    return {
        "min": record["min"], "max": record["max"],
        "max_in_service": max((p["in_service"] for p in periods), default=None),
        "time_scale": record["time_scale"],
        "period_wall_s": round(record["period_s"] / record["time_scale"], 3),
        "policies": record["policies"],
        "timeline": timeline,
        "events": [{**{k: v for k, v in e.items() if k != "at"}, "t_s": t(e["at"])}
                   for e in record.get("events", []) if start <= e["at"] <= end],
    }


class Fleet:
    """The autoscaler's state and one step of its loop (`poll`, and `period` each period).

    launch(name, port) starts an instance's processes and returns their pids by service
    (or one pid); health(port) says whether its catalog health check answers; clock() is
    the policy clock in seconds. `initial`: the running instances, name -> (port, pids).
    """

    def __init__(self, *, stack: StackConfig, alb: AlbRuntime | AlbInstances,
                 launch: Callable[[str, int], int | dict[str, int]],
                 health: Callable[[int], bool], clock: Callable[[], float],
                 time_scale: float, record_path: Path,
                 initial: dict[str, tuple[int, int | dict[str, int]]],
                 history: dict | None = None) -> None:
        self.limits = stack_limits(stack)
        self.policies = stack_policies(stack)
        self.tracker = TargetTracking(self.policies, self.limits)
        self.alb, self.launch, self.health, self.clock = alb, launch, health, clock
        self.time_scale = time_scale
        self.deregistration_delay = float(stack.deregistration_delay)
        # The grace period, but never under LAUNCH_TIMEOUT_WALL_S of wall clock: a
        # gunicorn boot is not compressed.
        self.launch_timeout = max(float(stack.health_check_grace_period),
                                  LAUNCH_TIMEOUT_WALL_S * time_scale)
        self.record_path = record_path
        self.desired = self.limits.min_size
        now = clock()
        stats = alb.servers()
        self.instances: dict[str, Instance] = {}
        for name, (port, pids) in initial.items():
            pids = service_pids(pids)
            # The starting instances are in service and warmed when the group begins.
            inst = Instance(
                name, port, pids["catalog"], launched_at=now - self.limits.warmup_s,
                in_service_at=now - self.limits.warmup_s, state="in-service",
                requests_mark=stats[name].requests if name in stats else 0, pids=pids)
            inst.cpu_mark = inst.cpu_seconds()
            self.instances[name] = inst
        self.slots = sorted(stats, key=lambda n: int(n.split("-")[1]))
        self.record = FleetRecord(
            time_scale, PERIOD_S, self.limits.min_size, self.limits.max_size,
            self.limits.warmup_s, self.deregistration_delay,
            [{"name": p.name, "metric": p.metric, "target": p.target} for p in self.policies])
        for kept in ("timeline", "decisions", "events"):  # a predecessor's history stays
            getattr(self.record, kept).extend((history or {}).get(kept) or [])
        self.desired = min(self.limits.max_size, max(self.desired, len(self.instances)))
        self._last_period = now
        self._save()

    # ---- bookkeeping -----------------------------------------------------------------

    def _event(self, event: str, name: str, **extra) -> None:
        self.record.events.append({"at": time.time(), "t_policy": round(self.clock(), 1),
                                   "event": event, "instance": name, **extra})

    def _save(self) -> None:
        self.record.instances = {n: asdict(i) for n, i in self.instances.items()}
        self.record.save(self.record_path)

    def in_service(self) -> list[Instance]:
        return [i for i in self.instances.values() if i.state == "in-service"]

    # ---- lifecycle ---------------------------------------------------------------------

    def _launch_one(self) -> None:
        free = [s for s in self.slots if s not in self.instances]
        if not free:
            return
        name, port = free[0], processes.free_port_block(INSTANCE_PORTS)
        pids = service_pids(self.launch(name, port))
        self.instances[name] = Instance(name, port, pids["catalog"], launched_at=self.clock(),
                                        pids=pids)
        self._event("launch", name, port=port)
        # On record at once, so `Twin.down()` finds it even if the autoscaler stops now.
        self._save()

    def _stop(self, inst: Instance, event: str) -> None:
        self.alb.deregister(inst.name)
        # SIGTERM now (nothing is left running if the autoscaler stops next); gunicorn's
        # graceful stop takes seconds, so wait for it (and escalate) off the loop.
        for pid in (inst.pids or {"catalog": inst.pid}).values():
            if processes.alive(pid) and "gunicorn" in processes.command_line(pid):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pid, signal.SIGTERM)
            threading.Thread(target=processes.stop, args=(pid, "gunicorn"), daemon=True).start()
        del self.instances[inst.name]
        self._event(event, inst.name)

    def poll(self) -> None:
        """Between periods: health checks of pending instances, drains that are due,
        instances whose catalog process died (replaced, as the ASG replaces unhealthy ones)."""
        now = self.clock()
        changed = False
        for inst in list(self.instances.values()):
            if not processes.alive(inst.pid):
                inst.healthy = False
                self._stop(inst, "exited" if inst.state != "draining" else "terminated")
                changed = True
            elif inst.state == "pending":
                if self._healthy(inst.port):
                    self.alb.register(inst.name, inst.port)
                    stat = self.alb.servers().get(inst.name)
                    inst.requests_mark = stat.requests if stat else 0
                    inst.cpu_mark = inst.cpu_seconds()
                    inst.state, inst.in_service_at = "in-service", now
                    self._event("in-service", inst.name,
                                after_s=round(now - inst.launched_at, 1))
                    changed = True
                elif now - inst.launched_at > self.launch_timeout:
                    self._stop(inst, "launch-timeout")
                    changed = True
            elif inst.state == "draining" and now >= (inst.drain_until or 0):
                self._stop(inst, "terminated")
                changed = True
        live = sum(1 for i in self.instances.values() if i.state != "draining")
        for _ in range(self.desired - live):
            self._launch_one()
            changed = True
        if changed:
            self._save()

    def _healthy(self, port: int) -> bool:
        try:
            return self.health(port)
        except (requests.RequestException, OSError):
            return False

    def _metrics(self, wall_s: float) -> dict[str, float | None]:
        stats = self.alb.servers()
        total, targets = 0, 0
        cpu: list[float] = []
        now = self.clock()
        for inst in self.in_service():
            stat = stats.get(inst.name)
            if stat is not None and stat.status == "MAINT":
                # HAProxy restarted from its config: the target is registered again.
                self.alb.register(inst.name, inst.port)
                inst.requests_mark = 0
                continue
            if stat is not None:
                total += max(0, stat.requests - inst.requests_mark)
                inst.requests_mark = stat.requests
                inst.healthy = stat.up
                targets += stat.up
            used = inst.cpu_seconds()
            if used is not None and inst.cpu_mark is not None and wall_s > 0 \
                    and inst.view().warmed(now, self.limits.warmup_s):
                cpu.append(min(100.0, 100 * (used - inst.cpu_mark) / wall_s))
            inst.cpu_mark = used
        # Requests per minute of wall clock: the count times 60 s over the period's length.
        per_target = total / targets * 60 / wall_s if total and targets and wall_s > 0 else None
        return {REQUESTS_PER_TARGET: None if per_target is None else round(per_target, 1),
                CPU: round(sum(cpu) / len(cpu), 1) if cpu else None}

    def period(self) -> None:
        """One evaluation period: record the datapoints, decide, act, save fleet.json."""
        now = self.clock()
        # The period's length in wall-clock seconds (the policy clock runs time_scale faster).
        metrics = self._metrics((now - self._last_period) / self.time_scale)
        self._last_period = now
        self.tracker.record(metrics)
        views = [i.view() for i in self.instances.values() if i.state != "draining"]
        decision = self.tracker.decide(now, self.desired, views)
        if decision.action == "scale-out":
            self.desired = decision.desired
        elif decision.action == "scale-in":
            candidates = [i for i in views if i.in_service_at is not None]
            victims = scale_in_order(candidates, decision.capacity - decision.desired)
            for name in victims:
                inst = self.instances[name]
                self.alb.drain(name)
                inst.state, inst.drain_until = "draining", now + self.deregistration_delay
                self._event("drain", name)
            self.desired -= len(victims)
        made = None
        if decision.action != "none":
            made = {**decision.as_dict(), "desired": self.desired}
            self.record.decisions.append({"at": time.time(), **made})
        self.poll()  # launch what the decision asks for before counting
        counts = {s: sum(1 for i in self.instances.values() if i.state == s)
                  for s in ("pending", "in-service", "draining")}
        self.record.timeline.append({
            "at": time.time(), "t_policy": round(now, 1), "desired": self.desired,
            "in_service": counts["in-service"], "pending": counts["pending"],
            "draining": counts["draining"], "metrics": metrics,
            **({"decision": made} if made else {})})
        self._save()


def main(argv: list[str] | None = None) -> int:
    from twin.topology import Twin

    parser = argparse.ArgumentParser(prog="python -m twin.fleet", description=__doc__)
    parser.add_argument("--run-dir", type=Path, required=True)
    parser.add_argument("--release", type=Path, default=None,
                        help="an unpacked app bundle with its venv (twin/release.py)")
    parser.add_argument("--release-key", default="")
    args = parser.parse_args(argv)
    # The twin as state.json records it: stack, ports, grant TTL, the clock's speed-up.
    twin = Twin.attach(args.run_dir)
    state = twin.state
    time_scale = twin.time_scale
    if args.release is not None:
        from twin.release import Release

        twin.release = Release(args.release_key, args.release)
    started = time.monotonic()

    def clock() -> float:
        return (time.monotonic() - started) * time_scale

    def health(port: int) -> bool:
        url = f"http://127.0.0.1:{port}{twin.stack.health_check_path}"
        return requests.get(url, timeout=1).status_code == 200

    initial = {name: (port, {s.name: state.pids[group_name(s.name, name)] for s in SERVICES
                             if group_name(s.name, name) in state.pids})
               for name, port in state.ports.items()
               if name.startswith("api-") and name in state.pids}
    # A restarted autoscaler (`make chaos SERVICE=fleet`) adopts what its predecessor ran.
    previous = load_record(args.run_dir) or {}
    alb = AlbInstances(twin.alb_twin().stats_socket)
    for name, inst in (previous.get("instances") or {}).items():
        if not processes.alive(inst["pid"]) or name in initial:
            continue
        pids = inst.get("pids") or inst["pid"]
        if inst["state"] == "in-service":
            initial[name] = (inst["port"], pids)
        else:  # pending or draining when its predecessor stopped: terminated now
            alb.deregister(name)
            for pid in service_pids(pids).values():
                processes.stop(pid, "gunicorn")
    fleet = Fleet(stack=twin.stack, alb=alb,
                  launch=twin.launch_instance, health=health, clock=clock,
                  time_scale=time_scale, record_path=args.run_dir / FLEET_FILE,
                  initial=initial, history=previous)
    period_wall = PERIOD_S / time_scale
    next_period = time.monotonic() + period_wall
    while True:
        try:
            fleet.poll()
            if time.monotonic() >= next_period:
                # One datapoint per period; a starved loop that wakes late makes one longer
                # period rather than a burst of catch-up periods with no requests in them.
                next_period = max(next_period + period_wall, time.monotonic() + POLL_S)
                fleet.period()
        except (OSError, RuntimeError) as exc:
            # HAProxy restarting or a stop under way: log it, try again next time round.
            print(f"autoscaler: {type(exc).__name__}: {exc}", flush=True)
        time.sleep(POLL_S)


if __name__ == "__main__":
    raise SystemExit(main())
