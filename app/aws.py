"""The AWS clients the API uses, created once per process by the app factory."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import boto3
from botocore.config import Config

from app.settings import Settings


@dataclass(frozen=True)
class AwsClients:
    """boto3 clients: S3 (catalog), Secrets Manager (signing key), DynamoDB (plays,
    profiles), Cognito user pools (sign-in)."""

    s3: Any
    secrets: Any
    dynamodb: Any
    cognito: Any


def create_aws_clients(settings: Settings) -> AwsClients:
    """Clients with short timeouts: a slow dependency must not pin a worker thread.

    boto3 itself honours AWS_ENDPOINT_URL; an explicit endpoint_url setting takes
    precedence. Clients are thread-safe and costly to build, so one process
    shares one set per region and endpoint, however many apps it creates.
    """
    return _clients(settings.region, settings.endpoint_url)


@cache
def _clients(region: str, endpoint_url: str | None) -> AwsClients:
    session = boto3.session.Session(region_name=region)
    common: dict[str, Any] = {}
    if endpoint_url:
        common["endpoint_url"] = endpoint_url
    storage = Config(connect_timeout=2, read_timeout=5, retries={"mode": "standard"})
    # Recommendations wait at most a fraction of a second on DynamoDB; the
    # background play writer retries on its own, so botocore retries stay low.
    table = Config(
        connect_timeout=0.5,
        read_timeout=1,
        retries={"mode": "standard", "max_attempts": 2},
        max_pool_connections=20,
    )
    return AwsClients(
        s3=session.client("s3", config=storage, **common),
        secrets=session.client("secretsmanager", config=storage, **common),
        dynamodb=session.client("dynamodb", config=table, **common),
        cognito=session.client("cognito-idp", config=storage, **common),
    )
