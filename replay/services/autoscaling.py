"""EC2 Auto Scaling: groups, scaling policies, target group attachments."""

from __future__ import annotations

import re
from typing import Any

from ..checks import autoscaling as checks
from ..context import Ctx
from ..registry import resource
from . import autoname, failed


@resource("aws:autoscaling/group:Group")
def group(ctx: Ctx) -> dict:
    name = autoname(ctx, max_len=255)
    where = {"AutoScalingGroupName": "name"}
    params: dict[str, Any] = {"AutoScalingGroupName": name}
    params.update(ctx.pick(ctx.inputs, {
        "MinSize": "minSize", "MaxSize": "maxSize", "DesiredCapacity": "desiredCapacity",
        "TargetGroupARNs": "targetGroupArns", "HealthCheckType": "healthCheckType",
        "HealthCheckGracePeriod": "healthCheckGracePeriod",
        "DefaultInstanceWarmup": "defaultInstanceWarmup", "DefaultCooldown": "defaultCooldown",
        "TerminationPolicies": "terminationPolicies", "AvailabilityZones": "availabilityZones",
        "MaxInstanceLifetime": "maxInstanceLifetime", "CapacityRebalance": "capacityRebalance",
        "NewInstancesProtectedFromScaleIn": "protectFromScaleIn",
        "ServiceLinkedRoleARN": "serviceLinkedRoleArn"}, where))
    if ctx.inputs.get("vpcZoneIdentifiers"):
        params["VPCZoneIdentifier"] = ",".join(ctx.inputs["vpcZoneIdentifiers"])
        where["VPCZoneIdentifier"] = "vpcZoneIdentifiers"
    lt = ctx.inputs.get("launchTemplate")
    if lt:
        params["LaunchTemplate"] = ctx.pick(lt, {"LaunchTemplateId": "id",
                                                 "LaunchTemplateName": "name",
                                                 "Version": "version"},
                                            where, "LaunchTemplate", "launchTemplate")
        version = params["LaunchTemplate"].get("Version")
        if version is not None and version not in ("$Latest", "$Default") and \
                not str(version).isdigit():
            ctx.problem("launchTemplate.version", f"{version!r} is not $Latest, $Default or a "
                                                  "version number")
    elif not ctx.inputs.get("mixedInstancesPolicy"):
        ctx.problem("launchTemplate", "an auto scaling group needs a launch template")
    tags = []
    for i, tag in enumerate(ctx.inputs.get("tags") or []):
        tags.append({"Key": tag.get("key"), "Value": tag.get("value"),
                     "PropagateAtLaunch": tag.get("propagateAtLaunch"),
                     "ResourceId": name, "ResourceType": "auto-scaling-group"})
        where[f"Tags[{i}].Key"] = f"tags[{i}].key"
    if tags:
        params["Tags"] = tags
    _sizes(ctx, params)
    if params.get("HealthCheckType") not in (None, "EC2", "ELB", "EBS", "VPC_LATTICE"):
        ctx.problem("healthCheckType", f"{params['HealthCheckType']!r} not one of "
                                       "['EC2', 'ELB', 'EBS', 'VPC_LATTICE']")
    metrics = ctx.inputs.get("enabledMetrics")
    if metrics and ctx.inputs.get("metricsGranularity", "1Minute") != "1Minute":
        ctx.problem("metricsGranularity", "only '1Minute' is supported")
    _instance_refresh(ctx, name)
    checks.target_ports_admitted(ctx, (lt or {}).get("id"),
                                 list(ctx.inputs.get("targetGroupArns") or []))
    resp = ctx.call("autoscaling", "CreateAutoScalingGroup", params, where)
    if resp is None:
        return failed(ctx, id=name, name=name,
                      arn=ctx.arn("autoscaling", f"autoScalingGroup:{ctx.fake_id()}:"
                                                 f"autoScalingGroupName/{name}"))
    asg = ctx.client("autoscaling").describe_auto_scaling_groups(
        AutoScalingGroupNames=[name])["AutoScalingGroups"][0]
    return {"id": name, "name": name, "arn": asg["AutoScalingGroupARN"],
            "__summary__": f"min {params.get('MinSize')} desired {params.get('DesiredCapacity')} "
                           f"max {params.get('MaxSize')}, {len(asg.get('Instances', []))} "
                           "instances"}


