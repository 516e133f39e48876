"""Per-process read caches of the plays table: bounded staleness, errors never cached,
this process's own writes visible at once, and the play writer's co-play ADDs coalesced."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError

from app.play_reads import PlayReads
from app.plays import Play, PlayRecorder

TTL = 10.0


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class FakeTable:
    """The PlayTable reads and writes PlayReads and PlayRecorder use, over dicts,
    counting every call by method name."""

    def __init__(self) -> None:
        self.history: dict[str, list[str]] = {}
        self.coplay_counts: dict[str, dict[str, int]] = {}
        self.daily: Counter[str] = Counter()
        self.calls: Counter[str] = Counter()
        self.adds: list[tuple[str, str, int]] = []
        self.fail_next: set[str] = set()

    def _call(self, name: str) -> None:
        self.calls[name] += 1
        if name in self.fail_next:
            self.fail_next.discard(name)
            raise ClientError({"Error": {"Code": "ProvisionedThroughputExceededException"}}, name)

    def recent_titles(self, profile: str, limit: int = 20) -> list[str]:
        self._call("recent_titles")
        return list(self.history.get(profile, []))[:limit]

    def coplays(self, title_id: str, limit: int = 50) -> dict[str, int]:
        self._call("coplays")
        return dict(self.coplay_counts.get(title_id, {}))

    def daily_plays(self, title_ids: list[str], days: list[str]) -> Counter[str]:
        self._call("daily_plays")
        return Counter({t: n for t, n in self.daily.items() if t in title_ids})

    def add(self, pk: str, sk: str, count: int) -> None:
        self._call("add")
        self.adds.append((pk, sk, count))

    def put_history(self, plays: list[Play]) -> None:
        self._call("put_history")
        for play in plays:
            titles = self.history.setdefault(play.profile, [])
            if play.title_id in titles:
                titles.remove(play.title_id)
            titles.insert(0, play.title_id)


@pytest.fixture
def table() -> FakeTable:
    return FakeTable()


@pytest.fixture
def clock() -> Clock:
    return Clock()


def cached(table: FakeTable, clock: Clock) -> PlayReads:
    return PlayReads(table, history_seconds=TTL, coplay_seconds=TTL, trending_seconds=TTL,
                     timer=clock)  # type: ignore[arg-type]


def play(title_id: str, profile: str = "ann") -> Play:
    return Play(title_id, profile, datetime(2026, 12, 1, tzinfo=UTC))


@pytest.mark.parametrize(
    ("read", "change", "expect_before", "expect_after"),
    [
        (lambda r: r.recent_titles("ann"),
         lambda t: t.history.__setitem__("ann", ["b", "a"]), ["a"], ["b", "a"]),
        (lambda r: r.coplays("a"),
         lambda t: t.coplay_counts.__setitem__("a", {"b": 2}), {"b": 1}, {"b": 2}),
        (lambda r: r.daily_plays(["a"], ["2026-12-01"]),
         lambda t: t.daily.__setitem__("a", 9), Counter({"a": 1}), Counter({"a": 9})),
    ],
    ids=["history", "coplays", "trending"],
)
def test_a_change_shows_after_the_ttl_and_not_before(
    table: FakeTable, clock: Clock, read: Any, change: Any, expect_before: Any, expect_after: Any
) -> None:
    table.history["ann"] = ["a"]
    table.coplay_counts["a"] = {"b": 1}
    table.daily["a"] = 1
    reads = cached(table, clock)
    assert read(reads) == expect_before
    change(table)
    clock.now += TTL - 0.001  # just inside the TTL: still the cached read
    assert read(reads) == expect_before
    assert sum(table.calls.values()) == 1, "one DynamoDB read within the TTL"
    clock.now += 0.001  # TTL seconds after the read: expired
    assert read(reads) == expect_after
    assert sum(table.calls.values()) == 2


def test_without_a_ttl_every_read_goes_to_the_table(table: FakeTable) -> None:
    reads = PlayReads(table)  # type: ignore[arg-type]
    for _ in range(3):
        reads.recent_titles("ann")
        reads.coplays("a")
        reads.daily_plays(["a"], ["2026-12-01"])
    assert table.calls == Counter(recent_titles=3, coplays=3, daily_plays=3)


@pytest.mark.parametrize("method", ["recent_titles", "coplays", "daily_plays"])
def test_a_failed_read_is_not_cached(table: FakeTable, clock: Clock, method: str) -> None:
    table.history["ann"] = ["a"]
    table.coplay_counts["a"] = {"b": 1}
    table.daily["a"] = 1
    reads = cached(table, clock)
    calls = {
        "recent_titles": lambda: reads.recent_titles("ann"),
        "coplays": lambda: reads.coplays("a"),
        "daily_plays": lambda: reads.daily_plays(["a"], ["2026-12-01"]),
    }
    table.fail_next.add(method)
    with pytest.raises(ClientError):
        calls[method]()
    assert calls[method]()  # asks DynamoDB again at once and answers
    assert calls[method]()  # now cached
    assert table.calls[method] == 2


def test_a_cached_answer_cannot_be_changed_by_its_caller(table: FakeTable, clock: Clock) -> None:
    table.coplay_counts["a"] = {"b": 1}
    reads = cached(table, clock)
    reads.coplays("a")["b"] = 99
    assert reads.coplays("a") == {"b": 1}


def test_own_plays_show_at_once_but_do_not_extend_the_ttl(table: FakeTable, clock: Clock) -> None:
    table.history["ann"] = ["a"]
    reads = cached(table, clock)
    assert reads.recent_titles("ann") == ["a"]
    reads.played([play("b"), play("a")])
    assert reads.recent_titles("ann") == ["a", "b"]
    table.history["ann"] = ["c", "a", "b"]  # another worker's play
    clock.now += TTL + 0.001
    assert reads.recent_titles("ann") == ["c", "a", "b"]
    assert table.calls["recent_titles"] == 2


def test_own_coplay_adds_show_at_once(table: FakeTable, clock: Clock) -> None:
    table.coplay_counts["a"] = {"b": 1}
    reads = cached(table, clock)
    reads.coplays("a")
    reads.coplays_added({("a", "b"): 2, ("a", "c"): 1, ("x", "a"): 1})
    assert reads.coplays("a") == {"b": 3, "c": 1}
    assert table.calls["coplays"] == 1


def test_a_longer_history_than_the_one_held_is_read_again(
    table: FakeTable, clock: Clock
) -> None:
    table.history["ann"] = [f"t{i}" for i in range(30)]
    reads = cached(table, clock)
    assert len(reads.recent_titles("ann")) == 20
    assert reads.recent_titles("ann", 6) == [f"t{i}" for i in range(6)]
    assert table.calls["recent_titles"] == 1
    assert len(reads.recent_titles("ann", 25)) == 25
    assert table.calls["recent_titles"] == 2
    assert len(reads.recent_titles("ann")) == 20
    assert table.calls["recent_titles"] == 2


def test_co_play_adds_of_one_flush_are_coalesced_with_the_same_totals(table: FakeTable) -> None:
    recorder = PlayRecorder(table, flush_seconds=3600)  # type: ignore[arg-type]
    table.history = {"ann": ["a"], "bob": ["a"]}
    recorder.record("b", "ann", 1_764_547_200.0)
    recorder.record("b", "bob", 1_764_547_201.0)
    assert recorder.flush()
    coplay_adds = [(pk, sk, n) for pk, sk, n in table.adds if sk.startswith("COPLAY#")]
    assert sorted(coplay_adds) == [("TITLE#a", "COPLAY#b", 2), ("TITLE#b", "COPLAY#a", 2)]


def test_the_recorder_reads_seeds_through_the_cache_and_sees_its_own_plays(
    table: FakeTable, clock: Clock
) -> None:
    reads = cached(table, clock)
    recorder = PlayRecorder(table, flush_seconds=3600, reads=reads)  # type: ignore[arg-type]
    recorder.record("a", "ann", 1_764_547_200.0)
    assert recorder.flush()
    recorder.record("b", "ann", 1_764_547_230.0)
    assert recorder.flush()
    assert table.calls["recent_titles"] == 1, "the second flush used the held history"
    coplay_adds = sorted((pk, sk) for pk, sk, _ in table.adds if sk.startswith("COPLAY#"))
    assert coplay_adds == [("TITLE#a", "COPLAY#b"), ("TITLE#b", "COPLAY#a")]
