"""StagedDeployment: a staging distribution and the continuous-deployment policy that
sends it a slice of the primary's traffic (stack config `stagingMode`).

CloudFront continuous deployment (CloudFront Developer Guide, "Use CloudFront continuous
deployment to safely test CDN configuration changes"): the staging distribution
(`staging=True`) carries the rendered edge-config; the policy, attached to the primary by
its `continuous_deployment_policy_id`, routes to it either the requests that carry one
header (`aws-cf-cd-<name>: <value>`, SingleHeader) or a share of viewers of at most 15 %
(SingleWeight, with session stickiness 300-3600 s). Promotion is an API call
(UpdateDistributionWithStagingConfig), not a resource: README "Staged edge deployments".

The staging distribution mirrors the primary in everything but its name: no aliases
(CloudFront serves the staging distribution only through the primary's domain), its own
log prefix, and the same web ACL, since CloudFront neither associates nor disassociates a
web ACL while a policy exists and promotion copies the staging configuration, web ACL
included, onto the primary.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from infra.config import StackConfig
from infra.media_origin import LOG_PREFIX_CDN

LOG_PREFIX_CDN_STAGING = f"{LOG_PREFIX_CDN}staging/"


@dataclass
class StagedDeploymentArgs:
    config: StackConfig
    # The primary's rendered distribution arguments (origins, behaviours, certificate, web
    # ACL, ...): the staging distribution takes the same.
    rendered: dict[str, Any]
    log_bucket_domain_name: pulumi.Input[str]


class StagedDeployment(pulumi.ComponentResource):
    """The staging distribution and the policy; `policy_id` goes on the primary."""

    def __init__(self, name: str, args: StagedDeploymentArgs,
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__("edgeflix:edge:StagedDeployment", name, None, opts)
        cfg = args.config
        cf = aws.cloudfront
        child = pulumi.ResourceOptions(parent=self)
        self.distribution = cf.Distribution(
            f"{name}-cdn",
            comment=cfg.name("cdn-staging"),
            staging=True,
            logging_config=cf.DistributionLoggingConfigArgs(
                bucket=args.log_bucket_domain_name, prefix=LOG_PREFIX_CDN_STAGING,
                include_cookies=False),
            opts=child,
            **args.rendered,
        )
        self.policy = cf.ContinuousDeploymentPolicy(
            f"{name}-policy",
            enabled=True,
            staging_distribution_dns_names=cf.ContinuousDeploymentPolicyStagingDistributionDnsNamesArgs(
                items=[self.distribution.domain_name], quantity=1),
            traffic_config=_traffic_config(cfg),
            opts=child,
        )
        self.policy_id = self.policy.id
        self.register_outputs({
            "staging_distribution_id": self.distribution.id,
            "staging_domain_name": self.distribution.domain_name,
            "policy_id": self.policy_id,
        })


def _traffic_config(cfg: StackConfig) -> aws.cloudfront.ContinuousDeploymentPolicyTrafficConfigArgs:
    """stagingMode header: SingleHeader; weight: SingleWeight with session stickiness."""
    cf = aws.cloudfront
    if cfg.staging_mode == "header":
        return cf.ContinuousDeploymentPolicyTrafficConfigArgs(
            type="SingleHeader",
            single_header_config=cf.ContinuousDeploymentPolicyTrafficConfigSingleHeaderConfigArgs(
                header=cfg.staging_header, value=cfg.staging_header_value))
    return cf.ContinuousDeploymentPolicyTrafficConfigArgs(
        type="SingleWeight",
        single_weight_config=cf.ContinuousDeploymentPolicyTrafficConfigSingleWeightConfigArgs(
            weight=cfg.staging_weight,
            session_stickiness_config=cf.
            ContinuousDeploymentPolicyTrafficConfigSingleWeightConfigSessionStickinessConfigArgs(
                idle_ttl=cfg.staging_session_idle_ttl,
                maximum_ttl=cfg.staging_session_max_ttl)))
