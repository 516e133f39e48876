"""Plays in DynamoDB: counters, per-profile history and co-play counts.

Items (hash key `pk`, range key `sk`):
  TITLE#{id}   / STATS             plays: all-time counter (ADD)
  TITLE#{id}   / DAY#{yyyy-mm-dd}  plays: that UTC day's counter, for trending
  TITLE#{a}    / COPLAY#{b}        plays: profiles that watched b after a (and a after b)
  PROFILE#{p}  / PLAY#{iso}#{id}   title_id: one play in the profile's history
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

if TYPE_CHECKING:
    from app.play_reads import PlayReads

log = logging.getLogger(__name__)

DYNAMODB_ERRORS = (BotoCoreError, ClientError)


@dataclass(frozen=True)
class Play:
    """One authorised play of a profile (anonymous plays are only counted)."""

    title_id: str
    profile: str
    at: datetime


def history_sort_key(at: datetime, title_id: str) -> str:
    """PLAY#<UTC ISO-8601 with milliseconds>#<title id>: sorts by time."""
    stamp = at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    return f"PLAY#{stamp}#{title_id}"


class PlayTable:
    """Typed reads and writes on the plays table."""

    def __init__(self, dynamodb: Any, table: str) -> None:
        self._db = dynamodb
        self.name = table
        self._probed_at = float("-inf")
        self._probe_ok = False

    def reachable(self) -> bool:
        """DescribeTable succeeds and the table is ACTIVE."""
        try:
            status = self._db.describe_table(TableName=self.name)["Table"]["TableStatus"]
        except DYNAMODB_ERRORS as exc:
            log.warning("table %s unreachable: %s", self.name, exc)
            return False
        return status == "ACTIVE"

    def recently_reachable(self, max_age: float = 2.0) -> bool:
        """reachable(), remembered for max_age seconds so probes cannot hammer DynamoDB."""
        now = time.monotonic()
        if now - self._probed_at >= max_age:
            self._probe_ok = self.reachable()
            self._probed_at = now
        return self._probe_ok

    def add(self, pk: str, sk: str, count: int) -> None:
        """Atomic ADD to the `plays` counter of one item."""
        self._db.update_item(
            TableName=self.name,
            Key={"pk": {"S": pk}, "sk": {"S": sk}},
            UpdateExpression="ADD plays :n",
            ExpressionAttributeValues={":n": {"N": str(count)}},
        )

    def put_history(self, plays: list[Play]) -> None:
        """Write history items, 25 per BatchWriteItem, retrying unprocessed ones."""
        for start in range(0, len(plays), 25):
            requests = [
                {
                    "PutRequest": {
                        "Item": {
                            "pk": {"S": f"PROFILE#{p.profile}"},
                            "sk": {"S": history_sort_key(p.at, p.title_id)},
                            "title_id": {"S": p.title_id},
                        }
                    }
                }
                for p in plays[start : start + 25]
            ]
            pending: dict[str, Any] = {self.name: requests}
            for attempt in range(5):
                result = self._db.batch_write_item(RequestItems=pending)
                pending = result.get("UnprocessedItems") or {}
                if not pending:
                    break
                time.sleep(0.05 * 2**attempt)
            if pending:
                raise RuntimeError(f"{len(pending[self.name])} history items unprocessed")

    def recent_titles(self, profile: str, limit: int = 20) -> list[str]:
        """The profile's recently played title ids, newest first, without repeats."""
        result = self._db.query(
            TableName=self.name,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :play)",
            ExpressionAttributeValues={":pk": {"S": f"PROFILE#{profile}"}, ":play": {"S": "PLAY#"}},
            ScanIndexForward=False,
            Limit=limit * 3,
        )
        seen: list[str] = []
        for item in result.get("Items", []):
            title_id = item["title_id"]["S"]
            if title_id not in seen:
                seen.append(title_id)
        return seen[:limit]

    def coplays(self, title_id: str, limit: int = 50) -> dict[str, int]:
        """Titles co-played with `title_id` and how often."""
        result = self._db.query(
            TableName=self.name,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :co)",
            ExpressionAttributeValues={":pk": {"S": f"TITLE#{title_id}"}, ":co": {"S": "COPLAY#"}},
            Limit=limit,
        )
        return {
            item["sk"]["S"].removeprefix("COPLAY#"): int(item.get("plays", {"N": "0"})["N"])
            for item in result.get("Items", [])
        }

    def daily_plays(self, title_ids: list[str], days: list[str]) -> Counter[str]:
        """Sum of DAY# counters per title over the given days (BatchGetItem, 100 keys a call)."""
        keys = [
            {"pk": {"S": f"TITLE#{t}"}, "sk": {"S": f"DAY#{d}"}} for t in title_ids for d in days
        ]
        totals: Counter[str] = Counter()
        for start in range(0, len(keys), 100):
            request: dict[str, Any] = {
                self.name: {"Keys": keys[start : start + 100], "ProjectionExpression": "pk, plays"}
            }
            for _ in range(3):
                result = self._db.batch_get_item(RequestItems=request)
                for item in result.get("Responses", {}).get(self.name, []):
                    totals[item["pk"]["S"].removeprefix("TITLE#")] += int(item["plays"]["N"])
                request = result.get("UnprocessedKeys") or {}
                if not request:
                    break
        return totals


def utc_day(at: datetime) -> str:
    """The UTC calendar day of a moment, yyyy-mm-dd."""
    return at.astimezone(UTC).strftime("%Y-%m-%d")


