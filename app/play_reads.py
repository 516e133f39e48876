"""Per-process caches of the plays table's reads that tolerate bounded staleness.

What recommendations read from DynamoDB (a profile's recent titles, a title's
co-play counters, every title's daily counters for trending) are ranking
signals, not balances: a figure some seconds old ranks as
well as a fresh one. So each API process (one gunicorn worker) keeps what it read
for a bounded time (`Settings.history_cache_seconds`, `coplay_cache_seconds`,
`trending_cache_seconds`; 0 turns a cache off) and asks DynamoDB again only
after it. On AWS that saves read request units and round trips exactly as it
saves moto calls in the twin.

Staleness is bounded by the TTL: an entry is never served past it (cachetools'
`TTLCache`, with an injectable timer). A profile's recent titles as this
process's play writer wrote them (its UpdateItem returns the whole list) are held
as a fresh read, and its co-play increments are applied to the entries it already
holds without extending their lifetime, so a viewer sees their own plays at once
when the same worker serves them, and everyone's within the TTL. A failed read
is not cached: the exception reaches the caller and the next request asks again.

Deliberately not cached, because they must be exact: the play counters, recent
titles and co-play writes (`PlayRecorder`, atomic ADDs and list_append); the
per-profile playback and renewal limiters (in-process token buckets); an
account's profiles and their limit (`ProfileStore`, consistent reads next to a
transactional counter); renewals (HMAC tokens, nothing read).
"""

from __future__ import annotations

import sys
import threading
from collections import Counter
from collections.abc import Callable, Mapping
from time import monotonic
from typing import Any

from cachetools import TTLCache

from app.plays import PlayTable, distinct

Timer = Callable[[], float]
# Entries per cache and process: profiles for histories, titles for co-plays.
MAX_ENTRIES = 50_000
# Titles a history read returns by default (PlayTable.recent_titles' default) and the
# most a held history keeps (ids interned: ~0.5 KB a profile with its key and the
# cache's own bookkeeping, ~26 MB at MAX_ENTRIES, measured with tracemalloc).
HISTORY_DEPTH = 20
# PlayTable.coplays' default page: a cached entry grows by this process's own
# increments only while it is shorter than what the Query would return.
COPLAY_LIMIT = 50


def _held(titles: list[str]) -> list[str]:
    """What a history entry keeps: the first HISTORY_DEPTH distinct ids, interned (every
    profile's entry points at the same few title strings)."""
    return [sys.intern(t) for t in distinct(titles)[:HISTORY_DEPTH]]


def _ttl_cache(seconds: float, size: int, timer: Timer) -> TTLCache | None:
    return TTLCache(maxsize=size, ttl=seconds, timer=timer) if seconds > 0 else None


class PlayReads:
    """The plays table's signal reads, each cached for its TTL in seconds (thread-safe).

    With every TTL 0 (the constructor's default) each call goes straight to
    `table`. `timer` gives seconds on a monotonic clock (default time.monotonic).
    DynamoDB errors (botocore's) propagate and leave the cache as it was.
    """

    def __init__(
        self,
        table: PlayTable,
        *,
        history_seconds: float = 0.0,
        coplay_seconds: float = 0.0,
        trending_seconds: float = 0.0,
        timer: Timer | None = None,
        max_entries: int = MAX_ENTRIES,
    ) -> None:
        # Looked up per instance, so a benchmark can run the app on a simulated clock.
        timer = timer or monotonic
        self._table = table
        self._history = _ttl_cache(history_seconds, max_entries, timer)
        self._coplays = _ttl_cache(coplay_seconds, max_entries, timer)
        self._trending = _ttl_cache(trending_seconds, 4, timer)
        # Guards the caches only; DynamoDB is never called while it is held.
        self._lock = threading.Lock()

    def recent_titles(self, profile: str, limit: int = HISTORY_DEPTH) -> list[str]:
        """The profile's recently played title ids, newest first, at most `limit` (held up
        to HISTORY_DEPTH; a deeper request always asks the table)."""
        cache = self._history
        if cache is None or limit > HISTORY_DEPTH:
            return self._table.recent_titles(profile, limit)
        with self._lock:
            entry = cache.get(profile)
            if entry is not None:
                return entry[:limit]
        # One GetItem returns the whole RECENT item whatever the limit.
        titles = _held(self._table.recent_titles(profile, HISTORY_DEPTH))
        with self._lock:
            cache[profile] = titles
        return titles[:limit]

    def coplays(self, title_id: str) -> dict[str, int]:
        """Titles co-played with `title_id` and how often (a copy)."""
        cache = self._coplays
        if cache is None:
            return self._table.coplays(title_id, COPLAY_LIMIT)
        with self._lock:
            entry = cache.get(title_id)
            if entry is not None:
                return dict(entry)
        counts = self._table.coplays(title_id, COPLAY_LIMIT)
        with self._lock:
            cache[title_id] = dict(counts)
        return counts

    def daily_plays(self, title_ids: list[str], days: list[str]) -> Counter[str]:
        """Plays per title summed over `days` (yyyy-mm-dd), as PlayTable.daily_plays (a copy)."""
        cache = self._trending
        if cache is None:
            return self._table.daily_plays(title_ids, days)
        key = (tuple(title_ids), tuple(days))
        with self._lock:
            entry = cache.get(key)
            if entry is not None:
                return Counter(entry)
        totals = self._table.daily_plays(title_ids, days)
        with self._lock:
            cache[key] = Counter(totals)
        return totals

    def recent_written(self, profile: str, titles: list[str]) -> None:
        """Hold the profile's RECENT list as this process's play writer just wrote it
        (newest first, repeats included): as fresh as a read, so it starts a new TTL."""
        cache = self._history
        if cache is None:
            return
        held = _held(titles)
        with self._lock:
            cache[profile] = held

    def coplays_added(self, increments: Mapping[tuple[str, str], int]) -> None:
        """Apply co-play ADDs this process wrote, {(title, other title): n}, to held entries."""
        cache = self._coplays
        if cache is None:
            return
        with self._lock:
            for (title_id, other), count in increments.items():
                entry: Any = cache.get(title_id)
                if entry is not None and (other in entry or len(entry) < COPLAY_LIMIT):
                    entry[other] = entry.get(other, 0) + count
