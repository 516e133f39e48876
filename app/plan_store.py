"""Each account's plan, in the plays table, and idempotent plan changes.

Items (hash key `pk`, range key `sk`), next to those of app/plays.py and
app/profiles.py; `{sub}` is the account's Cognito `sub`:
  ACCOUNT#{sub} / PLAN               plan, changed_at (ISO-8601 UTC), idempotency_key;
                                     and the account's screens (app/streams.py)
  ACCOUNT#{sub} / PLANCHANGE#{key}   plan, changed_at, request (SHA-256 of the request)

No PLAN item, or one without `plan`, means the default plan (app/plans.py). A
change is one TransactWriteItems: the PLANCHANGE record, conditional on its
absence, and an update of the PLAN item's plan attributes (DynamoDB Developer
Guide, "Amazon DynamoDB Transactions"). The screens share the item so that a
grant's one conditional write both reads the plan of record and holds a screen
under it (app/streams.py `claim_under_plan_of_record`). A retry
with the same key and request gets the first answer again; the same key with
another request is refused (IETF httpapi draft "The Idempotency-Key HTTP Header
Field": 422 for a reused key with another payload, 409 while the first request is
being processed). Records are kept: an account changes plan rarely, and a replay
must stay possible. A change is effective for the account's next grant.

Shaped for a payment processor later: `PlanStore.change(account, plan, key)` is
what both the API (`PUT /api/v1/account/plan`, key from the `Idempotency-Key`
header) and a processor's webhook handler would call. The handler would verify
the processor's signature, map its customer to the account's `sub`, and pass the
processor's event id as `key`, so a redelivered event (processors deliver at
least once) replays instead of applying twice.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from app.plans import DEFAULT_PLAN, PLAN_NAMES, PLANS, Plan
from app.problems import Problem

log = logging.getLogger(__name__)

# The draft leaves the key's format to the server: 1-64 URL-safe characters
# (enough for a UUID or a processor's event id).
IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


@dataclass(frozen=True)
class AccountPlan:
    """An account's plan; `changed_at` is None for the default (never changed)."""

    plan: Plan
    changed_at: str | None

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape: the plan's fields plus `changed_at`."""
        return {**self.plan.as_dict(), "changed_at": self.changed_at}


def request_fingerprint(plan: str) -> str:
    """SHA-256 (hex) of a plan-change request's meaning: the plan asked for."""
    return hashlib.sha256(f"plan={plan}".encode()).hexdigest()


def _unavailable(exc: Exception) -> Problem:
    log.warning("plans table error: %s", exc)
    return Problem(503, "Plans are unavailable right now.", retry_after=2)


class PlanStore:
    """Read and change accounts' plans (a boto3 DynamoDB client; thread-safe)."""

    def __init__(self, dynamodb: Any, table: str) -> None:
        self._db = dynamodb
        self._table = table

    def _item(self, account: str, sk: str) -> dict[str, Any] | None:
        try:
            return self._db.get_item(
                TableName=self._table,
                Key={"pk": {"S": f"ACCOUNT#{account}"}, "sk": {"S": sk}},
                ConsistentRead=True,
            ).get("Item")
        except (BotoCoreError, ClientError) as exc:
            raise _unavailable(exc) from None

    def get(self, account: str) -> AccountPlan:
        """The account's plan (DEFAULT_PLAN until it first changes); 503 on a table error."""
        item = self._item(account, "PLAN")
        name = (item or {}).get("plan", {}).get("S")
        if name not in PLANS:  # no item, or only the screens of app/streams.py so far
            return AccountPlan(PLANS[DEFAULT_PLAN], None)
        return AccountPlan(PLANS[name], item.get("changed_at", {}).get("S"))  # type: ignore[union-attr]

    def change(self, account: str, plan: str, key: str) -> tuple[AccountPlan, bool]:
        """Put the account on `plan`, once per idempotency `key`: (the plan, replayed).

        `replayed` is True when `key` was used before with the same plan: nothing is
        written and the first answer is returned. Raises ValueError for an unknown plan
        or a malformed key; Problem 422 when `key` was used with another plan, 409 when
        a concurrent change with the same key won the race but is not readable yet,
        503 on a table error.
        """
        if plan not in PLANS:
            raise ValueError(f"unknown plan {plan!r}; one of {PLAN_NAMES}")
        if not IDEMPOTENCY_KEY.fullmatch(key):
            raise ValueError(f"idempotency key must match {IDEMPOTENCY_KEY.pattern}")
        changed_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        fingerprint = request_fingerprint(plan)
        pk = {"S": f"ACCOUNT#{account}"}
        try:
            self._db.transact_write_items(TransactItems=[
                {"Put": {
                    "TableName": self._table,
                    "Item": {
                        "pk": pk, "sk": {"S": f"PLANCHANGE#{key}"},
                        "plan": {"S": plan}, "changed_at": {"S": changed_at},
                        "request": {"S": fingerprint},
                    },
                    "ConditionExpression": "attribute_not_exists(pk)",
                }},
                # An update, not a put: the item also holds the account's screens
                # (app/streams.py), which a plan change keeps.
                {"Update": {
                    "TableName": self._table,
                    "Key": {"pk": pk, "sk": {"S": "PLAN"}},
                    "UpdateExpression": "SET #plan = :plan, changed_at = :at, "
                                        "idempotency_key = :key",
                    "ExpressionAttributeNames": {"#plan": "plan"},
                    "ExpressionAttributeValues": {
                        ":plan": {"S": plan}, ":at": {"S": changed_at}, ":key": {"S": key},
                    },
                }},
            ])
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "TransactionCanceledException":
                raise _unavailable(exc) from None
            return self._replay(account, key, fingerprint), True
        except BotoCoreError as exc:
            raise _unavailable(exc) from None
        return AccountPlan(PLANS[plan], changed_at), False

    def _replay(self, account: str, key: str, fingerprint: str) -> AccountPlan:
        record = self._item(account, f"PLANCHANGE#{key}")
        if record is None:
            raise Problem(409, "A plan change with this Idempotency-Key is in progress; "
                          "retry it.", retry_after=1)
        if record["request"]["S"] != fingerprint:
            raise Problem(422, "This Idempotency-Key was used for another plan change; "
                          "use a new key for a new change.")
        return AccountPlan(PLANS[record["plan"]["S"]], record["changed_at"]["S"])
