"""The real locustfile, headless, against the real API on loopback."""

from __future__ import annotations

from loadtest_stack import gates_by_name, run_loadtest


def test_viewers_browse_play_and_watch_without_errors(api_stack, tmp_path):
    """API through gunicorn, video straight from S3: every step of the viewer model runs."""
    code, summary, output = run_loadtest(
        api_stack.api_url,
        tmp_path,
        "--users",
        "4",
        "--spawn-rate",
        "4",
        "--duration",
        "12s",
        "--speedup",
        "8",
        "--max-segments",
        "6",
        "--warmup",
        "2",
        # No edge in this stack, so there is no X-Cache to gate on.
        "--gates",
        "segment_hit_ratio=off",
        "stalls=0",
    )
    gates = gates_by_name(code, summary, output)
    assert set(gates) == {"error_ratio", "p95_startup_ms", "stalls"}
    viewers = summary["viewers"]
    kinds = viewers["requests"]["by_kind"]
    assert kinds["api"] > 0 and kinds["playlist"] > 0 and kinds["segment"] > 0
    assert viewers["requests"]["failed"] == 0, viewers["errors"]
    assert gates["error_ratio"]["passed"] and gates["error_ratio"]["actual"] == 0
    assert viewers["plays"]["started"] >= 4
    assert viewers["plays"]["completed"] >= 4
    assert viewers["startup_ms"]["count"] >= 4
    assert viewers["startup_ms"]["p95"] > 0
    assert gates["p95_startup_ms"]["actual"] == viewers["startup_ms"]["p95"]
    assert gates["stalls"]["actual"] == viewers["stalls"]["count"]
    assert viewers["segment_download_over_duration"]["max"] > 0
    assert viewers["cache"]["overall"]["segment"]["unknown"] == kinds["segment"]
    assert (tmp_path / "report.html").stat().st_size > 0
    assert (tmp_path / "locust_stats.csv").exists()
    assert summary["locust"]["requests"] == viewers["requests"]["total"]


def test_a_failing_gate_makes_the_run_fail(api_stack, tmp_path):
    code, summary, output = run_loadtest(
        api_stack.api_url,
        tmp_path,
        "--users",
        "2",
        "--spawn-rate",
        "2",
        "--duration",
        "4s",
        "--speedup",
        "8",
        "--max-segments",
        "2",
        "--gates",
        "p95_startup_ms=0.001",
    )
    assert code == 1, output
    failed = {g["name"] for g in summary["gates"] if not g["passed"]}
    # The edge-less stack has no X-Cache: the hit-ratio gate fails for lack of data too.
    assert failed == {"p95_startup_ms", "segment_hit_ratio"}
    assert "RESULT: FAIL" in output


def test_viewers_renew_their_grants_and_count_bytes_per_rendition(api_stack, tmp_path):
    """A 60 s grant (renewed 15 s early) on a x20 play clock: plays longer than ~45 s renew."""
    code, summary, output = run_loadtest(
        api_stack.api_url,
        tmp_path,
        "--users", "4", "--spawn-rate", "4", "--duration", "12s",
        "--speedup", "20", "--max-segments", "40", "--link-mbps", "3", "--warmup", "2",
        "--gates", "segment_hit_ratio=off", "p95_startup_ms=off",
    )  # fmt: skip
    gates = gates_by_name(code, summary, output)
    viewers = summary["viewers"]
    assert viewers["requests"]["failed"] == 0, viewers["errors"]
    assert gates["error_ratio"]["passed"]
    assert viewers["renewals"]["by_cause"].get("scheduled", 0) >= 1, output
    assert viewers["renewals"]["total"] == sum(viewers["renewals"]["by_cause"].values())
    renewal_calls = summary["locust"]["by_name"]["POST renewal"]
    assert renewal_calls["requests"] == viewers["renewals"]["total"]
    assert renewal_calls["failures"] == 0
    segments = viewers["requests"]["by_kind"]["segment"]
    mix = viewers["renditions"]
    assert sum(m["segments"] for m in mix.values()) == segments
    assert set(mix) <= {"240p", "480p", "720p"}
    assert sum(m["bytes"] for m in mix.values()) == viewers["bytes"]["by_kind"]["segment"] > 0
    assert summary["edge_gbps"] > 0
    assert "renewals        " in output and "bytes served    " in output
