"""Plays in DynamoDB: counters, per-profile recent titles and co-play counts.

Items (hash key `pk`, range key `sk`):
  TITLE#{id}   / STATS             plays: all-time counter (ADD)
  TITLE#{id}   / DAY#{yyyy-mm-dd}  plays: that UTC day's counter, for trending
  TITLE#{a}    / COPLAY#{b}        plays: profiles that watched b after a (and a after b)
  PROFILE#{p}  / RECENT            titles: the profile's last plays' title ids, newest
                                   first, repeats included, about RECENT_KEPT of them

A profile's history is one small item, not one item per play: the play writer
prepends to it with one UpdateItem (`list_append`, ReturnValues UPDATED_NEW), whose
answer is also the co-play seeds, and a recommendation reads it with one GetItem.
DynamoDB charges a write by the item's size in 1 KB units and an eventually
consistent GetItem by 4 KB units, so a list of ~50 short ids costs 1-2 write units
and half a read unit (Developer Guide, "Read/write capacity mode"; list_append:
"Update expressions"). Earlier versions wrote PROFILE#{p}/PLAY#{iso}#{id} items,
which nothing reads any more.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from time import monotonic
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


# The RECENT item keeps the newest RECENT_KEPT entries; the writer trims it once a write
# leaves more than RECENT_KEPT + RECENT_SLACK (one extra UpdateItem per RECENT_SLACK plays).
# 50 ids of ~20 bytes stay under 1 KB: one write unit a play. Readers de-duplicate, as
# the old history Query did over 3 x 20 items.
RECENT_SK = "RECENT"
RECENT_KEPT = 40
RECENT_SLACK = 10


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

    def _recent_key(self, profile: str) -> dict[str, Any]:
        return {"pk": {"S": f"PROFILE#{profile}"}, "sk": {"S": RECENT_SK}}

    def prepend_recent(self, profile: str, title_ids: list[str]) -> list[str]:
        """Put `title_ids` (newest first) in front of the profile's RECENT list, atomically.

        One UpdateItem (SET titles = list_append(:new, if_not_exists(titles, :empty)),
        ReturnValues UPDATED_NEW); returns the whole list as written, newest first,
        repeats included: `title_ids` first, then what was there. Past RECENT_KEPT +
        RECENT_SLACK entries it trims the oldest (trim_recent). Raises botocore errors.
        """
        result = self._db.update_item(
            TableName=self.name,
            Key=self._recent_key(profile),
            UpdateExpression="SET titles = list_append(:new, if_not_exists(titles, :empty))",
            ExpressionAttributeValues={
                ":new": {"L": [{"S": t} for t in title_ids]},
                ":empty": {"L": []},
            },
            ReturnValues="UPDATED_NEW",
        )
        titles = [v["S"] for v in result["Attributes"]["titles"]["L"]]
        if len(titles) > RECENT_KEPT + RECENT_SLACK:
            self.trim_recent(profile, len(titles))
        return titles

    def trim_recent(self, profile: str, length: int) -> bool:
        """Remove entries RECENT_KEPT.. of a RECENT list that has `length` entries.

        Conditional on the list still having `length` entries (a concurrent prepend
        would shift what the indexes name); False when it did not, and the next
        write past the slack trims instead. Raises other botocore errors.
        """
        paths = ", ".join(f"titles[{i}]" for i in range(RECENT_KEPT, length))
        try:
            self._db.update_item(
                TableName=self.name,
                Key=self._recent_key(profile),
                UpdateExpression=f"REMOVE {paths}",
                ConditionExpression="size(titles) = :length",
                ExpressionAttributeValues={":length": {"N": str(length)}},
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def recent_titles(self, profile: str, limit: int = 20) -> list[str]:
        """The profile's recently played title ids, newest first, without repeats, at most
        `limit`: one eventually consistent GetItem of its RECENT item."""
        item = self._db.get_item(
            TableName=self.name, Key=self._recent_key(profile), ProjectionExpression="titles"
        ).get("Item", {})
        return distinct([v["S"] for v in item.get("titles", {}).get("L", [])])[:limit]

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


def distinct(title_ids: list[str]) -> list[str]:
    """The ids in their order, each only where it first appears."""
    return list(dict.fromkeys(title_ids))


def utc_day(at: datetime) -> str:
    """The UTC calendar day of a moment, yyyy-mm-dd."""
    return at.astimezone(UTC).strftime("%Y-%m-%d")


def recent_days(now: datetime, count: int) -> list[str]:
    """Today and the count-1 days before it, UTC."""
    return [utc_day(now - timedelta(days=i)) for i in range(count)]


class PlayRecorder:
    """Records plays off the request path, batched, without losing them on a hiccup.

    The writer thread flushes every `flush_seconds`: each profile's plays of that
    second go to its RECENT item in one UpdateItem, whose answer (the list as
    written) gives each play's co-play seeds, the profile's titles before it, so
    nothing is read. Counters are coalesced per title and day and written with one
    atomic ADD each every `counter_flush_seconds` (trending reads them through a
    30 s cache anyway): a title's STATS item, the table's hottest, then takes one
    write per worker and interval whatever its plays. A failed flush puts back what
    it did not write and is retried with backoff, so a DynamoDB outage delays plays
    instead of dropping them (history is bounded: the oldest entries go first past
    MAX_PENDING_HISTORY). A graceful stop (SIGTERM) flushes what is left; only a
    hard kill loses what was pending: at most one counter interval of counts and
    one flush interval of histories. With flush_seconds == 0 every play is written
    synchronously, everything at once (tests that read plays back).

    Co-play counts are ranking signals, not balances: their increments are summed
    in memory and written every `coplay_flush_seconds` (one ADD per pair of titles
    and interval, whatever the number of plays), best effort: a failed ADD is kept
    for the next interval, a hard kill loses at most one interval of them. A
    popular pair then costs one write unit per interval instead of one per play.
    `timer` is a monotonic clock in seconds (default time.monotonic, looked up when
    constructed).

    The profiles' lists as written go to `reads` (app/play_reads.py), which may hold
    them for the recommendations; every write stays exact and uncached.
    """

    MAX_PENDING_HISTORY = 10_000
    MAX_PENDING_COPLAYS = 100_000  # pairs of titles awaiting their ADD
    COPLAY_SEEDS = 5
    COPLAY_FLUSH_SECONDS = 120.0
    COUNTER_FLUSH_SECONDS = 15.0

    def __init__(
        self,
        table: PlayTable,
        flush_seconds: float,
        reads: PlayReads | None = None,
        coplay_flush_seconds: float = COPLAY_FLUSH_SECONDS,
        counter_flush_seconds: float = COUNTER_FLUSH_SECONDS,
        timer: Callable[[], float] | None = None,
    ) -> None:
        if reads is None:
            from app.play_reads import PlayReads  # app.play_reads imports this module

            reads = PlayReads(table)
        self._table = table
        self._reads = reads
        self._flush_seconds = flush_seconds
        synchronous = flush_seconds <= 0
        self._coplay_flush_seconds = 0.0 if synchronous else coplay_flush_seconds
        self._counter_flush_seconds = 0.0 if synchronous else counter_flush_seconds
        self._timer = timer or monotonic
        self._counts: Counter[tuple[str, str]] = Counter()
        self._history: deque[Play] = deque(maxlen=self.MAX_PENDING_HISTORY)
        self._coplays: Counter[tuple[str, str]] = Counter()
        self._coplays_due = self._timer() + self._coplay_flush_seconds
        self._counters_due = self._timer() + self._counter_flush_seconds
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.dropped_history = 0
        self.dropped_coplays = 0
        self._day: tuple[float, str] = (0.0, "")

    @property
    def pending(self) -> int:
        """Plays counted but not yet written."""
        with self._lock:
            return sum(n for (_, sk), n in self._counts.items() if sk == "STATS")

    @property
    def pending_coplays(self) -> int:
        """Co-play increments (pairs of titles) summed but not yet written."""
        with self._lock:
            return len(self._coplays)

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

    def flush(self, *, everything: bool = True) -> bool:
        """Write what is pending; on failure put back what was not written and return False.

        The profiles' plays are written at every flush; the play counters and co-play
        counts when their interval is due, or all at once with `everything` (the
        default: close(), tests). The writer thread flushes with everything=False.
        """
        with self._flush_lock:
            counters_due = everything or self._timer() >= self._counters_due
            with self._lock:
                counts: Counter[tuple[str, str]] = Counter()
                if counters_due:
                    counts, self._counts = self._counts, Counter()
                history = list(self._history)
                self._history.clear()
            try:
                for (title_id, sk), n in list(counts.items()):
                    self._table.add(f"TITLE#{title_id}", sk, n)
                    del counts[(title_id, sk)]
                if counters_due:
                    self._counters_due = self._timer() + self._counter_flush_seconds
                history = self._write_history(history)
            except (*DYNAMODB_ERRORS, RuntimeError) as exc:
                log.warning("play flush failed, will retry: %s", exc)
                with self._lock:
                    self._counts.update(counts)
                    self._history.extendleft(reversed(history))
                return False
            if everything or self._timer() >= self._coplays_due:
                self._write_coplays()
            return True

    def _write_history(self, history: list[Play]) -> list[Play]:
        """Prepend each profile's plays to its RECENT list and sum their co-play pairs.

        Returns [] when all were written; raises with `history` trimmed to the plays not
        written yet (a profile's list is written whole or not at all), so a retry does
        not repeat the others.
        """
        by_profile: dict[str, list[Play]] = {}
        for play in history:
            by_profile.setdefault(play.profile, []).append(play)
        pairs: Counter[tuple[str, str]] = Counter()
        done: set[str] = set()
        try:
            for profile, plays in by_profile.items():
                newest_first = [p.title_id for p in reversed(plays)]
                titles = self._table.prepend_recent(profile, newest_first)
                done.add(profile)
                self._reads.recent_written(profile, titles)
                # The list as written starts with this flush's plays, newest first: the
                # play i places from the end of them had titles[len - i:] before it.
                for i, play in enumerate(plays):
                    before = titles[len(plays) - i :]
                    seeds = [t for t in distinct(before) if t != play.title_id]
                    for other in seeds[: self.COPLAY_SEEDS]:
                        pairs[(other, play.title_id)] += 1
                        pairs[(play.title_id, other)] += 1
        except (*DYNAMODB_ERRORS, RuntimeError):
            history[:] = [p for p in history if p.profile not in done]
            raise
        finally:
            self._add_coplays(pairs)
        return []

    def _add_coplays(self, pairs: Counter[tuple[str, str]]) -> None:
        """Sum pairs into the pending co-play increments, new pairs only while bounded."""
        with self._lock:
            for pair, count in pairs.items():
                if pair in self._coplays or len(self._coplays) < self.MAX_PENDING_COPLAYS:
                    self._coplays[pair] += count
                else:
                    self.dropped_coplays += count

    def _write_coplays(self) -> None:
        """Best effort: one atomic ADD per pending pair; what failed waits for next time.

        The pairs' totals are the same as one ADD per play's pair.
        """
        self._coplays_due = self._timer() + self._coplay_flush_seconds
        self._counters_due = self._timer() + self._counter_flush_seconds
        with self._lock:
            pending, self._coplays = self._coplays, Counter()
        written: Counter[tuple[str, str]] = Counter()
        try:
            for (title_id, other), count in pending.items():
                self._table.add(f"TITLE#{title_id}", f"COPLAY#{other}", count)
                written[(title_id, other)] = count
        except DYNAMODB_ERRORS as exc:
            log.info("co-play update postponed: %s", exc)
            self._add_coplays(pending - written)
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
                ok = self.flush(everything=False)
                delay = self._flush_seconds if ok else min(30.0, delay * 2)

        self._thread = threading.Thread(target=run, name="play-recorder", daemon=True)
        self._thread.start()

    def close(self, budget_seconds: float = 5.0) -> None:
        """Stop the writer and flush what is left, co-plays too, retrying within a budget."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(budget_seconds)
        deadline = time.monotonic() + budget_seconds
        while not self.flush() and time.monotonic() < deadline:
            time.sleep(0.2)
