"""Viewer figures: X-Cache outcomes, the after-warm-up hit ratio, percentiles, error ratio."""

from __future__ import annotations

import pytest

from loadtest.metrics import (
    CacheAccounting,
    StreamStats,
    cache_outcome,
    edge_gbps,
    percentile,
)


@pytest.mark.parametrize(
    ("header", "outcome"),
    [
        ("Hit from cloudfront", "hit"),
        ("RefreshHit from cloudfront", "hit"),
        ("Miss from cloudfront", "miss"),
        ("Error from cloudfront", "miss"),
        ("hit", "hit"),
        (None, "unknown"),
        ("", "unknown"),
        ("LimitExceeded from cloudfront", "unknown"),
    ],
)
def test_x_cache_values_map_to_hit_miss_or_unknown(header, outcome):
    assert cache_outcome(header) == outcome


def test_first_fetch_of_each_object_is_left_out_after_warm_up():
    cache = CacheAccounting(warmup_s=0)
    assert not cache.record("segment", "/video/a/720p/0.ts", "Miss from cloudfront", 1.0, 1.1)
    assert cache.record("segment", "/video/a/720p/0.ts", "Hit from cloudfront", 2.0, 2.01)
    assert not cache.record("segment", "/video/a/720p/1.ts", "Miss from cloudfront", 2.0, 2.2)
    figures = cache.as_dict()
    assert figures["overall"]["segment"] == {"hits": 1, "misses": 2, "unknown": 0, "ratio": 0.3333}
    assert figures["after_warmup"]["segment"] == {
        "hits": 1,
        "misses": 0,
        "unknown": 0,
        "ratio": 1.0,
    }
    assert figures["objects"] == 2


def test_fetches_racing_the_first_one_are_cold_too():
    cache = CacheAccounting()
    cache.record("segment", "/s.ts", "Miss from cloudfront", 1.0, 1.5)
    # Started before the first fetch completed: the edge could not have had it yet.
    assert not cache.record("segment", "/s.ts", "Miss from cloudfront", 1.2, 1.6)
    assert cache.record("segment", "/s.ts", "Hit from cloudfront", 1.5, 1.51)
    assert cache.as_dict()["after_warmup"]["segment"]["ratio"] == 1.0


def test_fetches_inside_the_warm_up_window_are_left_out():
    cache = CacheAccounting(warmup_s=30)
    cache.record("segment", "/s.ts", "Miss from cloudfront", 1.0, 1.1)
    assert not cache.record("segment", "/s.ts", "Miss from cloudfront", 29.9, 30.0)
    assert cache.record("segment", "/s.ts", "Hit from cloudfront", 30.0, 30.1)
    warm = cache.as_dict()["after_warmup"]
    assert warm["segment"]["hits"] == 1 and warm["segment"]["misses"] == 0


def test_hit_ratio_ignores_responses_without_x_cache_and_is_per_object_class():
    cache = CacheAccounting()
    for t in (0.0, 1.0, 2.0):
        cache.record("segment", "/s.ts", "Hit from cloudfront", t, t + 0.1)
        cache.record("playlist", "/p.m3u8", "Miss from cloudfront", t, t + 0.1)
        cache.record("segment", "/u.ts", None, t, t + 0.1)
    warm = cache.as_dict()["after_warmup"]
    assert warm["segment"] == {"hits": 2, "misses": 0, "unknown": 2, "ratio": 1.0}
    assert warm["playlist"]["ratio"] == 0.0
    assert warm["all"]["ratio"] == 0.5


def test_no_x_cache_at_all_gives_no_ratio():
    cache = CacheAccounting()
    cache.record("segment", "/s.ts", None, 0, 1)
    cache.record("segment", "/s.ts", None, 2, 3)
    assert cache.as_dict()["after_warmup"]["segment"]["ratio"] is None


def test_percentile_is_nearest_rank():
    values = list(range(1, 101))
    assert percentile(values, 95) == 95
    assert percentile(values, 50) == 50
    assert percentile([7.0], 95) == 7.0
    assert percentile([], 95) is None


