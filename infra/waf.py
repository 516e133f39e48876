"""EdgeFirewall: the AWS WAF web ACL in front of the distribution.

The API's own playback limit is per profile and per gunicorn worker: it cannot stop one
client hammering `POST /api/v1/titles/{id}/playback` (each call signs cookies and writes
DynamoDB) across the fleet. The edge can, per client IP, before a request reaches the ALB.

AWS managed rules chosen: the Amazon IP reputation list and known bad inputs (Log4j,
Java deserialisation, host-header tricks). Not the Common Rule Set: its
NoUserAgent_HEADER, SizeRestrictions_* and body XSS/LFI rules can block real players
and API calls (devices without a User-Agent, JSON bodies that look like markup), and the
API already validates its small JSON bodies strictly (known members only, 4 KB at most).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_aws.wafv2 as w
from pulumi_aws.wafv2 import (
    WebAclRuleStatementRateBasedStatementScopeDownStatementAndStatementArgs as AllOf,
)
from pulumi_aws.wafv2 import (
    WebAclRuleStatementRateBasedStatementScopeDownStatementArgs as ScopeDown,
)
from pulumi_aws.wafv2 import (
    WebAclRuleStatementRateBasedStatementScopeDownStatementByteMatchStatementArgs as ByteMatch,
)
from pulumi_aws.wafv2 import (
    WebAclRuleStatementRateBasedStatementScopeDownStatementByteMatchStatementFieldToMatchArgs as ByteField,  # noqa: E501
)
from pulumi_aws.wafv2 import (
    WebAclRuleStatementRateBasedStatementScopeDownStatementByteMatchStatementFieldToMatchMethodArgs as Method,  # noqa: E501
)
from pulumi_aws.wafv2 import (
    WebAclRuleStatementRateBasedStatementScopeDownStatementByteMatchStatementTextTransformationArgs as ByteTransform,  # noqa: E501
)
from pulumi_aws.wafv2 import (
    WebAclRuleStatementRateBasedStatementScopeDownStatementRegexMatchStatementArgs as RegexMatch,
)
from pulumi_aws.wafv2 import (
    WebAclRuleStatementRateBasedStatementScopeDownStatementRegexMatchStatementFieldToMatchArgs as RegexField,  # noqa: E501
)
from pulumi_aws.wafv2 import (
    WebAclRuleStatementRateBasedStatementScopeDownStatementRegexMatchStatementFieldToMatchUriPathArgs as UriPath,  # noqa: E501
)
from pulumi_aws.wafv2 import (
    WebAclRuleStatementRateBasedStatementScopeDownStatementRegexMatchStatementTextTransformationArgs as RegexTransform,  # noqa: E501
)

from infra.config import StackConfig

# The playback path of app/playback_api.py (`/titles/<title_id>/playback` under /api/v1):
# any one path segment as the id, so unknown ids count too; a test checks it against
# the OpenAPI spec. Matched after URL-decoding and path normalisation, as the API sees it.
PLAYBACK_PATH_REGEX = r"^/api/v1/titles/[^/]+/playback/?$"
PLAYBACK_METHOD = "POST"
RATE_RULE = "playback-rate"
RATE_LIMITED_BODY = "playback-rate-limited"
# AWS WAF only delivers to CloudWatch Logs groups whose names start with this (AWS WAF
# Developer Guide, "Sending web ACL traffic logs to an Amazon CloudWatch Logs log group").
WAF_LOG_GROUP_PREFIX = "aws-waf-logs-"
# Never logged: the signed cookies (CloudFront-Policy/-Signature/-Key-Pair-Id) and bearer
# tokens grant playback to whoever holds them.
REDACTED_HEADERS = ("cookie", "authorization")
# (rule name, AWS managed rule group), evaluated after the rate rule, in this order.
MANAGED_RULE_GROUPS = (
    ("aws-ip-reputation", "AWSManagedRulesAmazonIpReputationList"),
    ("aws-known-bad-inputs", "AWSManagedRulesKnownBadInputsRuleSet"),
)


def rate_limited_problem() -> str:
    """The 429 body: a problem document like the API's (app/problems.py), minus `instance`
    (WAF cannot put the request path in a static body)."""
    return json.dumps({
        "type": "about:blank",
        "title": "Too Many Requests",
        "status": 429,
        "detail": "Too many playback requests from this address; try again later.",
    })


@dataclass
class EdgeFirewallArgs:
    config: StackConfig
    # A CLOUDFRONT-scope web ACL lives in us-east-1; None when the stack lives there.
    global_provider: pulumi.ProviderResource | None = None


class EdgeFirewall(pulumi.ComponentResource):
    """A CLOUDFRONT-scope web ACL: allow by default, a per-IP rate limit on playback
    authorisations answered 429, and two AWS managed rule groups; metrics on every rule;
    every request logged to a CloudWatch Logs group."""

    def __init__(self, name: str, args: EdgeFirewallArgs,
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__("edgeflix:waf:EdgeFirewall", name, None, opts)
        cfg = args.config
        self.metric_name = cfg.name("waf")
        self.rate_rule_metric_name = f"{self.metric_name}-{RATE_RULE}"
        rules = [self._rate_rule(cfg, priority=0)] + [
            self._managed_rule(rule, group, priority)
            for priority, (rule, group) in enumerate(MANAGED_RULE_GROUPS, start=1)
        ]
        self.web_acl = w.WebAcl(
            f"{name}-acl",
            name=self.metric_name,
            description=f"{cfg.name('cdn')} edge firewall: playback rate limit, AWS managed rules",
            scope="CLOUDFRONT",
            default_action=w.WebAclDefaultActionArgs(allow=w.WebAclDefaultActionAllowArgs()),
            custom_response_bodies=[w.WebAclCustomResponseBodyArgs(
                key=RATE_LIMITED_BODY, content_type="APPLICATION_JSON",
                content=rate_limited_problem())],
            rules=rules,
            visibility_config=w.WebAclVisibilityConfigArgs(
                cloudwatch_metrics_enabled=True, sampled_requests_enabled=True,
                metric_name=self.metric_name),
            opts=pulumi.ResourceOptions(parent=self, provider=args.global_provider),
        )
        self.web_acl_arn = self.web_acl.arn
        self.log_group, self.logging = self._logging(name, cfg, args.global_provider)
        self.register_outputs({
            "web_acl_arn": self.web_acl_arn,
            "web_acl_id": self.web_acl.id,
            "metric_name": self.metric_name,
            "rate_rule_metric_name": self.rate_rule_metric_name,
            "log_group": self.log_group.name,
        })

    def _logging(self, name: str, cfg: StackConfig,
                 provider: pulumi.ProviderResource | None,
                 ) -> tuple[aws.cloudwatch.LogGroup, w.WebAclLoggingConfiguration]:
        """Every request the ACL sees, to a CloudWatch Logs group in the ACL's region
        (us-east-1 for CLOUDFRONT scope), kept logRetentionDays, secrets redacted."""
        opts = pulumi.ResourceOptions(parent=self, provider=provider)
        group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=f"{WAF_LOG_GROUP_PREFIX}{cfg.name('edge')}",
            retention_in_days=cfg.log_group_retention_days,
            opts=opts,
        )
        logging = w.WebAclLoggingConfiguration(
            f"{name}-logging",
            resource_arn=self.web_acl.arn,
            log_destination_configs=[group.arn],
            redacted_fields=[
                w.WebAclLoggingConfigurationRedactedFieldArgs(
                    single_header=w.WebAclLoggingConfigurationRedactedFieldSingleHeaderArgs(
                        name=header))
                for header in REDACTED_HEADERS
            ],
            opts=opts,
        )
        return group, logging

    def _visibility(self, rule: str) -> w.WebAclRuleVisibilityConfigArgs:
        return w.WebAclRuleVisibilityConfigArgs(
            cloudwatch_metrics_enabled=True, sampled_requests_enabled=True,
            metric_name=f"{self.metric_name}-{rule}")

    def _rate_rule(self, cfg: StackConfig, priority: int) -> w.WebAclRuleArgs:
        """Per client IP: more than playbackRateLimit playback POSTs in playbackRateWindow
        seconds are blocked with the 429 problem document until the rate drops."""
        is_post = ScopeDown(byte_match_statement=ByteMatch(
            search_string=PLAYBACK_METHOD, positional_constraint="EXACTLY",
            field_to_match=ByteField(method=Method()),
            text_transformations=[ByteTransform(priority=0, type="NONE")]))
        is_playback = ScopeDown(regex_match_statement=RegexMatch(
            regex_string=PLAYBACK_PATH_REGEX,
            field_to_match=RegexField(uri_path=UriPath()),
            text_transformations=[RegexTransform(priority=0, type="URL_DECODE"),
                                  RegexTransform(priority=1, type="NORMALIZE_PATH")]))
        return w.WebAclRuleArgs(
            name=RATE_RULE,
            priority=priority,
            action=w.WebAclRuleActionArgs(block=w.WebAclRuleActionBlockArgs(
                custom_response=w.WebAclRuleActionBlockCustomResponseArgs(
                    response_code=429,
                    custom_response_body_key=RATE_LIMITED_BODY,
                    response_headers=[
                        w.WebAclRuleActionBlockCustomResponseResponseHeaderArgs(
                            name="Retry-After", value=str(cfg.playback_rate_window)),
                        w.WebAclRuleActionBlockCustomResponseResponseHeaderArgs(
                            name="Cache-Control", value="private, no-store"),
                    ]))),
            statement=w.WebAclRuleStatementArgs(
                rate_based_statement=w.WebAclRuleStatementRateBasedStatementArgs(
                    aggregate_key_type="IP",
                    limit=cfg.playback_rate_limit,
                    evaluation_window_sec=cfg.playback_rate_window,
                    scope_down_statement=ScopeDown(
                        and_statement=AllOf(statements=[is_post, is_playback])),
                )),
            visibility_config=self._visibility(RATE_RULE),
        )

    def _managed_rule(self, rule: str, group: str, priority: int) -> w.WebAclRuleArgs:
        """An AWS managed rule group with its own actions (override none)."""
        return w.WebAclRuleArgs(
            name=rule,
            priority=priority,
            override_action=w.WebAclRuleOverrideActionArgs(
                none=w.WebAclRuleOverrideActionNoneArgs()),
            statement=w.WebAclRuleStatementArgs(
                managed_rule_group_statement=w.WebAclRuleStatementManagedRuleGroupStatementArgs(
                    vendor_name="AWS", name=group)),
            visibility_config=self._visibility(rule),
        )
