"""WAFv2 web ACLs: Terraform-shaped rules as CreateWebACL requests, created in moto.

The wire inputs are the provider's camelCase names with Terraform's blocks (a block of at
most one is a list of one); the API's members are PascalCase with a few acronyms (IPSet,
ForwardedIP, CloudWatch, JA3). botocore's shapes drive the translation: each wire key is
matched to the member whose name it spells, case aside, so an unknown or misspelt key stays
unknown and botocore's check names it. moto stores what it is given; the rules AWS checks
server-side (evaluation windows, body keys, action kinds, the CLOUDFRONT region) are here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from .. import awsmodel
from ..context import Ctx
from ..problems import join
from ..registry import resource
from . import autoname, failed

EVALUATION_WINDOWS = (60, 120, 300, 600)  # seconds; botocore's model leaves them open
RESERVED_METRIC_NAMES = ("All", "Default_Action")
GROUP_STATEMENTS = ("managedRuleGroupStatement", "ruleGroupReferenceStatement")
GLOBAL_REGION = "us-east-1"  # CLOUDFRONT-scope resources are managed from here only
# Provider-only inputs, or ones whose API shape differs from the wire (handled below).
_NOT_IN_REQUEST = ("name", "namePrefix", "region", "tags", "tagsAll", "ruleJson",
                   "customResponseBodies")


def _spelling(name: str) -> str:
    return name.replace("_", "").lower()


def to_api(shape: Any, value: Any, api_path: str, wire_path: str,
           where: dict[str, str]) -> Any:
    """Wire value -> API value under a botocore shape, recording API path -> wire path."""
    kind = shape.type_name if shape is not None else None
    if kind == "structure":
        if isinstance(value, list) and len(value) == 1 and isinstance(value[0], dict):
            value, wire_path = value[0], join(wire_path, 0)  # a Terraform block of one
        if not isinstance(value, dict):
            return value
        members = {_spelling(m): m for m in shape.members}
        out: dict[str, Any] = {}
        for key, item in value.items():
            if item is None:
                continue
            spelt = _spelling(key)
            member = members.get(spelt) or members.get(spelt.removesuffix("s"))
            api_key = member or key[:1].upper() + key[1:]  # unknown: botocore names it
            ap, wp = join(api_path, api_key), join(wire_path, key)
            where[ap] = wp
            out[api_key] = to_api(shape.members[member] if member else None, item, ap, wp,
                                  where)
        return out
    if kind == "list" and isinstance(value, list):
        return [to_api(shape.member, item, join(api_path, i), join(wire_path, i), where)
                for i, item in enumerate(value)]
    return value


def _walk(value: Any, path: str = "") -> Iterator[tuple[str, str, Any]]:
    """(path of the parent, key, value) for every member of a nested wire value."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield path, key, item
            yield from _walk(item, join(path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _walk(item, join(path, i))


def _response_bodies(ctx: Ctx, params: dict, where: dict[str, str]) -> set[str]:
    """The web ACL's custom response bodies: a wire list, an API map keyed by `key`."""
    bodies = ctx.inputs.get("customResponseBodies") or []
    if not bodies:
        return set()
    params["CustomResponseBodies"] = {}
    for i, body in enumerate(bodies):
        key = str(body.get("key"))
        if key in params["CustomResponseBodies"]:
            ctx.problem(f"customResponseBodies[{i}].key", f"duplicate response body key {key!r}")
        params["CustomResponseBodies"][key] = ctx.pick(
            body, {"Content": "content", "ContentType": "contentType"}, where,
            f"CustomResponseBodies.{key}", f"customResponseBodies[{i}]")
        where[f"CustomResponseBodies.{key}"] = f"customResponseBodies[{i}]"
    return set(params["CustomResponseBodies"])


def _rules(ctx: Ctx, params: dict, where: dict[str, str], shape: Any) -> list[dict]:
    """The wire rules (from `rules`, or the API-shaped `ruleJson`) into params."""
    raw = ctx.inputs.get("ruleJson")
    if raw and not ctx.inputs.get("rules"):
        try:
            params["Rules"] = json.loads(raw)
        except json.JSONDecodeError as exc:
            ctx.problem("ruleJson", f"not valid JSON: {exc}")
        where["Rules"] = "ruleJson"
        return []
    rules = ctx.inputs.get("rules") or []
    if rules:
        params["Rules"] = to_api(shape.members["Rules"], rules, "Rules", "rules", where)
    return rules


def _check_rules(ctx: Ctx, rules: list[dict], body_keys: set[str]) -> None:
    """What AWS rejects and the model does not say."""
    for attr in ("name", "priority"):
        seen: set = set()
        for i, rule in enumerate(rules):
            if rule.get(attr) in seen:
                ctx.problem(f"rules[{i}].{attr}", f"duplicate rule {attr} {rule[attr]!r}")
            seen.add(rule.get(attr))
    for i, rule in enumerate(rules):
        statement = rule.get("statement") or {}
        group = any(statement.get(k) for k in GROUP_STATEMENTS)
        if group and (rule.get("action") or not rule.get("overrideAction")):
            ctx.problem(f"rules[{i}].overrideAction", "a rule group statement takes "
                                                      "overrideAction (none or count), not action")
        if not group and (rule.get("overrideAction") or not rule.get("action")):
            ctx.problem(f"rules[{i}].action", "a rule that is no rule group takes action "
                                              "(allow, block, count, ...), not overrideAction")
    for parent, key, value in _walk({"rules": rules, "defaultAction":
                                     ctx.inputs.get("defaultAction"),
                                     "visibilityConfig": ctx.inputs.get("visibilityConfig")}):
        path = join(parent, key)
        if key == "evaluationWindowSec" and value not in EVALUATION_WINDOWS:
            ctx.problem(path, f"{value!r} s is not an evaluation window {EVALUATION_WINDOWS}")
        if key == "customResponseBodyKey" and value not in body_keys:
            ctx.problem(path, f"{value!r} is not a key of customResponseBodies "
                              f"{sorted(body_keys)}")
        if key == "metricName" and value in RESERVED_METRIC_NAMES:
            ctx.problem(path, f"{value!r} is a metric name WAF reserves")


@resource("aws:wafv2/webAcl:WebAcl")
def web_acl(ctx: Ctx) -> dict:
    shape = awsmodel.service_model("wafv2").operation_model("CreateWebACL").input_shape
    name = autoname(ctx, max_len=128)
    where: dict[str, str] = {"Name": "name"}
    wire = {k: v for k, v in ctx.inputs.items()
            if k not in _NOT_IN_REQUEST and k != "rules" and not k.startswith("__")}
    params: dict[str, Any] = {"Name": name, **to_api(shape, wire, "", "", where)}
    rules = _rules(ctx, params, where, shape)
    body_keys = _response_bodies(ctx, params, where)
    if ctx.inputs.get("tags"):
        params["Tags"] = ctx.tags(ctx.inputs["tags"])
    scope = params.get("Scope")
    if scope == "CLOUDFRONT" and ctx.region != GLOBAL_REGION:
        ctx.problem("scope", f"a CLOUDFRONT web ACL is managed from {GLOBAL_REGION} only; this "
                             f"one's provider is in {ctx.region} (use a us-east-1 provider)")
    _check_rules(ctx, rules, body_keys)
    resp = ctx.call("wafv2", "CreateWebACL", params, where)
    summary = (resp or {}).get("Summary") or {}
    acl_id = summary.get("Id") or ctx.fake_id("", 32)
    kind = "global" if scope == "CLOUDFRONT" else "regional"
    arn = summary.get("ARN") or ctx.arn("wafv2", f"{kind}/webacl/{name}/{acl_id}")
    out = {"id": acl_id, "arn": arn, "name": name, "lockToken": summary.get("LockToken", ""),
           "capacity": 0, "applicationIntegrationUrl": "",
           "__summary__": f"{scope} {len(params.get('Rules') or [])} rules"}
    return out if resp is not None else failed(ctx, **out)


WAF_LOG_GROUP_PREFIX = "aws-waf-logs-"  # AWS WAF Developer Guide, logging destinations


@resource("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration")
def logging_configuration(ctx: Ctx) -> dict:
    """PutLoggingConfiguration. A CloudWatch Logs destination must be a log group named
    aws-waf-logs-*, in the web ACL's own region (us-east-1 for a CLOUDFRONT ACL, whose ARN
    says `global`), and the ACL must be one of this stack's."""
    shape = awsmodel.service_model("wafv2").operation_model(
        "PutLoggingConfiguration").input_shape.members["LoggingConfiguration"]
    where: dict[str, str] = {}
    wire = {k: v for k, v in ctx.inputs.items()
            if k not in ("region", "tags", "tagsAll") and not k.startswith("__")}
    conf = to_api(shape, wire, "LoggingConfiguration", "", where)
    acl_arn = str(conf.get("ResourceArn") or "")
    acl_region = (GLOBAL_REGION if ":global/" in acl_arn
                  else ([*acl_arn.split(":"), "", "", "", ""])[3])
    if ":global/" in acl_arn and ctx.region != GLOBAL_REGION:
        ctx.problem("resourceArn", f"a CLOUDFRONT web ACL's logging is managed from "
                                   f"{GLOBAL_REGION}; this provider is in {ctx.region}")
    for i, dest in enumerate(conf.get("LogDestinationConfigs") or []):
        parts = str(dest).split(":")
        if len(parts) < 7 or parts[2] != "logs":
            continue  # S3 or Firehose: their names are checked by AWS the same way
        group = parts[6]
        if not group.startswith(WAF_LOG_GROUP_PREFIX):
            ctx.problem(f"logDestinationConfigs[{i}]", f"log group {group!r}: AWS WAF only "
                        f"logs to groups named {WAF_LOG_GROUP_PREFIX}*")
        if parts[3] != acl_region:
            ctx.problem(f"logDestinationConfigs[{i}]", f"log group in {parts[3]}, web ACL in "
                        f"{acl_region}: WAF logs only to its own region")
    acls = {r.outputs.get("arn") for r in ctx.find("aws:wafv2/webAcl:WebAcl")}
    if acl_arn and acl_arn not in acls:
        ctx.problem("resourceArn", f"{acl_arn!r} is not a web ACL of this stack")
    resp = ctx.call("wafv2", "PutLoggingConfiguration", {"LoggingConfiguration": conf}, where)
    out = {"id": acl_arn, "__summary__": f"to {len(conf.get('LogDestinationConfigs') or [])} "
                                         f"destination(s), "
                                         f"{len(conf.get('RedactedFields') or [])} redacted"}
    return out if resp is not None else failed(ctx, **out)
