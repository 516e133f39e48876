"""What the viewers measure, aggregated in the Locust process and handed to the report as JSON."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field


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
    """count, mean, p50, p95, p99 and max of `values`, rounded."""

    def r(x: float | None) -> float | None:
        return None if x is None else round(x, digits)

    return {
        "count": len(values),
        "mean": r(sum(values) / len(values)) if values else None,
        "p50": r(percentile(values, 50)),
        "p95": r(percentile(values, 95)),
        "p99": r(percentile(values, 99)),
        "max": r(max(values)) if values else None,
    }


@dataclass
class HitCounter:
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
class CacheAccounting:
    """X-Cache outcomes per object class, overall and after warm-up.

    A fetch counts as warm when it starts `warmup_s` or later after the test start *and* after
    some earlier fetch of the same object has completed: a first (or concurrent first) fetch
    of an object is a compulsory miss at any cache, so it says nothing about the edge.
    """

    warmup_s: float = 0.0
    overall: dict[str, HitCounter] = field(default_factory=dict)
    warm: dict[str, HitCounter] = field(default_factory=dict)
    _first_done: dict[str, float] = field(default_factory=dict)

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
        if is_warm:
            self.warm.setdefault(kind, HitCounter()).add(outcome)
        return is_warm

    def as_dict(self) -> dict:
        def merged(counters: Iterable[HitCounter]) -> HitCounter:
            total = HitCounter()
            for c in counters:
                total.hits += c.hits
                total.misses += c.misses
                total.unknown += c.unknown
            return total

        return {
            "warmup_s": self.warmup_s,
            "objects": len(self._first_done),
            "overall": {"all": merged(self.overall.values()).as_dict()}
            | {k: v.as_dict() for k, v in sorted(self.overall.items())},
            "after_warmup": {"all": merged(self.warm.values()).as_dict()}
            | {k: v.as_dict() for k, v in sorted(self.warm.items())},
        }


@dataclass
class StreamStats:
    """Everything the viewers report, in one process."""

    warmup_s: float = 0.0
    speedup: float = 1.0
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
    cache: CacheAccounting = field(init=False)

    def __post_init__(self) -> None:
        self.cache = CacheAccounting(self.warmup_s)

    def request(self, kind: str, error: str | None = None) -> None:
        """Count one HTTP request of `kind`; `error` names its failure ("HTTP 403", "Timeout")."""
        self.requests[kind] += 1
        if error:
            self.failures[kind] += 1
            self.errors[f"{kind}: {error}"] += 1

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
            "startup_ms": distribution(self.startup_ms),
            "startup_phases_ms": {
                phase: distribution(values) for phase, values in self.startup_phases_ms.items()
            },
            "segment_download_ms": distribution(self.segment_ms),
            "segment_download_over_duration": distribution(self.segment_ratio, digits=4),
            "stalls": {
                "count": len(self.stalls_s),
                "total_s": round(sum(self.stalls_s), 3),
                "max_s": round(max(self.stalls_s), 3) if self.stalls_s else 0.0,
            },
            "cache": self.cache.as_dict(),
        }
