"""Checks of CloudFront continuous deployment across the stack: a policy names staging
distributions of the stack; a primary names a policy of the stack, is not itself staging,
and neither it nor its staging distribution offers HTTP/3; the staging distribution has
no aliases and the same web ACL as the primary.

Source: CloudFront Developer Guide, "Quotas and other considerations for continuous
deployment" (no HTTP/3; no web ACL association changes while a policy exists, and
promotion copies the staging configuration onto the primary; a staging distribution is
reached only through its primary).
"""

from __future__ import annotations

from ..context import Ctx, Record

DISTRIBUTION = "aws:cloudfront/distribution"
POLICY = "aws:cloudfront/continuousDeploymentPolicy"


def policy_staging_names(ctx: Ctx, names: list[str]) -> None:
    """Each staging DNS name is the domain of a staging distribution of this stack."""
    staging = {r.outputs.get("domainName"): r for r in ctx.find(DISTRIBUTION)}
    for i, name in enumerate(names):
        found = staging.get(name)
        if found is None:
            ctx.problem(f"stagingDistributionDnsNames.items[{i}]",
                        f"{name!r} is not the domain of a distribution of this stack")
        elif not found.inputs.get("staging"):
            ctx.problem(f"stagingDistributionDnsNames.items[{i}]",
                        f"{name!r} is distribution {found.name}, which is not a staging "
                        "distribution (staging: true)")


def distribution_continuous_deployment(ctx: Ctx) -> None:
    """A distribution's part in continuous deployment, judged once the graph is whole."""
    if ctx.inputs.get("staging") and ctx.inputs.get("continuousDeploymentPolicyId"):
        ctx.problem("continuousDeploymentPolicyId", "a staging distribution takes no "
                                                    "continuous-deployment policy; the "
                                                    "primary does")
    if ctx.inputs.get("staging") and ctx.inputs.get("aliases"):
        ctx.problem("aliases", "a staging distribution has no alternate domain names; "
                               "viewers reach it through the primary")
    if ctx.inputs.get("continuousDeploymentPolicyId") and not ctx.inputs.get("staging"):
        ctx.defer(lambda: _primary(ctx, ctx.inputs["continuousDeploymentPolicyId"]))


def _primary(ctx: Ctx, policy_id: str) -> None:
    policy = next((r for r in ctx.find(POLICY) if r.id == policy_id), None)
    if policy is None:
        ctx.problem("continuousDeploymentPolicyId",
                    f"{policy_id!r} is not a continuous-deployment policy of this stack")
        return
    if "3" in str(ctx.inputs.get("httpVersion", "")):
        ctx.problem("httpVersion", f"{ctx.inputs['httpVersion']}: CloudFront refuses "
                                   "continuous deployment on a distribution with HTTP/3")
    names = (policy.inputs.get("stagingDistributionDnsNames") or {}).get("items") or []
    for staging in ctx.find(DISTRIBUTION):
        if staging.outputs.get("domainName") in names:
            _staging_mirrors_primary(ctx, staging)


def _staging_mirrors_primary(ctx: Ctx, staging: Record) -> None:
    if "3" in str(staging.inputs.get("httpVersion", "")):
        ctx.problem("httpVersion", f"staging distribution {staging.name} offers "
                                   f"{staging.inputs['httpVersion']}: no HTTP/3 with "
                                   "continuous deployment")
    if staging.inputs.get("webAclId") != ctx.inputs.get("webAclId"):
        ctx.problem("webAclId", f"staging distribution {staging.name} has web ACL "
                                f"{staging.inputs.get('webAclId')!r}, the primary "
                                f"{ctx.inputs.get('webAclId')!r}: promotion would change "
                                "the association, which CloudFront refuses while a policy "
                                "exists")
