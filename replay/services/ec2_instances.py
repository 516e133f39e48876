"""EC2 instances (`aws.ec2.Instance`): RunInstances, checked and created in moto.

Beyond botocore's model, three rules the API or AWS guidance states and moto does not
enforce:
- a one-time Spot request only supports the interruption behaviour `terminate` (EC2
  User Guide, "Specify the interruption behavior": stop and hibernate need a
  persistent request);
- user data that powers the instance off (`shutdown`, `poweroff`, `halt`) needs
  InstanceInitiatedShutdownBehavior=terminate, else the instance is only stopped and its
  volume stays billed (EC2 User Guide, "Change the instance initiated shutdown behavior");
- no security group of an instance with a public IP may admit the whole internet
  (replay/checks/ec2.py, deferred: the rules may be separate resources).
"""

from __future__ import annotations

import base64
import re
from typing import Any

from ..checks import ec2 as checks
from ..context import Ctx
from ..registry import resource
from . import failed, tf_bool

USER_DATA_MAX_BYTES = 16384  # raw, before base64 (EC2 User Guide, "Run commands at launch")
POWER_OFF = re.compile(r"(^|[\s;&|(])(shutdown|poweroff|halt)\b", re.MULTILINE)


@resource("aws:ec2/instance:Instance")
def instance(ctx: Ctx) -> dict:
    inputs = ctx.inputs
    where: dict[str, str] = {}
    params: dict[str, Any] = {"MinCount": 1, "MaxCount": 1}
    params.update(ctx.pick(inputs, {
        "ImageId": "ami", "InstanceType": "instanceType", "KeyName": "keyName",
        "InstanceInitiatedShutdownBehavior": "instanceInitiatedShutdownBehavior",
        "PrivateIpAddress": "privateIp"}, where))
    groups = list(inputs.get("vpcSecurityGroupIds") or [])
    public = tf_bool(ctx, inputs.get("associatePublicIpAddress"), "associatePublicIpAddress")
    if public is not None:
        # As the provider does: a public IP is asked for on the primary interface.
        params["NetworkInterfaces"] = [{"DeviceIndex": 0, "AssociatePublicIpAddress": public,
                                        "SubnetId": inputs.get("subnetId"), "Groups": groups}]
        where.update({"NetworkInterfaces[0].SubnetId": "subnetId",
                      "NetworkInterfaces[0].Groups": "vpcSecurityGroupIds"})
    else:
        params.update(ctx.pick(inputs, {"SubnetId": "subnetId",
                                        "SecurityGroupIds": "vpcSecurityGroupIds"}, where))
    if inputs.get("iamInstanceProfile"):
        params["IamInstanceProfile"] = {"Name": inputs["iamInstanceProfile"]}
        where["IamInstanceProfile.Name"] = "iamInstanceProfile"
    if inputs.get("metadataOptions"):
        params["MetadataOptions"] = ctx.pick(inputs["metadataOptions"], {
            "HttpTokens": "httpTokens", "HttpPutResponseHopLimit": "httpPutResponseHopLimit",
            "HttpEndpoint": "httpEndpoint", "InstanceMetadataTags": "instanceMetadataTags"},
            where, "MetadataOptions", "metadataOptions")
    market = inputs.get("instanceMarketOptions")
    if market:
        params["InstanceMarketOptions"] = _market(ctx, market, where)
    root = inputs.get("rootBlockDevice")
    if root:
        ebs = ctx.pick(root, {"VolumeSize": "volumeSize", "VolumeType": "volumeType",
                              "Iops": "iops", "Throughput": "throughput",
                              "KmsKeyId": "kmsKeyId"}, where,
                       "BlockDeviceMappings[0].Ebs", "rootBlockDevice")
        for api, wire in (("Encrypted", "encrypted"), ("DeleteOnTermination",
                                                        "deleteOnTermination")):
            if root.get(wire) is not None:
                ebs[api] = tf_bool(ctx, root[wire], f"rootBlockDevice.{wire}")
        params["BlockDeviceMappings"] = [{"DeviceName": "/dev/xvda", "Ebs": ebs}]
    user_data = inputs.get("userData")
    if user_data:
        raw = user_data.encode()
        if len(raw) > USER_DATA_MAX_BYTES:
            ctx.problem("userData", f"{len(raw)} bytes, maximum {USER_DATA_MAX_BYTES}")
        params["UserData"] = base64.b64encode(raw).decode()
        if POWER_OFF.search(user_data) and \
                params.get("InstanceInitiatedShutdownBehavior", "stop") != "terminate":
            ctx.problem("instanceInitiatedShutdownBehavior",
                        "user data powers the instance off, but the shutdown behavior is "
                        f"{params.get('InstanceInitiatedShutdownBehavior', 'stop')!r}: the "
                        "instance stops instead of terminating (its volume stays billed)")
    if inputs.get("tags"):
        params["TagSpecifications"] = [{"ResourceType": "instance",
                                        "Tags": ctx.tags(inputs["tags"])}]
    resp = ctx.call("ec2", "RunInstances", params, where)
    if resp is None:
        return failed(ctx, id=ctx.fake_id("i-"), publicIp="203.0.113.10", privateIp="10.0.0.10")
    made = resp["Instances"][0]
    if public:
        checks.public_instance_ingress(ctx, groups)
    return {"id": made["InstanceId"], "arn": ctx.arn("ec2", f"instance/{made['InstanceId']}"),
            "publicIp": made.get("PublicIpAddress") or "",
            "privateIp": made.get("PrivateIpAddress") or "",
            "instanceLifecycle": made.get("InstanceLifecycle") or "",
            "instanceState": made.get("State", {}).get("Name", "")}


def _market(ctx: Ctx, market: dict, where: dict[str, str]) -> dict[str, Any]:
    out = ctx.pick(market, {"MarketType": "marketType"}, where, "InstanceMarketOptions",
                   "instanceMarketOptions")
    spot = market.get("spotOptions")
    if spot:
        out["SpotOptions"] = ctx.pick(spot, {
            "SpotInstanceType": "spotInstanceType", "MaxPrice": "maxPrice",
            "InstanceInterruptionBehavior": "instanceInterruptionBehavior",
            "ValidUntil": "validUntil"}, where, "InstanceMarketOptions.SpotOptions",
            "instanceMarketOptions.spotOptions")
        kind = out["SpotOptions"].get("SpotInstanceType", "one-time")
        behavior = out["SpotOptions"].get("InstanceInterruptionBehavior", "terminate")
        if kind == "one-time" and behavior != "terminate":
            ctx.problem("instanceMarketOptions.spotOptions.instanceInterruptionBehavior",
                        f"{behavior!r} needs a persistent Spot request; a one-time request "
                        "supports only 'terminate'")
    return out

