"""Starting Locust's processes: ports, command lines, exit codes and CPU time per process."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from loadtest import launch
from loadtest.run import parser
from loadtest.target_cpu import TargetCpu

BURN = "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.3: pass\n"


def test_every_process_is_reaped_with_its_exit_code_and_cpu_time(tmp_path):
    runs = launch.run_processes(
        [
            ("main", [sys.executable, "-c", BURN + "raise SystemExit(3)"]),
            ("helper", [sys.executable, "-c", "pass"]),
        ],
        tmp_path,
        timeout=60,
    )
    assert [(r.role, r.exit_code) for r in runs] == [("main", 3), ("helper", 0)]
    main = runs[0].as_dict()
    assert main["cpu_s"] >= 0.25  # the busy loop's 0.3 s, measured by the kernel
    assert runs[1].cpu_user_s + runs[1].cpu_system_s < main["cpu_s"]


def test_helpers_left_running_after_the_main_process_are_stopped(tmp_path, monkeypatch):
    monkeypatch.setattr(launch, "WORKERS_QUIT_S", 0.5)
    runs = launch.run_processes(
        [
            ("main", [sys.executable, "-c", "pass"]),
            ("stuck", [sys.executable, "-c", "import time; time.sleep(60)"]),
        ],
        tmp_path,
        timeout=60,
    )
    assert runs[1].exit_code == -15  # SIGTERM


def test_a_main_process_past_its_time_stops_everything(tmp_path):
    with pytest.raises(launch.LaunchTimeout):
        launch.run_processes(
            [("main", [sys.executable, "-c", "import time; time.sleep(60)"])], tmp_path, 0.5
        )


def test_workers_default_to_none_and_to_one_per_core_without_a_number():
    assert parser().parse_args([]).workers == 0
    assert parser().parse_args(["--workers"]).workers == (os.cpu_count() or 1)
    assert parser().parse_args(["--workers", "3"]).workers == 3
    with pytest.raises(SystemExit):
        parser().parse_args(["--workers", "-1"])


def test_workers_connect_to_the_masters_loopback_port():
    port = launch.free_port()
    master = launch.master_args(port, 2)
    worker = launch.worker_command(Path("lf.py"), port, None)
    assert master[master.index("--master-bind-port") + 1] == str(port)
    assert master[master.index("--master-bind-host") + 1] == "127.0.0.1"
    assert master[master.index("--expect-workers") + 1] == "2"
    assert worker[worker.index("--master-port") + 1] == str(port)
    assert worker[worker.index("--master-host") + 1] == "127.0.0.1"


def test_target_cpu_counts_a_process_and_its_children_during_the_run(tmp_path):
    # A parent whose child burns CPU, as gunicorn's workers do for its master.
    go, done = tmp_path / "go", tmp_path / "done"
    child = (
        f"import pathlib, time\nwhile not pathlib.Path({str(go)!r}).exists(): time.sleep(0.02)\n"
    )
    child += BURN + f"pathlib.Path({str(done)!r}).touch()\ntime.sleep(30)\n"
    parent = (
        "import subprocess, sys\n"
        f"p = subprocess.Popen([sys.executable, '-c', {child!r}])\n"
        "p.wait()\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", parent])
    try:
        time.sleep(0.5)  # the child exists before sampling starts
        sampler = TargetCpu({"api-1": proc.pid, "gone": 2**22 + 12345})
        go.touch()
        deadline = time.monotonic() + 30
        while not done.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        figures = {p["role"]: p for p in sampler.finish(wall_s=1.0)}
    finally:
        for p in psutil.Process(proc.pid).children(recursive=True):
            p.kill()
        proc.kill()
        proc.wait()
    # The child's busy loop, 0.3 s of CPU; /proc counts in clock ticks (10 ms), read at
    # both ends, and the figure is rounded to hundredths: allow two ticks.
    assert 0.28 <= figures["api-1"]["cpu_s"] < 2.0
    # Over a 1 s run, seconds of CPU are hundredths of a core (both rounded).
    assert abs(figures["api-1"]["cpu_pct_of_core"] - 100 * figures["api-1"]["cpu_s"]) <= 0.6
    assert figures["gone"]["cpu_s"] is None


@pytest.mark.parametrize("value", ["-1", "-0.5", "fast"])
def test_a_negative_or_unreadable_link_speed_is_refused(value):
    with pytest.raises(SystemExit):
        parser().parse_args(["--link-mbps", value])
    assert parser().parse_args(["--link-mbps", "0"]).link_mbps == 0
