"""Adaptive bitrate as hls.js does it: the EWMA estimator and the per-segment rendition choice."""

from __future__ import annotations

import random
import statistics

import pytest

from loadtest.abr import (
    DEFAULT_ESTIMATE_BPS,
    AdaptivePlayer,
    BandwidthEstimator,
    LinkModel,
    choose_rendition,
)

LADDER = [400_000, 1_200_000, 3_000_000]  # 240p, 480p, 720p
SEGMENT_S = 4.0


def segment_bytes(rendition: int) -> int:
    return int(LADDER[rendition] * SEGMENT_S / 8)


def play_trace(link_mbps: list[float]) -> list[int]:
    """The rendition of each segment when segment i downloads over link_mbps[i]."""
    player = AdaptivePlayer(LADDER)
    chosen = []
    for mbps in link_mbps:
        rendition = player.next_rendition()
        size = segment_bytes(rendition)
        player.segment_loaded(size * 8 / (mbps * 1e6), size)
        chosen.append(rendition)
    return chosen


def test_before_any_sample_the_estimate_is_the_default_and_the_start_is_the_lowest():
    estimator = BandwidthEstimator()
    assert estimator.estimate_bps == DEFAULT_ESTIMATE_BPS
    assert AdaptivePlayer(LADDER).next_rendition() == 0


def test_one_sample_is_the_estimate_in_full():
    estimator = BandwidthEstimator()
    estimator.sample(download_s=2.0, size_bytes=1_000_000)
    assert estimator.estimate_bps == pytest.approx(4_000_000)


def test_the_estimate_falls_fast_and_rises_slowly():
    falling = BandwidthEstimator()
    falling.sample(8.0, 8_000_000)  # 8 Mbps for 8 s
    falling.sample(1.0, 125_000)  # then 1 Mbps for 1 s
    assert falling.fast.estimate < falling.slow.estimate
    assert falling.estimate_bps == falling.fast.estimate
    rising = BandwidthEstimator()
    rising.sample(8.0, 1_000_000)  # 1 Mbps for 8 s
    rising.sample(1.0, 1_000_000)  # then 8 Mbps for 1 s
    assert rising.fast.estimate > rising.slow.estimate
    assert rising.estimate_bps == rising.slow.estimate
    assert 1_000_000 < rising.estimate_bps < 8_000_000


def test_switching_up_needs_more_headroom_than_staying():
    # 1.5 Mbps: 0.95 x 1.5 covers 480p's 1.2 Mbps, 0.7 x 1.5 does not.
    assert choose_rendition(LADDER, current=1, estimate_bps=1_500_000) == 1
    assert choose_rendition(LADDER, current=0, estimate_bps=1_500_000) == 0
    assert choose_rendition(LADDER, current=0, estimate_bps=1_800_000) == 1
    assert choose_rendition(LADDER, current=2, estimate_bps=100_000) == 0


def test_a_fast_link_climbs_to_the_top_rendition_and_stays():
    chosen = play_trace([20.0] * 12)
    assert chosen[0] == 0
    assert chosen[-4:] == [2, 2, 2, 2]
    assert chosen == sorted(chosen), "never down on a steady fast link"


def test_a_bandwidth_drop_switches_down_and_a_recovery_switches_back_up():
    trace = [20.0] * 10 + [0.8] * 10 + [20.0] * 15
    player_chosen = play_trace(trace)
    assert player_chosen[9] == 2, "top rendition before the drop"
    assert player_chosen[19] == 0, "lowest rendition fits 0.8 Mbps"
    assert player_chosen.index(0, 10) <= 13, "down within a few segments of the drop"
    assert player_chosen[-1] == 2, "back at the top after the recovery"


def test_switches_are_counted_up_and_down():
    player = AdaptivePlayer(LADDER)
    for mbps in [20.0] * 8 + [0.8] * 8:
        rendition = player.next_rendition()
        size = segment_bytes(rendition)
        player.segment_loaded(size * 8 / (mbps * 1e6), size)
    assert player.switches["up"] >= 1 and player.switches["down"] >= 1


def test_a_middling_link_settles_on_the_middle_rendition():
    assert play_trace([2.5] * 20)[-5:] == [1] * 5


def test_the_ladder_must_be_ascending():
    with pytest.raises(ValueError, match="ascending"):
        AdaptivePlayer([3_000_000, 400_000])


def test_no_link_model_passes_the_measured_time_through():
    link = LinkModel(0)
    assert link.download_s(10_000_000, 0.01) == 0.01


def test_a_link_is_never_faster_than_measured_and_caps_throughput():
    link = LinkModel(2.0, sigma=0, jitter=0, rng=random.Random(1))
    assert link.download_s(1_000_000, 0.01) == pytest.approx(4.0)  # 8 Mbit at 2 Mbps
    assert link.download_s(1_000, 1.5) == 1.5


def test_link_capacities_are_log_normal_around_the_median():
    rng = random.Random(7)
    capacities = [LinkModel(6.0, rng=rng).capacity_bps for _ in range(4000)]
    assert statistics.median(capacities) == pytest.approx(6e6, rel=0.08)
    below_480p = sum(c * 0.7 < LADDER[1] for c in capacities) / len(capacities)
    above_720p = sum(c * 0.7 >= LADDER[2] for c in capacities) / len(capacities)
    assert 0.05 < below_480p < 0.4 and 0.3 < above_720p < 0.8, "every rung gets viewers"


def test_a_negative_link_median_is_refused():
    with pytest.raises(ValueError, match="link median"):
        LinkModel(-1)
