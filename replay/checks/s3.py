"""Checks of a bucket policy: a CloudFront SourceArn names a distribution of this stack."""

from __future__ import annotations

from typing import Any

from ..context import Ctx
from ..policies import statements


def bucket_policy_references(ctx: Ctx, doc: dict[str, Any]) -> None:
    """Deferred (the distribution usually registers after the bucket policy that admits it):
    every `aws:SourceArn` condition value on a CloudFront ARN must be a distribution's ARN."""
    ctx.defer(lambda: _source_arns_exist(ctx, doc))


def _source_arns_exist(ctx: Ctx, doc: dict[str, Any]) -> None:
    dists = {r.outputs.get("arn") for r in ctx.find("aws:cloudfront/distribution")}
    for i, st in enumerate(statements(doc)):
        for op_values in (st.get("Condition") or {}).values():
            if not isinstance(op_values, dict):
                continue
            for key, value in op_values.items():
                if key.lower() != "aws:sourcearn":
                    continue
                for arn in [value] if isinstance(value, str) else value:
                    if ":cloudfront::" in arn and arn not in dists:
                        ctx.problem(f"policy.Statement[{i}].Condition",
                                    f"SourceArn {arn!r} is not a distribution of this stack")
