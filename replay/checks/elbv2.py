"""Checks of a load balancer: an application load balancer's subnets span two AZs."""

from __future__ import annotations

from ..context import Ctx


def subnets_in_two_azs(ctx: Ctx, subnet_ids: list[str]) -> None:
    """An ALB takes subnets from at least two Availability Zones (ELB API reference,
    CreateLoadBalancer, `Subnets`); the zones are read back from moto, where the
    subnets were created. Unknown subnets are left to the create call to report."""
    if not subnet_ids:
        ctx.problem("subnets", "an application load balancer needs subnets in at least 2 AZs")
        return
    try:
        found = ctx.client("ec2").describe_subnets(SubnetIds=subnet_ids)["Subnets"]
    except Exception:  # noqa: BLE001 - unknown subnets are reported by the create call
        return
    azs = sorted({s["AvailabilityZone"] for s in found})
    if len(azs) < 2:
        ctx.problem("subnets", f"an application load balancer needs subnets in at least 2 "
                               f"Availability Zones; got {azs}")
