"""What the viewers measure, aggregated in the Locust process and handed to the report as JSON.

The figures are raw samples and counters, never summaries, so that the figures of several
Locust workers merge exactly: `Mergeable.merge` adds numbers and counters, concatenates sample
lists and unites sets, field by field, which is associative and commutative; every percentile
is computed once, from the merged samples. A worker ships what it recorded since its last
report (`Mergeable.drain`, sent as `to_wire`'s plain dicts) and the master merges the deltas.
A new figure of type int, float, Counter, list, set, dict of those or a nested `Mergeable`
merges, drains and travels without further code. One module over 450 lines because every
figure class here (cache outcomes, the timeline, the viewers' figures) is held to that one
exact-merge contract, and they are read together into summary.json.
"""

from __future__ import annotations

import dataclasses
import math
import typing
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields

# Field roles, as dataclass field metadata; a field without a role is a figure.
SETTING = {"role": "setting"}  # how figures were taken: shipped, kept on drain, equal to merge
STATE = {"role": "state"}  # the recorder's own bookkeeping: never shipped, drained or merged


def cache_outcome(x_cache: str | None) -> str:
    """'hit', 'miss' or 'unknown' for an X-Cache value (CloudFront's or the twin's)."""
    if not x_cache:
        return "unknown"
    value = x_cache.strip().lower()
    if value.startswith(("hit", "refreshhit")):
        return "hit"
    if value.startswith(("miss", "error")):
        return "miss"
    return "unknown"


