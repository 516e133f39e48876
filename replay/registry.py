"""The translator table: one entry per Pulumi resource type or invoke token.

A translator turns one resource's wire inputs into AWS API requests through a
`Ctx` (replay/engine.py), which validates each request against botocore's
model, creates it in moto where moto models it, and records problems. Adding a
resource type is one decorated function in the module of its AWS service.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

RESOURCES: dict[str, Callable[..., dict[str, Any]]] = {}
INVOKES: dict[str, Callable[..., dict[str, Any]]] = {}


def resource(*tokens: str):
    def register(fn):
        for token in tokens:
            RESOURCES[token] = fn
        return fn

    return register


def invoke(*tokens: str):
    def register(fn):
        for token in tokens:
            INVOKES[token] = fn
        return fn

    return register


def load_all() -> None:
    """Import every service module so their translators register."""
    from .services import (  # noqa: F401
        acm,
        autoscaling,
        cloudfront,
        cloudwatch,
        dynamodb,
        ec2,
        elbv2,
        iam,
        invokes,
        pulumi_providers,
        route53,
        s3,
        secretsmanager,
        ssm,
        synthetic,
        wafv2,
    )
