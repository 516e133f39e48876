"""DynamoDB tables."""

from __future__ import annotations

from typing import Any

from ..context import Ctx
from ..registry import resource
from . import autoname, failed


@resource("aws:dynamodb/table:Table")
def table(ctx: Ctx) -> dict:
    name = autoname(ctx, max_len=255)
    where: dict[str, str] = {"TableName": "name", "BillingMode": "billingMode"}
    params: dict[str, Any] = {"TableName": name,
                              "BillingMode": ctx.inputs.get("billingMode") or "PROVISIONED"}
    attrs = ctx.inputs.get("attributes") or []
    params["AttributeDefinitions"] = [
        ctx.pick(a, {"AttributeName": "name", "AttributeType": "type"}, where,
                 f"AttributeDefinitions[{i}]", f"attributes[{i}]") for i, a in enumerate(attrs)]
    keys = [{"AttributeName": ctx.inputs.get("hashKey"), "KeyType": "HASH"}]
    where["KeySchema[0].AttributeName"] = "hashKey"
    if ctx.inputs.get("rangeKey"):
        keys.append({"AttributeName": ctx.inputs["rangeKey"], "KeyType": "RANGE"})
        where["KeySchema[1].AttributeName"] = "rangeKey"
    params["KeySchema"] = keys
    defined = {a.get("name") for a in attrs}
    used = {k["AttributeName"] for k in keys}
    gsis = []
    for i, g in enumerate(ctx.inputs.get("globalSecondaryIndexes") or []):
        schema = [{"AttributeName": g.get("hashKey"), "KeyType": "HASH"}]
        if g.get("rangeKey"):
            schema.append({"AttributeName": g["rangeKey"], "KeyType": "RANGE"})
        used |= {k["AttributeName"] for k in schema}
        proj = {"ProjectionType": g.get("projectionType")}
        if g.get("nonKeyAttributes"):
            proj["NonKeyAttributes"] = g["nonKeyAttributes"]
        item: dict[str, Any] = {"IndexName": g.get("name"), "KeySchema": schema,
                                "Projection": proj}
        where[f"GlobalSecondaryIndexes[{i}].Projection.ProjectionType"] = \
            f"globalSecondaryIndexes[{i}].projectionType"
        if params["BillingMode"] == "PROVISIONED":
            item["ProvisionedThroughput"] = {"ReadCapacityUnits": g.get("readCapacity"),
                                             "WriteCapacityUnits": g.get("writeCapacity")}
        gsis.append(item)
    if gsis:
        params["GlobalSecondaryIndexes"] = gsis
    for attr in sorted(used - defined, key=str):
        ctx.problem("attributes", f"key attribute {attr!r} has no attribute definition")
    for attr in sorted(defined - used, key=str):
        ctx.problem("attributes", f"attribute {attr!r} is defined but is no key (DynamoDB "
                                  "rejects unused attribute definitions)")
    if params["BillingMode"] == "PROVISIONED":
        params["ProvisionedThroughput"] = {
            "ReadCapacityUnits": ctx.inputs.get("readCapacity"),
            "WriteCapacityUnits": ctx.inputs.get("writeCapacity")}
        where["ProvisionedThroughput.ReadCapacityUnits"] = "readCapacity"
        where["ProvisionedThroughput.WriteCapacityUnits"] = "writeCapacity"
    elif ctx.inputs.get("readCapacity") or ctx.inputs.get("writeCapacity"):
        ctx.problem("readCapacity", "capacity cannot be set with PAY_PER_REQUEST")
    sse = ctx.inputs.get("serverSideEncryption")
    if sse:
        params["SSESpecification"] = ctx.pick(sse, {"Enabled": "enabled",
                                                    "KMSMasterKeyId": "kmsKeyArn"}, where,
                                              "SSESpecification", "serverSideEncryption")
        if sse.get("kmsKeyArn"):
            params["SSESpecification"]["SSEType"] = "KMS"
    if ctx.inputs.get("streamEnabled"):
        params["StreamSpecification"] = {"StreamEnabled": True,
                                         "StreamViewType": ctx.inputs.get("streamViewType")}
        where["StreamSpecification.StreamViewType"] = "streamViewType"
    if ctx.inputs.get("deletionProtectionEnabled") is not None:
        params["DeletionProtectionEnabled"] = ctx.inputs["deletionProtectionEnabled"]
    if ctx.inputs.get("tags"):
        params["Tags"] = ctx.tags(ctx.inputs["tags"])
    resp = ctx.call("dynamodb", "CreateTable", params, where)
    arn = ((resp or {}).get("TableDescription") or {}).get("TableArn") or \
        ctx.arn("dynamodb", f"table/{name}")
    ttl = ctx.inputs.get("ttl")
    if resp is not None and ttl and ttl.get("enabled"):
        ctx.call("dynamodb", "UpdateTimeToLive", {"TableName": name, "TimeToLiveSpecification": {
            "Enabled": True, "AttributeName": ttl.get("attributeName")}},
            {"TimeToLiveSpecification.AttributeName": "ttl.attributeName"})
    pitr = ctx.inputs.get("pointInTimeRecovery")
    if resp is not None and pitr:
        ctx.call("dynamodb", "UpdateContinuousBackups", {
            "TableName": name, "PointInTimeRecoverySpecification": {
                "PointInTimeRecoveryEnabled": bool(pitr.get("enabled"))}})
    out = {"id": name, "name": name, "arn": arn,
           "streamArn": ((resp or {}).get("TableDescription") or {}).get("LatestStreamArn"),
           "__summary__": f"{params['BillingMode']} key {[k['AttributeName'] for k in keys]}"}
    return out if resp is not None else failed(ctx, **out)
