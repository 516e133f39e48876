"""LoadBalancer: the ALB that only CloudFront can use.

Where it lives follows `apiOrigin`. `public`: internet-facing, in the public subnets, its
security group admitting CloudFront's origin-facing prefix list. `vpc`: internal, in the
private subnets, reached only through a CloudFront VPC origin (CloudFront Developer Guide,
"Restrict access with VPC origins"); its security group admits the origin-facing prefix
list until `vpcOriginSecurityGroupId` names the CloudFront-VPCOrigins-Service-SG group that
CloudFront creates in the VPC with its first VPC origin, and then only that group. The
secret-header rule stays in both modes as defence in depth (README "VPC origin").

CloudFront reaches it over TLS when the stack has a hosted zone: the ALB then gets its
own name, origin.<domainName>, a certificate for it in the stack's region and one HTTPS
listener on 443. Without a hosted zone there is no name of ours to certify (the ALB's
default *.elb.amazonaws.com name cannot be, and a certificateArn is us-east-1's, for
CloudFront's viewers only), so CloudFront speaks plain HTTP on 80 to the ALB's DNS name.

Each API service of app/service_map.py has its own target group (its port, its health
check) and, but for the catalog service, its own listener rule: the secret header and the
service's path patterns, at the service map's priority. The catalog service's rule asks for
the secret header only, at CATALOG_RULE_PRIORITY, after every path rule; the listener's
default stays a fixed 403 (README "Service layout").
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from app.service_map import CATALOG, RULED, SERVICES, ServiceRoute
from edge.origin import ORIGIN_VERIFY_HEADER, ApiOriginTransport
from infra.certificates import dns_validated_certificate
from infra.config import (
    HEALTH_CHECK_INTERVAL_SECONDS,
    HEALTH_CHECK_TIMEOUT_SECONDS,
    HEALTHY_THRESHOLD,
    UNHEALTHY_THRESHOLD,
    StackConfig,
)
from infra.media_origin import LOG_PREFIX_ALB

CLOUDFRONT_PREFIX_LIST = "com.amazonaws.global.cloudfront.origin-facing"
HTTP_PORT = 80
HTTPS_PORT = 443
# TLS 1.3 and 1.2 only, forward-secret ciphers (CloudFront speaks TLSv1.2 to origins).
ORIGIN_SSL_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
# The catalog service's rule (the secret header only) comes after every path rule: an ALB
# evaluates rules from the lowest priority number up (Elastic Load Balancing User Guide for
# Application Load Balancers, "Listener rules").
CATALOG_RULE_PRIORITY = 100
# Condition values one rule may hold, all conditions together, and the longest path pattern
# (User Guide, "Quotas for your Application Load Balancers"; PathPatternConditionConfig).
MAX_CONDITION_VALUES_PER_RULE = 5
MAX_PATH_PATTERN_LENGTH = 128


def rule_priority(service: ServiceRoute) -> int:
    """The listener-rule priority of `service`: the service map's, else (catalog, the
    header-only rule) CATALOG_RULE_PRIORITY."""
    return CATALOG_RULE_PRIORITY if service.priority is None else service.priority


def port_ranges(ports: list[int]) -> list[tuple[int, int]]:
    """`ports` as the fewest inclusive (from, to) ranges that hold exactly them."""
    ranges: list[tuple[int, int]] = []
    for port in sorted(set(ports)):
        if ranges and port == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], port)
        else:
            ranges.append((port, port))
    return ranges


def service_conditions(service: ServiceRoute, origin_verify: pulumi.Input[str],
                       ) -> list[aws.lb.ListenerRuleConditionArgs]:
    """The conditions of `service`'s rule: the secret header, and its path patterns unless
    it is the catalog service. Raises ValueError past the ALB's per-rule limits (five
    condition values in all; a path pattern of at most 128 characters)."""
    conditions = [aws.lb.ListenerRuleConditionArgs(
        http_header=aws.lb.ListenerRuleConditionHttpHeaderArgs(
            http_header_name=ORIGIN_VERIFY_HEADER, values=[origin_verify]))]
    patterns = list(service.path_patterns)
    if 1 + len(patterns) > MAX_CONDITION_VALUES_PER_RULE:
        raise ValueError(f"the {service.name} rule would hold {1 + len(patterns)} condition "
                         f"values; an ALB rule takes at most {MAX_CONDITION_VALUES_PER_RULE}")
    too_long = [p for p in patterns if len(p) > MAX_PATH_PATTERN_LENGTH]
    if too_long:
        raise ValueError(f"{service.name} path pattern(s) longer than "
                         f"{MAX_PATH_PATTERN_LENGTH} characters: {too_long}")
    if patterns:
        conditions.append(aws.lb.ListenerRuleConditionArgs(
            path_pattern=aws.lb.ListenerRuleConditionPathPatternArgs(values=patterns)))
    return conditions


@dataclass
class LoadBalancerArgs:
    config: StackConfig
    vpc_id: pulumi.Input[str]
    # The public subnets (apiOrigin public) or the private ones (apiOrigin vpc).
    subnet_ids: list[pulumi.Input[str]]
    log_bucket: pulumi.Input[str]
    log_bucket_policy: pulumi.Resource
    # How CloudFront reaches the ALB (edge.origin.api_origin_transport, decided once): with
    # TLS, its domain_name (origin.<domainName>, needs config.hosted_zone_id) over HTTPS.
    transport: ApiOriginTransport = ApiOriginTransport()


class LoadBalancer(pulumi.ComponentResource):
    """An ALB reachable only from CloudFront (internet-facing behind the origin-facing prefix
    list, or internal behind a VPC origin), forwarding only requests that carry the secret
    `X-Origin-Verify` header."""

    def __init__(self, name: str, args: LoadBalancerArgs,
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__("edgeflix:lb:LoadBalancer", name, None, opts)
        cfg = args.config
        child = pulumi.ResourceOptions(parent=self)
        self.origin_tls = args.transport.tls
        port = HTTPS_PORT if self.origin_tls else HTTP_PORT

        self.internal = cfg.api_origin == "vpc"
        source = ("CloudFront VPC origins" if cfg.vpc_origin_security_group_id
                  else "CloudFront origin-facing servers")
        self.security_group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            vpc_id=args.vpc_id,
            description=f"ALB: {'HTTPS' if self.origin_tls else 'HTTP'} from {source} only",
            tags={"Name": cfg.name("alb")},
            opts=child,
        )
        if cfg.vpc_origin_security_group_id:
            # The group CloudFront put on its VPC-origin interfaces in this VPC.
            peer: dict[str, pulumi.Input[str]] = {
                "referenced_security_group_id": cfg.vpc_origin_security_group_id}
        else:
            prefix_list = aws.ec2.get_managed_prefix_list(
                name=CLOUDFRONT_PREFIX_LIST, opts=pulumi.InvokeOptions(parent=self))
            peer = {"prefix_list_id": prefix_list.id}
        # One rule, one port: the prefix list counts ~55 entries against the SG quota.
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-from-cloudfront",
            security_group_id=self.security_group.id,
            ip_protocol="tcp",
            from_port=port,
            to_port=port,
            description=source,
            opts=child,
            **peer,
        )
        # The four services' ports (contiguous in the service map: one range per subnet).
        ranges = port_ranges([s.port(cfg.api_port) for s in SERVICES])
        for i, cidr in enumerate(cfg.private_subnet_cidrs):
            for j, (low, high) in enumerate(ranges):
                aws.vpc.SecurityGroupEgressRule(
                    f"{name}-to-api-{i}" + (f"-{j}" if j else ""),
                    security_group_id=self.security_group.id,
                    ip_protocol="tcp",
                    from_port=low,
                    to_port=high,
                    cidr_ipv4=str(cidr),
                    description="API services' ports in the private subnets",
                    opts=child,
                )

        self.origin_verify = random.RandomPassword(
            f"{name}-origin-verify", length=48, special=False, opts=child)
        self.origin_verify_value = pulumi.Output.secret(self.origin_verify.result)

        self.alb = aws.lb.LoadBalancer(
            f"{name}-alb",
            load_balancer_type="application",
            internal=self.internal,
            security_groups=[self.security_group.id],
            subnets=args.subnet_ids,
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
        # One target group per service, each checking its own port (traffic-port).
        self.target_groups: dict[str, aws.lb.TargetGroup] = {
            service.name: self._target_group(name, cfg, args.vpc_id, service)
            for service in SERVICES}
        self.target_group = self.target_groups[CATALOG.name]
        if args.transport.domain_name is None:
            self.listener, self.forward_rule = self._guarded_listener(name, port)
            self.origin_domain_name: pulumi.Output[str] = self.alb.dns_name
        else:
            origin_domain_name = args.transport.domain_name
            certificate_arn = dns_validated_certificate(
                f"{name}-origin-cert", origin_domain_name, cfg.hosted_zone_id,
                parent=self)  # the default provider: the stack's own region, as the ALB
            self.listener, self.forward_rule = self._guarded_listener(
                name, port, certificate_arn)
            alias = aws.route53.Record(
                f"{name}-origin-alias",
                zone_id=cfg.hosted_zone_id,
                name=origin_domain_name,
                type="A",
                aliases=[aws.route53.RecordAliasArgs(
                    name=self.alb.dns_name, zone_id=self.alb.zone_id,
                    evaluate_target_health=False)],
                opts=child,
            )
            # CloudFront is pointed at the name once it resolves and the HTTPS rule exists.
            self.origin_domain_name = pulumi.Output.all(
                alias.fqdn, *[r.arn for r in self.service_rules.values()]).apply(
                lambda _: origin_domain_name)

        self.vpc_origin = self._vpc_origin(name, cfg, args.transport) if self.internal else None
        self.vpc_origin_id = self.vpc_origin.id if self.vpc_origin is not None else None

        self.dns_name = self.alb.dns_name
        # Where CloudFront reaches the origin; `make verify` checks it refuses anyone else.
        scheme = "https" if self.origin_tls else "http"
        self.url = self.origin_domain_name.apply(lambda host: f"{scheme}://{host}")
        self.arn_suffix = self.alb.arn_suffix
        self.target_group_arn = self.target_group.arn
        self.target_group_arn_suffix = self.target_group.arn_suffix
        self.target_group_arns = {k: tg.arn for k, tg in self.target_groups.items()}
        self.target_group_arn_suffixes = {k: tg.arn_suffix
                                          for k, tg in self.target_groups.items()}
        self.security_group_id = self.security_group.id
        self.register_outputs({
            "alb_dns_name": self.dns_name,
            "alb_url": self.url,
            "alb_arn_suffix": self.arn_suffix,
            "target_group_arn": self.target_group_arn,
            "target_group_arn_suffix": self.target_group_arn_suffix,
            "target_group_arns": self.target_group_arns,
            "security_group_id": self.security_group_id,
            "origin_domain_name": self.origin_domain_name,
            "origin_tls": self.origin_tls,
            "internal": self.internal,
            "vpc_origin_id": self.vpc_origin_id,
        })

    def _vpc_origin(self, name: str, cfg: StackConfig,
                    transport: ApiOriginTransport) -> aws.cloudfront.VpcOrigin:
        """CloudFront's VPC origin on the internal ALB: CloudFront puts its interfaces in the
        ALB's subnets and speaks the transport's protocol to the ALB's listener (CloudFront
        API Reference, CreateVpcOrigin). Created once the listener forwards, so the first
        request through it meets the guarded listener."""
        cf = aws.cloudfront
        return cf.VpcOrigin(
            f"{name}-vpc-origin",
            vpc_origin_endpoint_config=cf.VpcOriginVpcOriginEndpointConfigArgs(
                name=cfg.name("api-alb"),
                arn=self.alb.arn,
                http_port=HTTP_PORT,
                https_port=HTTPS_PORT,
                origin_protocol_policy=transport.protocol,
                origin_ssl_protocols=cf.VpcOriginVpcOriginEndpointConfigOriginSslProtocolsArgs(
                    items=["TLSv1.2"], quantity=1),
            ),
            tags={"Name": cfg.name("api-vpc-origin")},
            opts=pulumi.ResourceOptions(parent=self,
                                        depends_on=list(self.service_rules.values())),
        )

    def _guarded_listener(self, name: str, port: int,
                          certificate_arn: pulumi.Input[str] | None = None,
                          ) -> tuple[aws.lb.Listener, aws.lb.ListenerRule]:
        """A listener (HTTPS when given a certificate, else HTTP) that answers 403 by
        default and forwards only requests carrying the secret header: one rule per
        service. Returns the listener and the catalog service's rule (the last)."""
        child = pulumi.ResourceOptions(parent=self)
        tls = certificate_arn is not None
        scheme = "https" if tls else "http"
        listener = aws.lb.Listener(
            f"{name}-{scheme}",
            load_balancer_arn=self.alb.arn,
            port=port,
            protocol=scheme.upper(),
            certificate_arn=certificate_arn,
            ssl_policy=ORIGIN_SSL_POLICY if tls else None,
            default_actions=[aws.lb.ListenerDefaultActionArgs(
                type="fixed-response",
                fixed_response=aws.lb.ListenerDefaultActionFixedResponseArgs(
                    content_type="text/plain", message_body="Forbidden", status_code="403"),
            )],
            opts=child,
        )
        # The catalog rule first: on a stack that had one header rule at priority 10, it is
        # that rule (aliased), moved to CATALOG_RULE_PRIORITY before the path rules take 10.
        catalog_rule = self._service_rule(name, listener, CATALOG, opts=pulumi.ResourceOptions(
            parent=self, aliases=[pulumi.Alias(name=f"{name}-from-cloudfront")]))
        self.service_rules: dict[str, aws.lb.ListenerRule] = {CATALOG.name: catalog_rule}
        for service in RULED:
            self.service_rules[service.name] = self._service_rule(
                name, listener, service,
                opts=pulumi.ResourceOptions(parent=self, depends_on=[catalog_rule]))
        return listener, catalog_rule

    def _target_group(self, name: str, cfg: StackConfig, vpc_id: pulumi.Input[str],
                      service: ServiceRoute) -> aws.lb.TargetGroup:
        """`service`'s target group: its port on an instance, its health check on it."""
        # The catalog group is the stack's former single group `<name>-api`, renamed.
        aliases = ([pulumi.Alias(name=f"{name}-api")] if service is CATALOG else [])
        return aws.lb.TargetGroup(
            f"{name}-{service.name}",
            port=service.port(cfg.api_port),
            protocol="HTTP",
            target_type="instance",
            vpc_id=vpc_id,
            deregistration_delay=cfg.deregistration_delay,
            health_check=aws.lb.TargetGroupHealthCheckArgs(
                enabled=True,
                path=cfg.health_check_path,
                port="traffic-port",
                protocol="HTTP",
                matcher="200",
                interval=HEALTH_CHECK_INTERVAL_SECONDS,
                timeout=HEALTH_CHECK_TIMEOUT_SECONDS,
                healthy_threshold=HEALTHY_THRESHOLD,
                unhealthy_threshold=UNHEALTHY_THRESHOLD,
            ),
            tags={"Name": cfg.name(service.name), "edgeflix:service": service.name},
            opts=pulumi.ResourceOptions(parent=self, aliases=aliases),
        )

    def _service_rule(self, name: str, listener: aws.lb.Listener, service: ServiceRoute,
                      opts: pulumi.ResourceOptions) -> aws.lb.ListenerRule:
        """Forward to `service`'s target group what carries the secret header (and, but for
        the catalog service, matches one of its path patterns)."""
        return aws.lb.ListenerRule(
            f"{name}-{service.name}-rule",
            listener_arn=listener.arn,
            priority=rule_priority(service),
            conditions=service_conditions(service, self.origin_verify_value),
            actions=[aws.lb.ListenerRuleActionArgs(
                type="forward", target_group_arn=self.target_groups[service.name].arn)],
            tags={"edgeflix:service": service.name},
            opts=opts,
        )
