"""Elastic Load Balancing v2: load balancers, target groups, listeners, rules."""

from __future__ import annotations

from typing import Any

from ..checks import elbv2 as checks
from ..context import Ctx
from ..registry import resource
from . import autoname, failed

_LB_ATTRIBUTES = {
    # wire key -> (attribute key, check)
    "idleTimeout": ("idle_timeout.timeout_seconds", lambda v: 1 <= v <= 4000, "1-4000"),
    "dropInvalidHeaderFields": ("routing.http.drop_invalid_header_fields.enabled", None, ""),
    "desyncMitigationMode": ("routing.http.desync_mitigation_mode",
                             lambda v: v in ("monitor", "defensive", "strictest"),
                             "one of ['monitor', 'defensive', 'strictest']"),
    "enableDeletionProtection": ("deletion_protection.enabled", None, ""),
    "enableHttp2": ("routing.http2.enabled", None, ""),
    "enableWafFailOpen": ("waf.fail_open.enabled", None, ""),
    "preserveHostHeader": ("routing.http.preserve_host_header.enabled", None, ""),
    "xffHeaderProcessingMode": ("routing.http.xff_header_processing.mode",
                                lambda v: v in ("append", "preserve", "remove"),
                                "one of ['append', 'preserve', 'remove']"),
    "clientKeepAlive": ("client_keep_alive.seconds", lambda v: 60 <= v <= 604800, "60-604800"),
    "enableCrossZoneLoadBalancing": ("load_balancing.cross_zone.enabled", None, ""),
}


