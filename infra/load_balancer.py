"""LoadBalancer: the ALB that only CloudFront can use."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from infra.config import StackConfig
from infra.media_origin import LOG_PREFIX_ALB

CLOUDFRONT_PREFIX_LIST = "com.amazonaws.global.cloudfront.origin-facing"
ORIGIN_VERIFY_HEADER = "X-Origin-Verify"
LISTENER_PORT = 80  # edge-config's api origin is http-only: the ALB's DNS name has no cert


@dataclass
class LoadBalancerArgs:
    config: StackConfig
    vpc_id: pulumi.Input[str]
    public_subnet_ids: list[pulumi.Input[str]]
    log_bucket: pulumi.Input[str]
    log_bucket_policy: pulumi.Resource


class LoadBalancer(pulumi.ComponentResource):
    """An internet-facing ALB reachable only from CloudFront's origin-facing prefix list,
    forwarding only requests that carry the secret `X-Origin-Verify` header."""

    def __init__(self, name: str, args: LoadBalancerArgs,
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__("edgeflix:lb:LoadBalancer", name, None, opts)
        cfg = args.config
        child = pulumi.ResourceOptions(parent=self)

        prefix_list = aws.ec2.get_managed_prefix_list(
            name=CLOUDFRONT_PREFIX_LIST, opts=pulumi.InvokeOptions(parent=self))
        self.security_group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            vpc_id=args.vpc_id,
            description="ALB: HTTP from CloudFront origin-facing servers only",
            tags={"Name": cfg.name("alb")},
            opts=child,
        )
        # One rule, one port: the prefix list counts ~55 entries against the SG quota.
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-from-cloudfront",
            security_group_id=self.security_group.id,
            ip_protocol="tcp",
            from_port=LISTENER_PORT,
            to_port=LISTENER_PORT,
            prefix_list_id=prefix_list.id,
            description="CloudFront origin-facing",
            opts=child,
        )
        for i, cidr in enumerate(cfg.private_subnet_cidrs):
            aws.vpc.SecurityGroupEgressRule(
                f"{name}-to-api-{i}",
                security_group_id=self.security_group.id,
                ip_protocol="tcp",
                from_port=cfg.api_port,
                to_port=cfg.api_port,
                cidr_ipv4=str(cidr),
                description="API instances in the private subnets",
                opts=child,
            )

        self.origin_verify = random.RandomPassword(
            f"{name}-origin-verify", length=48, special=False, opts=child)
        self.origin_verify_value = pulumi.Output.secret(self.origin_verify.result)

        self.alb = aws.lb.LoadBalancer(
            f"{name}-alb",
            load_balancer_type="application",
            internal=False,
            security_groups=[self.security_group.id],
            subnets=args.public_subnet_ids,
            idle_timeout=cfg.alb_idle_timeout,
            drop_invalid_header_fields=True,
            desync_mitigation_mode="strictest",
            enable_http2=True,
            enable_deletion_protection=not cfg.force_destroy,
            access_logs=aws.lb.LoadBalancerAccessLogsArgs(
                bucket=args.log_bucket, prefix=LOG_PREFIX_ALB, enabled=True),
            # The ALB checks it may write its logs when it is created.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[args.log_bucket_policy]),
        )
        self.target_group = aws.lb.TargetGroup(
            f"{name}-api",
            port=cfg.api_port,
            protocol="HTTP",
            target_type="instance",
            vpc_id=args.vpc_id,
            deregistration_delay=cfg.deregistration_delay,
            health_check=aws.lb.TargetGroupHealthCheckArgs(
                enabled=True,
                path=cfg.health_check_path,
                port="traffic-port",
                protocol="HTTP",
                matcher="200",
                interval=10,
                timeout=5,
                healthy_threshold=2,
                unhealthy_threshold=2,
            ),
            opts=child,
        )
        self.listener = aws.lb.Listener(
            f"{name}-http",
            load_balancer_arn=self.alb.arn,
            port=LISTENER_PORT,
            protocol="HTTP",
            default_actions=[aws.lb.ListenerDefaultActionArgs(
                type="fixed-response",
                fixed_response=aws.lb.ListenerDefaultActionFixedResponseArgs(
                    content_type="text/plain", message_body="Forbidden", status_code="403"),
            )],
            opts=child,
        )
        self.forward_rule = aws.lb.ListenerRule(
            f"{name}-from-cloudfront",
            listener_arn=self.listener.arn,
            priority=10,
            conditions=[aws.lb.ListenerRuleConditionArgs(
                http_header=aws.lb.ListenerRuleConditionHttpHeaderArgs(
                    http_header_name=ORIGIN_VERIFY_HEADER,
                    values=[self.origin_verify_value],
                ),
            )],
            actions=[aws.lb.ListenerRuleActionArgs(
                type="forward", target_group_arn=self.target_group.arn)],
            opts=child,
        )

        self.dns_name = self.alb.dns_name
        self.arn_suffix = self.alb.arn_suffix
        self.target_group_arn = self.target_group.arn
        self.target_group_arn_suffix = self.target_group.arn_suffix
        self.security_group_id = self.security_group.id
        self.register_outputs({
            "alb_dns_name": self.dns_name,
            "alb_arn_suffix": self.arn_suffix,
            "target_group_arn": self.target_group_arn,
            "target_group_arn_suffix": self.target_group_arn_suffix,
            "security_group_id": self.security_group_id,
        })
