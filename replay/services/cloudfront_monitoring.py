"""CloudFront's additional-metrics subscription: the request validated only.

moto does not model monitoring subscriptions, so the translator builds the
CreateMonitoringSubscription request, checks it against botocore's model (the status enum
included), checks that it names a distribution of this stack, and returns realistic outputs.
"""

from __future__ import annotations

from ..context import Ctx
from ..registry import resource

DISTRIBUTION = "aws:cloudfront/distribution:Distribution"


@resource("aws:cloudfront/monitoringSubscription:MonitoringSubscription")
def monitoring_subscription(ctx: Ctx) -> dict:
    wp = "monitoringSubscription.realtimeMetricsSubscriptionConfig"
    where = {"DistributionId": "distributionId",
             "MonitoringSubscription.RealtimeMetricsSubscriptionConfig."
             "RealtimeMetricsSubscriptionStatus": f"{wp}.realtimeMetricsSubscriptionStatus"}
    config = (ctx.inputs.get("monitoringSubscription") or {}).get(
        "realtimeMetricsSubscriptionConfig") or {}
    subscription = {"RealtimeMetricsSubscriptionConfig": {
        "RealtimeMetricsSubscriptionStatus": config.get("realtimeMetricsSubscriptionStatus")}}
    distribution_id = ctx.inputs.get("distributionId")
    ctx.check("cloudfront", "CreateMonitoringSubscription",
              {"DistributionId": distribution_id, "MonitoringSubscription": subscription}, where)
    ours = {r.id for r in ctx.find(DISTRIBUTION)}
    if distribution_id not in ours:
        ctx.problem("distributionId", f"{distribution_id!r} is not a distribution of this stack")
    status = config.get("realtimeMetricsSubscriptionStatus")
    return {"id": distribution_id or ctx.fake_id("E", 13).upper(),
            "__summary__": f"additional metrics {status}"}
