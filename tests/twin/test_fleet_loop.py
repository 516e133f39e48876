"""The autoscaler's loop (twin.fleet.Fleet) with a fake ALB and an injected clock.

No HAProxy and no gunicorn: the "instances" are this test process (alive, never stopped:
its command line is not gunicorn's), the ALB twin a table of server states and request
counters. Checks the join-only-when-healthy, drain-for-the-deregistration-delay and
newest-first rules and the record the load test reads.
"""

from __future__ import annotations

import os

import pytest

from infra.config import load_stack
from twin.alb import ServerStat
from twin.fleet import Fleet, load_record

TARGET, WARMUP, DELAY = 1000, 120, 30


class FakeAlb:
    """HAProxy's runtime API as the autoscaler uses it: slots api-1..api-3."""

    def __init__(self) -> None:
        self.stats = {f"api-{i}": ServerStat("MAINT", 0) for i in range(1, 4)}
        self.stats["api-1"] = ServerStat("UP", 0)
        self.ports: dict[str, int] = {}

    def servers(self) -> dict[str, ServerStat]:
        return dict(self.stats)

    def _set(self, name: str, status: str) -> None:
        self.stats[name] = ServerStat(status, self.stats[name].requests)

    def register(self, name: str, port: int) -> None:
        self.ports[name] = port
        self._set(name, "UP")

    def drain(self, name: str) -> None:
        self._set(name, "DRAIN")

    def deregister(self, name: str) -> None:
        self._set(name, "MAINT")

    def serve(self, per_server: int) -> None:
        for name, stat in self.stats.items():
            if stat.status == "UP":
                self.stats[name] = ServerStat("UP", stat.requests + per_server)


@pytest.fixture
def fleet(tmp_path):
    stack = load_stack("dev").model_copy(update={
        "min_size": 1, "max_size": 3, "target_requests_per_target": TARGET,
        "target_cpu_percent": 90, "instance_warmup": WARMUP, "deregistration_delay": DELAY})
    clock = {"t": 0.0}
    healthy = {"ok": False}
    launched: list[str] = []

    def launch(name: str, port: int) -> int:
        launched.append(name)
        return os.getpid()

    alb = FakeAlb()
    f = Fleet(stack=stack, alb=alb, launch=launch, health=lambda port: healthy["ok"],
              clock=lambda: clock["t"], time_scale=1.0, record_path=tmp_path / "fleet.json",
              initial={"api-1": (1, os.getpid())})
    return f, alb, clock, healthy, launched, tmp_path


def tick(f: Fleet, clock: dict, seconds: float = 60.0) -> None:
    clock["t"] += seconds
    f.period()


def test_scale_out_join_when_healthy_then_drain_and_scale_in(fleet):
    f, alb, clock, healthy, launched, run_dir = fleet
    for _ in range(3):  # 3000 requests a minute on one target: 3 periods above 1000
        alb.serve(3000)
        tick(f, clock)
    assert launched == ["api-2", "api-3"]  # ceil(1 x 3000 / 1000) = 3
    assert {n: i.state for n, i in f.instances.items()} == {
        "api-1": "in-service", "api-2": "pending", "api-3": "pending"}
    f.poll()
    assert alb.stats["api-2"].status == "MAINT"  # no health check yet: not in the ALB
    healthy["ok"] = True
    f.poll()
    assert alb.stats["api-2"].status == alb.stats["api-3"].status == "UP"
    # The quiet: 15 periods far below 90 % of the target, warmup long past.
    for _ in range(15):
        alb.serve(10)
        tick(f, clock)
    record = load_record(run_dir)
    actions = [(d["action"], d["capacity"], d["desired"]) for d in record["decisions"]]
    assert actions == [("scale-out", 1, 3), ("scale-in", 3, 1)]
    assert alb.stats["api-3"].status == alb.stats["api-2"].status == "DRAIN"
    assert alb.stats["api-1"].status == "UP"
    clock["t"] += DELAY - 1
    f.poll()
    assert alb.stats["api-2"].status == "DRAIN"  # still within the deregistration delay
    clock["t"] += 1
    f.poll()
    assert alb.stats["api-2"].status == alb.stats["api-3"].status == "MAINT"
    assert set(f.instances) == {"api-1"}
    events = [(e["event"], e["instance"]) for e in load_record(run_dir)["events"]]
    assert events[:4] == [("launch", "api-2"), ("launch", "api-3"),
                          ("in-service", "api-2"), ("in-service", "api-3")]
    assert ("terminated", "api-3") in events and ("terminated", "api-2") in events
    out = record["decisions"][0]
    assert out["metrics"]["ALBRequestCountPerTarget"] == pytest.approx(3000)


def test_no_requests_is_no_datapoint_and_no_scale_in(fleet):
    f, alb, clock, *_ = fleet
    for _ in range(16):
        tick(f, clock)
    points = f.record.timeline
    assert all(p["metrics"]["ALBRequestCountPerTarget"] is None for p in points)
    assert f.record.decisions == []
