"""GeneratorRegion: one region's network for Locust instances.

A small VPC with one public subnet and an internet gateway: the instances need egress
to the CDN, S3 and the package mirrors, and no NAT gateway is worth paying for a test
that lasts minutes. Nothing is reachable from outside: the security groups start with
no ingress at all; LocustMaster admits its workers on the master port only.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from .config import LoadgenConfig

VPC_CIDR = "10.60.0.0/16"  # regions are never peered: the same range in each is fine
SUBNET_CIDR = "10.60.0.0/24"  # 251 addresses: far above MAX_WORKERS_PER_REGION + 1


@dataclass
class GeneratorRegionArgs:
    config: LoadgenConfig
    region: str


class GeneratorRegion(pulumi.ComponentResource):
    """Provider, VPC, public subnet, route to the internet, the instances' security group
    (no ingress; egress HTTPS, plus HTTP with allowAnyTarget) and the AMI id."""

    def __init__(self, name: str, args: GeneratorRegionArgs,
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__("edgeflix-loadgen:network:GeneratorRegion", name, None, opts)
        cfg = args.config
        self.region = args.region
        self.provider = aws.Provider(name, region=args.region,
                                     opts=pulumi.ResourceOptions(parent=self))
        child = pulumi.ResourceOptions(parent=self, provider=self.provider)
        tags = {"edgeflix:purpose": "loadgen", "edgeflix-loadgen:run": cfg.run_id}
        self.vpc = aws.ec2.Vpc(name, cidr_block=VPC_CIDR, enable_dns_support=True,
                               enable_dns_hostnames=True, tags=tags, opts=child)
        gateway = aws.ec2.InternetGateway(name, vpc_id=self.vpc.id, tags=tags, opts=child)
        self.subnet = aws.ec2.Subnet(name, vpc_id=self.vpc.id, cidr_block=SUBNET_CIDR,
                                     map_public_ip_on_launch=False, tags=tags, opts=child)
        routes = aws.ec2.RouteTable(name, vpc_id=self.vpc.id, tags=tags, opts=child)
        aws.ec2.Route(f"{name}-internet", route_table_id=routes.id,
                      destination_cidr_block="0.0.0.0/0", gateway_id=gateway.id, opts=child)
        aws.ec2.RouteTableAssociation(name, subnet_id=self.subnet.id, route_table_id=routes.id,
                                      opts=child)
        self.security_group = aws.ec2.SecurityGroup(
            name, vpc_id=self.vpc.id,
            description="edgeflix load generator: no ingress but the Locust master port",
            tags=tags, opts=child)
        ports = [443, 80] if cfg.allow_any_target else [443]
        for port in ports:
            aws.vpc.SecurityGroupEgressRule(
                f"{name}-egress-{port}", security_group_id=self.security_group.id,
                ip_protocol="tcp", from_port=port, to_port=port, cidr_ipv4="0.0.0.0/0",
                description="the CDN, S3 and package mirrors", opts=child)
        self.ami_id = aws.ssm.get_parameter(
            name=cfg.ami_parameter,
            opts=pulumi.InvokeOptions(parent=self, provider=self.provider)).value
        self.subnet_id = self.subnet.id
        self.security_group_id = self.security_group.id
        self.register_outputs({"vpc": self.vpc.id, "subnet": self.subnet.id,
                               "security_group": self.security_group.id})
