"""Secrets Manager: secrets and their versions."""

from __future__ import annotations

from ..context import Ctx
from ..registry import resource
from . import autoname, failed


@resource("aws:secretsmanager/secret:Secret")
def secret(ctx: Ctx) -> dict:
    name = autoname(ctx, max_len=512)
    where = {"Name": "name"}
    params = {"Name": name, **ctx.pick(ctx.inputs, {
        "Description": "description", "KmsKeyId": "kmsKeyId"}, where)}
    window = ctx.inputs.get("recoveryWindowInDays")
    if window is not None and not (window == 0 or 7 <= window <= 30):
        ctx.problem("recoveryWindowInDays", f"{window:g} not 0 or 7-30 days")
    if ctx.inputs.get("policy"):
        ctx.policy("policy", ctx.inputs["policy"], "resource")
    if ctx.inputs.get("tags"):
        params["Tags"] = ctx.tags(ctx.inputs["tags"])
    resp = ctx.call("secretsmanager", "CreateSecret", params, where)
    arn = (resp or {}).get("ARN") or ctx.arn("secretsmanager", f"secret:{name}-AbCdEf")
    out = {"id": arn, "arn": arn, "name": name, "__summary__": name}
    return out if resp is not None else failed(ctx, **out)


@resource("aws:secretsmanager/secretVersion:SecretVersion")
def secret_version(ctx: Ctx) -> dict:
    where: dict[str, str] = {}
    params = ctx.pick(ctx.inputs, {"SecretId": "secretId", "SecretString": "secretString",
                                   "VersionStages": "versionStages"}, where)
    if ctx.inputs.get("secretBinary"):
        import base64

        params["SecretBinary"] = base64.b64decode(ctx.inputs["secretBinary"])
    if "SecretString" not in params and "SecretBinary" not in params:
        ctx.problem("secretString", "a secret version needs secretString or secretBinary")
    resp = ctx.call("secretsmanager", "PutSecretValue", params, where)
    version = (resp or {}).get("VersionId") or ctx.fake_id("", 32)
    return {"id": f"{params.get('SecretId')}|{version}", "versionId": version,
            "arn": params.get("SecretId")}