def percentile(values: Sequence[float], pct: float) -> float | None:
    """Nearest-rank percentile (pct in 0..100), None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def distribution(values: Sequence[float], digits: int = 1) -> dict:
    """count, mean, p50, p95, p99 and max of `values`, rounded.

    The mean uses math.fsum, so it does not depend on the order in which samples were merged.
    """

    def r(x: float | None) -> float | None:
        return None if x is None else round(x, digits)

    return {
        "count": len(values),
        "mean": r(math.fsum(values) / len(values)) if values else None,
        "p50": r(percentile(values, 50)),
        "p95": r(percentile(values, 95)),
        "p99": r(percentile(values, 99)),
        "max": r(max(values)) if values else None,
    }


class Mergeable:
    """Mixin for a dataclass of figures that merge exactly, field by field.

    Figure fields are int, float, Counter, list, set, dict of those, or a nested Mergeable.
    Fields with SETTING metadata must be equal to merge; fields with STATE metadata stay with
    the recorder (they decide how a sample is classified, they are not figures).
    """

    def merge(self, other: typing.Self) -> typing.Self:
        """Add `other`'s figures to these, in place; returns self.

        Raises TypeError for another class and ValueError when the two were taken with
        different settings (e.g. another warm-up window).
        """
        if type(other) is not type(self):
            raise TypeError(f"cannot merge {type(other).__name__} into {type(self).__name__}")
        for f in fields(self):  # type: ignore[arg-type]
            mine, theirs = getattr(self, f.name), getattr(other, f.name)
            role = f.metadata.get("role")
            if role == "setting" and mine != theirs:
                raise ValueError(
                    f"cannot merge {type(self).__name__} figures taken with {f.name}={theirs!r} "
                    f"into ones taken with {f.name}={mine!r}"
                )
            if role is None:
                setattr(self, f.name, _merged(mine, theirs))
        return self

    def drain(self) -> typing.Self:
        """The figures recorded so far, handed over; these start again from zero.

        Settings are copied; state (e.g. which objects were fetched already) stays here.
        """
        delta = object.__new__(type(self))
        for f in fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            role = f.metadata.get("role")
            if role == "state":
                object.__setattr__(delta, f.name, _fresh(f))
            elif role == "setting":
                object.__setattr__(delta, f.name, value)
            elif isinstance(value, Mergeable):
                object.__setattr__(delta, f.name, value.drain())
            else:
                object.__setattr__(delta, f.name, value)
                setattr(self, f.name, _fresh(f))
        return delta

    def is_empty(self) -> bool:
        """True when no figure holds anything (settings and state do not count)."""
        for f in fields(self):  # type: ignore[arg-type]
            if f.metadata.get("role") is not None:
                continue
            value = getattr(self, f.name)
            if isinstance(value, Mergeable) and not value.is_empty():
                return False
            if not isinstance(value, Mergeable) and value:
                return False
        return True

    def to_wire(self) -> dict:
        """Settings and figures as plain dicts, lists and numbers (msgpack- and JSON-safe)."""
        return {
            f.name: _to_wire(getattr(self, f.name))
            for f in fields(self)  # type: ignore[arg-type]
            if f.metadata.get("role") != "state"
        }

    @classmethod
    def from_wire(cls, data: dict) -> typing.Self:
        """The inverse of `to_wire`; field types come from the class's annotations.

        Raises KeyError for a missing setting and TypeError for a field the class lacks.
        """
        known = {f.name: f for f in fields(cls)}  # type: ignore[arg-type]
        shipped = {n for n, f in known.items() if f.metadata.get("role") != "state"}
        if set(data) - shipped:
            raise TypeError(f"{cls.__name__} has no field(s) {sorted(set(data) - shipped)}")
        hints = typing.get_type_hints(cls)
        settings = {
            n: data[n] for n, f in known.items() if f.metadata.get("role") == "setting" and f.init
        }
        obj = cls(**settings)
        for name, value in data.items():
            if known[name].metadata.get("role") is None:
                setattr(obj, name, _from_wire(hints[name], value))
        return obj


def _fresh(f: dataclasses.Field):
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    if f.default is not dataclasses.MISSING:
        return f.default
    raise TypeError(f"figure {f.name} has no default to start again from")


def _merged(mine, theirs):
    if isinstance(mine, Mergeable):
        return mine.merge(theirs)
    if isinstance(mine, Counter):
        mine.update(theirs)  # Counter.update adds counts
        return mine
    if isinstance(mine, dict):
        for key, value in theirs.items():
            mine[key] = _merged(mine[key], value) if key in mine else _copied(value)
        return mine
    if isinstance(mine, list):
        mine.extend(theirs)
        return mine
    if isinstance(mine, set):
        mine |= theirs
        return mine
    if isinstance(mine, int | float):
        return mine + theirs
    raise TypeError(f"no exact merge for {type(mine).__name__}")


def _copied(value):
    if isinstance(value, Mergeable):
        return type(value).from_wire(value.to_wire())
    if isinstance(value, Counter | dict | list | set):
        return _merged(type(value)(), value)
    return value


def _to_wire(value):
    if isinstance(value, Mergeable):
        return value.to_wire()
    if isinstance(value, dict):
        return {key: _to_wire(v) for key, v in value.items()}
    if isinstance(value, set):
        return sorted(value)
    if isinstance(value, list):
        return list(value)
    return value


def _from_wire(hint, value):
    origin = typing.get_origin(hint) or hint
    args = typing.get_args(hint)
    if isinstance(origin, type) and issubclass(origin, Mergeable):
        return origin.from_wire(value)
    if origin is Counter:
        return Counter(value)
    if origin is dict:
        inner = args[1] if args else typing.Any
        return {key: _from_wire(inner, v) for key, v in value.items()}
    if origin is set:
        return set(value)
    if origin is list:
        return list(value)
    return value


@dataclass
class HitCounter(Mergeable):
    hits: int = 0
    misses: int = 0
    unknown: int = 0

    def add(self, outcome: str) -> None:
        name = _attr(outcome)
        setattr(self, name, getattr(self, name) + 1)

    @property
    def ratio(self) -> float | None:
        known = self.hits + self.misses
        return self.hits / known if known else None

    def as_dict(self) -> dict:
        ratio = self.ratio
        return {
            "hits": self.hits,
            "misses": self.misses,
            "unknown": self.unknown,
            "ratio": None if ratio is None else round(ratio, 4),
        }


def _attr(outcome: str) -> str:
    return {"hit": "hits", "miss": "misses", "unknown": "unknown"}[outcome]


@dataclass
class CacheAccounting(Mergeable):
    """X-Cache outcomes per object class, overall and after warm-up.

    A fetch counts as warm when it starts `warmup_s` or later after the test start *and* after
    some earlier fetch of the same object has completed: a first (or concurrent first) fetch
    of an object is a compulsory miss at any cache, so it says nothing about the edge.
    With several Locust workers each classifies its own fetches (its clock, its first fetch of
    an object), so each worker's first fetch of an object is left out: a stricter warm set.
    """

    warmup_s: float = field(default=0.0, metadata=SETTING)
    overall: dict[str, HitCounter] = field(default_factory=dict)
    warm: dict[str, HitCounter] = field(default_factory=dict)
    objects: set[str] = field(default_factory=set)
    _first_done: dict[str, float] = field(default_factory=dict, metadata=STATE)

    def record(
        self, kind: str, path: str, x_cache: str | None, started: float, finished: float
    ) -> bool:
        """Account one response; times are seconds since the test start. True when it was warm."""
        outcome = cache_outcome(x_cache)
        self.overall.setdefault(kind, HitCounter()).add(outcome)
        first_done = self._first_done.get(path)
        is_warm = started >= self.warmup_s and first_done is not None and started >= first_done
        if first_done is None:
            self._first_done[path] = finished
            self.objects.add(path)
        if is_warm:
            self.warm.setdefault(kind, HitCounter()).add(outcome)
        return is_warm

    def as_dict(self) -> dict:
        def merged(counters: Iterable[HitCounter]) -> HitCounter:
            total = HitCounter()
            for c in counters:
                total.merge(c)
            return total

        return {
            "warmup_s": self.warmup_s,
            "objects": len(self.objects),
            "overall": {"all": merged(self.overall.values()).as_dict()}
            | {k: v.as_dict() for k, v in sorted(self.overall.items())},
            "after_warmup": {"all": merged(self.warm.values()).as_dict()}
            | {k: v.as_dict() for k, v in sorted(self.warm.items())},
        }


TIMELINE_BUCKET_S = 5.0  # width of a timeline bucket, seconds of wall clock


@dataclass
class TimeBucket(Mergeable):
    """What happened in one timeline bucket.

    `viewers` is each recording process's viewer count when it first recorded in the bucket,
    summed over processes (Locust workers), so it merges by addition like the rest.
    """

    viewers: int = 0
    requests: Counter = field(default_factory=Counter)
    failures: int = 0
    startup_ms: list[float] = field(default_factory=list)


@dataclass
class StreamStats(Mergeable):
    """Everything the viewers report: one process's, one worker's delta, or a merge of those."""

    warmup_s: float = field(default=0.0, metadata=SETTING)
    speedup: float = field(default=1.0, metadata=SETTING)
    requests: Counter = field(default_factory=Counter)
    failures: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)
    startup_ms: list[float] = field(default_factory=list)
    startup_phases_ms: dict[str, list[float]] = field(default_factory=dict)
    segment_ms: list[float] = field(default_factory=list)
    segment_ratio: list[float] = field(default_factory=list)
    stalls_s: list[float] = field(default_factory=list)
    plays_started: int = 0
    plays_completed: int = 0
    plays_with_stall: int = 0
    # Plain counters (they merge by addition): response body bytes per request kind,
    # segments and bytes per rendition, rendition switches ("up"/"down") and grant
    # renewals by cause ("scheduled" at renew_after, "after_403" as the safety net).
    bytes_by_kind: Counter = field(default_factory=Counter)
    rendition_segments: Counter = field(default_factory=Counter)
    rendition_bytes: Counter = field(default_factory=Counter)
    switches: Counter = field(default_factory=Counter)
    renewals: Counter = field(default_factory=Counter)
    # What a viewer did instead when a page's row failed ("recommendations->trending").
    fallbacks: Counter = field(default_factory=Counter)
    plays_by_title: Counter = field(default_factory=Counter)
    bucket_s: float = field(default=TIMELINE_BUCKET_S, metadata=SETTING)
    # Keyed by the bucket's start in whole seconds since the test start, as a string (JSON-safe).
    timeline: dict[str, TimeBucket] = field(default_factory=dict)
    cache: CacheAccounting = field(init=False)
    _viewers_sampled: set[str] = field(default_factory=set, metadata=STATE)

    def __post_init__(self) -> None:
        self.cache = CacheAccounting(self.warmup_s)

    def request(
        self,
        kind: str,
        error: str | None = None,
        at_s: float | None = None,
        viewers: int | None = None,
    ) -> None:
        """Count one HTTP request of `kind`; `error` names its failure ("HTTP 403", "Timeout").

        With `at_s` (seconds since the test start) it also counts in that timeline bucket, and
        `viewers` (this process's current viewer count) samples the bucket's viewers.
        """
        self.requests[kind] += 1
        if error:
            self.failures[kind] += 1
            self.errors[f"{kind}: {error}"] += 1
        if at_s is not None:
            bucket = self.bucket(at_s, viewers)
            bucket.requests[kind] += 1
            bucket.failures += bool(error)

    def bucket(self, at_s: float, viewers: int | None = None) -> TimeBucket:
        """The timeline bucket holding `at_s` seconds since the test start; the first call per
        bucket with `viewers` adds that count to the bucket's viewers."""
        key = str(int(max(0.0, at_s) // self.bucket_s * self.bucket_s))
        bucket = self.timeline.setdefault(key, TimeBucket())
        if viewers is not None and key not in self._viewers_sampled:
            self._viewers_sampled.add(key)
            bucket.viewers += viewers
        return bucket

    def timeline_rows(self) -> list[dict]:
        """Per bucket, in time order: `t_s` (bucket start), viewers, requests/s (all and API:
        the ALB's targets see only API requests), failed requests, error ratio and the p95
        start-up (ms) of plays whose first segment arrived in it."""
        rows = []
        for key in sorted(self.timeline, key=float):
            b = self.timeline[key]
            total = sum(b.requests.values())
            rows.append({
                "t_s": float(key),
                "viewers": b.viewers,
                "requests_per_s": round(total / self.bucket_s, 2),
                "api_requests_per_s": round(b.requests.get("api", 0) / self.bucket_s, 2),
                "failures": b.failures,
                "error_ratio": round(b.failures / total, 6) if total else None,
                "startup_count": len(b.startup_ms),
                "startup_p95_ms": distribution(b.startup_ms)["p95"],
            })  # fmt: skip
        return rows

    def received(self, kind: str, size_bytes: int) -> None:
        """Body bytes of one successful response of `kind`."""
        self.bytes_by_kind[kind] += size_bytes

    def rendition_segment(self, rendition: str, size_bytes: int) -> None:
        """One segment of `rendition` played, of `size_bytes`."""
        self.rendition_segments[rendition] += 1
        self.rendition_bytes[rendition] += size_bytes

    def startup_phase(self, phase: str, seconds: float) -> None:
        """Where start-up time goes: the playback call, the playlists, the first segment."""
        self.startup_phases_ms.setdefault(phase, []).append(seconds * 1000)

    def segment(self, download_s: float, duration: float) -> None:
        self.segment_ms.append(download_s * 1000)
        if duration > 0:
            self.segment_ratio.append(download_s / duration)

    def stall(self, seconds: float, first_in_play: bool) -> None:
        self.stalls_s.append(seconds)
        if first_in_play:
            self.plays_with_stall += 1

    def play_finished(self) -> None:
        """A play watched to its chosen end; plays cut short by an error or the test end are not."""
        self.plays_completed += 1

    def as_dict(self) -> dict:
        total = sum(self.requests.values())
        failed = sum(self.failures.values())
        return {
            "speedup": self.speedup,
            "requests": {
                "total": total,
                "failed": failed,
                "by_kind": dict(sorted(self.requests.items())),
            },
            "error_ratio": round(failed / total, 6) if total else None,
            "errors": dict(self.errors.most_common()),
            "plays": {
                "started": self.plays_started,
                "completed": self.plays_completed,
                "with_stall": self.plays_with_stall,
            },
            # The most played titles: under a premiere, its title leads.
            "plays_by_title": dict(
                sorted(self.plays_by_title.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
            ),
            "startup_ms": distribution(self.startup_ms),
            "startup_phases_ms": {
                phase: distribution(values) for phase, values in self.startup_phases_ms.items()
            },
            "segment_download_ms": distribution(self.segment_ms),
            "segment_download_over_duration": distribution(self.segment_ratio, digits=4),
            "stalls": {
                "count": len(self.stalls_s),
                "total_s": round(math.fsum(self.stalls_s), 3),
                "max_s": round(max(self.stalls_s), 3) if self.stalls_s else 0.0,
            },
            "bytes": {
                "total": sum(self.bytes_by_kind.values()),
                "by_kind": dict(sorted(self.bytes_by_kind.items())),
            },
            "renditions": rendition_mix(self.rendition_segments, self.rendition_bytes),
            "switches": {"up": self.switches["up"], "down": self.switches["down"]},
            "renewals": {
                "total": sum(self.renewals.values()),
                "by_cause": dict(sorted(self.renewals.items())),
            },
            "fallbacks": dict(sorted(self.fallbacks.items())),
            "cache": self.cache.as_dict(),
            "timeline_bucket_s": self.bucket_s,
            "timeline": self.timeline_rows(),
        }


# What the edge serves from /video/*: playlists and segments (API answers are left out).
EDGE_KINDS = ("playlist", "segment")


def edge_gbps(bytes_by_kind: dict[str, int], seconds: float) -> float | None:
    """Mean edge throughput in Gbit/s: video (playlist + segment) bytes x 8 / `seconds`.

    None without a duration; the run's duration is the report's to give (Locust's -t).
    """
    if seconds <= 0:
        return None
    video = sum(bytes_by_kind.get(k, 0) for k in EDGE_KINDS)
    return round(video * 8 / seconds / 1e9, 6)


def rendition_mix(segments: Counter, size_bytes: Counter) -> dict:
    """Per rendition: segments, bytes and their shares of all segments and bytes."""
    all_segments = sum(segments.values())
    all_bytes = sum(size_bytes.values())
    return {
        name: {
            "segments": segments[name],
            "bytes": size_bytes[name],
            "segment_share": round(segments[name] / all_segments, 4) if all_segments else None,
            "byte_share": round(size_bytes[name] / all_bytes, 4) if all_bytes else None,
        }
        for name in sorted(segments)
    }
