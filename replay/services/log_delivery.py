"""CloudWatch Logs vended delivery (standard logging v2 for CloudFront): delivery sources,
destinations and deliveries, created in moto.

The rules checked here are AWS's (CloudFront Developer Guide, "Configure standard logging
(v2)"): a distribution's delivery source lives in us-east-1 and carries ACCESS_LOGS; a
delivery joins a source and a destination of the same stack.
"""

from __future__ import annotations

from ..context import Ctx
from ..registry import resource
from . import failed

CLOUDFRONT_LOGS_REGION = "us-east-1"
CLOUDFRONT_LOG_TYPES = ("ACCESS_LOGS",)
SOURCE = "aws:cloudwatch/logDeliverySource:LogDeliverySource"
DESTINATION = "aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination"


@resource(SOURCE)
def delivery_source(ctx: Ctx) -> dict:
    where = {"name": "name", "resourceArn": "resourceArn", "logType": "logType"}
    params = ctx.pick(ctx.inputs, where)
    arn = str(params.get("resourceArn") or "")
    if ":cloudfront::" in arn:
        if ctx.region != CLOUDFRONT_LOGS_REGION:
            ctx.problem("resourceArn", f"a distribution's delivery source lives in "
                                       f"{CLOUDFRONT_LOGS_REGION}; this one's provider is in "
                                       f"{ctx.region}")
        if params.get("logType") not in CLOUDFRONT_LOG_TYPES:
            ctx.problem("logType", f"{params.get('logType')!r}: a distribution delivers "
                                   f"{', '.join(CLOUDFRONT_LOG_TYPES)}")
        ours = {r.outputs.get("arn") for r in ctx.find("aws:cloudfront/distribution:")}
        if arn not in ours:
            ctx.problem("resourceArn", f"{arn!r} is not a distribution of this stack")
    if ctx.inputs.get("tags"):
        params["tags"] = dict(ctx.inputs["tags"])
    resp = ctx.call("logs", "PutDeliverySource", params, where)
    source = (resp or {}).get("deliverySource") or {}
    out = {"id": params.get("name"), "name": params.get("name"),
           "arn": source.get("arn") or ctx.arn("logs", f"delivery-source:{params.get('name')}"),
           "service": arn.split(":")[2] if arn.count(":") > 2 else "",
           "__summary__": f"{params.get('logType')} of {arn or '?'}"}
    return out if resp is not None else failed(ctx, **out)


@resource(DESTINATION)
def delivery_destination(ctx: Ctx) -> dict:
    where = {"name": "name", "outputFormat": "outputFormat",
             "deliveryDestinationType": "deliveryDestinationType",
             "deliveryDestinationConfiguration.destinationResourceArn":
                 "deliveryDestinationConfiguration.destinationResourceArn"}
    params = ctx.pick(ctx.inputs, {"name": "name", "outputFormat": "outputFormat",
                                   "deliveryDestinationType": "deliveryDestinationType"})
    conf = ctx.inputs.get("deliveryDestinationConfiguration") or {}
    if conf:
        params["deliveryDestinationConfiguration"] = {
            "destinationResourceArn": conf.get("destinationResourceArn")}
    target = str(conf.get("destinationResourceArn") or "")
    if target.startswith("arn:aws:s3:::"):
        buckets = {r.outputs.get("arn") for r in ctx.find("aws:s3/bucket:")}
        if target.split("/")[0] not in buckets:
            ctx.problem("deliveryDestinationConfiguration.destinationResourceArn",
                        f"{target!r} is not a bucket of this stack")
    resp = ctx.call("logs", "PutDeliveryDestination", params, where)
    dest = (resp or {}).get("deliveryDestination") or {}
    name = params.get("name")
    out = {"id": name, "name": name,
           "arn": dest.get("arn") or ctx.arn("logs", f"delivery-destination:{name}"),
           "deliveryDestinationType": dest.get("deliveryDestinationType", ""),
           "__summary__": f"{params.get('outputFormat')} to {target or '?'}"}
    return out if resp is not None else failed(ctx, **out)


@resource("aws:cloudwatch/logDelivery:LogDelivery")
def delivery(ctx: Ctx) -> dict:
    where = {"deliverySourceName": "deliverySourceName",
             "deliveryDestinationArn": "deliveryDestinationArn",
             "fieldDelimiter": "fieldDelimiter", "recordFields": "recordFields",
             "s3DeliveryConfiguration.suffixPath": "s3DeliveryConfigurations[0].suffixPath",
             "s3DeliveryConfiguration.enableHiveCompatiblePath":
                 "s3DeliveryConfigurations[0].enableHiveCompatiblePath"}
    params = ctx.pick(ctx.inputs, {"deliverySourceName": "deliverySourceName",
                                   "deliveryDestinationArn": "deliveryDestinationArn",
                                   "fieldDelimiter": "fieldDelimiter",
                                   "recordFields": "recordFields"})
    s3 = (ctx.inputs.get("s3DeliveryConfigurations") or [None])[0]
    if s3:
        params["s3DeliveryConfiguration"] = ctx.pick(
            s3, {"suffixPath": "suffixPath", "enableHiveCompatiblePath":
                 "enableHiveCompatiblePath"})
    sources = {r.outputs.get("name") for r in ctx.find(SOURCE)}
    if params.get("deliverySourceName") not in sources:
        ctx.problem("deliverySourceName", f"{params.get('deliverySourceName')!r} is not a "
                                          "delivery source of this stack")
    destinations = {r.outputs.get("arn") for r in ctx.find(DESTINATION)}
    if params.get("deliveryDestinationArn") not in destinations:
        ctx.problem("deliveryDestinationArn", f"{params.get('deliveryDestinationArn')!r} is "
                                              "not a delivery destination of this stack")
    resp = ctx.call("logs", "CreateDelivery", params, where)
    made = (resp or {}).get("delivery") or {}
    out = {"id": made.get("id") or ctx.fake_id("", 16), "arn": made.get("arn", ""),
           "__summary__": f"{params.get('deliverySourceName')} -> "
                          f"{str(params.get('deliveryDestinationArn')).rsplit(':', 1)[-1]}"}
    return out if resp is not None else failed(ctx, **out)