def test_errors_are_counted_by_kind_and_type_and_give_the_error_ratio():
    stats = StreamStats()
    for _ in range(97):
        stats.request("segment")
    stats.request("segment", "HTTP 403")
    stats.request("api", "HTTP 503")
    stats.request("api", "ConnectionRefusedError")
    figures = stats.as_dict()
    assert figures["requests"] == {"total": 100, "failed": 3, "by_kind": {"api": 2, "segment": 98}}
    assert figures["error_ratio"] == 0.03
    assert figures["errors"] == {
        "segment: HTTP 403": 1,
        "api: HTTP 503": 1,
        "api: ConnectionRefusedError": 1,
    }


def test_stalls_are_counted_per_stall_and_per_play():
    stats = StreamStats()
    stats.plays_started = 2
    stats.stall(0.5, first_in_play=True)
    stats.stall(0.25, first_in_play=False)
    stats.play_finished()
    figures = stats.as_dict()
    assert figures["stalls"] == {"count": 2, "total_s": 0.75, "max_s": 0.5}
    assert figures["plays"] == {"started": 2, "completed": 1, "with_stall": 1}


def test_segment_download_over_duration():
    stats = StreamStats()
    stats.segment(0.4, 4.0)
    stats.segment(1.0, 4.0)
    figures = stats.as_dict()
    assert figures["segment_download_over_duration"]["max"] == 0.25
    assert figures["segment_download_ms"]["p50"] == 400.0


def test_start_up_is_broken_down_by_phase():
    stats = StreamStats()
    stats.startup_phase("playback_api", 0.020)
    stats.startup_phase("playback_api", 0.040)
    stats.startup_phase("first_segment", 0.010)
    phases = stats.as_dict()["startup_phases_ms"]
    assert phases["playback_api"]["max"] == 40.0 and phases["playback_api"]["count"] == 2
    assert phases["first_segment"]["p50"] == 10.0


def test_bytes_renditions_switches_and_renewals_are_reported():
    stats = StreamStats()
    stats.received("api", 500)
    stats.received("playlist", 1_000)
    for size in (200_000, 200_000):
        stats.received("segment", size)
        stats.rendition_segment("240p", size)
    stats.received("segment", 1_500_000)
    stats.rendition_segment("720p", 1_500_000)
    stats.switches.update({"up": 1, "down": 0})
    stats.renewals["scheduled"] += 2
    stats.renewals["after_403"] += 1
    figures = stats.as_dict()
    assert figures["bytes"] == {
        "total": 1_901_500,
        "by_kind": {"api": 500, "playlist": 1_000, "segment": 1_900_000},
    }
    # Edge bytes only (playlists and segments): 1,901,000 B x 8 / 2 s.
    assert edge_gbps(figures["bytes"]["by_kind"], 2.0) == pytest.approx(0.007604)
    assert figures["renditions"]["240p"] == {
        "segments": 2, "bytes": 400_000, "segment_share": 0.6667, "byte_share": 0.2105,
    }  # fmt: skip
    assert figures["renditions"]["720p"]["segments"] == 1
    assert figures["switches"] == {"up": 1, "down": 0}
    assert figures["renewals"] == {"total": 3, "by_cause": {"after_403": 1, "scheduled": 2}}


def test_no_duration_gives_no_throughput():
    assert edge_gbps({"segment": 1_000}, 0) is None


def test_bytes_renditions_and_renewals_merge_across_workers_exactly():
    one, two = StreamStats(), StreamStats()
    one.received("segment", 100)
    one.rendition_segment("240p", 100)
    one.renewals["scheduled"] += 1
    two.received("segment", 300)
    two.rendition_segment("720p", 300)
    two.renewals["after_403"] += 1
    two.switches["up"] += 2
    merged = StreamStats().merge(StreamStats.from_wire(one.drain().to_wire()))
    merged.merge(StreamStats.from_wire(two.drain().to_wire()))
    figures = merged.as_dict()
    assert figures["bytes"]["by_kind"] == {"segment": 400}
    assert {n: m["bytes"] for n, m in figures["renditions"].items()} == {"240p": 100, "720p": 300}
    assert figures["renewals"] == {"total": 2, "by_cause": {"after_403": 1, "scheduled": 1}}
    assert figures["switches"] == {"up": 2, "down": 0}
    assert one.is_empty() and two.is_empty()