def recent_days(now: datetime, count: int) -> list[str]:
    """Today and the count-1 days before it, UTC."""
    return [utc_day(now - timedelta(days=i)) for i in range(count)]


class PlayRecorder:
    """Records plays off the request path, batched, without losing them on a hiccup.

    Counters are coalesced per title and day and written with one atomic ADD each
    per flush; history goes in BatchWriteItem. A failed flush puts everything back
    and is retried with backoff, so a DynamoDB outage delays plays instead of
    dropping them (history is bounded: the oldest entries go first past
    MAX_PENDING_HISTORY). A graceful stop (SIGTERM) flushes what is left; only a
    hard kill loses at most one flush interval. With flush_seconds == 0 every play
    is written synchronously (tests that read plays back).

    Co-play seeds are read through `reads` (app/play_reads.py: cached per process for
    a bounded time, default uncached); every write stays exact and uncached.
    """

    MAX_PENDING_HISTORY = 10_000
    COPLAY_SEEDS = 5

    def __init__(
        self, table: PlayTable, flush_seconds: float, reads: PlayReads | None = None
    ) -> None:
        if reads is None:
            from app.play_reads import PlayReads  # app.play_reads imports this module

            reads = PlayReads(table)
        self._table = table
        self._reads = reads
        self._flush_seconds = flush_seconds
        self._counts: Counter[tuple[str, str]] = Counter()
        self._history: deque[Play] = deque(maxlen=self.MAX_PENDING_HISTORY)
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.dropped_history = 0
        self._day: tuple[float, str] = (0.0, "")

    @property
    def pending(self) -> int:
        """Plays counted but not yet written."""
        with self._lock:
            return sum(n for (_, sk), n in self._counts.items() if sk == "STATS")

    def record(self, title_id: str, profile: str | None, at: float) -> None:
        """Count a play at epoch `at`; written at the next flush (or now when synchronous)."""
        day = self._day_key(at)
        with self._lock:
            self._counts[(title_id, "STATS")] += 1
            self._counts[(title_id, day)] += 1
            if profile:
                if len(self._history) == self._history.maxlen:
                    self.dropped_history += 1
                self._history.append(Play(title_id, profile, datetime.fromtimestamp(at, UTC)))
        if self._flush_seconds <= 0:
            self.flush()

    def _day_key(self, at: float) -> str:
        """DAY#yyyy-mm-dd of an epoch, memoised for the current UTC day (hot path)."""
        start, key = self._day
        if start <= at < start + 86_400:
            return key
        start = at - at % 86_400
        key = f"DAY#{utc_day(datetime.fromtimestamp(start, UTC))}"
        self._day = (start, key)
        return key

    def flush(self) -> bool:
        """Write everything pending; on failure put it back and return False."""
        with self._flush_lock:
            with self._lock:
                counts, self._counts = self._counts, Counter()
                history = list(self._history)
                self._history.clear()
            try:
                for (title_id, sk), n in list(counts.items()):
                    self._table.add(f"TITLE#{title_id}", sk, n)
                    del counts[(title_id, sk)]
                if history:
                    self._table.put_history(history)
                    self._record_coplays(history)
                    history = []
            except (*DYNAMODB_ERRORS, RuntimeError) as exc:
                log.warning("play flush failed, will retry: %s", exc)
                with self._lock:
                    self._counts.update(counts)
                    self._history.extendleft(reversed(history))
                return False
            return True

    def _record_coplays(self, history: list[Play]) -> None:
        """Best effort: pair each new play with the profile's few previous titles.

        The pairs of one flush are summed and written with one atomic ADD per item,
        like the play counters, so the totals are the same as one ADD per pair.
        """
        self._reads.played(history)
        pairs: Counter[tuple[str, str]] = Counter()
        for play in history:
            try:
                seeds = self._reads.recent_titles(play.profile, self.COPLAY_SEEDS + 1)
            except DYNAMODB_ERRORS as exc:
                log.info("co-play update skipped: %s", exc)
                continue
            for other in [t for t in seeds if t != play.title_id][: self.COPLAY_SEEDS]:
                pairs[(other, play.title_id)] += 1
                pairs[(play.title_id, other)] += 1
        written: Counter[tuple[str, str]] = Counter()
        try:
            for (title_id, other), count in pairs.items():
                self._table.add(f"TITLE#{title_id}", f"COPLAY#{other}", count)
                written[(title_id, other)] = count
        except DYNAMODB_ERRORS as exc:
            log.info("co-play update skipped: %s", exc)
        self._reads.coplays_added(written)

    def start(self) -> None:
        """Flush in a daemon thread every flush_seconds (no thread when synchronous)."""
        if self._flush_seconds <= 0 or self._thread is not None:
            return

        def run() -> None:
            delay = self._flush_seconds
            while not self._stopping.is_set():
                self._wake.wait(delay)
                self._wake.clear()
                ok = self.flush()
                delay = self._flush_seconds if ok else min(30.0, delay * 2)

        self._thread = threading.Thread(target=run, name="play-recorder", daemon=True)
        self._thread.start()

    def close(self, budget_seconds: float = 5.0) -> None:
        """Stop the writer and flush what is left, retrying within a time budget."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(budget_seconds)
        deadline = time.monotonic() + budget_seconds
        while not self.flush() and time.monotonic() < deadline:
            time.sleep(0.2)
