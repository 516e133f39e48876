"""The translator table: one entry per Pulumi resource type or invoke token.

A translator (`def x(ctx: Ctx) -> dict`) turns one resource's wire inputs into AWS
API requests through its `Ctx` (replay/context.py), which validates each request
against botocore's model, creates it in moto where moto models it, and records
problems. An invoke handler (`def x(ctx: InvokeCtx, args: dict) -> dict`) serves a
data source from moto, or raises `InvokeError`. Adding a resource type is one
decorated function in the module of its AWS service (replay/services/).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .context import Ctx, InvokeCtx

Translator = Callable[[Ctx], dict[str, Any]]
InvokeHandler = Callable[[InvokeCtx, dict[str, Any]], dict[str, Any]]

RESOURCES: dict[str, Translator] = {}
INVOKES: dict[str, InvokeHandler] = {}


class InvokeError(Exception):
    """An invoke the engine does not serve, or that failed (becomes the invoke's error)."""


def resource(*tokens: str) -> Callable[[Translator], Translator]:
    """Register a translator for Pulumi resource type tokens (`aws:s3/bucket:Bucket`)."""
    def register(fn: Translator) -> Translator:
        for token in tokens:
            RESOURCES[token] = fn
        return fn

    return register


def invoke(*tokens: str) -> Callable[[InvokeHandler], InvokeHandler]:
    """Register an invoke handler for data source tokens (`aws:index/getRegion:getRegion`)."""
    def register(fn: InvokeHandler) -> InvokeHandler:
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
        cloudfront_continuous_deployment,
        cloudfront_monitoring,
        cloudfront_policies,
        cloudfront_vpc_origin,
        cloudwatch,
        cognito_idp,
        dynamodb,
        ec2,
        ec2_instances,
        elbv2,
        iam,
        invokes,
        log_delivery,
        pulumi_providers,
        route53,
        s3,
        secretsmanager,
        ssm,
        synthetic,
        wafv2,
    )
