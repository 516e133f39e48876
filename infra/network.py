"""Network: a VPC over at least two AZs, public and private subnets, NAT per config."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from infra.config import StackConfig


class NetworkError(ValueError):
    """The region cannot host the configured network."""


@dataclass
class NetworkArgs:
    config: StackConfig


class Network(pulumi.ComponentResource):
    """VPC, one public and one private subnet per AZ, IGW, NAT per `natMode`, endpoints,
    and the VPC's default security group locked (no rules).

    Private subnets reach S3 and DynamoDB through gateway endpoints (free), so the
    fleet boots and serves with `natMode: none`; Secrets Manager then needs an
    interface endpoint, created only in that mode.
    """

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("edgeflix:network:Network", name, None, opts)
        cfg = args.config
        child = pulumi.ResourceOptions(parent=self)

        zones = aws.get_availability_zones(
            state="available", opts=pulumi.InvokeOptions(parent=self))
        if len(zones.names) < cfg.az_count:
            raise NetworkError(
                f"edgeflix:azCount: {cfg.az_count} AZs requested but {cfg.region} offers "
                f"{len(zones.names)} ({', '.join(zones.names)})"
            )
        self.availability_zones = list(zones.names[: cfg.az_count])

        self.vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=str(cfg.vpc_cidr),
            enable_dns_hostnames=True,
            enable_dns_support=True,
            tags={"Name": cfg.name("vpc")},
            opts=child,
        )
        # Take over the VPC's default security group and strip its rules: anything launched
        # without a group of its own then reaches nothing and is reached by nothing.
        self.default_security_group = aws.ec2.DefaultSecurityGroup(
            f"{name}-default-sg",
            vpc_id=self.vpc.id,
            ingress=[],
            egress=[],
            tags={"Name": cfg.name("default-locked")},
            opts=child,
        )
        igw = aws.ec2.InternetGateway(
            f"{name}-igw", vpc_id=self.vpc.id, tags={"Name": cfg.name("igw")}, opts=child
        )

        public_rt = aws.ec2.RouteTable(
            f"{name}-public",
            vpc_id=self.vpc.id,
            routes=[aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", gateway_id=igw.id)],
            tags={"Name": cfg.name("public")},
            opts=child,
        )
        self.public_subnets: list[aws.ec2.Subnet] = []
        self.private_subnets: list[aws.ec2.Subnet] = []
        for i, az in enumerate(self.availability_zones):
            public = aws.ec2.Subnet(
                f"{name}-public-{i}",
                vpc_id=self.vpc.id,
                availability_zone=az,
                cidr_block=str(cfg.public_subnet_cidrs[i]),
                map_public_ip_on_launch=False,
                tags={"Name": cfg.name(f"public-{az}"), "edgeflix:tier": "public"},
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-public-{i}", subnet_id=public.id, route_table_id=public_rt.id, opts=child
            )
            private = aws.ec2.Subnet(
                f"{name}-private-{i}",
                vpc_id=self.vpc.id,
                availability_zone=az,
                cidr_block=str(cfg.private_subnet_cidrs[i]),
                map_public_ip_on_launch=False,
                tags={"Name": cfg.name(f"private-{az}"), "edgeflix:tier": "private"},
                opts=child,
            )
            self.public_subnets.append(public)
            self.private_subnets.append(private)

        nat_gateways = []
        for i in range(cfg.nat_gateway_count):
            eip = aws.ec2.Eip(f"{name}-nat-{i}", domain="vpc",
                              tags={"Name": cfg.name(f"nat-{i}")}, opts=child)
            nat_gateways.append(
                aws.ec2.NatGateway(
                    f"{name}-nat-{i}",
                    allocation_id=eip.allocation_id,
                    subnet_id=self.public_subnets[i].id,
                    tags={"Name": cfg.name(f"nat-{i}")},
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[igw]),
                )
            )

        private_route_tables = []
        for i, subnet in enumerate(self.private_subnets):
            routes = []
            if nat_gateways:
                nat = nat_gateways[i % len(nat_gateways)]
                routes.append(aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0",
                                                          nat_gateway_id=nat.id))
            rt = aws.ec2.RouteTable(
                f"{name}-private-{i}",
                vpc_id=self.vpc.id,
                routes=routes,
                tags={"Name": cfg.name(f"private-{i}")},
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-private-{i}", subnet_id=subnet.id, route_table_id=rt.id, opts=child
            )
            private_route_tables.append(rt)

        route_table_ids = [rt.id for rt in private_route_tables] + [public_rt.id]
        for service in ("s3", "dynamodb"):
            aws.ec2.VpcEndpoint(
                f"{name}-{service}",
                vpc_id=self.vpc.id,
                service_name=f"com.amazonaws.{cfg.region}.{service}",
                vpc_endpoint_type="Gateway",
                route_table_ids=route_table_ids,
                tags={"Name": cfg.name(service)},
                opts=child,
            )
        if cfg.nat_mode == "none":
            endpoint_sg = aws.ec2.SecurityGroup(
                f"{name}-endpoints",
                vpc_id=self.vpc.id,
                description="Interface endpoints: HTTPS from inside the VPC",
                tags={"Name": cfg.name("endpoints")},
                opts=child,
            )
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-endpoints-https",
                security_group_id=endpoint_sg.id,
                ip_protocol="tcp",
                from_port=443,
                to_port=443,
                cidr_ipv4=str(cfg.vpc_cidr),
                description="HTTPS from the VPC",
                opts=child,
            )
            aws.ec2.VpcEndpoint(
                f"{name}-secretsmanager",
                vpc_id=self.vpc.id,
                service_name=f"com.amazonaws.{cfg.region}.secretsmanager",
                vpc_endpoint_type="Interface",
                private_dns_enabled=True,
                subnet_ids=[s.id for s in self.private_subnets],
                security_group_ids=[endpoint_sg.id],
                tags={"Name": cfg.name("secretsmanager")},
                opts=child,
            )

        self.flow_log = self._flow_logs(name, cfg, child) if cfg.flow_logs_enabled else None

        self.vpc_id = self.vpc.id
        self.public_subnet_ids = [s.id for s in self.public_subnets]
        self.private_subnet_ids = [s.id for s in self.private_subnets]
        self.register_outputs({
            "vpc_id": self.vpc_id,
            "availability_zones": self.availability_zones,
            "public_subnet_ids": self.public_subnet_ids,
            "private_subnet_ids": self.private_subnet_ids,
        })

    def _flow_logs(self, name: str, cfg: StackConfig,
                   opts: pulumi.ResourceOptions) -> aws.ec2.FlowLog:
        """Every accepted and rejected flow of the VPC, to a CloudWatch Logs group kept
        logRetentionDays; the flow-logs service writes through a role scoped to that group
        (Amazon VPC User Guide, "IAM role for publishing flow logs to CloudWatch Logs")."""
        group = aws.cloudwatch.LogGroup(
            f"{name}-flow-logs",
            name=f"/edgeflix/{cfg.environment}/vpc-flow-logs",
            retention_in_days=cfg.log_group_retention_days,
            opts=opts,
        )
        role = aws.iam.Role(
            f"{name}-flow-logs",
            assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Service": "vpc-flow-logs.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:SourceAccount": aws.get_caller_identity(
                    opts=pulumi.InvokeOptions(parent=self)).account_id}}}]}),
            opts=opts,
        )
        aws.iam.RolePolicy(
            f"{name}-flow-logs",
            role=role.id,
            policy=group.arn.apply(lambda arn: json.dumps({
                "Version": "2012-10-17",
                "Statement": [{
                    "Sid": "WriteFlowLogs",
                    "Effect": "Allow",
                    "Action": ["logs:CreateLogStream", "logs:PutLogEvents",
                               "logs:DescribeLogStreams"],
                    "Resource": [arn, f"{arn}:*"],
                }],
            })),
            opts=opts,
        )
        return aws.ec2.FlowLog(
            f"{name}-flow-logs",
            vpc_id=self.vpc.id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=group.arn,
            iam_role_arn=role.arn,
            max_aggregation_interval=60,
            tags={"Name": cfg.name("flow-logs")},
            opts=opts,
        )
