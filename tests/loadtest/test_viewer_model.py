"""The viewer model's decisions: title choice, watch length, grant renewal time and stalls."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from loadtest.viewer import PlayerBuffer, ZipfPicker, renewal_due_in, watch_length

CATALOG = [{"id": f"t{i:02d}", "popularity": p} for i, p in enumerate([5, 90, 40, 70, 10, 1])]


def test_zipf_ranks_titles_by_popularity_not_catalog_order():
    picker = ZipfPicker(CATALOG, s=1.0, rng=random.Random(1))
    assert [t["id"] for t in picker.ranked] == ["t01", "t03", "t02", "t04", "t00", "t05"]


def test_zipf_probabilities_follow_one_over_rank():
    picker = ZipfPicker(CATALOG, s=1.0)
    harmonic = sum(1 / r for r in range(1, 7))
    for rank in range(1, 7):
        assert picker.probability(rank) == pytest.approx(1 / rank / harmonic)
    assert sum(picker.probability(r) for r in range(1, 7)) == pytest.approx(1.0)


def test_zipf_picks_match_the_distribution():
    picker = ZipfPicker(CATALOG, s=1.0, rng=random.Random(7))
    draws = 30_000
    counts = Counter(picker.pick()["id"] for _ in range(draws))
    for rank, title in enumerate(picker.ranked, start=1):
        observed = counts[title["id"]] / draws
        assert observed == pytest.approx(picker.probability(rank), abs=0.01)
    # Rank 1 is picked about twice as often as rank 2, three times rank 3.
    assert counts["t01"] / counts["t03"] == pytest.approx(2.0, rel=0.08)


def test_zipf_exponent_zero_is_uniform_and_titles_without_popularity_rank_last():
    titles = [{"id": "a"}, {"id": "b", "popularity": 3}, {"id": "c"}]
    picker = ZipfPicker(titles, s=0.0)
    assert [t["id"] for t in picker.ranked] == ["b", "a", "c"]
    assert picker.probability(1) == pytest.approx(1 / 3)


def test_zipf_refuses_an_empty_catalog():
    with pytest.raises(ValueError, match="no titles"):
        ZipfPicker([])


def test_renewal_is_due_at_renew_after_on_the_sped_up_play_clock():
    assert renewal_due_in(renew_after=1_000_450, now_epoch=1_000_000, speedup=1) == 450
    assert renewal_due_in(renew_after=1_000_450, now_epoch=1_000_000, speedup=10) == 45
    assert renewal_due_in(renew_after=1_000_000, now_epoch=1_000_100, speedup=2) == 0


def test_watch_length_is_a_bounded_prefix():
    rng = random.Random(5)
    lengths = {watch_length(12, 5, rng) for _ in range(500)}
    assert lengths == {1, 2, 3, 4, 5}
    assert {watch_length(3, 10, rng) for _ in range(200)} == {1, 2, 3}
    assert watch_length(0, 10, rng) == 0


def test_segments_arriving_within_the_buffer_never_stall():
    buffer = PlayerBuffer(speedup=1.0, target=4.0)
    assert buffer.next_request_at(0.0) == 0.0
    assert buffer.segment_arrived(0.3, 4.0) == 0.0  # playback starts at 0.3
    # The buffer holds one segment (= target): ask for the next one at once.
    assert buffer.next_request_at(0.3) == pytest.approx(0.3)
    assert buffer.segment_arrived(0.5, 4.0) == 0.0  # 8 s of media buffered until 8.3
    # Now two segments are buffered: wait until one has played.
    assert buffer.next_request_at(0.5) == pytest.approx(4.3)
    assert buffer.segment_arrived(8.2, 4.0) == 0.0
    assert buffer.stalls == []


def test_a_segment_later_than_the_buffer_allows_is_a_stall_of_the_overrun():
    buffer = PlayerBuffer(speedup=1.0, target=4.0)
    buffer.segment_arrived(1.0, 4.0)  # plays until 5.0
    assert buffer.segment_arrived(6.5, 4.0) == pytest.approx(1.5)
    # Playback resumed on arrival: the next deadline is 6.5 + 4.
    assert buffer.segment_arrived(10.4, 4.0) == 0.0
    assert buffer.segment_arrived(14.6, 4.0) == pytest.approx(0.1)
    assert buffer.stalls == [pytest.approx(1.5), pytest.approx(0.1)]


def test_speedup_shrinks_each_segment_budget():
    buffer = PlayerBuffer(speedup=10.0, target=4.0)
    buffer.segment_arrived(0.0, 4.0)  # 4 media seconds last 0.4 s of wall clock
    assert buffer.next_request_at(0.0) == pytest.approx(0.0)
    assert buffer.segment_arrived(0.3, 4.0) == 0.0
    assert buffer.segment_arrived(1.0, 4.0) == pytest.approx(0.2)  # deadline was 0.8


def test_speedup_must_be_positive():
    with pytest.raises(ValueError):
        PlayerBuffer(speedup=0)
