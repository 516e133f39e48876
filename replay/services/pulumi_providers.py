"""Explicit provider resources (`pulumi:providers:<pkg>`): accepted, region checked."""

from __future__ import annotations

from ..awsmodel import _session
from ..context import Ctx
from ..registry import resource


@resource("pulumi:providers:aws", "pulumi:providers:random", "pulumi:providers:tls")
def provider(ctx: Ctx) -> dict:
    if ctx.type == "pulumi:providers:aws":
        region = ctx.inputs.get("region")
        if region and region not in _session().get_available_regions("ec2"):
            ctx.problem("region", f"{region!r} is not an AWS region")
    return {"id": ctx.fake_id("provider-", 12)}
