"""CloudWatch alarms and dashboards, CloudWatch Logs groups, SNS topics."""

from __future__ import annotations

import json
from typing import Any

from infra.config import LOG_GROUP_RETENTION_DAYS  # botocore's model leaves it open

from ..context import Ctx
from ..registry import resource
from . import autoname, failed

TREAT_MISSING = ("breaching", "notBreaching", "ignore", "missing")
# CloudFront Developer Guide, "Types of metrics for CloudFront": one namespace, us-east-1 only,
# every distribution metric dimensioned DistributionId and Region=Global.
CLOUDFRONT_NAMESPACE = "AWS/CloudFront"
CLOUDFRONT_METRICS_REGION = "us-east-1"



@resource("aws:cloudwatch/metricAlarm:MetricAlarm")
def metric_alarm(ctx: Ctx) -> dict:
    name = autoname(ctx, max_len=255)
    where: dict[str, str] = {"AlarmName": "name"}
    params: dict[str, Any] = {"AlarmName": name, **ctx.pick(ctx.inputs, {
        "AlarmDescription": "alarmDescription", "ComparisonOperator": "comparisonOperator",
        "EvaluationPeriods": "evaluationPeriods", "DatapointsToAlarm": "datapointsToAlarm",
        "MetricName": "metricName", "Namespace": "namespace", "Period": "period",
        "Statistic": "statistic", "ExtendedStatistic": "extendedStatistic",
        "Threshold": "threshold", "ThresholdMetricId": "thresholdMetricId",
        "TreatMissingData": "treatMissingData", "Unit": "unit",
        "ActionsEnabled": "actionsEnabled", "AlarmActions": "alarmActions",
        "OKActions": "okActions", "InsufficientDataActions": "insufficientDataActions",
        "EvaluateLowSampleCountPercentile": "evaluateLowSampleCountPercentile"}, where)}
    dims = ctx.inputs.get("dimensions") or {}
    if dims:
        params["Dimensions"] = [{"Name": k, "Value": v} for k, v in dims.items()]
    queries = ctx.inputs.get("metricQueries") or []
    if queries:
        params["Metrics"] = []
        for i, q in enumerate(queries):
            wp, ap = f"metricQueries[{i}]", f"Metrics[{i}]"
            item = ctx.pick(q, {"Id": "id", "Expression": "expression", "Label": "label",
                                "ReturnData": "returnData", "Period": "period",
                                "AccountId": "accountId"}, where, ap, wp)
            metric = q.get("metric")
            if metric:
                item["MetricStat"] = {
                    "Metric": {**ctx.pick(metric, {"MetricName": "metricName",
                                                   "Namespace": "namespace"}),
                               "Dimensions": [{"Name": k, "Value": v} for k, v in
                                              (metric.get("dimensions") or {}).items()]},
                    **ctx.pick(metric, {"Period": "period", "Stat": "stat", "Unit": "unit"},
                               where, f"{ap}.MetricStat", f"{wp}.metric")}
            params["Metrics"].append(item)
    if not queries and not params.get("MetricName"):
        ctx.problem("metricName", "an alarm needs metricName or metricQueries")
    if params.get("MetricName") and not (params.get("Statistic") or
                                         params.get("ExtendedStatistic")):
        ctx.problem("statistic", "a metric alarm needs statistic or extendedStatistic")
    if params.get("TreatMissingData") not in (None, *TREAT_MISSING):
        ctx.problem("treatMissingData", f"{params['TreatMissingData']!r} not one of "
                                        f"{list(TREAT_MISSING)}")
    if params.get("Namespace") == CLOUDFRONT_NAMESPACE:
        if ctx.region != CLOUDFRONT_METRICS_REGION:
            ctx.problem("namespace", f"CloudFront publishes its metrics in "
                                     f"{CLOUDFRONT_METRICS_REGION} only; this alarm is in "
                                     f"{ctx.region}")
        if dims.get("Region") != "Global":
            ctx.problem("dimensions", "CloudFront's metrics carry Region=Global (got "
                                      f"{dims.get('Region')!r})")
    period = params.get("Period")
    if period is not None and period not in (10, 20, 30) and period % 60:
        ctx.problem("period", f"{period:g} is not 10, 20, 30 or a multiple of 60")
    if params.get("DatapointsToAlarm") and params.get("EvaluationPeriods") and \
            params["DatapointsToAlarm"] > params["EvaluationPeriods"]:
        ctx.problem("datapointsToAlarm", "more datapoints than evaluation periods")
    if ctx.inputs.get("tags"):
        params["Tags"] = ctx.tags(ctx.inputs["tags"])
    resp = ctx.call("cloudwatch", "PutMetricAlarm", params, where)
    out = {"id": name, "arn": ctx.arn("cloudwatch", f"alarm:{name}"), "name": name,
           "__summary__": f"{params.get('Namespace')}/{params.get('MetricName')} "
                          f"{params.get('ComparisonOperator')} {params.get('Threshold')}"}
    return out if resp is not None else failed(ctx, **out)


