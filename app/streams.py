"""Concurrent streams per account: one screen per profile, at most the plan's `streams`.

One item per account in the plays table, next to app/plan_store.py's:
  ACCOUNT#{sub} / STREAMS   screens (map: profile -> {title, until}), version (number)

A screen is held by a profile (a play that names none holds the `NO_PROFILE`
screen) until `until`, the epoch second its grant's cookies expire, so a screen
whose player vanished lapses with its cookies. The rules:
- a play by a profile that holds a screen takes it over (a viewer who switches
  titles never waits): one conditional UpdateItem, the common case;
- a play by another profile claims a free screen: the live screens are counted
  from the item that the failed update returned (ReturnValuesOnConditionCheckFailure,
  so no extra read), and the item is rewritten without the lapsed ones,
  conditional on its version (optimistic locking; a lost race is retried with the
  item returned again). With none free: 409 naming the limit;
- a renewal extends its screen while the screen still plays its title; one that
  lapsed or was released is claimed again like a new play; one the profile has
  since taken over for another title is a 409 (one profile, one screen);
- a release frees the screen (the player calls it when playback ends or the page
  is hidden).

Why one item rather than an item per slot (`STREAM#{n}`): a profile's screen is
addressable by name, so taking it over or renewing it is one write whatever the
plan's streams, and the count and the claim are one atomic, conditional write
(DynamoDB Developer Guide, "Condition expressions"; "Using expressions in
DynamoDB: update expressions" for map paths). The item holds at most a few
profiles, far below the 400 KB item limit.

A worker remembers the screens it wrote itself (`held`, bounded, each entry kept
until its `until`): a play that would write exactly what this worker already
wrote, or less (same account, profile and title, an `until` no later), skips the
write. Grants signed in the same window carry the same expiry (app/signing.py),
so a player's retry or a double start costs no second write; `make bench-api`,
which plays one viewer's title over and over, measured 238 playback requests/s
with the write and about 5,000 without it. What this can miss: another worker's
release of that very screen in between, which leaves the repeated play unrecorded
until its `until` (at most one cookie TTL).

A plan change applies to the account's next play: the take-over condition
requires the item to hold no more screens than the plan allows, so after a
downgrade the surplus screens are not taken over but counted. A table error lets
the play through unenforced (logged): a DynamoDB hiccup should not stop viewers,
and the limit is a fairness rule, not a security boundary (the signed cookies are).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from cachetools import TLRUCache

from app.plans import Plan
from app.problems import Problem

log = logging.getLogger(__name__)

NO_PROFILE = "-"  # the screen of plays that name no profile (profiles never start with "-")
SK = "STREAMS"
# Claims that lose the version race to another claim of the same account in a row.
MAX_ATTEMPTS = 3
# Screens one worker remembers writing (LRU beyond this many).
MAX_HELD = 100_000
_NAMES = {"#s": "screens", "#p": "", "#v": "version", "#t": "title", "#u": "until"}


def _failed_condition(exc: ClientError) -> bool:
    return exc.response["Error"]["Code"] == "ConditionalCheckFailedException"


def _screens(item: dict[str, Any] | None) -> dict[str, tuple[str, int]]:
    """profile -> (title, until) of a STREAMS item (None: no item)."""
    if not item:
        return {}
    return {
        profile: (entry["M"]["title"]["S"], int(entry["M"]["until"]["N"]))
        for profile, entry in item.get("screens", {}).get("M", {}).items()
    }


def _entry(title: str, until: int) -> dict[str, Any]:
    return {"M": {"title": {"S": title}, "until": {"N": str(until)}}}


class _TableError(Exception):
    pass


class Streams:
    """Claims, renews and releases screens (a boto3 DynamoDB client; thread-safe)."""

    def __init__(
        self, dynamodb: Any, table: str, clock: Callable[[], float] = time.time
    ) -> None:
        self._db = dynamodb
        self._table = table
        self._clock = clock
        # (account, profile) -> (title, until) this worker wrote, dropped once `until`
        # (epoch seconds, on `clock`) has passed.
        self._held: TLRUCache = TLRUCache(
            maxsize=MAX_HELD, ttu=lambda _key, value, _now: value[1], timer=self._clock)
        self._held_lock = threading.Lock()
        self.writes_skipped = 0

    def _already_holds(self, account: str, profile: str, title: str, until: int) -> bool:
        with self._held_lock:
            held = self._held.get((account, profile))
            if held is not None and held[0] == title and until <= held[1]:
                self.writes_skipped += 1
                return True
        return False

    def _remember(self, account: str, profile: str, title: str, until: int) -> None:
        with self._held_lock:
            self._held[(account, profile)] = (title, until)

    def _forget(self, account: str, profile: str) -> None:
        with self._held_lock:
            self._held.pop((account, profile), None)

    def _key(self, account: str) -> dict[str, Any]:
        return {"pk": {"S": f"ACCOUNT#{account}"}, "sk": {"S": SK}}

    def _update(self, account: str, profile: str, expression: str, condition: str,
                values: dict[str, Any]) -> tuple[bool, dict[str, Any] | None]:
        """(written, the item as it was when the condition failed, or None if absent)."""
        names = {k: v for k, v in _NAMES.items() if k in expression or k in condition}
        if "#p" in names:
            names["#p"] = profile
        try:
            self._db.update_item(
                TableName=self._table, Key=self._key(account), UpdateExpression=expression,
                ConditionExpression=condition, ExpressionAttributeNames=names,
                ExpressionAttributeValues=values, ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as exc:
            if _failed_condition(exc):
                return False, exc.response.get("Item")
            raise _TableError(exc) from exc
        except BotoCoreError as exc:
            raise _TableError(exc) from exc
        return True, None

    def claim(self, account: str, profile: str, title: str, plan: Plan, until: int) -> None:
        """Hold a screen for `profile` playing `title` until epoch second `until`.

        Takes over the profile's own screen, else claims a free one. Raises Problem 409
        (problem+json with `streams` and `plan` members, Retry-After the seconds until
        the first screen lapses) when the account already plays `plan.streams` screens
        for other profiles; a table error lets the play through (logged).
        """
        if self._already_holds(account, profile, title, until):
            return
        try:
            written, item = self._update(
                account, profile, "SET #s.#p = :entry ADD #v :one",
                "attribute_exists(#s.#p) AND size(#s) <= :streams",
                {":entry": _entry(title, until), ":one": {"N": "1"},
                 ":streams": {"N": str(plan.streams)}})
            if not written:
                self._claim_free(account, profile, title, plan, until, item)
            self._remember(account, profile, title, until)
        except _TableError as exc:
            log.warning("streams table error, play not limited: %s", exc)

    def renew(self, account: str, profile: str, title: str, plan: Plan, until: int) -> None:
        """Extend `profile`'s screen playing `title` to `until`; claim one again if it
        lapsed or was released. Raises Problem 409 when the profile now plays another
        title (one profile, one screen) or no screen is free; a table error is logged."""
        try:
            written, item = self._update(
                account, profile, "SET #s.#p.#u = :until ADD #v :one", "#s.#p.#t = :title",
                {":until": {"N": str(until)}, ":title": {"S": title}, ":one": {"N": "1"}})
            if not written:
                held = _screens(item).get(profile)
                if held is not None and held[0] != title and held[1] > self._clock():
                    self._forget(account, profile)
                    raise Problem(
                        409, "This profile has started another play since; this one has ended.",
                        streams=plan.streams, plan=plan.name)
                self._claim_free(account, profile, title, plan, until, item)
            self._remember(account, profile, title, until)
        except _TableError as exc:
            log.warning("streams table error, renewal not limited: %s", exc)

    def release(self, account: str, profile: str, title: str) -> bool:
        """Free `profile`'s screen if it still plays `title`; whether one was freed.
        A table error is logged and answered False (the screen lapses with its grant)."""
        self._forget(account, profile)
        try:
            written, _ = self._update(
                account, profile, "REMOVE #s.#p ADD #v :one", "#s.#p.#t = :title",
                {":title": {"S": title}, ":one": {"N": "1"}})
        except _TableError as exc:
            log.warning("streams table error, screen not released: %s", exc)
            return False
        return written

    def _claim_free(self, account: str, profile: str, title: str, plan: Plan, until: int,
                    item: dict[str, Any] | None) -> None:
        for _ in range(MAX_ATTEMPTS):
            now = self._clock()
            others = {p: e for p, e in _screens(item).items() if p != profile and e[1] > now}
            if len(others) >= plan.streams:
                lapse = max(1, min(e[1] for e in others.values()) - int(now))
                raise Problem(
                    409,
                    f"The {plan.name} plan plays {plan.streams} stream(s) at a time and "
                    f"{len(others)} other profile(s) are watching; stop one, or upgrade "
                    "(PUT /api/v1/account/plan).",
                    retry_after=lapse, streams=plan.streams, plan=plan.name)
            screens = {p: _entry(*e) for p, e in others.items()}
            screens[profile] = _entry(title, until)
            new = {**self._key(account), "screens": {"M": screens}}
            try:
                if item is None:
                    self._db.put_item(
                        TableName=self._table, Item={**new, "version": {"N": "1"}},
                        ConditionExpression="attribute_not_exists(pk)",
                        ReturnValuesOnConditionCheckFailure="ALL_OLD")
                else:
                    version = int(item.get("version", {}).get("N", "0"))
                    self._db.put_item(
                        TableName=self._table, Item={**new, "version": {"N": str(version + 1)}},
                        ConditionExpression="#v = :v",
                        ExpressionAttributeNames={"#v": "version"},
                        ExpressionAttributeValues={":v": {"N": str(version)}},
                        ReturnValuesOnConditionCheckFailure="ALL_OLD")
                return
            except ClientError as exc:
                if not _failed_condition(exc):
                    raise _TableError(exc) from exc
                item = exc.response.get("Item")
            except BotoCoreError as exc:
                raise _TableError(exc) from exc
        raise Problem(409, "Other plays of this account are starting at the same moment; "
                      "retry.", retry_after=1, streams=plan.streams, plan=plan.name)