def _attr_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _lb_name_check(ctx: Ctx, name: str, max_len: int, what: str) -> None:
    import re

    if len(name) > max_len:
        ctx.problem("name", f"{what} name {name!r} is {len(name)} characters, maximum {max_len}")
    if not re.fullmatch(r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?", name) or \
            name.lower().startswith("internal-"):
        ctx.problem("name", f"{what} name {name!r}: letters, digits and inner hyphens only")


@resource("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")
def load_balancer(ctx: Ctx) -> dict:
    name = autoname(ctx, max_len=32)
    _lb_name_check(ctx, name, 32, "load balancer")
    lb_type = ctx.inputs.get("loadBalancerType") or "application"
    where = {"Name": "name", "Type": "loadBalancerType", "Scheme": "internal",
             "Subnets": "subnets", "SecurityGroups": "securityGroups",
             "IpAddressType": "ipAddressType"}
    params: dict[str, Any] = {"Name": name, "Type": lb_type,
                              "Scheme": "internal" if ctx.inputs.get("internal") else
                              "internet-facing"}
    params.update(ctx.pick(ctx.inputs, {"Subnets": "subnets", "SecurityGroups": "securityGroups",
                                        "IpAddressType": "ipAddressType"}))
    mappings = ctx.inputs.get("subnetMappings") or []
    if mappings:
        params["SubnetMappings"] = [ctx.pick(m, {"SubnetId": "subnetId",
                                                 "AllocationId": "allocationId"})
                                    for m in mappings]
    if ctx.inputs.get("tags"):
        params["Tags"] = ctx.tags(ctx.inputs["tags"])
    subnet_ids = list(params.get("Subnets") or []) + [m.get("SubnetId") for m in
                                                      params.get("SubnetMappings", [])]
    if lb_type == "application":
        checks.subnets_in_two_azs(ctx, subnet_ids)
    resp = ctx.call("elbv2", "CreateLoadBalancer", params, where)
    attributes = []
    for wire, (key, ok, allowed) in _LB_ATTRIBUTES.items():
        value = ctx.inputs.get(wire)
        if value is None:
            continue
        if ok is not None and not ok(value):
            ctx.problem(wire, f"{value!r} not {allowed}")
        attributes.append({"Key": key, "Value": _attr_value(value)})
    logs = ctx.inputs.get("accessLogs")
    if logs:
        attributes += [{"Key": "access_logs.s3.enabled",
                        "Value": _attr_value(bool(logs.get("enabled", True)))},
                       {"Key": "access_logs.s3.bucket", "Value": str(logs.get("bucket", ""))}]
        if logs.get("prefix"):
            attributes.append({"Key": "access_logs.s3.prefix", "Value": logs["prefix"]})
    if resp is None:
        arn = ctx.arn("elasticloadbalancing", f"loadbalancer/app/{name}/{ctx.fake_id('', 16)}")
        return failed(ctx, id=arn, arn=arn, arnSuffix=arn.split(":loadbalancer/")[1],
                      dnsName=f"{name}-1.{ctx.region}.elb.amazonaws.com", name=name)
    lb = resp["LoadBalancers"][0]
    if attributes:
        ctx.call("elbv2", "ModifyLoadBalancerAttributes",
                 {"LoadBalancerArn": lb["LoadBalancerArn"], "Attributes": attributes})
    arn = lb["LoadBalancerArn"]
    return {"id": arn, "arn": arn, "arnSuffix": arn.split(":loadbalancer/")[1], "name": name,
            "dnsName": lb["DNSName"], "zoneId": lb["CanonicalHostedZoneId"],
            "vpcId": lb.get("VpcId"), "__summary__": f"{lb_type} {lb['DNSName']}"}


_HC_SPEC = {
    "HealthCheckEnabled": "enabled", "HealthCheckIntervalSeconds": "interval",
    "HealthCheckPath": "path", "HealthCheckPort": "port", "HealthCheckProtocol": "protocol",
    "HealthCheckTimeoutSeconds": "timeout", "HealthyThresholdCount": "healthyThreshold",
    "UnhealthyThresholdCount": "unhealthyThreshold",
}


@resource("aws:lb/targetGroup:TargetGroup", "aws:alb/targetGroup:TargetGroup")
def target_group(ctx: Ctx) -> dict:
    name = autoname(ctx, max_len=32)
    _lb_name_check(ctx, name, 32, "target group")
    where = {"Name": "name"}
    params: dict[str, Any] = {"Name": name}
    params.update(ctx.pick(ctx.inputs, {
        "Protocol": "protocol", "ProtocolVersion": "protocolVersion", "Port": "port",
        "VpcId": "vpcId", "TargetType": "targetType", "IpAddressType": "ipAddressType"}, where))
    hc = ctx.inputs.get("healthCheck") or {}
    for api, wire in _HC_SPEC.items():
        if hc.get(wire) is not None:
            params[api] = hc[wire]
            where[api] = f"healthCheck.{wire}"
    if hc.get("matcher"):
        params["Matcher"] = {"HttpCode": hc["matcher"]}
        where["Matcher"] = "healthCheck.matcher"
    port = params.get("HealthCheckPort")
    if port is not None and port != "traffic-port" and not (
            str(port).isdigit() and 1 <= int(port) <= 65535):
        ctx.problem("healthCheck.port", f"{port!r} is neither 'traffic-port' nor a port 1-65535")
    if "HealthCheckTimeoutSeconds" in params and "HealthCheckIntervalSeconds" in params and \
            params["HealthCheckTimeoutSeconds"] >= params["HealthCheckIntervalSeconds"]:
        ctx.problem("healthCheck.timeout", "the health check timeout must be shorter than "
                                           "its interval")
    if ctx.inputs.get("tags"):
        params["Tags"] = ctx.tags(ctx.inputs["tags"])
    resp = ctx.call("elbv2", "CreateTargetGroup", params, where)
    attributes = []
    if ctx.inputs.get("deregistrationDelay") is not None:
        delay = ctx.inputs["deregistrationDelay"]
        if not 0 <= float(delay) <= 3600:
            ctx.problem("deregistrationDelay", f"{delay} not 0-3600 seconds")
        attributes.append({"Key": "deregistration_delay.timeout_seconds",
                           "Value": _attr_value(delay)})
    if ctx.inputs.get("slowStart") is not None:
        slow = ctx.inputs["slowStart"]
        if not (slow == 0 or 30 <= slow <= 900):
            ctx.problem("slowStart", f"{slow} not 0 or 30-900 seconds")
        attributes.append({"Key": "slow_start.duration_seconds", "Value": _attr_value(slow)})
    algo = ctx.inputs.get("loadBalancingAlgorithmType")
    if algo is not None:
        if algo not in ("round_robin", "least_outstanding_requests", "weighted_random"):
            ctx.problem("loadBalancingAlgorithmType", f"{algo!r} not one of ['round_robin', "
                        "'least_outstanding_requests', 'weighted_random']")
        attributes.append({"Key": "load_balancing.algorithm.type", "Value": algo})
    sticky = ctx.inputs.get("stickiness")
    if sticky:
        if sticky.get("type") not in ("lb_cookie", "app_cookie", "source_ip", "source_ip_dest_ip",
                                      "source_ip_dest_ip_proto"):
            ctx.problem("stickiness.type", f"{sticky.get('type')!r} is not a stickiness type")
        attributes.append({"Key": "stickiness.enabled",
                           "Value": _attr_value(bool(sticky.get("enabled", True)))})
    if resp is None:
        arn = ctx.arn("elasticloadbalancing", f"targetgroup/{name}/{ctx.fake_id('', 16)}")
        return failed(ctx, id=arn, arn=arn, arnSuffix=arn.split(":", 5)[5], name=name)
    tg = resp["TargetGroups"][0]
    arn = tg["TargetGroupArn"]
    if attributes:
        ctx.call("elbv2", "ModifyTargetGroupAttributes",
                 {"TargetGroupArn": arn, "Attributes": attributes})
    return {"id": arn, "arn": arn, "arnSuffix": arn.split(":", 5)[5], "name": name,
            "__summary__": f"{params.get('Protocol')}:{params.get('Port')} "
                           f"health {params.get('HealthCheckPath', '/')}"}


def _actions(ctx: Ctx, actions: list[dict], wire_base: str, api_base: str,
             where: dict) -> list[dict]:
    out = []
    for i, action in enumerate(actions or []):
        wp, ap = f"{wire_base}[{i}]", f"{api_base}[{i}]"
        item = ctx.pick(action, {"Type": "type", "TargetGroupArn": "targetGroupArn",
                                 "Order": "order"}, where, ap, wp)
        fixed = action.get("fixedResponse")
        if fixed:
            item["FixedResponseConfig"] = ctx.pick(fixed, {
                "ContentType": "contentType", "MessageBody": "messageBody",
                "StatusCode": "statusCode"}, where, f"{ap}.FixedResponseConfig",
                f"{wp}.fixedResponse")
        fwd = action.get("forward")
        if fwd:
            item["ForwardConfig"] = {"TargetGroups": [
                ctx.pick(tg, {"TargetGroupArn": "arn", "Weight": "weight"}, where,
                         f"{ap}.ForwardConfig.TargetGroups[{j}]", f"{wp}.forward.targetGroups[{j}]")
                for j, tg in enumerate(fwd.get("targetGroups") or [])]}
        redirect = action.get("redirect")
        if redirect:
            item["RedirectConfig"] = ctx.pick(redirect, {
                "Protocol": "protocol", "Port": "port", "Host": "host", "Path": "path",
                "Query": "query", "StatusCode": "statusCode"}, where, f"{ap}.RedirectConfig",
                f"{wp}.redirect")
        where[f"{ap}.Type"] = f"{wp}.type"
        kind = item.get("Type")
        needs = {"forward": ("TargetGroupArn", "ForwardConfig"),
                 "fixed-response": ("FixedResponseConfig",), "redirect": ("RedirectConfig",)}
        if kind in needs and not any(k in item for k in needs[kind]):
            ctx.problem(wp, f"a {kind!r} action needs {' or '.join(needs[kind])}")
        out.append(item)
    return out


@resource("aws:lb/listener:Listener", "aws:alb/listener:Listener")
def listener(ctx: Ctx) -> dict:
    where: dict[str, str] = {}
    params = ctx.pick(ctx.inputs, {
        "LoadBalancerArn": "loadBalancerArn", "Protocol": "protocol", "Port": "port",
        "SslPolicy": "sslPolicy", "AlpnPolicy": "alpnPolicy"}, where)
    if isinstance(params.get("AlpnPolicy"), str):
        params["AlpnPolicy"] = [params["AlpnPolicy"]]
    if ctx.inputs.get("certificateArn"):
        params["Certificates"] = [{"CertificateArn": ctx.inputs["certificateArn"]}]
    params["DefaultActions"] = _actions(ctx, ctx.inputs.get("defaultActions"), "defaultActions",
                                        "DefaultActions", where)
    if params.get("Protocol") in ("HTTPS", "TLS") and "Certificates" not in params:
        ctx.problem("certificateArn", f"a {params['Protocol']} listener needs a certificate")
    _check_tls(ctx, params)
    if ctx.inputs.get("tags"):
        params["Tags"] = ctx.tags(ctx.inputs["tags"])
    resp = ctx.call("elbv2", "CreateListener", params, where)
    if resp is None:
        arn = ctx.arn("elasticloadbalancing", f"listener/app/x/{ctx.fake_id('', 16)}")
        return failed(ctx, id=arn, arn=arn)
    arn = resp["Listeners"][0]["ListenerArn"]
    tls = f" {params['SslPolicy']}" if params.get("SslPolicy") else ""
    return {"id": arn, "arn": arn,
            "__summary__": f"{params.get('Protocol')}:{params.get('Port')}{tls} default "
                           f"{[a.get('Type') for a in params['DefaultActions']]}"}


def _check_tls(ctx: Ctx, params: dict[str, Any]) -> None:
    """The SSL policy is one ELB has, on a TLS listener only; the certificate is an ACM
    certificate of the listener's own region (a us-east-1 one serves CloudFront only)."""
    policy = params.get("SslPolicy")
    if policy is not None:
        if params.get("Protocol") not in ("HTTPS", "TLS"):
            ctx.problem("sslPolicy", f"only HTTPS and TLS listeners take an SSL policy, not "
                                     f"{params.get('Protocol')}")
        elif isinstance(policy, str):
            # AWS answers SSLPolicyNotFound; moto's CreateListener accepts any name, but its
            # DescribeSSLPolicies knows the real ones.
            found = ctx.client("elbv2").describe_ssl_policies(Names=[policy])["SslPolicies"]
            if not found:
                ctx.problem("sslPolicy", f"{policy!r} is not an ELB security policy")
    for cert in params.get("Certificates") or []:
        arn = str(cert.get("CertificateArn") or "").split(":")
        if len(arn) > 3 and arn[2] == "acm" and arn[3] != ctx.region:
            ctx.problem("certificateArn", f"an ACM certificate from {arn[3]}: a listener in "
                                          f"{ctx.region} takes certificates from its own region")


_CONDITIONS = {
    "hostHeader": ("host-header", "HostHeaderConfig"),
    "pathPattern": ("path-pattern", "PathPatternConfig"),
    "httpRequestMethod": ("http-request-method", "HttpRequestMethodConfig"),
    "sourceIp": ("source-ip", "SourceIpConfig"),
}


@resource("aws:lb/listenerRule:ListenerRule", "aws:alb/listenerRule:ListenerRule")
def listener_rule(ctx: Ctx) -> dict:
    where: dict[str, str] = {}
    params = ctx.pick(ctx.inputs, {"ListenerArn": "listenerArn", "Priority": "priority"}, where)
    if params.get("Priority") is None:
        ctx.problem("priority", "the replay needs an explicit priority (AWS assigns the next one)")
        params["Priority"] = 1
    params["Actions"] = _actions(ctx, ctx.inputs.get("actions"), "actions", "Actions", where)
    conditions = []
    for i, cond in enumerate(ctx.inputs.get("conditions") or []):
        wp, ap = f"conditions[{i}]", f"Conditions[{i}]"
        item: dict[str, Any] = {}
        for wire, (field, api) in _CONDITIONS.items():
            if cond.get(wire):
                item = {"Field": field, api: {"Values": cond[wire].get("values")}}
                where[f"{ap}.{api}"] = f"{wp}.{wire}"
        if cond.get("httpHeader"):
            hh = cond["httpHeader"]
            item = {"Field": "http-header", "HttpHeaderConfig": {
                "HttpHeaderName": hh.get("httpHeaderName"), "Values": hh.get("values")}}
            where[f"{ap}.HttpHeaderConfig.HttpHeaderName"] = f"{wp}.httpHeader.httpHeaderName"
            where[f"{ap}.HttpHeaderConfig.Values"] = f"{wp}.httpHeader.values"
        if cond.get("queryStrings"):
            item = {"Field": "query-string", "QueryStringConfig": {"Values": [
                ctx.pick(q, {"Key": "key", "Value": "value"}) for q in cond["queryStrings"]]}}
        if not item:
            ctx.problem(wp, "a condition needs one of hostHeader, httpHeader, pathPattern, "
                            "httpRequestMethod, queryStrings, sourceIp")
            continue
        conditions.append(item)
    params["Conditions"] = conditions
    if not conditions:
        ctx.problem("conditions", "a listener rule needs at least one condition")
    checks.rule_conditions(ctx, ctx.inputs.get("conditions") or [])
    checks.rule_priority_free(ctx, params.get("ListenerArn"), params.get("Priority"))
    forwards = []
    for i, action in enumerate(ctx.inputs.get("actions") or []):
        if action.get("targetGroupArn"):
            forwards.append((f"actions[{i}].targetGroupArn", action["targetGroupArn"]))
        for j, tg in enumerate((action.get("forward") or {}).get("targetGroups") or []):
            forwards.append((f"actions[{i}].forward.targetGroups[{j}].arn", tg.get("arn")))
    checks.forwarded_groups_get_targets(ctx, forwards)
    if ctx.inputs.get("tags"):
        params["Tags"] = ctx.tags(ctx.inputs["tags"])
    resp = ctx.call("elbv2", "CreateRule", params, where)
    if resp is None:
        arn = ctx.arn("elasticloadbalancing", f"listener-rule/app/x/{ctx.fake_id('', 16)}")
        return failed(ctx, id=arn, arn=arn)
    arn = resp["Rules"][0]["RuleArn"]
    return {"id": arn, "arn": arn, "__summary__": f"priority {params['Priority']}"}


@resource("aws:lb/targetGroupAttachment:TargetGroupAttachment",
          "aws:alb/targetGroupAttachment:TargetGroupAttachment")
def target_group_attachment(ctx: Ctx) -> dict:
    target = ctx.pick(ctx.inputs, {"Id": "targetId", "Port": "port",
                                   "AvailabilityZone": "availabilityZone"})
    ctx.call("elbv2", "RegisterTargets", {"TargetGroupArn": ctx.inputs.get("targetGroupArn"),
                                          "Targets": [target]},
             {"TargetGroupArn": "targetGroupArn", "Targets[0].Id": "targetId",
              "Targets[0].Port": "port"})
    return {"id": ctx.fake_id(f"{ctx.name}-")}
