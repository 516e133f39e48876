"""The premiere load shape: its curve, the premiere title's pull, the timeline's exact merge, and a
CI-sized premiere against the loopback API stack."""

from __future__ import annotations

import json
import random
from types import SimpleNamespace

import msgpack
import pytest
from loadtest_stack import gates_by_name, run_loadtest

from loadtest.metrics import StreamStats
from loadtest.premiere import PREMIERE_SHARE, PremiereCurve, curve_from_options, premiere_title
from loadtest.viewer import ZipfPicker


def _ticks(peak: int, duration_s: float) -> dict[int, tuple[int, float] | None]:
    """The shape's tick() at every whole second of a run, as Locust calls it (about once a
    second); PremiereShape.tick() returns PremiereCurve.tick() of its run time. Locust is not
    imported here: it monkey-patches the test process (the CI-sized run below drives it)."""
    curve = PremiereCurve(peak, duration_s)
    return {t: curve.tick(float(t)) for t in range(int(duration_s) + 2)}


def test_the_curve_has_a_baseline_a_surge_within_a_minute_a_plateau_and_decay():
    ticks = _ticks(peak=1000, duration_s=600)
    users = {t: tick[0] for t, tick in ticks.items() if tick is not None}
    curve = PremiereCurve(1000, 600)
    assert curve.baseline == 100
    # Baseline: 10% of the peak for the first 15% of the run.
    assert {users[t] for t in range(0, 90)} == {100}
    # Surge: from the baseline to the peak within 60 s, never going down on the way.
    surge = [users[t] for t in range(90, 151)]
    assert surge == sorted(surge) and surge[0] < 200 and surge[-1] == 1000
    assert min(t for t in users if users[t] == 1000) - 90 <= 60
    # Surge arrivals per second: (1000 - 100) viewers over 60 s; decay keeps up within a tick.
    assert ticks[120][1] == pytest.approx(15.0)
    assert ticks[400][1] >= users[400] - users[401]
    # Plateau until 60% of the run.
    assert {users[t] for t in range(151, 360)} == {1000}
    # Decay: down every few seconds, towards (not below) the baseline.
    decay = [users[t] for t in range(360, 600)]
    assert decay == sorted(decay, reverse=True) and decay[0] == 1000
    assert 100 <= decay[-1] < 160
    # The test ends at --duration.
    assert ticks[600] is None and ticks[601] is None


def test_a_short_run_still_surges_within_its_fifth_and_ends():
    ticks = _ticks(peak=8, duration_s=30)
    users = [ticks[t][0] for t in range(30)]
    assert users[0] == 1 and max(users) == 8
    assert users.index(8) <= 4.5 + 6  # surge starts at 4.5 s and takes 20% of 30 s
    assert ticks[30] is None


def test_bad_curves_are_refused():
    with pytest.raises(ValueError, match="peak"):
        PremiereCurve(0, 60)
    with pytest.raises(ValueError, match="duration"):
        PremiereCurve(10, 0)


def test_the_curve_comes_from_the_options_workers_receive():
    # A worker gets only custom options from its master, so -u and -t are its defaults.
    worker = SimpleNamespace(shape="premiere", shape_peak=40, shape_duration=120.0, num_users=1)
    assert curve_from_options(worker) == PremiereCurve(40, 120.0)
    by_hand = SimpleNamespace(shape="premiere", shape_peak=0, num_users=10, run_time=60)
    assert curve_from_options(by_hand) == PremiereCurve(10, 60.0)
    assert curve_from_options(SimpleNamespace(shape="steady", num_users=10)) is None
    with pytest.raises(ValueError, match="run time"):
        curve_from_options(SimpleNamespace(shape="premiere", num_users=10, run_time=None))


def test_surge_arrivals_mostly_pick_the_premiere_and_the_rest_follow_zipf():
    titles = [{"id": f"t{i:02d}", "popularity": 100 - i} for i in range(20)]
    new = premiere_title(titles)
    assert new["id"] == "t19"  # the least popular: nobody has watched it yet
    rng = random.Random(11)
    fan = ZipfPicker(titles, 1.0, rng, featured=new, featured_share=PREMIERE_SHARE)
    regular = ZipfPicker(titles, 1.0, random.Random(11))
    n = 20_000
    fan_picks = [fan.pick()["id"] for _ in range(n)]
    regular_picks = [regular.pick()["id"] for _ in range(n)]
    # Expected share of the premiere: 0.8 + 0.2 * its Zipf probability; 4 sigma bounds.
    p = PREMIERE_SHARE + (1 - PREMIERE_SHARE) * regular.probability(20)
    sigma = (p * (1 - p) / n) ** 0.5
    assert abs(fan_picks.count("t19") / n - p) < 4 * sigma
    assert regular_picks.count("t19") / n < 0.05
    # The other picks still rank by popularity.
    others = [x for x in fan_picks if x != "t19"]
    assert others.count("t00") > others.count("t01") > others.count("t05")


def test_every_worker_agrees_on_the_premiere_title():
    titles = [{"id": "b", "popularity": 5}, {"id": "a"}, {"id": "c"}, {"id": "d", "popularity": 1}]
    shuffled = titles[::-1]
    assert premiere_title(titles) == premiere_title(shuffled) == {"id": "c"}
    with pytest.raises(ValueError):
        premiere_title([])


