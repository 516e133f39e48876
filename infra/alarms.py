"""Alarms: ALB 5xx, unhealthy targets, CloudFront 5xx rate."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from infra.config import StackConfig


@dataclass
class AlarmsArgs:
    config: StackConfig
    alb_arn_suffix: pulumi.Input[str]
    target_group_arn_suffix: pulumi.Input[str]
    # CloudFront publishes its metrics in us-east-1 only; None when the stack lives there.
    global_provider: pulumi.ProviderResource | None = None


class Alarms(pulumi.ComponentResource):
    """Alarms on the fleet and the edge, notifying one SNS topic per region.

    The two ALB 5xx alarms also stop and roll back an instance refresh (see ApiFleet),
    so they are created before the fleet; the CloudFront alarm comes with `watch_edge`.
    """

    def __init__(self, name: str, args: AlarmsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("edgeflix:alarms:Alarms", name, None, opts)
        self._name_prefix = name
        self._cfg = cfg = args.config
        self._global_provider = args.global_provider
        child = pulumi.ResourceOptions(parent=self)

        self.topic = self._topic(f"{name}-topic", child)
        lb_dims = {"LoadBalancer": args.alb_arn_suffix}
        tg_dims = {"LoadBalancer": args.alb_arn_suffix, "TargetGroup": args.target_group_arn_suffix}

        self.target_5xx = aws.cloudwatch.MetricAlarm(
            f"{name}-target-5xx",
            name=cfg.name("api-target-5xx"),
            alarm_description="API instances answer 5xx (fails an instance refresh)",
            namespace="AWS/ApplicationELB",
            metric_name="HTTPCode_Target_5XX_Count",
            dimensions=lb_dims,
            statistic="Sum",
            period=60,
            evaluation_periods=2,
            datapoints_to_alarm=2,
            threshold=cfg.alb_5xx_threshold,
            comparison_operator="GreaterThanOrEqualToThreshold",
            treat_missing_data="notBreaching",
            alarm_actions=[self.topic.arn],
            ok_actions=[self.topic.arn],
            opts=child,
        )
        self.elb_5xx = aws.cloudwatch.MetricAlarm(
            f"{name}-elb-5xx",
            name=cfg.name("api-elb-5xx"),
            alarm_description="The ALB itself answers 5xx: no healthy target or bad gateway",
            namespace="AWS/ApplicationELB",
            metric_name="HTTPCode_ELB_5XX_Count",
            dimensions=lb_dims,
            statistic="Sum",
            period=60,
            evaluation_periods=2,
            datapoints_to_alarm=2,
            threshold=cfg.alb_5xx_threshold,
            comparison_operator="GreaterThanOrEqualToThreshold",
            treat_missing_data="notBreaching",
            alarm_actions=[self.topic.arn],
            ok_actions=[self.topic.arn],
            opts=child,
        )
        self.unhealthy = aws.cloudwatch.MetricAlarm(
            f"{name}-unhealthy-targets",
            name=cfg.name("api-unhealthy-targets"),
            alarm_description="At least one API target fails its health check",
            namespace="AWS/ApplicationELB",
            metric_name="UnHealthyHostCount",
            dimensions=tg_dims,
            statistic="Maximum",
            period=60,
            evaluation_periods=3,
            datapoints_to_alarm=3,
            threshold=1,
            comparison_operator="GreaterThanOrEqualToThreshold",
            treat_missing_data="notBreaching",
            alarm_actions=[self.topic.arn],
            ok_actions=[self.topic.arn],
            opts=child,
        )
        self.rollback_alarm_names = [self.target_5xx.name, self.elb_5xx.name]
        self.cdn_5xx: aws.cloudwatch.MetricAlarm | None = None
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

    def watch_edge(self, distribution_id: pulumi.Input[str]) -> aws.cloudwatch.MetricAlarm:
        """The CloudFront 5xx-rate alarm, in us-east-1 where CloudFront metrics live."""
        name = self._name_prefix
        opts = pulumi.ResourceOptions(parent=self)
        topic = self.topic
        if self._global_provider is not None:
            opts = pulumi.ResourceOptions(parent=self, provider=self._global_provider)
            topic = self._topic(f"{name}-topic-us-east-1", opts)
        self.cdn_5xx = aws.cloudwatch.MetricAlarm(
            f"{name}-cdn-5xx-rate",
            name=self._cfg.name("cdn-5xx-rate"),
            alarm_description="Share of CloudFront responses that are 5xx",
            namespace="AWS/CloudFront",
            metric_name="5xxErrorRate",
            dimensions={"DistributionId": distribution_id, "Region": "Global"},
            statistic="Average",
            period=300,
            evaluation_periods=2,
            datapoints_to_alarm=2,
            threshold=self._cfg.cdn_5xx_rate_threshold,
            comparison_operator="GreaterThanThreshold",
            treat_missing_data="notBreaching",
            alarm_actions=[topic.arn],
            ok_actions=[topic.arn],
            opts=opts,
        )
        return self.cdn_5xx
