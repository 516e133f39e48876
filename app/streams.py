"""Concurrent streams per account: one screen per profile, at most the plan's `streams`.

The screens live in the account's plan-of-record item (app/plan_store.py writes its
plan attributes, and keeps the screens when the plan changes):
  ACCOUNT#{sub} / PLAN   screens (map: profile -> {title, until}), version (number);
                         plan, changed_at, idempotency_key

A grant (`claim_under_plan_of_record`) therefore reads the plan of record and holds
its screen in one conditional UpdateItem: the condition names the plans that may
play the title with their stream limits, and the answer (ReturnValues ALL_NEW, or
ReturnValuesOnConditionCheckFailure ALL_OLD when it failed) names the plan. No
plan read a grant, and no call to the plans service: 1.04 GetItems a play and the
plans service's request went away (issue 12's 2,000-viewer run). A renewal keeps
its play's plan (`renew` takes it explicitly).

A screen is held by a profile (a play that names none holds the `NO_PROFILE`
screen) until `until`, the epoch second its grant's cookies expire, so a screen
whose player vanished lapses with its cookies. The rules:
- a play by a profile that holds a screen takes it over (a viewer who switches
  titles never waits): one conditional UpdateItem, the common case;
- a play by another profile claims a free screen: the live screens are counted
  from the item that the failed update returned (ReturnValuesOnConditionCheckFailure,
  so no extra read), and the item is rewritten without the lapsed ones,
  conditional on its version (optimistic locking; a lost race is retried with the
  item returned again, or, when the winner was a play of the same profile, the
  screen is taken over). With none free: 409 naming the limit;
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
wrote, or less (same account, profile and title, an `until` no later), within
`plan_fresh_seconds` of that write (the API's: REPEAT_SECONDS), skips the write and
is granted under the plan that write read. Grants signed in the same window carry
the same expiry (app/signing.py),
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
import re
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from cachetools import TLRUCache

from app.plans import DEFAULT_PLAN, PLANS, Plan
from app.problems import Problem

log = logging.getLogger(__name__)

NO_PROFILE = "-"  # the screen of plays that name no profile (profiles never start with "-")
SK = "PLAN"  # the account's plan of record's item (app/plan_store.py)
# Claims that lose the version race to another claim of the same account in a row.
MAX_ATTEMPTS = 3
# Screens one worker remembers writing (LRU beyond this many).
MAX_HELD = 100_000
# How long a screen this worker wrote stands in for a repeated, identical play (a
# player's retry, a double start): seconds. Longer, and another worker's write of the
# same profile's screen in between (a switch to another title there) goes unseen, so
# the repeated play's later renewal finds the other title and is refused (409).
REPEAT_SECONDS = 2.0
_NAME_TOKEN = re.compile(r"#\w+")
_NAMES = {"#s": "screens", "#p": "", "#v": "version", "#t": "title", "#u": "until",
          "#plan": "plan"}


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


def _no_screens(exc: ClientError) -> bool:
    """An update of a screen path on an item that has no `screens` map yet (a PLAN item
    app/plan_store.py wrote before any play): refused as an invalid document path."""
    error = exc.response["Error"]
    return error["Code"] == "ValidationException" and "document path" in error.get("Message", "")


def _plan_pin(item: dict[str, Any] | None, values: dict[str, Any]) -> str:
    """The condition (with its value added to `values`) that the item still names the
    plan `item` named: a plan change in between fails the write."""
    if "plan" in (item or {}):
        values[":plan"] = item["plan"]  # type: ignore[index]
        return " AND #plan = :plan"
    return " AND attribute_not_exists(#plan)"


def plan_of_record(item: dict[str, Any] | None) -> Plan:
    """The plan an account's PLAN item names (app/plan_store.py writes it), DEFAULT_PLAN
    for no item, no `plan` attribute or a name no longer offered."""
    name = (item or {}).get("plan", {}).get("S")
    return PLANS.get(name or DEFAULT_PLAN, PLANS[DEFAULT_PLAN])


def _entry(title: str, until: int) -> dict[str, Any]:
    return {"M": {"title": {"S": title}, "until": {"N": str(until)}}}


class _TableError(Exception):
    pass


class Streams:
    """Claims, renews and releases screens (a boto3 DynamoDB client; thread-safe)."""

    def __init__(
        self, dynamodb: Any, table: str, clock: Callable[[], float] = time.time,
        plan_fresh_seconds: float = 30.0,
    ) -> None:
        self._db = dynamodb
        self._table = table
        self._clock = clock
        # A screen this worker wrote stands for the plan of record it read for at most
        # this long (Settings.plan_cache_seconds); after that a repeated play writes again.
        self._plan_fresh_seconds = plan_fresh_seconds
        # (account, profile) -> (title, until, plan name, written at) this worker wrote,
        # dropped once `until` (epoch seconds, on `clock`) has passed.
        self._held: TLRUCache = TLRUCache(
            maxsize=MAX_HELD, ttu=lambda _key, value, _now: value[1], timer=self._clock)
        self._held_lock = threading.Lock()
        self.writes_skipped = 0

    def _already_holds(self, account: str, profile: str, title: str, until: int) -> Plan | None:
        """The plan of the screen this worker wrote, when it covers this play; else None."""
        with self._held_lock:
            held = self._held.get((account, profile))
            if (held is not None and held[0] == title and until <= held[1]
                    and self._clock() - held[3] < self._plan_fresh_seconds):
                self.writes_skipped += 1
                return PLANS[held[2]]
        return None

    def _remember(self, account: str, profile: str, title: str, until: int, plan: Plan) -> None:
        with self._held_lock:
            self._held[(account, profile)] = (title, until, plan.name, self._clock())

    def forget_account(self, account: str) -> None:
        """Drop what this worker remembers writing for `account` (its plan changed here):
        its next play is written, and reads the plan of record again."""
        with self._held_lock:
            for key in [k for k in self._held if k[0] == account]:
                self._held.pop(key, None)

    def _forget(self, account: str, profile: str) -> None:
        with self._held_lock:
            self._held.pop((account, profile), None)

    def _key(self, account: str) -> dict[str, Any]:
        return {"pk": {"S": f"ACCOUNT#{account}"}, "sk": {"S": SK}}

    def _update(self, account: str, profile: str, expression: str, condition: str,
                values: dict[str, Any]) -> tuple[bool, dict[str, Any] | None]:
        """(written, the item: as written, or as it was when the condition failed; None
        if absent)."""
        used = set(_NAME_TOKEN.findall(f"{expression} {condition}"))
        names = {k: v for k, v in _NAMES.items() if k in used}
        if "#p" in names:
            names["#p"] = profile
        try:
            answer = self._db.update_item(
                TableName=self._table, Key=self._key(account), UpdateExpression=expression,
                ConditionExpression=condition, ExpressionAttributeNames=names,
                ExpressionAttributeValues=values, ReturnValues="ALL_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as exc:
            if _failed_condition(exc):
                return False, exc.response.get("Item")
            if _no_screens(exc):
                return False, self._read(account)
            raise _TableError(exc) from exc
        except BotoCoreError as exc:
            raise _TableError(exc) from exc
        return True, answer.get("Attributes")

    def _read(self, account: str) -> dict[str, Any] | None:
        """The account's item, strongly consistent (None: absent)."""
        try:
            return self._db.get_item(TableName=self._table, Key=self._key(account),
                                     ConsistentRead=True).get("Item")
        except (BotoCoreError, ClientError) as exc:
            raise _TableError(exc) from exc

    def claim_under_plan_of_record(self, account: str, profile: str, title: str,
                                   entitled: Sequence[Plan], until: int) -> Plan | None:
        """Hold a screen for `profile` playing `title` until `until` under the account's
        plan of record, read in the same write: the plan the play is granted under.

        `entitled` are the plans that may play the title. One conditional UpdateItem
        takes over the profile's screen when the item names one of them (no `plan`: the
        default plan) and holds no more screens than that plan's streams; its answer
        (ReturnValues ALL_NEW) names the plan. Otherwise the item as it was
        (ReturnValuesOnConditionCheckFailure) says why: a plan outside `entitled` is
        returned with nothing written (the caller refuses the play, 403); else a free
        screen is claimed (`_claim_free`), conditional on the plan being unchanged.
        So a grant costs one write and no read of the plan, and sees a plan change at
        once (DynamoDB Developer Guide, "Condition expressions": comparisons, OR, size).

        Returns None on a table error (logged): the caller finds the plan elsewhere
        and the play goes unlimited. Raises Problem 409 (problem+json with `streams`
        and `plan` members, Retry-After the seconds until the first screen lapses) when
        the account already plays the plan's `streams` screens for other profiles.
        """
        held = self._already_holds(account, profile, title, until)
        if held is not None:
            return held
        if not entitled:
            return None
        values: dict[str, Any] = {":entry": _entry(title, until), ":one": {"N": "1"}}
        alternatives = []
        for i, plan in enumerate(entitled):
            values[f":plan{i}"] = {"S": plan.name}
            values[f":streams{i}"] = {"N": str(plan.streams)}
            named = f"#plan = :plan{i}"
            if plan.name == DEFAULT_PLAN:
                named = f"({named} OR attribute_not_exists(#plan))"
            alternatives.append(f"({named} AND size(#s) <= :streams{i})")
        try:
            written, item = self._update(
                account, profile, "SET #s.#p = :entry ADD #v :one",
                f"attribute_exists(#s.#p) AND ({' OR '.join(alternatives)})", values)
            plan = plan_of_record(item)
            if not written:
                if plan.name not in {p.name for p in entitled}:
                    return plan
                plan = self._claim_free(account, profile, title, plan, until, item,
                                        entitled=entitled)
                if plan.name not in {p.name for p in entitled}:
                    return plan
            self._remember(account, profile, title, until, plan)
            return plan
        except _TableError as exc:
            log.warning("streams table error, plan unread and play not limited: %s", exc)
            return None

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
            self._remember(account, profile, title, until, plan)
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
                    item: dict[str, Any] | None,
                    entitled: Sequence[Plan] | None = None) -> Plan:
        """Claim a free screen under `plan` given the item as last read (None: absent).

        The screens are rewritten with one UpdateItem (the item's other attributes, the
        plan of record among them, are kept), conditional on its version; a lost race
        is tried again with the item returned. With `entitled` (a claim under the plan
        of record) the plan is the item's, and the write is conditional on it too: a
        plan change in between is read again, and a plan outside `entitled` is returned
        unwritten. When the item read shows the profile holding a screen already (a
        concurrent play of the same profile won the race), the screen is taken over
        instead, with no version condition: concurrent first plays of one profile all
        succeed. Returns the plan claimed under; raises Problem 409 when no screen is
        free, or after MAX_ATTEMPTS lost races.
        """
        for _ in range(MAX_ATTEMPTS):
            if entitled is not None:
                plan = plan_of_record(item)
                if plan.name not in {p.name for p in entitled}:
                    return plan
            now = self._clock()
            held = _screens(item)
            others = {p: e for p, e in held.items() if p != profile and e[1] > now}
            values: dict[str, Any] = {":one": {"N": "1"}}
            if profile in held and len(held) <= plan.streams:
                # The profile's screen exists: take it over, whatever the version.
                expression = "SET #s.#p = :entry ADD #v :one"
                condition = "attribute_exists(#s.#p) AND size(#s) <= :streams"
                values.update({":entry": _entry(title, until),
                               ":streams": {"N": str(plan.streams)}})
            else:
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
                expression = "SET #s = :screens ADD #v :one"
                values[":screens"] = {"M": screens}
                if item is not None and "version" in item:
                    condition = "#v = :v"
                    values[":v"] = item["version"]
                else:
                    condition = "attribute_not_exists(#v)"
            if entitled is not None:
                condition += _plan_pin(item, values)
            written, item = self._update(account, profile, expression, condition, values)
            if written:
                return plan
        raise Problem(409, "Other plays of this account are starting at the same moment; "
                      "retry.", retry_after=1, streams=plan.streams, plan=plan.name)
