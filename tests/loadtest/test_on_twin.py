"""The load test and verify against the real local twin: the edge's part is measured too."""

from __future__ import annotations

import pytest
from loadtest_stack import gates_by_name, run_loadtest

from loadtest.verify import Verifier

PAGING = "titles paging through the CDN"


@pytest.fixture(scope="module")
def verdicts_on_twin(twin_stack):
    return Verifier(twin_stack.cdn_url, origin_url=twin_stack.alb_url, can_sign_up=True).run()


def test_verify_passes_every_check_on_the_twin(verdicts_on_twin):
    failed = {r.name: r.reason for r in verdicts_on_twin if r.status != "PASS"}
    assert failed == {}
    assert len(verdicts_on_twin) == 9


def test_titles_paging_survives_the_edge(verdicts_on_twin):
    paging = next(r for r in verdicts_on_twin if r.name == PAGING)
    assert paging.status == "PASS", paging.reason


def test_viewers_on_the_twin_are_served_from_the_edge_cache(twin_stack, tmp_path):
    code, summary, output = run_loadtest(
        twin_stack.cdn_url,
        tmp_path,
        "--users",
        "8",
        "--spawn-rate",
        "8",
        "--duration",
        "15s",
        "--speedup",
        "8",
        "--max-segments",
        "6",
        "--warmup",
        "3",
        "--gates",
        "stalls=0",
    )
    gates = gates_by_name(code, summary, output)
    viewers = summary["viewers"]
    assert viewers["requests"]["failed"] == 0, viewers["errors"]
    warm_segments = viewers["cache"]["after_warmup"]["segment"]
    assert warm_segments["unknown"] == 0  # every segment carried X-Cache
    assert warm_segments["hits"] > 0 and warm_segments["ratio"] >= 0.9
    assert gates["segment_hit_ratio"]["passed"] and gates["error_ratio"]["passed"]
    assert gates["p95_startup_ms"]["actual"] == viewers["startup_ms"]["p95"] > 0
    assert gates["stalls"]["actual"] == viewers["stalls"]["count"]