def _sizes(ctx: Ctx, params: dict) -> None:
    lo, hi, want = params.get("MinSize"), params.get("MaxSize"), params.get("DesiredCapacity")
    for key, value in (("minSize", lo), ("maxSize", hi), ("desiredCapacity", want)):
        if isinstance(value, int | float) and value < 0:
            ctx.problem(key, f"{value} is negative")
    if lo is not None and hi is not None and lo > hi:
        ctx.problem("minSize", f"minSize {lo:g} > maxSize {hi:g}")
    if want is not None and lo is not None and want < lo:
        ctx.problem("desiredCapacity", f"desiredCapacity {want:g} < minSize {lo:g}")
    if want is not None and hi is not None and want > hi:
        ctx.problem("desiredCapacity", f"desiredCapacity {want:g} > maxSize {hi:g}")


def _instance_refresh(ctx: Ctx, name: str) -> None:
    """moto has no StartInstanceRefresh: validate the request shape only."""
    refresh = ctx.inputs.get("instanceRefresh")
    if not refresh:
        return
    where = {"Strategy": "instanceRefresh.strategy"}
    params: dict[str, Any] = {"AutoScalingGroupName": name, "Strategy": refresh.get("strategy")}
    prefs = refresh.get("preferences")
    if prefs:
        params["Preferences"] = ctx.pick(prefs, {
            "MinHealthyPercentage": "minHealthyPercentage",
            "MaxHealthyPercentage": "maxHealthyPercentage", "InstanceWarmup": "instanceWarmup",
            "CheckpointPercentages": "checkpointPercentages", "CheckpointDelay": "checkpointDelay",
            "SkipMatching": "skipMatching", "AutoRollback": "autoRollback",
            "ScaleInProtectedInstances": "scaleInProtectedInstances",
            "StandbyInstances": "standbyInstances"}, where, "Preferences",
            "instanceRefresh.preferences")
        for key in ("InstanceWarmup", "CheckpointDelay"):
            if isinstance(params["Preferences"].get(key), str):
                params["Preferences"][key] = int(params["Preferences"][key])
        lt = ctx.inputs.get("launchTemplate") or {}
        if params["Preferences"].get("AutoRollback") and lt.get("version") in ("$Latest",
                                                                                "$Default"):
            ctx.problem("instanceRefresh.preferences.autoRollback",
                        f"auto rollback needs a pinned launch template version, not "
                        f"{lt.get('version')!r}")
    ctx.check("autoscaling", "StartInstanceRefresh", params, where)


