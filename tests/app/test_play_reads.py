"""Per-process read caches of the plays table: bounded staleness, errors never cached,
this process's own writes visible at once; the play writer's seeds come from its own
write (no read) and its co-play ADDs are coalesced per interval."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError

from app.play_reads import HISTORY_DEPTH, PlayReads
from app.plays import PlayRecorder

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

    def prepend_recent(self, profile: str, title_ids: list[str]) -> list[str]:
        self._call("prepend_recent")
        self.history[profile] = [*title_ids, *self.history.get(profile, [])]
        return list(self.history[profile])


@pytest.fixture
def table() -> FakeTable:
    return FakeTable()


@pytest.fixture
def clock() -> Clock:
    return Clock()


def cached(table: FakeTable, clock: Clock) -> PlayReads:
    return PlayReads(table, history_seconds=TTL, coplay_seconds=TTL, trending_seconds=TTL,
                     timer=clock)  # type: ignore[arg-type]


def at(second: int) -> float:
    """An epoch on 2026-12-01 (UTC), `second` seconds after midnight."""
    return datetime(2026, 12, 1, tzinfo=UTC).timestamp() + second


def coplay_adds(table: FakeTable) -> list[tuple[str, str, int]]:
    return sorted((pk, sk, n) for pk, sk, n in table.adds if sk.startswith("COPLAY#"))


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


def test_the_writers_list_is_held_as_a_fresh_read(table: FakeTable, clock: Clock) -> None:
    table.history["ann"] = ["a"]
    reads = cached(table, clock)
    assert reads.recent_titles("ann") == ["a"]
    clock.now += TTL - 1
    reads.recent_written("ann", ["b", "a", "b", "c"])  # as the writer's UpdateItem returned it
    assert reads.recent_titles("ann") == ["b", "a", "c"], "newest first, repeats dropped"
    clock.now += TTL - 0.001  # within the TTL of the write, past that of the read
    assert reads.recent_titles("ann") == ["b", "a", "c"]
    table.history["ann"] = ["d", "b", "a", "c"]  # another worker's play
    clock.now += 0.001
    assert reads.recent_titles("ann") == ["d", "b", "a", "c"]
    assert table.calls["recent_titles"] == 2


def test_own_coplay_adds_show_at_once(table: FakeTable, clock: Clock) -> None:
    table.coplay_counts["a"] = {"b": 1}
    reads = cached(table, clock)
    reads.coplays("a")
    reads.coplays_added({("a", "b"): 2, ("a", "c"): 1, ("x", "a"): 1})
    assert reads.coplays("a") == {"b": 3, "c": 1}
    assert table.calls["coplays"] == 1


def test_one_history_read_serves_every_depth_up_to_the_held_one(
    table: FakeTable, clock: Clock
) -> None:
    table.history["ann"] = [f"t{i}" for i in range(30)]
    reads = cached(table, clock)
    assert len(reads.recent_titles("ann")) == HISTORY_DEPTH
    assert reads.recent_titles("ann", 6) == [f"t{i}" for i in range(6)]
    assert table.calls["recent_titles"] == 1
    assert len(reads.recent_titles("ann", HISTORY_DEPTH + 5)) == HISTORY_DEPTH + 5
    assert table.calls["recent_titles"] == 2, "deeper than what is held: asked"
    reads.recent_written("ann", [f"w{i}" for i in range(30)])
    assert reads.recent_titles("ann") == [f"w{i}" for i in range(HISTORY_DEPTH)]


def test_co_play_adds_of_one_flush_are_coalesced_with_the_same_totals(table: FakeTable) -> None:
    recorder = PlayRecorder(table, flush_seconds=3600)  # type: ignore[arg-type]
    table.history = {"ann": ["a"], "bob": ["a"]}
    recorder.record("b", "ann", at(0))
    recorder.record("b", "bob", at(1))
    assert recorder.flush()
    assert coplay_adds(table) == [("TITLE#a", "COPLAY#b", 2), ("TITLE#b", "COPLAY#a", 2)]


def test_the_writer_takes_seeds_from_its_own_write_and_reads_nothing(table: FakeTable) -> None:
    recorder = PlayRecorder(table, flush_seconds=3600)  # type: ignore[arg-type]
    table.history = {"ann": ["x", "a", "x"]}
    recorder.record("b", "ann", at(0))
    recorder.record("c", "ann", at(1))
    assert recorder.flush()
    assert table.history["ann"] == ["c", "b", "x", "a", "x"], "one prepend, newest first"
    assert table.calls["prepend_recent"] == 1
    assert "recent_titles" not in table.calls
    # b follows x and a; c follows b, x and a (each pair counted in both directions).
    assert coplay_adds(table) == sorted(
        [("TITLE#x", "COPLAY#b", 1), ("TITLE#b", "COPLAY#x", 1),
         ("TITLE#a", "COPLAY#b", 1), ("TITLE#b", "COPLAY#a", 1),
         ("TITLE#b", "COPLAY#c", 1), ("TITLE#c", "COPLAY#b", 1),
         ("TITLE#x", "COPLAY#c", 1), ("TITLE#c", "COPLAY#x", 1),
         ("TITLE#a", "COPLAY#c", 1), ("TITLE#c", "COPLAY#a", 1)])


def test_a_play_has_at_most_coplay_seeds_partners(table: FakeTable) -> None:
    recorder = PlayRecorder(table, flush_seconds=0)  # type: ignore[arg-type]
    table.history = {"ann": [f"t{i}" for i in range(9)]}
    recorder.record("new", "ann", at(0))
    partners = {pk for pk, sk, _ in table.adds if sk == "COPLAY#new"}
    assert partners == {f"TITLE#t{i}" for i in range(PlayRecorder.COPLAY_SEEDS)}


def test_co_plays_wait_for_their_interval_and_sum_across_flushes(
    table: FakeTable, clock: Clock
) -> None:
    reads = cached(table, clock)
    recorder = PlayRecorder(table, flush_seconds=1, reads=reads,  # type: ignore[arg-type]
                            coplay_flush_seconds=30, timer=clock)
    table.history = {"ann": ["a"], "bob": ["a"]}
    recorder.record("b", "ann", at(0))
    assert recorder.flush(everything=False)
    clock.now += 10
    recorder.record("b", "bob", at(10))
    assert recorder.flush(everything=False)
    assert coplay_adds(table) == [], "not due yet"
    assert recorder.pending_coplays == 2
    assert table.calls["prepend_recent"] == 2, "the profiles' plays are written every flush"
    clock.now += 20
    reads.coplays("a")  # held from now on
    assert recorder.flush(everything=False)
    assert coplay_adds(table) == [("TITLE#a", "COPLAY#b", 2), ("TITLE#b", "COPLAY#a", 2)]
    assert recorder.pending_coplays == 0
    assert reads.coplays("a") == {"b": 2}, "own increments applied to the held entry"
    assert table.calls["coplays"] == 1


def test_counters_wait_for_their_interval_and_sum_across_flushes(
    table: FakeTable, clock: Clock
) -> None:
    recorder = PlayRecorder(
        table, flush_seconds=1, counter_flush_seconds=5, timer=clock  # type: ignore[arg-type]
    )
    for second in range(4):
        recorder.record("a", None, at(second))
        assert recorder.flush(everything=False)
        clock.now += 1
    assert table.adds == [] and recorder.pending == 4
    clock.now += 1
    assert recorder.flush(everything=False)
    assert sorted(table.adds) == [("TITLE#a", "DAY#2026-12-01", 4), ("TITLE#a", "STATS", 4)]
    assert recorder.pending == 0
    recorder.record("a", None, at(10))
    assert recorder.flush(), "everything at once, due or not (close(), tests)"
    assert table.adds[-1][2] == 1 and recorder.pending == 0


def test_a_failed_co_play_add_is_kept_for_the_next_interval(table: FakeTable) -> None:
    recorder = PlayRecorder(table, flush_seconds=0)  # type: ignore[arg-type]
    table.history = {"ann": ["a"]}
    original = table.add

    def coplays_fail(pk: str, sk: str, count: int) -> None:
        if sk.startswith("COPLAY#"):
            table.fail_next.add("add")
        original(pk, sk, count)

    table.add = coplays_fail  # type: ignore[method-assign]
    recorder.record("b", "ann", at(0))  # synchronous: the play is written, its co-plays fail
    assert coplay_adds(table) == []
    assert recorder.pending == 0 and recorder.pending_coplays == 2
    table.add = original  # type: ignore[method-assign]
    assert recorder.flush()
    assert coplay_adds(table) == [("TITLE#a", "COPLAY#b", 1), ("TITLE#b", "COPLAY#a", 1)]
    assert recorder.pending_coplays == 0


def test_a_failed_history_write_is_retried_without_repeating_written_profiles(
    table: FakeTable,
) -> None:
    recorder = PlayRecorder(table, flush_seconds=3600)  # type: ignore[arg-type]
    recorder.record("a", "ann", at(0))
    recorder.record("b", "bob", at(1))
    original = table.prepend_recent

    def bob_fails(profile: str, title_ids: list[str]) -> list[str]:
        if profile == "bob":
            table.fail_next.add("prepend_recent")
        return original(profile, title_ids)

    table.prepend_recent = bob_fails  # type: ignore[method-assign]
    assert recorder.flush() is False
    assert table.history == {"ann": ["a"]}
    table.prepend_recent = original  # type: ignore[method-assign]
    assert recorder.flush() is True
    assert table.history == {"ann": ["a"], "bob": ["b"]}, "ann's play is not written twice"
    assert recorder.pending == 0