def _record(stats: StreamStats, events: list[tuple], viewers: int) -> None:
    for at_s, kind, error, startup_ms in events:
        stats.request(kind, error, at_s=at_s, viewers=viewers)
        if startup_ms is not None:
            stats.startup_ms.append(startup_ms)
            stats.bucket(at_s).startup_ms.append(startup_ms)


def _timeline_events(seed: int, n: int = 600) -> list[tuple]:
    rng = random.Random(seed)
    return sorted(
        (
            rng.uniform(0, 40),
            rng.choice(["api", "playlist", "segment"]),
            rng.choice([None] * 9 + ["HTTP 503"]),
            rng.lognormvariate(4, 1) if rng.random() < 0.2 else None,
        )
        for _ in range(n)
    )


def test_the_timeline_of_two_workers_merges_into_the_whole():
    events = _timeline_events(5)
    whole = StreamStats()
    _record(whole, events, viewers=10)
    halves = [StreamStats(), StreamStats()]
    for i, event in enumerate(events):
        _record(halves[i % 2], [event], viewers=5)  # each worker runs half of the 10 viewers
    shipped = [StreamStats.from_wire(msgpack.unpackb(msgpack.packb(h.to_wire()))) for h in halves]
    merged = shipped[0].merge(shipped[1])
    assert merged.as_dict() == whole.as_dict()
    rows = merged.as_dict()["timeline"]
    assert [r["t_s"] for r in rows] == [0.0, 5.0, 10.0, 15.0, 20.0, 25.0, 30.0, 35.0]
    assert all(r["viewers"] == 10 for r in rows)
    assert sum(r["requests_per_s"] for r in rows) * 5 == pytest.approx(len(events))
    assert sum(r["failures"] for r in rows) == sum(1 for e in events if e[2])
    assert sum(r["startup_count"] for r in rows) == sum(1 for e in events if e[3] is not None)


def test_a_bucket_drained_half_way_samples_its_viewers_once():
    stats, master = StreamStats(), StreamStats()
    stats.request("api", at_s=1.0, viewers=3)
    master.merge(StreamStats.from_wire(json.loads(json.dumps(stats.drain().to_wire()))))
    stats.request("segment", at_s=4.0, viewers=4)  # same bucket, after a report
    stats.request("segment", at_s=6.0, viewers=4)  # the next bucket
    master.merge(stats.drain())
    rows = master.as_dict()["timeline"]
    assert [(r["t_s"], r["viewers"]) for r in rows] == [(0.0, 3), (5.0, 4)]
    assert rows[0]["requests_per_s"] == 0.4 and rows[0]["api_requests_per_s"] == 0.2


def test_a_ci_sized_premiere_against_the_api(api_stack, tmp_path):
    """Peak 8 viewers over 30 s (baseline 1), a Locust master (which runs the shape) and 2
    workers (whose viewers pick titles): the curve is followed; no request fails."""
    code, summary, output = run_loadtest(
        api_stack.api_url,
        tmp_path,
        "--workers",
        "2",
        "--shape",
        "premiere",
        "--users",
        "8",
        "--duration",
        "30s",
        "--speedup",
        "8",
        "--max-segments",
        "3",
        "--warmup",
        "2",
        "--gates",
        "segment_hit_ratio=off",
        timeout=120,
    )
    gates_by_name(code, summary, output)
    assert "at the peak of a premiere" in output
    assert summary["run"]["shape"] == "premiere"
    assert summary["run"]["workers"]["missing_final"] == [], output
    viewers = summary["viewers"]
    assert viewers["requests"]["failed"] == 0, viewers["errors"]
    rows = viewers["timeline"]
    by_t = {r["t_s"]: r for r in rows}
    # Baseline (t < 4.5 s): one viewer; the peak of 8 reached during the surge and plateau.
    assert by_t[0.0]["viewers"] == 1, rows
    assert max(r["viewers"] for r in rows) == 8, rows
    peak_t = min(r["t_s"] for r in rows if r["viewers"] == 8)
    assert 5.0 <= peak_t <= 15.0, rows
    # More load at the peak than at the baseline, and the run ends on time.
    assert by_t[peak_t]["requests_per_s"] > by_t[0.0]["requests_per_s"]
    assert by_t[25.0]["viewers"] < 8, rows  # decaying
    # Workers' clocks start with their first spawn message: a bucket may start at 30 s.
    assert max(r["t_s"] for r in rows) <= 30.0
    page = (tmp_path / "timeline.html").read_text()
    assert page.count("<svg") == 4 and "premiere" in page
    assert summary["run"]["api_instances"] is None  # a URL, not the twin: fleet size unknown
    # The premiere is the stack's least popular title; the surge makes it the most played.
    plays = viewers["plays_by_title"]
    assert max(plays, key=plays.get) == "charlie", plays
    assert plays["charlie"] > plays.get("alpha", 0) + plays.get("bravo", 0), plays
    assert sum(r["requests_per_s"] for r in rows) * 5 == pytest.approx(viewers["requests"]["total"])
