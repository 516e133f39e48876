"""CloudFront continuous-deployment policies: the request validated only.

moto does not model continuous-deployment policies or staging distributions, so the
translator builds the CreateContinuousDeploymentPolicy request, checks it against
botocore's model, judges what the model leaves to the service (CloudFront Developer
Guide, "Quotas and other considerations for continuous deployment": the header name's
`aws-cf-cd-` prefix, a weight of at most 0.15, session stickiness of 300-3600 s, the
config block matching the type), checks that the staging names are staging
distributions of the stack (replay/checks/continuous_deployment.py), and returns
realistic outputs.
"""

from __future__ import annotations

from ..checks import continuous_deployment as checks
from ..context import Ctx
from ..registry import resource
from . import quantity

HEADER_PREFIX = "aws-cf-cd-"
MAX_WEIGHT = 0.15
STICKINESS_SECONDS = (300, 3600)


@resource("aws:cloudfront/continuousDeploymentPolicy:ContinuousDeploymentPolicy")
def continuous_deployment_policy(ctx: Ctx) -> dict:
    ap, where = "ContinuousDeploymentPolicyConfig", {}
    names_in = ctx.inputs.get("stagingDistributionDnsNames") or {}
    names = list(names_in.get("items") or [])
    if names_in.get("quantity") is not None and names_in["quantity"] != len(names):
        ctx.problem("stagingDistributionDnsNames.quantity",
                    f"{names_in['quantity']:g} but {len(names)} items")
    conf = {"StagingDistributionDnsNames": quantity(names),
            **ctx.pick(ctx.inputs, {"Enabled": "enabled"}, where, ap)}
    where[f"{ap}.StagingDistributionDnsNames.Items"] = "stagingDistributionDnsNames.items"
    traffic = ctx.inputs.get("trafficConfig")
    kind = None
    if traffic:
        kind = traffic.get("type")
        conf["TrafficConfig"] = _traffic(ctx, traffic, where, f"{ap}.TrafficConfig")
    ctx.check("cloudfront", "CreateContinuousDeploymentPolicy",
              {"ContinuousDeploymentPolicyConfig": conf}, where)
    checks.policy_staging_names(ctx, names)
    return {"id": ctx.fake_uuid(), "etag": "E1CDPOLICY",
            "__summary__": f"{kind or 'no traffic config'} to {len(names)} staging"}


def _traffic(ctx: Ctx, traffic: dict, where: dict, ap: str) -> dict:
    wp = "trafficConfig"
    out = ctx.pick(traffic, {"Type": "type"}, where, ap, wp)
    header = traffic.get("singleHeaderConfig")
    weight = traffic.get("singleWeightConfig")
    kind = traffic.get("type")
    if kind == "SingleHeader" and (header is None or weight is not None):
        ctx.problem(wp, "type SingleHeader takes singleHeaderConfig and no singleWeightConfig")
    if kind == "SingleWeight" and (weight is None or header is not None):
        ctx.problem(wp, "type SingleWeight takes singleWeightConfig and no singleHeaderConfig")
    if header is not None:
        out["SingleHeaderConfig"] = ctx.pick(header, {"Header": "header", "Value": "value"},
                                             where, f"{ap}.SingleHeaderConfig",
                                             f"{wp}.singleHeaderConfig")
        name = str(header.get("header", ""))
        if not name.lower().startswith(HEADER_PREFIX) or len(name) == len(HEADER_PREFIX):
            ctx.problem(f"{wp}.singleHeaderConfig.header",
                        f"{name!r}: the header must be named {HEADER_PREFIX}<name>")
    if weight is not None:
        wwp, wap = f"{wp}.singleWeightConfig", f"{ap}.SingleWeightConfig"
        out["SingleWeightConfig"] = ctx.pick(weight, {"Weight": "weight"}, where, wap, wwp)
        share = weight.get("weight")
        if isinstance(share, int | float) and not 0 < share <= MAX_WEIGHT:
            ctx.problem(f"{wwp}.weight", f"{share:g}: the staging share is above 0 and at "
                                         f"most {MAX_WEIGHT} (15 % of viewers)")
        sticky = weight.get("sessionStickinessConfig")
        if sticky is not None:
            out["SingleWeightConfig"]["SessionStickinessConfig"] = ctx.pick(
                sticky, {"IdleTTL": "idleTtl", "MaximumTTL": "maximumTtl"}, where,
                f"{wap}.SessionStickinessConfig", f"{wwp}.sessionStickinessConfig")
            lo, hi = STICKINESS_SECONDS
            for key in ("idleTtl", "maximumTtl"):
                value = sticky.get(key)
                if value is not None and not lo <= value <= hi:
                    ctx.problem(f"{wwp}.sessionStickinessConfig.{key}",
                                f"{value:g} not {lo}-{hi} seconds")
            if (sticky.get("idleTtl") or 0) > (sticky.get("maximumTtl") or hi):
                ctx.problem(f"{wwp}.sessionStickinessConfig.idleTtl",
                            "must not exceed maximumTtl")
    return out
