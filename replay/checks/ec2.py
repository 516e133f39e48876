"""Checks of an EC2 instance against the security groups it names."""

from __future__ import annotations

from ..context import Ctx

WHOLE_INTERNET = ("0.0.0.0/0", "::/0")


def public_instance_ingress(ctx: Ctx, groups: list[str]) -> None:
    """Deferred (ingress rules are often separate resources that register after the
    instance): no security group of an instance with a public IP admits the whole
    internet (0.0.0.0/0 or ::/0) on any port, read back from moto."""
    if groups:
        ctx.defer(lambda: _no_whole_internet_ingress(ctx, groups))


def _no_whole_internet_ingress(ctx: Ctx, groups: list[str]) -> None:
    found = ctx.client("ec2").describe_security_groups(GroupIds=groups)["SecurityGroups"]
    for group in found:
        for perm in group.get("IpPermissions") or []:
            cidrs = [r.get("CidrIp") for r in perm.get("IpRanges") or []] + \
                [r.get("CidrIpv6") for r in perm.get("Ipv6Ranges") or []]
            for cidr in cidrs:
                if cidr in WHOLE_INTERNET:
                    ports = (f"{perm.get('IpProtocol')} {perm.get('FromPort')}-"
                             f"{perm.get('ToPort')}")
                    ctx.problem("vpcSecurityGroupIds",
                                f"security group {group['GroupId']} admits the whole internet "
                                f"({cidr}) on {ports}, and this instance has a public IP")
