"""Checks of a scaling policy: its ALB resource label names a load balancer and a target
group of this stack; and of an Auto Scaling group: its instances admit the ports of the
target groups it registers in."""

from __future__ import annotations

from ..context import Ctx


def resource_label_names_the_stack(ctx: Ctx, label: str, path: str) -> None:
    """`label` is a well-formed `app/<alb>/<id>/targetgroup/<tg>/<id>`; both halves must be
    the `arnSuffix` of a load balancer and a target group of this stack."""
    lb_suffix, tg_suffix = label.split("/targetgroup/")[0], "targetgroup/" + \
        label.split("/targetgroup/")[1]
    lbs = {r.outputs.get("arnSuffix") for r in ctx.find("aws:lb/loadBalancer")} | \
        {r.outputs.get("arnSuffix") for r in ctx.find("aws:alb/loadBalancer")}
    tgs = {r.outputs.get("arnSuffix") for r in ctx.find("aws:lb/targetGroup")} | \
        {r.outputs.get("arnSuffix") for r in ctx.find("aws:alb/targetGroup")}
    if lb_suffix not in lbs:
        ctx.problem(path, f"load balancer {lb_suffix!r} is not one of this stack's")
    if tg_suffix not in tgs:
        ctx.problem(path, f"target group {tg_suffix!r} is not one of this stack's")


def target_ports_admitted(ctx: Ctx, launch_template_id: str | None,
                          target_group_arns: list[str]) -> None:
    """Deferred (ingress rules are separate resources that may register later): the
    security groups of the group's launch template admit, over TCP, the port of every
    target group the group registers in (its traffic and health-check port); else the
    ALB marks the instances unhealthy and the group replaces them without end."""
    if launch_template_id and target_group_arns:
        ctx.defer(lambda: _ports_admitted(ctx, launch_template_id, target_group_arns))


def _ports_admitted(ctx: Ctx, launch_template_id: str, target_group_arns: list[str]) -> None:
    template = ctx.by_id(launch_template_id)
    if template is None:
        return  # not this stack's: the create call reports an unknown template
    groups = list(template.inputs.get("vpcSecurityGroupIds") or []) + \
        list(template.inputs.get("securityGroupIds") or [])
    for nic in template.inputs.get("networkInterfaces") or []:
        groups += nic.get("securityGroups") or []
    if not groups:
        return
    try:
        found = ctx.client("ec2").describe_security_groups(GroupIds=groups)["SecurityGroups"]
    except Exception:  # noqa: BLE001 - unknown groups are reported where they are named
        return
    permissions = [perm for group in found for perm in group.get("IpPermissions") or []]
    for i, arn in enumerate(target_group_arns):
        target_group = ctx.by_id(arn)
        if target_group is None:
            continue
        ports = {target_group.inputs.get("port")}
        health_port = (target_group.inputs.get("healthCheck") or {}).get("port")
        if health_port not in (None, "traffic-port") and str(health_port).isdigit():
            ports.add(int(health_port))
        for port in sorted(p for p in ports if isinstance(p, int)):
            if not any(_admits(perm, port) for perm in permissions):
                ctx.problem(f"targetGroupArns[{i}]",
                            f"target group {target_group.name} sends to port {port}, which "
                            f"no security group of launch template {template.name} admits")


def _admits(permission: dict, port: int) -> bool:
    if permission.get("IpProtocol") == "-1":
        return True
    return permission.get("IpProtocol") == "tcp" and \
        permission.get("FromPort", 0) <= port <= permission.get("ToPort", -1)
