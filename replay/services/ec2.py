"""EC2 / VPC: VPC, subnets, gateways, routes, security groups, flow logs, launch templates.

One module past 450 lines because every translator here speaks the one EC2 API and shares
its request helpers (tag specifications, IP permissions, port checks).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from ..context import Ctx
from ..problems import join
from ..registry import resource
from . import autoname, failed, tf_bool


def _tag_specs(ctx: Ctx, resource_type: str) -> list[dict[str, Any]]:
    tags = ctx.inputs.get("tags") or {}
    return [{"ResourceType": resource_type, "Tags": ctx.tags(tags)}] if tags else []


@resource("aws:ec2/vpc:Vpc")
def vpc(ctx: Ctx) -> dict:
    where: dict[str, str] = {}
    params = ctx.pick(ctx.inputs, {"CidrBlock": "cidrBlock", "InstanceTenancy": "instanceTenancy"},
                      where)
    if _tag_specs(ctx, "vpc"):
        params["TagSpecifications"] = _tag_specs(ctx, "vpc")
    resp = ctx.call("ec2", "CreateVpc", params, where)
    if resp is None:
        return failed(ctx, id=ctx.fake_id("vpc-"))
    vpc_id = resp["Vpc"]["VpcId"]
    for attr, key in (("EnableDnsHostnames", "enableDnsHostnames"),
                      ("EnableDnsSupport", "enableDnsSupport")):
        if ctx.inputs.get(key) is not None:
            ctx.call("ec2", "ModifyVpcAttribute",
                     {"VpcId": vpc_id, attr: {"Value": ctx.inputs[key]}}, {attr: key})
    ec2 = ctx.client("ec2")
    sg = ec2.describe_security_groups(Filters=[
        {"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "group-name", "Values": ["default"]}])
    rt = ec2.describe_route_tables(Filters=[
        {"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "association.main", "Values": ["true"]}])
    main_rt = rt["RouteTables"][0]["RouteTableId"] if rt["RouteTables"] else ""
    return {
        "id": vpc_id,
        "arn": ctx.arn("ec2", f"vpc/{vpc_id}"),
        "ownerId": ctx.account,
        "defaultSecurityGroupId": (sg["SecurityGroups"] or [{}])[0].get("GroupId", ""),
        "mainRouteTableId": main_rt,
        "defaultRouteTableId": main_rt,
        "__summary__": f"cidr={ctx.inputs.get('cidrBlock')}",
    }


@resource("aws:ec2/subnet:Subnet")
def subnet(ctx: Ctx) -> dict:
    where: dict[str, str] = {}
    params = ctx.pick(ctx.inputs, {
        "VpcId": "vpcId", "CidrBlock": "cidrBlock", "AvailabilityZone": "availabilityZone",
        "AvailabilityZoneId": "availabilityZoneId", "Ipv6CidrBlock": "ipv6CidrBlock",
    }, where)
    if _tag_specs(ctx, "subnet"):
        params["TagSpecifications"] = _tag_specs(ctx, "subnet")
    resp = ctx.call("ec2", "CreateSubnet", params, where)
    if resp is None:
        return failed(ctx, id=ctx.fake_id("subnet-"))
    sub = resp["Subnet"]
    if ctx.inputs.get("mapPublicIpOnLaunch") is not None:
        ctx.call("ec2", "ModifySubnetAttribute", {
            "SubnetId": sub["SubnetId"],
            "MapPublicIpOnLaunch": {"Value": ctx.inputs["mapPublicIpOnLaunch"]}},
            {"MapPublicIpOnLaunch": "mapPublicIpOnLaunch"})
    return {
        "id": sub["SubnetId"],
        "arn": sub.get("SubnetArn") or ctx.arn("ec2", f"subnet/{sub['SubnetId']}"),
        "availabilityZone": sub["AvailabilityZone"],
        "availabilityZoneId": sub.get("AvailabilityZoneId"),
        "ownerId": ctx.account,
        "__summary__": f"{sub['AvailabilityZone']} {sub['CidrBlock']}",
    }


@resource("aws:ec2/internetGateway:InternetGateway")
def internet_gateway(ctx: Ctx) -> dict:
    params = {}
    if _tag_specs(ctx, "internet-gateway"):
        params["TagSpecifications"] = _tag_specs(ctx, "internet-gateway")
    resp = ctx.call("ec2", "CreateInternetGateway", params)
    if resp is None:
        return failed(ctx, id=ctx.fake_id("igw-"))
    igw = resp["InternetGateway"]["InternetGatewayId"]
    if ctx.inputs.get("vpcId"):
        ctx.call("ec2", "AttachInternetGateway", {"InternetGatewayId": igw,
                                                  "VpcId": ctx.inputs["vpcId"]}, {"VpcId": "vpcId"})
    return {"id": igw, "arn": ctx.arn("ec2", f"internet-gateway/{igw}"), "ownerId": ctx.account}


@resource("aws:ec2/internetGatewayAttachment:InternetGatewayAttachment")
def internet_gateway_attachment(ctx: Ctx) -> dict:
    where: dict[str, str] = {}
    params = ctx.pick(ctx.inputs, {"InternetGatewayId": "internetGatewayId", "VpcId": "vpcId"},
                      where)
    ctx.call("ec2", "AttachInternetGateway", params, where)
    return {"id": f"{params.get('InternetGatewayId')}:{params.get('VpcId')}"}


@resource("aws:ec2/eip:Eip")
def eip(ctx: Ctx) -> dict:
    where: dict[str, str] = {}
    params = ctx.pick(ctx.inputs, {"Domain": "domain", "NetworkBorderGroup": "networkBorderGroup",
                                   "PublicIpv4Pool": "publicIpv4Pool"}, where)
    if _tag_specs(ctx, "elastic-ip"):
        params["TagSpecifications"] = _tag_specs(ctx, "elastic-ip")
    resp = ctx.call("ec2", "AllocateAddress", params, where)
    if resp is None:
        return failed(ctx, id=ctx.fake_id("eipalloc-"))
    return {"id": resp["AllocationId"], "allocationId": resp["AllocationId"],
            "publicIp": resp["PublicIp"], "domain": resp.get("Domain", "vpc"),
            "arn": ctx.arn("ec2", f"elastic-ip/{resp['AllocationId']}")}


@resource("aws:ec2/natGateway:NatGateway")
def nat_gateway(ctx: Ctx) -> dict:
    where: dict[str, str] = {}
    params = ctx.pick(ctx.inputs, {"SubnetId": "subnetId", "AllocationId": "allocationId",
                                   "ConnectivityType": "connectivityType",
                                   "PrivateIpAddress": "privateIp"}, where)
    if _tag_specs(ctx, "natgateway"):
        params["TagSpecifications"] = _tag_specs(ctx, "natgateway")
    resp = ctx.call("ec2", "CreateNatGateway", params, where)
    if resp is None:
        return failed(ctx, id=ctx.fake_id("nat-"))
    nat = resp["NatGateway"]
    return {"id": nat["NatGatewayId"],
            "publicIp": (nat.get("NatGatewayAddresses") or [{}])[0].get("PublicIp")}


_ROUTE_SPEC = {
    "DestinationCidrBlock": "cidrBlock", "DestinationIpv6CidrBlock": "ipv6CidrBlock",
    "DestinationPrefixListId": "destinationPrefixListId", "GatewayId": "gatewayId",
    "NatGatewayId": "natGatewayId", "VpcEndpointId": "vpcEndpointId",
    "TransitGatewayId": "transitGatewayId", "NetworkInterfaceId": "networkInterfaceId",
    "VpcPeeringConnectionId": "vpcPeeringConnectionId", "EgressOnlyInternetGatewayId":
    "egressOnlyGatewayId",
}


@resource("aws:ec2/routeTable:RouteTable")
def route_table(ctx: Ctx) -> dict:
    params = ctx.pick(ctx.inputs, {"VpcId": "vpcId"})
    if _tag_specs(ctx, "route-table"):
        params["TagSpecifications"] = _tag_specs(ctx, "route-table")
    resp = ctx.call("ec2", "CreateRouteTable", params, {"VpcId": "vpcId"})
    if resp is None:
        return failed(ctx, id=ctx.fake_id("rtb-"))
    rtb = resp["RouteTable"]["RouteTableId"]
    for i, route in enumerate(ctx.inputs.get("routes") or []):
        where: dict[str, str] = {}
        rparams = {"RouteTableId": rtb, **ctx.pick(route, _ROUTE_SPEC, where, "",
                                                   f"routes[{i}]")}
        _route_target(ctx, rparams, f"routes[{i}]")
        ctx.call("ec2", "CreateRoute", rparams, where)
    return {"id": rtb, "arn": ctx.arn("ec2", f"route-table/{rtb}"), "ownerId": ctx.account}


def _route_target(ctx: Ctx, params: dict, path: str) -> None:
    targets = [k for k in params if k.endswith("Id") and k not in ("RouteTableId",
                                                                    "DestinationPrefixListId")]
    if len(targets) != 1:
        ctx.problem(path, f"a route needs exactly one target, got {targets or 'none'}")
    dests = [k for k in params if k.startswith("Destination")]
    if len(dests) != 1:
        ctx.problem(path, f"a route needs exactly one destination, got {dests or 'none'}")


@resource("aws:ec2/route:Route")
def route(ctx: Ctx) -> dict:
    where: dict[str, str] = {}
    spec = {**_ROUTE_SPEC, "RouteTableId": "routeTableId",
            "DestinationCidrBlock": "destinationCidrBlock",
            "DestinationIpv6CidrBlock": "destinationIpv6CidrBlock",
            "EgressOnlyInternetGatewayId": "egressOnlyGatewayId"}
    params = ctx.pick(ctx.inputs, spec, where)
    _route_target(ctx, params, "")
    ctx.call("ec2", "CreateRoute", params, where)
    dest = (params.get("DestinationCidrBlock") or params.get("DestinationIpv6CidrBlock")
            or params.get("DestinationPrefixListId"))
    return {"id": f"r-{params.get('RouteTableId')}{abs(hash(dest)) % 10**10}"}


@resource("aws:ec2/routeTableAssociation:RouteTableAssociation")
def route_table_association(ctx: Ctx) -> dict:
    where: dict[str, str] = {}
    params = ctx.pick(ctx.inputs, {"RouteTableId": "routeTableId", "SubnetId": "subnetId",
                                   "GatewayId": "gatewayId"}, where)
    resp = ctx.call("ec2", "AssociateRouteTable", params, where)
    if resp is None:
        return failed(ctx, id=ctx.fake_id("rtbassoc-"))
    return {"id": resp["AssociationId"]}


def _permission(ctx: Ctx, rule: dict, path: str, where: dict, api_path: str) -> dict:
    perm = ctx.pick(rule, {"IpProtocol": "protocol", "FromPort": "fromPort", "ToPort": "toPort"},
                    where, api_path, path)
    desc = rule.get("description")
    if rule.get("cidrBlocks"):
        perm["IpRanges"] = [{"CidrIp": c, **({"Description": desc} if desc else {})}
                            for c in rule["cidrBlocks"]]
    if rule.get("ipv6CidrBlocks"):
        perm["Ipv6Ranges"] = [{"CidrIpv6": c} for c in rule["ipv6CidrBlocks"]]
    if rule.get("prefixListIds"):
        perm["PrefixListIds"] = [{"PrefixListId": p} for p in rule["prefixListIds"]]
    groups = list(rule.get("securityGroups") or [])
    if groups:
        perm["UserIdGroupPairs"] = [{"GroupId": g} for g in groups]
    _check_ports(ctx, perm, path)
    return perm


def _check_ports(ctx: Ctx, perm: dict, path: str, proto_key: str = "protocol") -> None:
    proto = str(perm.get("IpProtocol", "")).lower()
    if proto not in ("-1", "all", "tcp", "udp", "icmp", "icmpv6", "6", "17", "1", "58") and \
            not proto.isdigit():
        ctx.problem(join(path, proto_key), f"{perm.get('IpProtocol')!r} is not a protocol "
                    "(tcp, udp, icmp, icmpv6, -1 or a number)")
    if proto in ("tcp", "udp", "6", "17"):
        lo, hi = perm.get("FromPort"), perm.get("ToPort")
        for key, val in (("fromPort", lo), ("toPort", hi)):
            if val is not None and not 0 <= val <= 65535:
                ctx.problem(join(path, key), f"{val} is not a port (0-65535)")
        if lo is not None and hi is not None and lo > hi:
            ctx.problem(join(path, "fromPort"), f"fromPort {lo} > toPort {hi}")


@resource("aws:ec2/securityGroup:SecurityGroup")
def security_group(ctx: Ctx) -> dict:
    name = autoname(ctx, max_len=255)
    params = {"GroupName": name,
              "Description": ctx.inputs.get("description") or "Managed by Pulumi"}
    if ctx.inputs.get("vpcId"):
        params["VpcId"] = ctx.inputs["vpcId"]
    if _tag_specs(ctx, "security-group"):
        params["TagSpecifications"] = _tag_specs(ctx, "security-group")
    resp = ctx.call("ec2", "CreateSecurityGroup", params,
                    {"GroupName": "name", "Description": "description", "VpcId": "vpcId"})
    if resp is None:
        return failed(ctx, id=ctx.fake_id("sg-"))
    gid = resp["GroupId"]
    for direction, op in (("ingress", "AuthorizeSecurityGroupIngress"),
                          ("egress", "AuthorizeSecurityGroupEgress")):
        rules = ctx.inputs.get(direction) or []
        if direction == "egress" and rules:
            ctx.client("ec2").revoke_security_group_egress(GroupId=gid, IpPermissions=[
                {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
        for i, rule in enumerate(rules):
            where: dict[str, str] = {}
            perm = _permission(ctx, rule, f"{direction}[{i}]", where, "IpPermissions[0]")
            if rule.get("self"):
                perm.setdefault("UserIdGroupPairs", []).append({"GroupId": gid})
            ctx.call("ec2", op, {"GroupId": gid, "IpPermissions": [perm]}, where)
    return {"id": gid, "arn": ctx.arn("ec2", f"security-group/{gid}"), "name": name,
            "ownerId": ctx.account, "__summary__": f"{len(ctx.inputs.get('ingress') or [])} "
            "inline ingress rules"}


@resource("aws:ec2/securityGroupRule:SecurityGroupRule")
def security_group_rule(ctx: Ctx) -> dict:
    kind = ctx.inputs.get("type")
    if kind not in ("ingress", "egress"):
        ctx.problem("type", f"{kind!r} not one of ['ingress', 'egress']")
        return failed(ctx)
    where: dict[str, str] = {"GroupId": "securityGroupId"}
    perm = _permission(ctx, ctx.inputs, "", where, "IpPermissions[0]")
    if ctx.inputs.get("sourceSecurityGroupId"):
        perm["UserIdGroupPairs"] = [{"GroupId": ctx.inputs["sourceSecurityGroupId"]}]
    if ctx.inputs.get("self"):
        perm["UserIdGroupPairs"] = [{"GroupId": ctx.inputs.get("securityGroupId")}]
    op = "AuthorizeSecurityGroupIngress" if kind == "ingress" else "AuthorizeSecurityGroupEgress"
    ctx.call("ec2", op, {"GroupId": ctx.inputs.get("securityGroupId"), "IpPermissions": [perm]},
             where)
    return {"id": ctx.fake_id("sgrule-")}


def _vpc_rule(ctx: Ctx, op: str) -> dict:
    where: dict[str, str] = {"GroupId": "securityGroupId"}
    rule = {"protocol": ctx.inputs.get("ipProtocol"), "fromPort": ctx.inputs.get("fromPort"),
            "toPort": ctx.inputs.get("toPort")}
    perm = ctx.pick(rule, {"IpProtocol": "protocol", "FromPort": "fromPort", "ToPort": "toPort"})
    where.update({"IpPermissions[0].IpProtocol": "ipProtocol",
                  "IpPermissions[0].FromPort": "fromPort", "IpPermissions[0].ToPort": "toPort"})
    desc = {"Description": ctx.inputs["description"]} if ctx.inputs.get("description") else {}
    sources = [k for k in ("cidrIpv4", "cidrIpv6", "prefixListId", "referencedSecurityGroupId")
               if ctx.inputs.get(k)]
    if len(sources) != 1:
        ctx.problem("", f"a rule needs exactly one of cidrIpv4, cidrIpv6, prefixListId, "
                        f"referencedSecurityGroupId; got {sources or 'none'}")
    if ctx.inputs.get("cidrIpv4"):
        perm["IpRanges"] = [{"CidrIp": ctx.inputs["cidrIpv4"], **desc}]
    if ctx.inputs.get("cidrIpv6"):
        perm["Ipv6Ranges"] = [{"CidrIpv6": ctx.inputs["cidrIpv6"], **desc}]
    if ctx.inputs.get("prefixListId"):
        perm["PrefixListIds"] = [{"PrefixListId": ctx.inputs["prefixListId"], **desc}]
    if ctx.inputs.get("referencedSecurityGroupId"):
        perm["UserIdGroupPairs"] = [{"GroupId": ctx.inputs["referencedSecurityGroupId"], **desc}]
    _check_ports(ctx, perm, "", "ipProtocol")
    resp = ctx.call("ec2", op, {"GroupId": ctx.inputs.get("securityGroupId"),
                                "IpPermissions": [perm]}, where)
    rules = (resp or {}).get("SecurityGroupRules") or [{}]
    rule_id = rules[0].get("SecurityGroupRuleId") or ctx.fake_id("sgr-")
    return {"id": rule_id, "securityGroupRuleId": rule_id,
            "arn": ctx.arn("ec2", f"security-group-rule/{rule_id}")}


@resource("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
def sg_ingress_rule(ctx: Ctx) -> dict:
    return _vpc_rule(ctx, "AuthorizeSecurityGroupIngress")


@resource("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
def sg_egress_rule(ctx: Ctx) -> dict:
    return _vpc_rule(ctx, "AuthorizeSecurityGroupEgress")


@resource("aws:ec2/vpcEndpoint:VpcEndpoint")
def vpc_endpoint(ctx: Ctx) -> dict:
    where: dict[str, str] = {}
    params = ctx.pick(ctx.inputs, {
        "VpcId": "vpcId", "ServiceName": "serviceName", "VpcEndpointType": "vpcEndpointType",
        "RouteTableIds": "routeTableIds", "SubnetIds": "subnetIds",
        "SecurityGroupIds": "securityGroupIds", "PrivateDnsEnabled": "privateDnsEnabled",
        "PolicyDocument": "policy"}, where)
    if params.get("PolicyDocument"):
        ctx.policy("policy", params["PolicyDocument"], "resource")
    resp = ctx.call("ec2", "CreateVpcEndpoint", params, where)
    if resp is None:
        return failed(ctx, id=ctx.fake_id("vpce-"))
    ep = resp["VpcEndpoint"]
    return {"id": ep["VpcEndpointId"], "prefixListId": ep.get("PrefixListId"),
            "arn": ctx.arn("ec2", f"vpc-endpoint/{ep['VpcEndpointId']}")}


@resource("aws:ec2/launchTemplate:LaunchTemplate")
def launch_template(ctx: Ctx) -> dict:
    name = autoname(ctx, max_len=128)
    where: dict[str, str] = {"LaunchTemplateName": "name"}
    base = "LaunchTemplateData"
    data = ctx.pick(ctx.inputs, {
        "ImageId": "imageId", "InstanceType": "instanceType", "KeyName": "keyName",
        "UserData": "userData", "SecurityGroupIds": "vpcSecurityGroupIds",
        "InstanceInitiatedShutdownBehavior": "instanceInitiatedShutdownBehavior",
        "DisableApiTermination": "disableApiTermination"}, where, base)
    if data.get("UserData"):
        try:
            base64.b64decode(data["UserData"], validate=True)
        except (binascii.Error, ValueError):
            ctx.problem("userData", "user data of a launch template must be base64-encoded")
        if len(data["UserData"]) > 16384:
            ctx.problem("userData", f"{len(data['UserData'])} bytes base64, maximum 16384")
    if ctx.inputs.get("ebsOptimized") is not None:
        data["EbsOptimized"] = tf_bool(ctx, ctx.inputs["ebsOptimized"], "ebsOptimized")
    profile = ctx.inputs.get("iamInstanceProfile")
    if profile:
        data["IamInstanceProfile"] = ctx.pick(profile, {"Arn": "arn", "Name": "name"}, where,
                                              f"{base}.IamInstanceProfile", "iamInstanceProfile")
    meta = ctx.inputs.get("metadataOptions")
    if meta:
        data["MetadataOptions"] = ctx.pick(meta, {
            "HttpTokens": "httpTokens", "HttpPutResponseHopLimit": "httpPutResponseHopLimit",
            "HttpEndpoint": "httpEndpoint", "HttpProtocolIpv6": "httpProtocolIpv6",
            "InstanceMetadataTags": "instanceMetadataTags"}, where,
            f"{base}.MetadataOptions", "metadataOptions")
    if ctx.inputs.get("monitoring"):
        data["Monitoring"] = ctx.pick(ctx.inputs["monitoring"], {"Enabled": "enabled"}, where,
                                      f"{base}.Monitoring", "monitoring")
    nics = []
    for i, nic in enumerate(ctx.inputs.get("networkInterfaces") or []):
        wp, ap = f"networkInterfaces[{i}]", f"{base}.NetworkInterfaces[{i}]"
        item = ctx.pick(nic, {"DeviceIndex": "deviceIndex", "Groups": "securityGroups",
                              "SubnetId": "subnetId", "Description": "description"}, where, ap, wp)
        for api, wire in (("AssociatePublicIpAddress", "associatePublicIpAddress"),
                          ("DeleteOnTermination", "deleteOnTermination")):
            if nic.get(wire) is not None:
                item[api] = tf_bool(ctx, nic[wire], f"{wp}.{wire}")
        nics.append(item)
    if nics:
        data["NetworkInterfaces"] = nics
    bdms = []
    for i, bdm in enumerate(ctx.inputs.get("blockDeviceMappings") or []):
        wp, ap = f"blockDeviceMappings[{i}]", f"{base}.BlockDeviceMappings[{i}]"
        item = ctx.pick(bdm, {"DeviceName": "deviceName", "NoDevice": "noDevice",
                              "VirtualName": "virtualName"}, where, ap, wp)
        ebs = bdm.get("ebs")
        if ebs:
            e = ctx.pick(ebs, {"VolumeSize": "volumeSize", "VolumeType": "volumeType",
                               "Iops": "iops", "Throughput": "throughput", "KmsKeyId": "kmsKeyId",
                               "SnapshotId": "snapshotId"}, where, f"{ap}.Ebs", f"{wp}.ebs")
            for api, wire in (("Encrypted", "encrypted"), ("DeleteOnTermination",
                                                            "deleteOnTermination")):
                if ebs.get(wire) is not None:
                    e[api] = tf_bool(ctx, ebs[wire], f"{wp}.ebs.{wire}")
            item["Ebs"] = e
        bdms.append(item)
    if bdms:
        data["BlockDeviceMappings"] = bdms
    specs = []
    for i, spec in enumerate(ctx.inputs.get("tagSpecifications") or []):
        specs.append({"ResourceType": spec.get("resourceType"),
                      "Tags": ctx.tags(spec.get("tags"))})
        where[f"{base}.TagSpecifications[{i}].ResourceType"] = \
            f"tagSpecifications[{i}].resourceType"
    if specs:
        data["TagSpecifications"] = specs
    params: dict[str, Any] = {"LaunchTemplateName": name, "LaunchTemplateData": data}
    if _tag_specs(ctx, "launch-template"):
        params["TagSpecifications"] = _tag_specs(ctx, "launch-template")
    resp = ctx.call("ec2", "CreateLaunchTemplate", params, where)
    if resp is None:
        return failed(ctx, id=ctx.fake_id("lt-"), name=name, latestVersion=1, defaultVersion=1)
    lt = resp["LaunchTemplate"]
    return {"id": lt["LaunchTemplateId"], "name": name,
            "arn": ctx.arn("ec2", f"launch-template/{lt['LaunchTemplateId']}"),
            "latestVersion": lt.get("LatestVersionNumber", 1),
            "defaultVersion": lt.get("DefaultVersionNumber", 1),
            "__summary__": f"{data.get('InstanceType')} {data.get('ImageId')}"}


@resource("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
def default_security_group(ctx: Ctx) -> dict:
    """Pulumi adopts the VPC's own default group: find it, revoke what it has (AWS's
    self-referencing ingress and allow-all egress), then authorize the rules given."""
    vpc_id = ctx.inputs.get("vpcId")
    ec2 = ctx.client("ec2")
    found = ec2.describe_security_groups(Filters=[
        {"Name": "vpc-id", "Values": [vpc_id or ""]},
        {"Name": "group-name", "Values": ["default"]}])["SecurityGroups"]
    if not found:
        ctx.problem("vpcId", f"{vpc_id!r}: no VPC with a default security group")
        return failed(ctx, id=ctx.fake_id("sg-"))
    group = found[0]
    gid = group["GroupId"]
    for key, revoke in (("IpPermissions", ec2.revoke_security_group_ingress),
                        ("IpPermissionsEgress", ec2.revoke_security_group_egress)):
        if group.get(key):
            revoke(GroupId=gid, IpPermissions=[
                {k: v for k, v in perm.items() if v not in ([], None)} for perm in group[key]])
    for direction, op in (("ingress", "AuthorizeSecurityGroupIngress"),
                          ("egress", "AuthorizeSecurityGroupEgress")):
        for i, rule in enumerate(ctx.inputs.get(direction) or []):
            where: dict[str, str] = {}
            perm = _permission(ctx, rule, f"{direction}[{i}]", where, "IpPermissions[0]")
            if rule.get("self"):
                perm.setdefault("UserIdGroupPairs", []).append({"GroupId": gid})
            ctx.call("ec2", op, {"GroupId": gid, "IpPermissions": [perm]}, where)
    rules = len(ctx.inputs.get("ingress") or []) + len(ctx.inputs.get("egress") or [])
    return {"id": gid, "arn": ctx.arn("ec2", f"security-group/{gid}"), "name": "default",
            "ownerId": ctx.account, "vpcId": vpc_id,
            "__summary__": f"default group, {rules} rules" if rules else
            "default group, locked (no rules)"}


FLOW_LOG_INTERVALS = (60, 600)  # seconds: CreateFlowLogs' MaxAggregationInterval values


@resource("aws:ec2/flowLog:FlowLog")
def flow_log(ctx: Ctx) -> dict:
    """CreateFlowLogs for one VPC, subnet or ENI. To CloudWatch Logs it needs a role the
    flow-logs service can assume; to S3 it must not have one."""
    where: dict[str, str] = {"ResourceIds": "vpcId", "TrafficType": "trafficType",
                             "LogDestinationType": "logDestinationType",
                             "LogDestination": "logDestination",
                             "DeliverLogsPermissionArn": "iamRoleArn",
                             "MaxAggregationInterval": "maxAggregationInterval",
                             "LogFormat": "logFormat"}
    targets = [(k, t) for k, t in (("vpcId", "VPC"), ("subnetId", "Subnet"),
                                   ("eniId", "NetworkInterface")) if ctx.inputs.get(k)]
    if len(targets) != 1:
        ctx.problem("vpcId", f"a flow log needs exactly one of vpcId, subnetId, eniId; got "
                             f"{[k for k, _ in targets] or 'none'}")
        return failed(ctx, id=ctx.fake_id("fl-"))
    key, kind = targets[0]
    where["ResourceIds"] = key
    destination_type = ctx.inputs.get("logDestinationType") or "cloud-watch-logs"
    params = {"ResourceIds": [ctx.inputs[key]], "ResourceType": kind,
              "LogDestinationType": destination_type,
              **ctx.pick(ctx.inputs, {"TrafficType": "trafficType",
                                      "LogDestination": "logDestination",
                                      "DeliverLogsPermissionArn": "iamRoleArn",
                                      "MaxAggregationInterval": "maxAggregationInterval",
                                      "LogFormat": "logFormat"})}
    interval = params.get("MaxAggregationInterval")
    if interval is not None and interval not in FLOW_LOG_INTERVALS:
        ctx.problem("maxAggregationInterval", f"{interval} s is not one of {FLOW_LOG_INTERVALS}")
    role = params.get("DeliverLogsPermissionArn")
    if destination_type == "cloud-watch-logs" and not role:
        ctx.problem("iamRoleArn", "flow logs to CloudWatch Logs need a role to write with")
    if destination_type == "s3" and role:
        ctx.problem("iamRoleArn", "flow logs to S3 take no role (the bucket policy admits "
                                  "delivery.logs.amazonaws.com)")
    if role:
        roles = [r for r in ctx.find("aws:iam/role:Role") if r.outputs.get("arn") == role]
        trust = str(roles[0].inputs.get("assumeRolePolicy", "")) if roles else ""
        if roles and "vpc-flow-logs.amazonaws.com" not in trust:
            ctx.problem("iamRoleArn", "the role's trust policy does not admit "
                                      "vpc-flow-logs.amazonaws.com")
    if ctx.inputs.get("tags"):
        params["TagSpecifications"] = [{"ResourceType": "vpc-flow-log",
                                        "Tags": ctx.tags(ctx.inputs["tags"])}]
    resp = ctx.call("ec2", "CreateFlowLogs", params, where)
    ids = (resp or {}).get("FlowLogIds") or []
    unsuccessful = (resp or {}).get("Unsuccessful") or []
    for item in unsuccessful:
        ctx.problem(key, f"moto refused the flow log: {(item.get('Error') or {}).get('Message')}")
    fid = ids[0] if ids else ctx.fake_id("fl-")
    out = {"id": fid, "arn": ctx.arn("ec2", f"vpc-flow-log/{fid}"),
           "__summary__": f"{params.get('TrafficType')} to {destination_type}"}
    return out if ids else failed(ctx, **out)
