"""Checks of a scaling policy: its ALB resource label names a load balancer and a target
group of this stack."""

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