@resource("aws:autoscaling/policy:Policy")
def policy(ctx: Ctx) -> dict:
    where: dict[str, str] = {}
    name = autoname(ctx, max_len=255)
    params: dict[str, Any] = {"PolicyName": name}
    where["PolicyName"] = "name"
    params.update(ctx.pick(ctx.inputs, {
        "AutoScalingGroupName": "autoscalingGroupName", "PolicyType": "policyType",
        "AdjustmentType": "adjustmentType", "ScalingAdjustment": "scalingAdjustment",
        "Cooldown": "cooldown", "EstimatedInstanceWarmup": "estimatedInstanceWarmup",
        "MetricAggregationType": "metricAggregationType", "Enabled": "enabled",
        "MinAdjustmentMagnitude": "minAdjustmentMagnitude"}, where))
    tt = ctx.inputs.get("targetTrackingConfiguration")
    if tt:
        base, wbase = "TargetTrackingConfiguration", "targetTrackingConfiguration"
        conf = ctx.pick(tt, {"TargetValue": "targetValue", "DisableScaleIn": "disableScaleIn"},
                        where, base, wbase)
        pre = tt.get("predefinedMetricSpecification")
        if pre:
            conf["PredefinedMetricSpecification"] = ctx.pick(pre, {
                "PredefinedMetricType": "predefinedMetricType",
                "ResourceLabel": "resourceLabel"}, where, f"{base}.PredefinedMetricSpecification",
                f"{wbase}.predefinedMetricSpecification")
            _resource_label(ctx, conf["PredefinedMetricSpecification"],
                            f"{wbase}.predefinedMetricSpecification.resourceLabel")
        custom = tt.get("customizedMetricSpecification")
        if custom:
            conf["CustomizedMetricSpecification"] = {
                **ctx.pick(custom, {"MetricName": "metricName", "Namespace": "namespace",
                                    "Statistic": "statistic", "Unit": "unit"}, where,
                           f"{base}.CustomizedMetricSpecification",
                           f"{wbase}.customizedMetricSpecification"),
                "Dimensions": [ctx.pick(d, {"Name": "name", "Value": "value"})
                               for d in custom.get("metricDimensions") or []]}
        if not pre and not custom:
            ctx.problem(wbase, "needs predefinedMetricSpecification or "
                               "customizedMetricSpecification")
        params["TargetTrackingConfiguration"] = conf
    steps = ctx.inputs.get("stepAdjustments")
    if steps:
        params["StepAdjustments"] = [ctx.pick(s, {
            "MetricIntervalLowerBound": "metricIntervalLowerBound",
            "MetricIntervalUpperBound": "metricIntervalUpperBound",
            "ScalingAdjustment": "scalingAdjustment"}) for s in steps]
        for s in params["StepAdjustments"]:
            for k in ("MetricIntervalLowerBound", "MetricIntervalUpperBound"):
                if isinstance(s.get(k), str):
                    s[k] = float(s[k])
    ptype = params.get("PolicyType", "SimpleScaling")
    if ptype == "TargetTrackingScaling" and not tt:
        ctx.problem("targetTrackingConfiguration", "a TargetTrackingScaling policy needs it")
    resp = ctx.call("autoscaling", "PutScalingPolicy", params, where)
    arn = (resp or {}).get("PolicyARN") or ctx.arn(
        "autoscaling", f"scalingPolicy:{ctx.fake_id()}:autoScalingGroupName/"
                       f"{params.get('AutoScalingGroupName')}:policyName/{name}")
    out = {"id": name, "name": name, "arn": arn,
           "__summary__": f"{ptype} {(tt or {}).get('targetValue', '')}"}
    return out if resp is not None else failed(ctx, **out)


_LABEL = re.compile(r"app/([^/]+)/([0-9a-f]+)/targetgroup/([^/]+)/([0-9a-f]+)")


def _resource_label(ctx: Ctx, spec: dict, path: str) -> None:
    kind, label = spec.get("PredefinedMetricType"), spec.get("ResourceLabel")
    if kind == "ALBRequestCountPerTarget":
        if not label:
            ctx.problem(path, "ALBRequestCountPerTarget needs a resource label "
                              "app/<alb>/<id>/targetgroup/<tg>/<id>")
            return
        if not _LABEL.fullmatch(label):
            ctx.problem(path, f"{label!r} is not app/<alb>/<id>/targetgroup/<tg>/<id>")
            return
        checks.resource_label_names_the_stack(ctx, label, path)
    elif label:
        ctx.problem(path, f"a resource label is only for ALBRequestCountPerTarget, not {kind!r}")


@resource("aws:autoscaling/attachment:Attachment")
def attachment(ctx: Ctx) -> dict:
    params = {"AutoScalingGroupName": ctx.inputs.get("autoscalingGroupName"),
              "TargetGroupARNs": [ctx.inputs.get("lbTargetGroupArn")]}
    ctx.call("autoscaling", "AttachLoadBalancerTargetGroups", params,
             {"AutoScalingGroupName": "autoscalingGroupName",
              "TargetGroupARNs": "lbTargetGroupArn"})
    return {"id": ctx.fake_id(f"{ctx.name}-")}
