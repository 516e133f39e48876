"""Viewer profiles: up to MAX_PROFILES per account, in the plays table.

Items (hash key `pk`, range key `sk`), next to those app/plays.py owns:
  ACCOUNT#{sub} / PROFILES         profiles: how many the account has (the limit's counter)
  ACCOUNT#{sub} / PROFILE#{id}     name, created_at (ISO-8601 UTC)

Creating and deleting write the profile and the counter in one
TransactWriteItems, so concurrent requests can never exceed the limit (DynamoDB
Developer Guide, "Amazon DynamoDB Transactions"). `{sub}` is the Cognito `sub`.
"""

from __future__ import annotations

import logging
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from app.problems import Problem

log = logging.getLogger(__name__)

MAX_PROFILES = 5
# Printable, 1-32 characters, no leading/trailing space.
PROFILE_NAME = re.compile(r"^[^\s\x00-\x1f\x7f](?:[^\x00-\x1f\x7f]{0,30}[^\s\x00-\x1f\x7f])?$")
PROFILE_ID = re.compile(r"^[0-9a-f]{16}$")
_COUNTER = "PROFILES"


@dataclass(frozen=True)
class Profile:
    """One profile of an account; `id` is what playback and recommendations take as `profile`."""

    id: str
    name: str
    created_at: str

    def as_dict(self) -> dict[str, str]:
        """The JSON shape."""
        return {"id": self.id, "name": self.name, "created_at": self.created_at}


def _unavailable(exc: Exception) -> Problem:
    log.warning("profiles table error: %s", exc)
    return Problem(503, "Profiles are unavailable right now.", retry_after=2)


class ProfileStore:
    """List, create and delete an account's profiles (boto3 DynamoDB client, thread-safe)."""

    def __init__(self, dynamodb: Any, table: str) -> None:
        self._db = dynamodb
        self._table = table

    def list(self, account: str) -> list[Profile]:
        """The account's profiles, oldest first (at most MAX_PROFILES)."""
        try:
            items = self._db.query(
                TableName=self._table,
                KeyConditionExpression="pk = :pk AND begins_with(sk, :profile)",
                ExpressionAttributeValues={
                    ":pk": {"S": f"ACCOUNT#{account}"}, ":profile": {"S": "PROFILE#"}
                },
                ConsistentRead=True,
            )["Items"]
        except (BotoCoreError, ClientError) as exc:
            raise _unavailable(exc) from None
        profiles = [
            Profile(item["sk"]["S"].removeprefix("PROFILE#"), item["name"]["S"],
                    item["created_at"]["S"])
            for item in items
        ]
        return sorted(profiles, key=lambda p: (p.created_at, p.id))

    def create(self, account: str, name: str) -> Profile:
        """A new profile; 409 once the account has MAX_PROFILES."""
        profile = Profile(
            secrets.token_hex(8),
            name,
            datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
        )
        pk = {"S": f"ACCOUNT#{account}"}
        try:
            self._db.transact_write_items(TransactItems=[
                {"Update": {
                    "TableName": self._table,
                    "Key": {"pk": pk, "sk": {"S": _COUNTER}},
                    "UpdateExpression": "ADD profiles :one",
                    "ConditionExpression": "attribute_not_exists(profiles) OR profiles < :max",
                    "ExpressionAttributeValues": {
                        ":one": {"N": "1"}, ":max": {"N": str(MAX_PROFILES)}
                    },
                }},
                {"Put": {
                    "TableName": self._table,
                    "Item": {
                        "pk": pk,
                        "sk": {"S": f"PROFILE#{profile.id}"},
                        "name": {"S": profile.name},
                        "created_at": {"S": profile.created_at},
                    },
                    "ConditionExpression": "attribute_not_exists(pk)",
                }},
            ])
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "TransactionCanceledException":
                raise Problem(
                    409, f"An account has at most {MAX_PROFILES} profiles."
                ) from None
            raise _unavailable(exc) from None
        except BotoCoreError as exc:
            raise _unavailable(exc) from None
        return profile

    def delete(self, account: str, profile_id: str) -> None:
        """Remove one profile; 404 if the account has no such profile."""
        pk = {"S": f"ACCOUNT#{account}"}
        try:
            self._db.transact_write_items(TransactItems=[
                {"Delete": {
                    "TableName": self._table,
                    "Key": {"pk": pk, "sk": {"S": f"PROFILE#{profile_id}"}},
                    "ConditionExpression": "attribute_exists(pk)",
                }},
                {"Update": {
                    "TableName": self._table,
                    "Key": {"pk": pk, "sk": {"S": _COUNTER}},
                    "UpdateExpression": "ADD profiles :minus_one",
                    "ExpressionAttributeValues": {":minus_one": {"N": "-1"}},
                }},
            ])
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "TransactionCanceledException":
                raise Problem(404, "The account has no such profile.") from None
            raise _unavailable(exc) from None
        except BotoCoreError as exc:
            raise _unavailable(exc) from None
