"""A Locust master and 2 workers on loopback: the merged figures are what the workers recorded."""

from __future__ import annotations

import json

from loadtest_stack import gates_by_name, run_loadtest

from loadtest.metrics import StreamStats


def test_master_merges_what_each_worker_recorded(api_stack, tmp_path):
    code, summary, output = run_loadtest(
        api_stack.api_url,
        tmp_path,
        "--workers",
        "2",
        "--users",
        "4",
        "--spawn-rate",
        "4",
        "--duration",
        "10s",
        "--speedup",
        "8",
        "--max-segments",
        "4",
        "--warmup",
        "2",
        "--gates",
        "segment_hit_ratio=off",
        "stalls=0",
        timeout=150,
    )
    gates_by_name(code, summary, output)
    run = summary["run"]
    assert [p["role"] for p in run["locust_processes"]] == ["master", "worker 1", "worker 2"]
    assert all(p["exit_code"] == 0 for p in run["locust_processes"]), run["locust_processes"]
    assert all(p["cpu_s"] > 0 for p in run["locust_processes"])
    assert run["workers"]["count"] == 2 and run["workers"]["missing_final"] == []

    files = sorted((tmp_path / "workers").glob("worker-*.json"))
    records = [json.loads(f.read_text()) for f in files]
    assert len(records) == 2, output
    assert {r["pid"] for r in records} == {p["pid"] for p in run["locust_processes"][1:]}
    per_worker = [StreamStats.from_wire(r["recorded"]) for r in records]
    # Locust splits 4 users over 2 workers: both played.
    assert all(w.plays_started > 0 and w.startup_ms for w in per_worker)

    merged = per_worker[0].merge(per_worker[1]).as_dict()
    viewers = summary["viewers"]
    assert viewers == merged
    assert viewers["requests"]["total"] == sum(
        sum(StreamStats.from_wire(r["recorded"]).requests.values()) for r in records
    )
    assert viewers["requests"]["failed"] == 0, viewers["errors"]
    # Locust's own request counts, merged by Locust, agree with the viewers' figures.
    assert summary["locust"]["requests"] == viewers["requests"]["total"]
    by_worker = run["workers"]["by_worker"]
    assert {w["client_id"] for w in records} == set(by_worker)
    for record in records:
        recorded = StreamStats.from_wire(record["recorded"])
        assert by_worker[record["client_id"]]["requests"] == sum(recorded.requests.values())
    assert "Locust CPU      master" in output and "2 merged" in output
