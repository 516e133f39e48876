"""Alarms: ALB 5xx, unhealthy targets and target 5xx per service, CloudFront 5xx rate, cache
hit rate and origin latency, WAF playback blocks.

Each API service (app/service_map.py) has its own target group, so its unhealthy targets and
its 5xx answers alarm on their own (AWS/ApplicationELB with the TargetGroup dimension,
Elastic Load Balancing User Guide, "CloudWatch metrics for your Application Load Balancer"):
a failed service shows alone.

CloudFront's metrics (CloudFront Developer Guide, "Types of metrics for CloudFront"): namespace
AWS/CloudFront in us-east-1 only, dimensions DistributionId and Region=Global; CacheHitRate
(percent, Average) and OriginLatency (milliseconds, percentiles) exist only with the
distribution's additional metrics turned on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from app.service_map import SERVICES
from infra.config import StackConfig


@dataclass
class AlarmsArgs:
    config: StackConfig
    alb_arn_suffix: pulumi.Input[str]
    # Per service name (app/service_map.py): its target group's ARN suffix.
    target_group_arn_suffixes: Mapping[str, pulumi.Input[str]]
    # CloudFront publishes its metrics in us-east-1 only; None when the stack lives there.
    global_provider: pulumi.ProviderResource | None = None


class Alarms(pulumi.ComponentResource):
    """Alarms on the fleet and the edge, notifying one SNS topic per region.

    The two ALB 5xx alarms also stop and roll back an instance refresh of a shared group
    (see ApiFleet); a dedicated group's refresh stops on its own service's target 5xx and
    the ALB's own 5xx. So they are created before the fleet; the CloudFront alarm comes
    with `watch_edge`.
    """

    def __init__(self, name: str, args: AlarmsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("edgeflix:alarms:Alarms", name, None, opts)
        self._name_prefix = name
        self._cfg = cfg = args.config
        self._global_provider = args.global_provider
        child = pulumi.ResourceOptions(parent=self)

        self.topic = self._topic(f"{name}-topic", child)
        lb_dims = {"LoadBalancer": args.alb_arn_suffix}

        self.target_5xx = self._alarm(
            "api-target-5xx", "API instances answer 5xx (fails an instance refresh)",
            "AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", lb_dims,
            statistic="Sum", threshold=cfg.alb_5xx_threshold, periods=2,
            topic=self.topic, opts=child,
        )
        self.elb_5xx = self._alarm(
            "api-elb-5xx", "The ALB itself answers 5xx: no healthy target or bad gateway",
            "AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", lb_dims,
            statistic="Sum", threshold=cfg.alb_5xx_threshold, periods=2,
            topic=self.topic, opts=child,
        )
        self.rollback_alarm_names = [self.target_5xx.name, self.elb_5xx.name]
        # Per service: its unhealthy targets and its 5xx answers, by its target group.
        self.unhealthy: dict[str, aws.cloudwatch.MetricAlarm] = {}
        self.service_target_5xx: dict[str, aws.cloudwatch.MetricAlarm] = {}
        for service in SERVICES:
            tg_dims = {"LoadBalancer": args.alb_arn_suffix,
                       "TargetGroup": args.target_group_arn_suffixes[service.name]}
            self.unhealthy[service.name] = self._alarm(
                f"api-{service.name}-unhealthy-targets",
                f"At least one {service.name} target fails its health check",
                "AWS/ApplicationELB", "UnHealthyHostCount", tg_dims,
                statistic="Maximum", threshold=1, periods=3,
                topic=self.topic, opts=child,
            )
            self.service_target_5xx[service.name] = self._alarm(
                f"api-{service.name}-target-5xx",
                f"The {service.name} service answers 5xx (fails its dedicated group's "
                "instance refresh)",
                "AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", tg_dims,
                statistic="Sum", threshold=cfg.alb_5xx_threshold, periods=2,
                topic=self.topic, opts=child,
            )
        self.service_rollback_alarm_names = {
            service: [alarm.name, self.elb_5xx.name]
            for service, alarm in self.service_target_5xx.items()}
        self.cdn_5xx: aws.cloudwatch.MetricAlarm | None = None
        self.cache_hit_rate: aws.cloudwatch.MetricAlarm | None = None
        self.origin_latency: aws.cloudwatch.MetricAlarm | None = None
        self.waf_blocks: aws.cloudwatch.MetricAlarm | None = None
        self._global: tuple[pulumi.ResourceOptions, aws.sns.Topic] | None = None
        self.register_outputs({
            "topic_arn": self.topic.arn,
            "rollback_alarm_names": self.rollback_alarm_names,
        })

    def _topic(self, name: str, opts: pulumi.ResourceOptions) -> aws.sns.Topic:
        topic = aws.sns.Topic(name, name=self._cfg.name("alarms"), opts=opts)
        if self._cfg.alarm_email:
            aws.sns.TopicSubscription(
                name, topic=topic.arn, protocol="email", endpoint=self._cfg.alarm_email,
                opts=opts)
        return topic

    def _alarm(
        self,
        key: str,
        description: str,
        namespace: str,
        metric: str,
        dimensions: dict[str, pulumi.Input[str]],
        *,
        statistic: str,
        threshold: float,
        periods: int,
        topic: aws.sns.Topic,
        opts: pulumi.ResourceOptions,
        period: int = 60,
        comparison: str = "GreaterThanOrEqualToThreshold",
    ) -> aws.cloudwatch.MetricAlarm:
        """One alarm that needs `periods` breaching datapoints in a row, notifying `topic`.
        A statistic `pNN` is a percentile (CloudWatch's extended statistic)."""
        percentile = statistic.startswith("p")
        return aws.cloudwatch.MetricAlarm(
            f"{self._name_prefix}-{key.removeprefix('api-')}",
            name=self._cfg.name(key),
            alarm_description=description,
            namespace=namespace,
            metric_name=metric,
            dimensions=dimensions,
            statistic=None if percentile else statistic,
            extended_statistic=statistic if percentile else None,
            period=period,
            evaluation_periods=periods,
            datapoints_to_alarm=periods,
            threshold=threshold,
            comparison_operator=comparison,
            treat_missing_data="notBreaching",
            alarm_actions=[topic.arn],
            ok_actions=[topic.arn],
            opts=opts,
        )

    def _in_us_east_1(self) -> tuple[pulumi.ResourceOptions, aws.sns.Topic]:
        """Options and topic for alarms on CloudFront and WAF metrics, which live in
        us-east-1 only: the stack's own topic there, else one more topic in us-east-1."""
        if self._global is None:
            opts = pulumi.ResourceOptions(parent=self)
            topic = self.topic
            if self._global_provider is not None:
                opts = pulumi.ResourceOptions(parent=self, provider=self._global_provider)
                topic = self._topic(f"{self._name_prefix}-topic-us-east-1", opts)
            self._global = opts, topic
        return self._global

    def watch_edge(self, distribution_id: pulumi.Input[str]) -> aws.cloudwatch.MetricAlarm:
        """The CloudFront 5xx-rate alarm, in us-east-1 where CloudFront metrics live."""
        opts, topic = self._in_us_east_1()
        self.cdn_5xx = self._alarm(
            "cdn-5xx-rate", "Share of CloudFront responses that are 5xx",
            "AWS/CloudFront", "5xxErrorRate",
            {"DistributionId": distribution_id, "Region": "Global"},
            statistic="Average", threshold=self._cfg.cdn_5xx_rate_threshold, periods=2,
            period=300, comparison="GreaterThanThreshold", topic=topic, opts=opts,
        )
        return self.cdn_5xx

    def watch_cache(self, distribution_id: pulumi.Input[str]) -> None:
        """Cache hit rate below cacheHitRateFloor, and p90 origin latency above
        originLatencyThreshold, over three 5-minute periods: the CDN stops shielding the
        origins, or the origins slow down. Both read additional metrics, so both need the
        distribution's monitoring subscription."""
        opts, topic = self._in_us_east_1()
        dims = {"DistributionId": distribution_id, "Region": "Global"}
        self.cache_hit_rate = self._alarm(
            "cdn-cache-hit-rate", "Share of CloudFront requests served from cache is low",
            "AWS/CloudFront", "CacheHitRate", dims,
            statistic="Average", threshold=self._cfg.cache_hit_rate_floor, periods=3,
            period=300, comparison="LessThanThreshold", topic=topic, opts=opts,
        )
        self.origin_latency = self._alarm(
            "cdn-origin-latency", "CloudFront waits long for the origins (p90, ms)",
            "AWS/CloudFront", "OriginLatency", dims,
            statistic="p90", threshold=self._cfg.origin_latency_threshold, periods=3,
            period=300, comparison="GreaterThanThreshold", topic=topic, opts=opts,
        )

    def watch_firewall(self, web_acl_metric: str, rate_rule_metric: str,
                       ) -> aws.cloudwatch.MetricAlarm:
        """Clients blocked by the playback rate rule: someone hammers playback, or the limit
        is too low for viewers sharing one address. A CloudFront web ACL's metrics live in
        us-east-1 with no Region dimension."""
        opts, topic = self._in_us_east_1()
        self.waf_blocks = self._alarm(
            "waf-playback-blocked", "Clients rate-limited (429) on playback at the edge",
            "AWS/WAFV2", "BlockedRequests", {"WebACL": web_acl_metric, "Rule": rate_rule_metric},
            statistic="Sum", threshold=1, periods=1, period=300, topic=topic, opts=opts,
        )
        return self.waf_blocks
