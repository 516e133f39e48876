"""The twin's Auto Scaling group under a burst: out on the high alarm, in on the quiet after.

A stack of its own (minSize 1, maxSize 3, 300 requests per target per minute) and the
autoscaler's clock 60 times faster: a 60 s CloudWatch period is 1 s, the 3-of-3 high
alarm needs 3 s above the target, the 15-of-15 low alarm 15 s below 90 % of it. Viewers
play through the edge the whole time; none of their requests may fail. Launched instances
run from the app bundle's release (its first build, once per bundle digest, takes about
a minute of pip; later runs reuse .cache/bundles/).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
import yaml
from twin_viewer import play

from infra.config import stack_file
from twin import chaos
from twin.alb import AlbRuntime
from twin.fleet import fleet_summary, load_record
from twin.state import TwinPorts
from twin.topology import Twin

TIME_SCALE = 60.0
MIN, MAX, TARGET = 1, 3, 300
BURST_VIEWERS, BURST_S = 6, 12.0
QUIET_RPS = 2.0  # a trickle: the ALB reports no datapoint for a minute without requests
SCALE_IN_WITHIN_S = 60.0


@pytest.fixture(scope="module")
def scaling_twin(tmp_path_factory: pytest.TempPathFactory,
                 twin_prerequisites: None) -> Iterator[Twin]:
    root = tmp_path_factory.mktemp("fleet-stack")
    stack = yaml.safe_load(stack_file("dev").read_text())
    stack["config"].update({"edgeflix:minSize": MIN, "edgeflix:maxSize": MAX,
                            "edgeflix:desiredCapacity": MIN,
                            "edgeflix:targetRequestsPerTarget": TARGET,
                            "edgeflix:targetCpuPercent": 90,
                            "edgeflix:instanceWarmup": 60})
    (root / "Pulumi.fleet.yaml").write_text(yaml.safe_dump(stack))
    t = Twin(stack="fleet", stack_root=root, run_dir=tmp_path_factory.mktemp("twin-fleet"),
             ports=TwinPorts.free, titles=1, seconds=12, warm_top=0, progress=print,
             autoscale=True, time_scale=TIME_SCALE)
    t.up()
    try:
        yield t
    finally:
        t.down()


class Viewers:
    """Viewers asking for playback through the edge; every failure is kept."""

    def __init__(self, cdn: str, title: str) -> None:
        self.cdn, self.title = cdn, title
        self.ok = 0
        self.failures: list[str] = []
        self.lock = threading.Lock()

    def play_once(self) -> None:
        try:
            play(self.cdn, self.title)
        except Exception as exc:  # noqa: BLE001 - any failure is a failed viewer request
            with self.lock:
                self.failures.append(f"{type(exc).__name__}: {exc}"[:200])
            return
        with self.lock:
            self.ok += 1

    def loop(self, stop: threading.Event, pause: float) -> None:
        while not stop.is_set():
            self.play_once()
            time.sleep(pause)


def wait_for(predicate, timeout: float, what: str) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if predicate():
            return time.monotonic() - started
        time.sleep(0.25)
    raise AssertionError(f"{what} not within {timeout:.0f} s")


def test_burst_scales_out_and_the_quiet_scales_in(scaling_twin: Twin):
    twin = scaling_twin
    run_dir = Path(twin.run_dir)
    viewers = Viewers(twin.state.cdn_url, twin.state.titles[0])

    def record() -> dict:
        return load_record(run_dir) or {}

    def decisions(action: str) -> list[dict]:
        return [d for d in record().get("decisions", []) if d["action"] == action]

    quiet_stop, burst_stop = threading.Event(), threading.Event()
    quiet = threading.Thread(target=viewers.loop, args=(quiet_stop, 1 / QUIET_RPS))
    quiet.start()
    started_at = time.time()
    try:
        burst_started = time.monotonic()
        burst = [threading.Thread(target=viewers.loop, args=(burst_stop, 0.0))
                 for _ in range(BURST_VIEWERS)]
        for thread in burst:
            thread.start()
        to_scale_out = wait_for(lambda: decisions("scale-out"), BURST_S * 2,
                                "a scale-out decision")
        wait_for(lambda: any(e["event"] == "in-service" for e in record().get("events", [])),
                 45, "a launched instance in service")
        joined = next(e["instance"] for e in record()["events"] if e["event"] == "in-service")
        launched_from = psutil.Process(record()["instances"][joined]["pid"])
        launched_from_cwd, launched_from_cmd = launched_from.cwd(), launched_from.cmdline()
        remaining = BURST_S - (time.monotonic() - burst_started)
        time.sleep(max(0.0, remaining))
        burst_stop.set()
        for thread in burst:
            thread.join()
        to_scale_in = wait_for(lambda: decisions("scale-in"), SCALE_IN_WITHIN_S,
                               "a scale-in decision in the quiet")
        wait_for(lambda: any(e["event"] == "terminated" for e in record().get("events", [])),
                 20, "a drained instance terminated")
    finally:
        quiet_stop.set()
        burst_stop.set()
        quiet.join()
    fleet = record()
    # The launched instance ran from the app bundle's release, not from the checkout.
    assert twin.release is not None
    assert Path(launched_from_cwd) == twin.release.directory
    # The release venv's interpreter running the release's gunicorn script.
    assert launched_from_cmd[0].startswith(str(twin.release.directory / "venv" / "bin"))
    assert launched_from_cmd[1] == str(twin.release.gunicorn)
    out = decisions("scale-out")[0]
    print(f"scale-out {to_scale_out:.1f} s into the burst: {out['reason']}, metrics "
          f"{out['metrics']}; scale-in {to_scale_in:.1f} s into the quiet; "
          f"{viewers.ok} plays ok; max in service "
          f"{max(p['in_service'] for p in fleet['timeline'])}")
    # The high alarm needs 3 periods above the target: never before 3 periods of burst.
    assert to_scale_out >= 3 * 60 / TIME_SCALE - 0.5
    assert out["metrics"]["ALBRequestCountPerTarget"] > TARGET
    assert out["desired"] > MIN
    # The low alarm needs 15 periods below 90 % of the target.
    assert to_scale_in >= 15 * 60 / TIME_SCALE - 1
    scale_in = decisions("scale-in")[0]
    assert scale_in["alarms"]["TargetTracking-requests-per-target-AlarmLow"] == "ALARM"
    assert scale_in["alarms"]["TargetTracking-cpu-AlarmLow"] == "ALARM"
    in_service = [p["in_service"] for p in fleet["timeline"]]
    desired = [p["desired"] for p in fleet["timeline"]]
    assert max(in_service) > MIN
    assert min(in_service) >= MIN and max(in_service) <= MAX
    assert min(desired) >= MIN and max(desired) <= MAX
    assert viewers.ok > 0
    assert viewers.failures == []
    # summary.json's `fleet` object over the same window.
    summary = fleet_summary(fleet, started_at, time.time())
    assert MIN < summary["max_in_service"] <= MAX
    scaled = [p["decision"] for p in summary["timeline"] if "decision" in p]
    assert [d["action"] for d in scaled][:1] == ["scale-out"]
    assert "scale-in" in [d["action"] for d in scaled]
    assert scaled[0]["metrics"]["ALBRequestCountPerTarget"] > TARGET


def test_heal_restarts_the_alb_and_the_autoscaler_which_keeps_its_instances(scaling_twin: Twin):
    """`make chaos` on an autoscaled twin: a restarted HAProxy gets the launched instances
    registered again; a restarted autoscaler adopts them and keeps the history."""
    twin = scaling_twin
    run_dir = Path(twin.run_dir)
    viewers = Viewers(twin.state.cdn_url, twin.state.titles[0])
    stop = threading.Event()
    burst = [threading.Thread(target=viewers.loop, args=(stop, 0.0)) for _ in range(4)]
    for thread in burst:
        thread.start()
    try:
        wait_for(lambda: sum(1 for i in (load_record(run_dir) or {})["instances"].values()
                             if i["state"] == "in-service") > MIN, 45, "a scaled-out fleet")
    finally:
        stop.set()
        for thread in burst:
            thread.join()
    before = load_record(run_dir)
    launched = {n: i["pid"] for n, i in before["instances"].items()
                if i["state"] == "in-service" and n not in twin.state.pids}
    assert launched
    chaos.act(run_dir, "alb", "kill")
    chaos.act(run_dir, "fleet", "kill")
    healed = chaos.heal(run_dir)
    assert {"alb", "fleet"} <= set(healed)

    def registered_again() -> bool:
        servers = AlbRuntime(twin.alb_twin().stats_socket).servers()
        return all(servers[n].status.startswith("UP") for n in launched)

    wait_for(registered_again, 20, "launched instances registered in the new HAProxy")
    after = load_record(run_dir)
    assert {n: after["instances"][n]["pid"] for n in launched} == launched
    assert len(after["timeline"]) > len(before["timeline"])  # history kept, periods go on
    viewers.play_once()
    assert viewers.failures == []