@resource("aws:cloudwatch/dashboard:Dashboard")
def dashboard(ctx: Ctx) -> dict:
    body = ctx.inputs.get("dashboardBody")
    try:
        document = json.loads(body or "")
    except (TypeError, json.JSONDecodeError) as exc:
        ctx.problem("dashboardBody", f"not valid JSON: {exc}")
        document = {}
    _dashboard_widgets(ctx, document)
    ctx.call("cloudwatch", "PutDashboard", {"DashboardName": ctx.inputs.get("dashboardName"),
                                            "DashboardBody": body or "{}"},
             {"DashboardName": "dashboardName", "DashboardBody": "dashboardBody"})
    name = ctx.inputs.get("dashboardName")
    return {"id": name, "dashboardArn": f"arn:aws:cloudwatch::{ctx.account}:dashboard/{name}"}


def _dashboard_widgets(ctx: Ctx, document: Any) -> None:
    """Metric widgets name their region; a CloudFront metric is read in us-east-1 with
    Region=Global, wherever the dashboard lives (PutDashboard accepts anything)."""
    widgets = document.get("widgets") if isinstance(document, dict) else None
    if not isinstance(widgets, list):
        ctx.problem("dashboardBody", "a dashboard body needs a list of widgets")
        return
    for i, widget in enumerate(widgets):
        props = (widget or {}).get("properties") or {}
        if (widget or {}).get("type") != "metric":
            continue
        for j, metric in enumerate(props.get("metrics") or []):
            if not metric or metric[0] != CLOUDFRONT_NAMESPACE:
                continue
            where = f"dashboardBody.widgets[{i}]"
            if props.get("region") != CLOUDFRONT_METRICS_REGION:
                ctx.problem(f"{where}.properties.region",
                            f"{props.get('region')!r}: CloudFront's metrics live in "
                            f"{CLOUDFRONT_METRICS_REGION} only")
            dims = dict(zip(metric[2::2], metric[3::2], strict=False))
            if dims.get("Region") != "Global":
                ctx.problem(f"{where}.properties.metrics[{j}]",
                            "CloudFront's metrics carry Region=Global")


@resource("aws:cloudwatch/logGroup:LogGroup")
def log_group(ctx: Ctx) -> dict:
    name = autoname(ctx, max_len=512)
    where = {"logGroupName": "name", "kmsKeyId": "kmsKeyId"}
    params = {"logGroupName": name, **ctx.pick(ctx.inputs, {"kmsKeyId": "kmsKeyId"})}
    resp = ctx.call("logs", "CreateLogGroup", params, where)
    days = ctx.inputs.get("retentionInDays")
    if days and days not in LOG_GROUP_RETENTION_DAYS:
        ctx.problem("retentionInDays", f"{days} is not a CloudWatch Logs retention period "
                                       f"{LOG_GROUP_RETENTION_DAYS}")
    if resp is not None and days:
        ctx.call("logs", "PutRetentionPolicy", {"logGroupName": name, "retentionInDays": days},
                 {"retentionInDays": "retentionInDays"})
    out = {"id": name, "name": name, "arn": ctx.arn("logs", f"log-group:{name}")}
    return out if resp is not None else failed(ctx, **out)


@resource("aws:sns/topic:Topic")
def sns_topic(ctx: Ctx) -> dict:
    name = autoname(ctx, max_len=256)
    resp = ctx.call("sns", "CreateTopic", {"Name": name}, {"Name": "name"})
    arn = (resp or {}).get("TopicArn") or ctx.arn("sns", name)
    out = {"id": arn, "arn": arn, "name": name}
    return out if resp is not None else failed(ctx, **out)


@resource("aws:sns/topicSubscription:TopicSubscription")
def sns_subscription(ctx: Ctx) -> dict:
    where: dict[str, str] = {}
    params = ctx.pick(ctx.inputs, {"TopicArn": "topic", "Protocol": "protocol",
                                   "Endpoint": "endpoint"}, where)
    resp = ctx.call("sns", "Subscribe", params, where)
    arn = (resp or {}).get("SubscriptionArn") or f"{params.get('TopicArn')}:{ctx.fake_id()}"
    return {"id": arn, "arn": arn}
