"""Pass/fail gates and the summary of a run."""

from __future__ import annotations

import pytest

from loadtest.metrics import StreamStats
from loadtest.report import Gates, build_summary, evaluate, locust_totals, render_summary


def healthy_run() -> dict:
    stats = StreamStats(warmup_s=0)
    for i in range(200):
        stats.request("segment")
        stats.cache.record("segment", f"/s{i % 10}.ts", "Hit from cloudfront", i, i + 0.01)
    stats.startup_ms.extend([120.0] * 95 + [300.0] * 5)
    return stats.as_dict()


def by_name(results) -> dict:
    return {r.name: r for r in results}


def test_a_healthy_run_passes_every_gate():
    results = evaluate(healthy_run(), Gates())
    assert all(r.passed for r in results), results
    assert set(by_name(results)) == {"error_ratio", "p95_startup_ms", "segment_hit_ratio"}


def test_each_gate_fails_on_its_own_figure():
    run = healthy_run()
    run["error_ratio"] = 0.02
    run["startup_ms"]["p95"] = 501.0
    run["cache"]["after_warmup"]["segment"]["ratio"] = 0.89
    results = by_name(evaluate(run, Gates()))
    assert not results["error_ratio"].passed
    assert not results["p95_startup_ms"].passed
    assert not results["segment_hit_ratio"].passed
    assert "501 misses <= 500" in results["p95_startup_ms"].reason


def test_a_gate_without_data_fails_and_says_why():
    run = StreamStats().as_dict()
    results = by_name(evaluate(run, Gates()))
    assert not results["error_ratio"].passed
    assert results["segment_hit_ratio"].reason.startswith("no data")
    assert results["p95_startup_ms"].actual is None


def test_gates_can_be_overridden_or_switched_off():
    gates = Gates().override(["p95_startup_ms=800", "segment-hit-ratio=off", "stalls=0"])
    assert gates == Gates(p95_startup_ms=800.0, segment_hit_ratio=None, stalls=0.0)
    run = StreamStats().as_dict()
    names = set(by_name(evaluate(run, gates)))
    assert "segment_hit_ratio" not in names and "stalls" in names


@pytest.mark.parametrize("spec", ["p95=1", "error_ratio", "error_ratio=lots"])
def test_a_bad_gate_override_is_refused_naming_it(spec):
    with pytest.raises(ValueError, match="bad gate"):
        Gates().override([spec])


def test_remote_targets_get_a_looser_start_up_gate():
    assert Gates.for_target(loopback=True).p95_startup_ms == 500
    assert Gates.for_target(loopback=False).p95_startup_ms == 2000


def test_summary_records_the_verdict_and_prints_it():
    summary = build_summary(healthy_run(), Gates(), {"url": "http://127.0.0.1:8080"}, None)
    assert summary["passed"] is True
    text = render_summary(summary)
    assert "gate PASS  segment_hit_ratio" in text
    assert text.splitlines()[-1] == "RESULT: PASS"
    assert "  renewals        0 (none due)" in text
    assert "  start-up        p50 120.0 ms, p95 120.0 ms, p99 300.0 ms, max 300.0 ms" in text
    assert "  renditions      none played" in text
    failing = healthy_run()
    failing["error_ratio"] = 0.5
    assert render_summary(build_summary(failing, Gates(), {}, None)).endswith("RESULT: FAIL")


def test_the_summary_prints_bytes_throughput_rendition_mix_and_renewals():
    stats = StreamStats()
    stats.received("segment", 3_000_000)
    stats.rendition_segment("720p", 2_000_000)
    stats.rendition_segment("240p", 1_000_000)
    stats.renewals["scheduled"] += 4
    text = render_summary(build_summary(stats.as_dict(), Gates(), {"duration_s": 8}, None))
    assert "  bytes served    3.0 MB (segment 3.0 MB), edge throughput 0.0030 Gbps" in text
    assert "240p 1 segments / 1.0 MB (33.3% of bytes)" in text
    assert "720p 1 segments / 2.0 MB (66.7% of bytes)" in text
    assert "  renewals        4 (scheduled 4)" in text


def test_locust_totals_leave_out_the_viewer_metric_rows():
    entries = [
        {"type": "GET", "name": "/video/[id]/[rendition]/[segment]", "requests": 100,
         "failures": 1, "rps": 10.0, "p50_ms": 5, "p95_ms": 9},
        {"type": "POST", "name": "/api/v1/titles/[id]/playback", "requests": 10,
         "failures": 0, "rps": 1.0, "p50_ms": 3, "p95_ms": 4},
        {"type": "VIEWER", "name": "startup", "requests": 10, "failures": 0, "rps": 1.0,
         "p50_ms": 50, "p95_ms": 90},
    ]  # fmt: skip
    totals = locust_totals(entries)
    assert totals["requests"] == 110 and totals["failures"] == 1
    assert totals["requests_per_s"] == 11.0
    assert "VIEWER startup" not in totals["by_name"]
    assert locust_totals(None) is None


def test_the_summary_says_when_more_viewers_ran_than_were_asked():
    stats = StreamStats()
    stats.request("segment", at_s=1.0, viewers=2_000)
    stats.request("segment", at_s=40.0, viewers=2_950)
    run = {"users": 2_000, "shape": "steady"}
    text = render_summary(build_summary(stats.as_dict(), Gates(), run, None))
    assert "  viewers         peaked at 2950, above the 2000 asked" in text
    run["users"] = 3_000
    assert "peaked at" not in render_summary(build_summary(stats.as_dict(), Gates(), run, None))
