"""IAM: roles, inline and managed policies, attachments, instance profiles."""

from __future__ import annotations

import json
from typing import Any

from ..context import Ctx
from ..registry import resource
from . import autoname, failed


@resource("aws:iam/role:Role")
def role(ctx: Ctx) -> dict:
    name = autoname(ctx, max_len=64)
    where = {"RoleName": "name", "AssumeRolePolicyDocument": "assumeRolePolicy"}
    params: dict[str, Any] = {"RoleName": name, **ctx.pick(ctx.inputs, {
        "AssumeRolePolicyDocument": "assumeRolePolicy", "Path": "path",
        "Description": "description", "MaxSessionDuration": "maxSessionDuration",
        "PermissionsBoundary": "permissionsBoundary"}, where)}
    ctx.policy("assumeRolePolicy", params.get("AssumeRolePolicyDocument"), "trust")
    if ctx.inputs.get("tags"):
        params["Tags"] = ctx.tags(ctx.inputs["tags"])
    resp = ctx.call("iam", "CreateRole", params, where)
    for i, inline in enumerate(ctx.inputs.get("inlinePolicies") or []):
        if inline.get("policy"):
            ctx.policy(f"inlinePolicies[{i}].policy", inline["policy"], "identity")
    arn = ((resp or {}).get("Role") or {}).get("Arn") or f"arn:aws:iam::{ctx.account}:role/{name}"
    out = {"id": name, "name": name, "arn": arn,
           "uniqueId": ((resp or {}).get("Role") or {}).get("RoleId", ctx.fake_id("AROA", 17)),
           "__summary__": _principals(params.get("AssumeRolePolicyDocument"))}
    return out if resp is not None else failed(ctx, **out)


def _principals(doc: Any) -> str:
    try:
        st = json.loads(doc)["Statement"]
        st = [st] if isinstance(st, dict) else st
        return "trusts " + ", ".join(
            str(v) for s in st for v in (s.get("Principal") or {}).values())
    except Exception:  # noqa: BLE001 - a summary only
        return ""


@resource("aws:iam/rolePolicy:RolePolicy")
def role_policy(ctx: Ctx) -> dict:
    name = autoname(ctx, max_len=128)
    params = {"RoleName": ctx.inputs.get("role"), "PolicyName": name,
              "PolicyDocument": ctx.inputs.get("policy")}
    ctx.policy("policy", params["PolicyDocument"], "identity")
    ctx.call("iam", "PutRolePolicy", params,
             {"RoleName": "role", "PolicyName": "name", "PolicyDocument": "policy"})
    return {"id": f"{params['RoleName']}:{name}", "name": name}


@resource("aws:iam/policy:Policy")
def policy(ctx: Ctx) -> dict:
    name = autoname(ctx, max_len=128)
    where = {"PolicyName": "name", "PolicyDocument": "policy"}
    params = {"PolicyName": name, **ctx.pick(ctx.inputs, {
        "PolicyDocument": "policy", "Path": "path", "Description": "description"}, where)}
    ctx.policy("policy", params.get("PolicyDocument"), "identity")
    resp = ctx.call("iam", "CreatePolicy", params, where)
    arn = ((resp or {}).get("Policy") or {}).get("Arn") or \
        f"arn:aws:iam::{ctx.account}:policy/{name}"
    out = {"id": arn, "arn": arn, "name": name,
           "policyId": ((resp or {}).get("Policy") or {}).get("PolicyId", ctx.fake_id("ANPA"))}
    return out if resp is not None else failed(ctx, **out)


@resource("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
def role_policy_attachment(ctx: Ctx) -> dict:
    params = {"RoleName": ctx.inputs.get("role"), "PolicyArn": ctx.inputs.get("policyArn")}
    ctx.call("iam", "AttachRolePolicy", params, {"RoleName": "role", "PolicyArn": "policyArn"})
    return {"id": f"{params['RoleName']}-{ctx.fake_id('', 8)}"}


@resource("aws:iam/instanceProfile:InstanceProfile")
def instance_profile(ctx: Ctx) -> dict:
    name = autoname(ctx, max_len=128)
    where = {"InstanceProfileName": "name", "Path": "path"}
    params = {"InstanceProfileName": name, **ctx.pick(ctx.inputs, {"Path": "path"}, where)}
    resp = ctx.call("iam", "CreateInstanceProfile", params, where)
    if resp is None:
        return failed(ctx, id=name, name=name,
                      arn=f"arn:aws:iam::{ctx.account}:instance-profile/{name}")
    if ctx.inputs.get("role"):
        ctx.call("iam", "AddRoleToInstanceProfile",
                 {"InstanceProfileName": name, "RoleName": ctx.inputs["role"]},
                 {"RoleName": "role"})
    prof = resp["InstanceProfile"]
    return {"id": name, "name": name, "arn": prof["Arn"], "uniqueId": prof["InstanceProfileId"],
            "__summary__": f"role {ctx.inputs.get('role')}"}
