"""Master-side tuning of Locust's distributed mode (loadtest/cluster.py), checked in a
subprocess: importing Locust monkey-patches the standard library (gevent), which the
test process must not have."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

PROBE = textwrap.dedent("""
    import json
    import locust.runners
    from locust.env import Environment
    from loadtest import cluster
    from loadtest.metrics import StreamStats

    seen = {"default": locust.runners.HEARTBEAT_LIVENESS, "wanted": cluster.HEARTBEAT_LIVENESS}
    local = Environment(user_classes=[])
    local.create_local_runner()
    cluster.install(local, StreamStats)
    seen["local"] = locust.runners.HEARTBEAT_LIVENESS
    master = Environment(user_classes=[])
    runner = master.create_master_runner("127.0.0.1", 0)  # loopback only
    cluster.install(master, StreamStats)
    seen["master"] = locust.runners.HEARTBEAT_LIVENESS
    # the master makes its worker nodes with the module's value when they connect
    node = locust.runners.WorkerNode("w1", heartbeat_liveness=locust.runners.HEARTBEAT_LIVENESS)
    seen["node"] = node.heartbeat
    runner.quit()
    print(json.dumps(seen))
""")


def test_the_master_waits_longer_before_counting_a_worker_missing():
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                          timeout=60, check=True)
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["default"] == 3  # Locust's own: three silent seconds
    assert seen["local"] == 3  # a single process changes nothing
    assert seen["master"] == seen["node"] == seen["wanted"]
    assert 3 < seen["wanted"] <= 15  # a worker really gone is still noticed quickly
