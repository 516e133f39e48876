"""ViewerPathDashboard: one CloudWatch dashboard that follows a viewer's request from the
edge to the table: edge requests, cache hit rate, 4xx/5xx rates, origin latency, healthy
and unhealthy targets per API service, the fleet's size (per Auto Scaling group), DynamoDB
throttles.

Metric names and dimensions are AWS's: CloudFront's live in us-east-1 with Region=Global
(CloudFront Developer Guide, "Types of metrics for CloudFront"; CacheHitRate and
OriginLatency only with additional metrics on); the ALB's, Auto Scaling's and DynamoDB's in
the stack's region (their user guides' CloudWatch metrics pages).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from infra.config import StackConfig

CLOUDFRONT_METRICS_REGION = "us-east-1"
PERIOD = 300  # seconds per datapoint, every widget


@dataclass
class ViewerPathDashboardArgs:
    config: StackConfig
    distribution_id: pulumi.Input[str]
    alb_arn_suffix: pulumi.Input[str]
    # Per service name: its target group's ARN suffix, and its Auto Scaling group's name
    # (the same group for every service when they share one).
    target_group_arn_suffixes: Mapping[str, pulumi.Input[str]]
    asg_names: Mapping[str, pulumi.Input[str]]
    table_name: pulumi.Input[str]


def _widget(title: str, region: str, metrics: list[list[Any]], stat: str,
            x: int, y: int) -> dict[str, Any]:
    return {"type": "metric", "x": x, "y": y, "width": 8, "height": 6,
            "properties": {"title": title, "region": region, "view": "timeSeries",
                           "stacked": False, "period": PERIOD, "stat": stat,
                           "metrics": metrics}}


def dashboard_body(cfg: StackConfig, distribution_id: str, alb: str,
                   target_groups: Mapping[str, str], asgs: Mapping[str, str],
                   table: str) -> str:
    """The dashboard's JSON (CloudWatch API Reference, "Dashboard Body Structure and
    Syntax"): three rows of three widgets, viewer side first. `target_groups` and `asgs`
    map each API service to its target group's ARN suffix and its Auto Scaling group."""
    cdn = ["DistributionId", distribution_id, "Region", "Global"]
    edge, here = CLOUDFRONT_METRICS_REGION, cfg.region
    widgets = [
        _widget("Edge requests", edge, [["AWS/CloudFront", "Requests", *cdn]], "Sum", 0, 0),
        _widget("Cache hit rate (%)", edge,
                [["AWS/CloudFront", "CacheHitRate", *cdn]], "Average", 8, 0),
        _widget("Edge 4xx / 5xx (%)", edge,
                [["AWS/CloudFront", "4xxErrorRate", *cdn],
                 ["AWS/CloudFront", "5xxErrorRate", *cdn]], "Average", 16, 0),
        _widget("Origin latency p90 (ms)", edge,
                [["AWS/CloudFront", "OriginLatency", *cdn]], "p90", 0, 6),
        # One line per service and metric: a failed service shows alone.
        _widget("Healthy / unhealthy API targets per service", here,
                [["AWS/ApplicationELB", metric, "TargetGroup", target_group,
                  "LoadBalancer", alb, {"label": f"{service} {metric}"}]
                 for service, target_group in target_groups.items()
                 for metric in ("HealthyHostCount", "UnHealthyHostCount")],
                "Minimum", 8, 6),
        _widget("API fleet size", here,
                [["AWS/AutoScaling", metric, "AutoScalingGroupName", asg]
                 for asg in dict.fromkeys(asgs.values())
                 for metric in ("GroupInServiceInstances", "GroupDesiredCapacity")],
                "Average", 16, 6),
        _widget("DynamoDB throttled reads / writes", here,
                [["AWS/DynamoDB", metric, "TableName", table]
                 for metric in ("ReadThrottleEvents", "WriteThrottleEvents")],
                "Sum", 0, 12),
    ]
    return json.dumps({"widgets": widgets})


class ViewerPathDashboard(pulumi.ComponentResource):
    """The dashboard, in the stack's region (each widget names the region of its metrics)."""

    def __init__(self, name: str, args: ViewerPathDashboardArgs,
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__("edgeflix:dashboard:ViewerPathDashboard", name, None, opts)
        cfg = args.config
        body = pulumi.Output.all(args.distribution_id, args.alb_arn_suffix,
                                 dict(args.target_group_arn_suffixes), dict(args.asg_names),
                                 args.table_name).apply(
            lambda v: dashboard_body(cfg, *v))
        self.dashboard = aws.cloudwatch.Dashboard(
            name,
            dashboard_name=cfg.name("viewer-path"),
            dashboard_body=body,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"dashboard_name": self.dashboard.dashboard_name})
