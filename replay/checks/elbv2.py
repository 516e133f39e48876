"""Checks of a load balancer: an application load balancer's subnets span two AZs; a
listener rule's conditions within the per-rule limits, its priority free on its listener,
and the target groups it forwards to given targets."""

from __future__ import annotations

import re

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


# Listener rules (Elastic Load Balancing User Guide for Application Load Balancers, "Quotas
# for your Application Load Balancers" and "Listener rules"; API reference, RuleCondition and
# PathPatternConditionConfig): five condition values per rule, all conditions together; at
# most one path-pattern condition; a path pattern of at most 128 characters from a fixed
# set; one priority per rule on a listener.
MAX_CONDITION_VALUES = 5
MAX_PATH_PATTERN = 128
PATH_PATTERN_CHARS = re.compile(r"^[A-Za-z0-9_\-.$/~\"'@:+&*?]+$")


def rule_conditions(ctx: Ctx, conditions: list[dict]) -> None:
    """The rule's conditions (wire inputs) stay within the ALB's per-rule limits."""
    values = 0
    path_conditions = 0
    for i, cond in enumerate(conditions):
        for wire, block in cond.items():
            if isinstance(block, dict):
                values += len(block.get("values") or [])
            elif wire == "queryStrings" and isinstance(block, list):
                values += len(block)
        patterns = (cond.get("pathPattern") or {}).get("values") or []
        if cond.get("pathPattern"):
            path_conditions += 1
        for j, pattern in enumerate(patterns):
            where = f"conditions[{i}].pathPattern.values[{j}]"
            if len(pattern) > MAX_PATH_PATTERN:
                ctx.problem(where, f"a path pattern is at most {MAX_PATH_PATTERN} characters "
                                   f"(got {len(pattern)})")
            if not PATH_PATTERN_CHARS.match(pattern):
                ctx.problem(where, f"{pattern!r}: a path pattern takes A-Z a-z 0-9 and "
                                   "_ - . $ / ~ \" ' @ : + & * ? only")
    if values > MAX_CONDITION_VALUES:
        ctx.problem("conditions", f"{values} condition values; an ALB rule takes at most "
                                  f"{MAX_CONDITION_VALUES}, all its conditions together")
    if path_conditions > 1:
        ctx.problem("conditions", "a rule takes at most one path-pattern condition (list "
                                  "several patterns in one)")


def rule_priority_free(ctx: Ctx, listener_arn: str | None, priority: object) -> None:
    """No other rule of the stack holds this priority on the same listener (AWS answers
    PriorityInUse)."""
    for other in ctx.find("aws:lb/listenerRule") + ctx.find("aws:alb/listenerRule"):
        if other.name != ctx.name and other.inputs.get("listenerArn") == listener_arn and \
                other.inputs.get("priority") == priority:
            ctx.problem("priority", f"priority {priority} is already {other.name}'s on this "
                                    "listener; each rule of a listener needs its own")


def forwarded_groups_get_targets(ctx: Ctx, forwards: list[tuple[str, str]]) -> None:
    """Deferred (the groups' Auto Scaling groups register later): each target group a rule
    forwards to, as (wire path, ARN), gets targets from an Auto Scaling group or an
    attachment of this stack; else the ALB answers 503 to what the rule matches."""
    if forwards:
        ctx.defer(lambda: _groups_have_targets(ctx, forwards))


def _groups_have_targets(ctx: Ctx, forwards: list[tuple[str, str]]) -> None:
    registered: set[str] = set()
    for group in ctx.find("aws:autoscaling/group"):
        registered.update(group.inputs.get("targetGroupArns") or [])
    for attachment in ctx.find("aws:autoscaling/attachment"):
        registered.add(attachment.inputs.get("lbTargetGroupArn"))
    for attachment in ctx.find("aws:lb/targetGroupAttachment") + \
            ctx.find("aws:alb/targetGroupAttachment"):
        registered.add(attachment.inputs.get("targetGroupArn"))
    for path, arn in forwards:
        if arn not in registered:
            ctx.problem(path, f"target group {arn} gets no targets: no Auto Scaling group or "
                              "attachment of this stack registers it (the ALB answers 503)")
