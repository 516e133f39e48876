"""'Because you watched': content similarity and co-plays, blended with trending.

DynamoDB is asked within a deadline; when it is slow or failing the answer
degrades to catalog popularity (and says so) and a circuit breaker keeps later
requests off the table for a while, so a sick table never stalls a worker.
"""

from __future__ import annotations

import contextvars
import logging
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from datetime import UTC, datetime

from app.catalog import Title
from app.catalog_store import CatalogVersion
from app.play_reads import PlayReads
from app.plays import DYNAMODB_ERRORS, recent_days

log = logging.getLogger(__name__)

SEEDS = 5
COPLAY_SEEDS = 3
TRENDING_DAYS = 2
CIRCUIT_OPEN_SECONDS = 5.0


@dataclass
class Signals:
    """What DynamoDB told us about a profile and about the whole audience."""

    history: list[str] = field(default_factory=list)
    coplays: Counter[str] = field(default_factory=Counter)
    trending: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True)
class Recommendation:
    """One recommended title and why."""

    title: Title
    score: float
    reason: str


@dataclass(frozen=True)
class Recommendations:
    """The ranked list, where it came from, and why it is degraded (if it is)."""

    items: list[Recommendation]
    source: str
    degraded: str | None = None


def title_features(title: Title) -> frozenset[str]:
    """Metadata a title is compared on: genres and tags, case-folded."""
    return frozenset(
        [f"genre:{g.lower()}" for g in title.genres] + [f"tag:{t.lower()}" for t in title.tags]
    )


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    """|a ∩ b| / |a ∪ b|, 0 for two empty sets."""
    union = len(a | b)
    return len(a & b) / union if union else 0.0


def _features(catalog: CatalogVersion) -> dict[str, frozenset[str]]:
    return {t.id: title_features(t) for t in catalog.titles}


def _normalised(counts: Counter[str]) -> dict[str, float]:
    top = max(counts.values(), default=0)
    return {k: v / top for k, v in counts.items()} if top else {}


def rank(catalog: CatalogVersion, signals: Signals, limit: int) -> list[Recommendation]:
    """Score every unwatched title; personal signals weigh most when there are any."""
    features = catalog.derive("features", _features)
    seeds = [catalog.by_id[t] for t in signals.history[:SEEDS] if t in catalog.by_id]
    watched = set(signals.history)
    trend = _normalised(signals.trending)
    coplay = _normalised(signals.coplays)
    weights = [1.0 / (1 + i) for i in range(len(seeds))]
    total_weight = sum(weights) or 1.0
    ranked: list[Recommendation] = []
    for title in catalog.titles:
        if title.id in watched:
            continue
        popularity = 0.5 * trend.get(title.id, 0.0) + 0.5 * title.popularity
        if not seeds:
            reason = "trending" if trend.get(title.id) else "popular"
            ranked.append(Recommendation(title, round(popularity, 4), reason))
            continue
        similarities = [jaccard(features[s.id], features[title.id]) for s in seeds]
        content = sum(w * s for w, s in zip(weights, similarities, strict=True)) / total_weight
        together = coplay.get(title.id, 0.0)
        score = 0.5 * content + 0.25 * together + 0.25 * popularity
        best = max(range(len(seeds)), key=lambda i: similarities[i])
        if 0.5 * content >= max(0.25 * together, 0.25 * popularity) and similarities[best]:
            reason = f"because you watched {seeds[best].title}"
        elif together >= popularity and together:
            reason = "watched together with your titles"
        else:
            reason = "trending" if trend.get(title.id) else "popular"
        ranked.append(Recommendation(title, round(score, 4), reason))
    ranked.sort(key=lambda r: (-r.score, r.title.id))
    return ranked[:limit]


def by_popularity(catalog: CatalogVersion, limit: int) -> list[Recommendation]:
    """The fallback: catalog popularity alone, no DynamoDB involved."""
    titles = sorted(catalog.titles, key=lambda t: (-t.popularity, t.id))
    return [Recommendation(t, round(t.popularity, 4), "popular") for t in titles[:limit]]


class Recommender:
    """Fetches signals within a deadline and ranks; never raises for a DynamoDB problem.

    Signals are read through `reads`, which caches them per process for a bounded
    time (app/play_reads.py).
    """

    def __init__(self, reads: PlayReads, deadline_seconds: float) -> None:
        self._reads = reads
        self._deadline = deadline_seconds
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="recommendations")
        self._circuit_open_until = 0.0
        self._lock = threading.Lock()

    def _trending_counts(self, catalog: CatalogVersion) -> Counter[str]:
        return self._reads.daily_plays(
            [t.id for t in catalog.titles], recent_days(datetime.now(UTC), TRENDING_DAYS)
        )

    def _signals(self, catalog: CatalogVersion, profile: str | None) -> Signals:
        signals = Signals(trending=self._trending_counts(catalog))
        if profile:
            signals.history = self._reads.recent_titles(profile)
            for seed in signals.history[:COPLAY_SEEDS]:
                signals.coplays.update(self._reads.coplays(seed))
            for watched in signals.history:
                signals.coplays.pop(watched, None)
        return signals

    def recommend(
        self, catalog: CatalogVersion, profile: str | None, limit: int
    ) -> Recommendations:
        """Ranked titles for a profile (or for everyone), degraded rather than failed."""
        if time.monotonic() < self._circuit_open_until:
            return Recommendations(by_popularity(catalog, limit), "popularity", "circuit-open")
        # In the request's context, so what the pool thread logs carries the request id.
        context = contextvars.copy_context()
        future = self._pool.submit(context.run, self._signals, catalog, profile)
        try:
            signals = future.result(timeout=self._deadline)
        except FutureTimeout:
            future.cancel()
            log.warning("recommendations degraded: DynamoDB did not answer within %.2f s",
                        self._deadline)
            return self._degrade(catalog, limit, "dynamodb-timeout")
        except (*DYNAMODB_ERRORS, KeyError, ValueError) as exc:
            log.warning("recommendations degraded: %s", exc)
            return self._degrade(catalog, limit, "dynamodb-error")
        source = "personalized" if signals.history else "trending"
        return Recommendations(rank(catalog, signals, limit), source)

    def _degrade(self, catalog: CatalogVersion, limit: int, reason: str) -> Recommendations:
        with self._lock:
            self._circuit_open_until = time.monotonic() + CIRCUIT_OPEN_SECONDS
        return Recommendations(by_popularity(catalog, limit), "popularity", reason)

    def close(self) -> None:
        """Release the worker threads."""
        self._pool.shutdown(wait=False, cancel_futures=True)
