"""Checks of a CloudFront VPC origin against the stack: it targets an internal ALB of the
stack whose subnets are private, whose security group admits only CloudFront, and which
has a listener for the protocol CloudFront speaks; a distribution's VPC-origin config
names a VPC origin of the stack.

The rules come from the CloudFront Developer Guide, "Restrict access with VPC origins":
an internal ALB in private subnets (no route to an internet gateway), reached over
CloudFront's VPC-origin interfaces, which sit in the ALB's subnets and carry the
CloudFront-VPCOrigins-Service-SG group; before that group exists the ALB's group admits
the `com.amazonaws.global.cloudfront.origin-facing` prefix list.
"""

from __future__ import annotations

from ..context import Ctx, Record

ARN = "vpcOriginEndpointConfig.arn"
ORIGIN_FACING = "com.amazonaws.global.cloudfront.origin-facing"


def vpc_origin_target(ctx: Ctx, arn: str | None) -> None:
    """The endpoint ARN is an ALB of this stack; the rest is judged once the graph is
    whole (subnets, security-group rules and listeners may register later)."""
    albs = {r.id: r for r in ctx.find("aws:lb/loadBalancer")}
    alb = albs.get(str(arn))
    if alb is None:
        ctx.problem(ARN, f"{arn!r} is not a load balancer of this stack")
        return
    ctx.defer(lambda: _internal_alb(ctx, alb))
    ctx.defer(lambda: _admits_only_cloudfront(ctx, alb))
    ctx.defer(lambda: _meets_a_listener(ctx, alb))


def _internal_alb(ctx: Ctx, alb: Record) -> None:
    if not alb.inputs.get("internal"):
        ctx.problem(ARN, f"load balancer {alb.name} is internet-facing; a VPC origin is "
                         "meant for an internal one in private subnets")
    public = [s for s in alb.inputs.get("subnets") or [] if _routes_to_internet(ctx, s)]
    if public:
        ctx.problem(ARN, f"load balancer {alb.name} sits in subnets with a route to an "
                         f"internet gateway {public}: a VPC origin's ALB belongs in private "
                         "subnets")


def _routes_to_internet(ctx: Ctx, subnet_id: str) -> bool:
    """Whether the subnet's route table (read back from moto) sends anything to an IGW."""
    tables = ctx.client("ec2").describe_route_tables(Filters=[
        {"Name": "association.subnet-id", "Values": [subnet_id]}])["RouteTables"]
    return any(str(route.get("GatewayId", "")).startswith("igw-")
               for table in tables for route in table.get("Routes") or [])


def _admits_only_cloudfront(ctx: Ctx, alb: Record) -> None:
    """Every ingress rule of the ALB's groups comes from CloudFront's origin-facing prefix
    list or from another security group (CloudFront-VPCOrigins-Service-SG); an address
    range would let something other than CloudFront reach the origin."""
    groups = set(alb.inputs.get("securityGroups") or [])
    prefix_lists = {p["PrefixListId"] for p in ctx.client("ec2").describe_managed_prefix_lists(
        Filters=[{"Name": "prefix-list-name", "Values": [ORIGIN_FACING]}])["PrefixLists"]}
    for rule in ctx.find("aws:vpc/securityGroupIngressRule"):
        if rule.inputs.get("securityGroupId") not in groups:
            continue
        peer = rule.inputs.get("prefixListId")
        if peer and peer in prefix_lists or rule.inputs.get("referencedSecurityGroupId"):
            continue
        source = (rule.inputs.get("cidrIpv4") or rule.inputs.get("cidrIpv6") or peer
                  or "nothing")
        ctx.problem(ARN, f"security group rule {rule.name} admits {source} to load balancer "
                         f"{alb.name}; only CloudFront (its origin-facing prefix list or "
                         "its VPC-origin security group) may reach a VPC origin")
    for group in ctx.find("aws:ec2/securityGroup"):
        if group.id in groups and group.inputs.get("ingress"):
            ctx.problem(ARN, f"security group {group.name} of load balancer {alb.name} has "
                             "inline ingress rules; the ALB admits only CloudFront")


def _meets_a_listener(ctx: Ctx, alb: Record) -> None:
    """CloudFront speaks the endpoint's protocol on its port: the ALB needs that listener."""
    config = ctx.inputs.get("vpcOriginEndpointConfig") or {}
    policy = config.get("originProtocolPolicy")
    wanted = [("HTTPS", config.get("httpsPort"))] if policy in ("https-only",
                                                                "match-viewer") else []
    if policy in ("http-only", "match-viewer"):
        wanted.append(("HTTP", config.get("httpPort")))
    listeners = [(r.inputs.get("protocol"), r.inputs.get("port"))
                 for r in ctx.find("aws:lb/listener") if r.inputs.get("loadBalancerArn") == alb.id]
    for protocol, port in wanted:
        if (protocol, port) not in listeners:
            ctx.problem("vpcOriginEndpointConfig.originProtocolPolicy",
                        f"{policy}: load balancer {alb.name} has no {protocol} listener on "
                        f"port {port}")


def distribution_vpc_origin(ctx: Ctx, i: int, origin: dict) -> None:
    """A distribution origin's vpcOriginId names a VPC origin of this stack."""
    ref = (origin.get("vpcOriginConfig") or {}).get("vpcOriginId")
    if ref not in {r.id for r in ctx.find("aws:cloudfront/vpcOrigin")}:
        ctx.problem(f"origins[{i}].vpcOriginConfig.vpcOriginId",
                    f"{ref!r} is not a VPC origin of this stack")
