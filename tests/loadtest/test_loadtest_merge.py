"""Viewer figures merge exactly: split the same events over recorders, merge, get the whole."""

from __future__ import annotations

import json
import random
from collections import Counter
from dataclasses import dataclass, field

import msgpack
import pytest

from loadtest.metrics import StreamStats

PATHS = [f"/video/t{t}/720p/seg_{i:03d}.ts" for t in range(4) for i in range(6)]


def _events(seed: int, n: int = 400) -> list[tuple]:
    """A reproducible mix of everything a viewer records, in time order."""
    rng = random.Random(seed)
    events, t = [], 0.0
    for _ in range(n):
        t += rng.expovariate(20)
        kind = rng.choice(["request", "segment", "startup", "stall", "cache", "play"])
        if kind == "request":
            error = rng.choice([None] * 8 + ["HTTP 403", "Timeout"])
            events.append(("request", rng.choice(["api", "playlist", "segment"]), error))
        elif kind == "segment":
            events.append(("segment", rng.uniform(0.001, 0.5), rng.choice([4.0, 2.0, 0.0])))
        elif kind == "startup":
            events.append(("startup", rng.lognormvariate(3, 1), rng.uniform(0.001, 0.1)))
        elif kind == "stall":
            events.append(("stall", rng.uniform(0.01, 2), rng.random() < 0.5))
        elif kind == "cache":
            x_cache = rng.choice(["Hit from cloudfront", "Miss from cloudfront", None])
            events.append(("cache", rng.choice(PATHS), x_cache, t, t + rng.uniform(0, 0.2)))
        else:
            events.append(("play", rng.random() < 0.8))
    return events


def _apply(stats: StreamStats, event: tuple) -> None:
    match event:
        case ("request", kind, error):
            stats.request(kind, error)
        case ("segment", download_s, duration):
            stats.segment(download_s, duration)
        case ("startup", ms, api_s):
            stats.startup_ms.append(ms)
            stats.startup_phase("playback_api", api_s)
        case ("stall", seconds, first):
            stats.stall(seconds, first_in_play=first)
        case ("cache", path, x_cache, started, finished):
            stats.cache.record("segment", path, x_cache, started, finished)
        case ("play", completed):
            stats.plays_started += 1
            stats.plays_completed += completed


def _recorders(n: int, events: list[tuple], warmup: float = 1.0) -> list[StreamStats]:
    """The events dealt over `n` recorders; each object's fetches stay with one recorder, as
    warm/cold is each recorder's own judgement (its first fetch of an object is cold)."""
    recorders = [StreamStats(warmup_s=warmup, speedup=4.0) for _ in range(n)]
    rng = random.Random(n)
    for event in events:
        owner = PATHS.index(event[1]) % n if event[0] == "cache" else rng.randrange(n)
        _apply(recorders[owner], event)
    return recorders


def test_two_halves_merged_give_the_whole():
    events = _events(1)
    whole = _recorders(1, events)[0]
    first, second = _recorders(2, events)
    assert first.requests and second.requests  # both halves hold something
    merged = first.merge(second)
    assert merged.as_dict() == whole.as_dict()
    figures = merged.as_dict()
    assert figures["startup_ms"]["p95"] == whole.as_dict()["startup_ms"]["p95"]
    assert figures["cache"]["after_warmup"]["segment"]["ratio"] is not None
    assert figures["plays"]["started"] == sum(1 for e in events if e[0] == "play")


def test_merge_is_associative_and_commutative():
    a, b, c = _recorders(3, _events(2))

    def copy(s: StreamStats) -> StreamStats:
        return StreamStats.from_wire(s.to_wire())

    left = copy(a).merge(copy(b)).merge(copy(c)).as_dict()
    right = copy(a).merge(copy(b).merge(copy(c))).as_dict()
    swapped = copy(c).merge(copy(a)).merge(copy(b)).as_dict()
    assert left == right == swapped


def test_percentiles_come_from_merged_samples_not_from_averaged_percentiles():
    fast, slow = StreamStats(), StreamStats()
    fast.startup_ms.extend([10.0] * 90)
    slow.startup_ms.extend([1000.0] * 10)
    merged = fast.merge(slow).as_dict()["startup_ms"]
    assert merged["p50"] == 10.0 and merged["p95"] == 1000.0 and merged["count"] == 100
    assert merged["mean"] == 109.0


def test_deltas_drained_on_every_report_add_up_to_the_undrained_figures():
    events = _events(3)
    kept = StreamStats(warmup_s=1.0, speedup=4.0)
    shipping = StreamStats(warmup_s=1.0, speedup=4.0)
    master = StreamStats(warmup_s=1.0, speedup=4.0)
    for i, event in enumerate(events):
        _apply(kept, event)
        _apply(shipping, event)
        if i % 37 == 0:  # a report
            delta = shipping.drain()
            master.merge(StreamStats.from_wire(msgpack.unpackb(msgpack.packb(delta.to_wire()))))
    master.merge(shipping.drain())
    assert shipping.is_empty()
    assert master.as_dict() == kept.as_dict()


def test_a_drain_keeps_which_objects_were_fetched():
    stats = StreamStats()
    stats.cache.record("segment", "/s.ts", "Miss from cloudfront", 1.0, 1.1)
    first = stats.drain()
    assert stats.cache.record("segment", "/s.ts", "Hit from cloudfront", 2.0, 2.1)  # warm
    second = stats.drain()
    total = first.merge(second).as_dict()["cache"]
    assert total["objects"] == 1
    assert total["after_warmup"]["segment"]["hits"] == 1
    assert total["overall"]["segment"] == {"hits": 1, "misses": 1, "unknown": 0, "ratio": 0.5}


def test_wire_form_is_json_and_msgpack_safe_and_round_trips():
    (stats,) = _recorders(1, _events(4))
    wire = stats.to_wire()
    for decoded in (json.loads(json.dumps(wire)), msgpack.unpackb(msgpack.packb(wire))):
        assert StreamStats.from_wire(decoded).as_dict() == stats.as_dict()


def test_figures_taken_with_other_settings_do_not_merge():
    with pytest.raises(ValueError, match="warmup_s"):
        StreamStats(warmup_s=30).merge(StreamStats(warmup_s=10))
    with pytest.raises(TypeError, match="no field"):
        StreamStats.from_wire({**StreamStats().to_wire(), "nonsense": 1})


def test_a_new_figure_merges_drains_and_travels_without_its_own_code():
    @dataclass
    class WithRenewals(StreamStats):
        renewals: Counter = field(default_factory=Counter)
        renewal_ms: list[float] = field(default_factory=list)
        bytes_by_rendition: dict[str, int] = field(default_factory=dict)

    a, b = WithRenewals(), WithRenewals()
    a.renewals["ok"] += 2
    a.renewal_ms.append(12.5)
    a.bytes_by_rendition["720p"] = 1000
    b.renewals["ok"] += 1
    b.renewals["HTTP 403"] += 1
    b.renewal_ms.append(40.0)
    b.bytes_by_rendition.update({"720p": 500, "240p": 20})
    shipped = WithRenewals.from_wire(json.loads(json.dumps(b.drain().to_wire())))
    assert b.is_empty() and not shipped.is_empty()
    merged = a.merge(shipped)
    assert merged.renewals == Counter({"ok": 3, "HTTP 403": 1})
    assert sorted(merged.renewal_ms) == [12.5, 40.0]
    assert merged.bytes_by_rendition == {"720p": 1500, "240p": 20}
