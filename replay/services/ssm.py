"""SSM parameters."""

from __future__ import annotations

from ..context import Ctx
from ..registry import resource
from . import failed


@resource("aws:ssm/parameter:Parameter")
def parameter(ctx: Ctx) -> dict:
    where: dict[str, str] = {}
    params = ctx.pick(ctx.inputs, {"Name": "name", "Type": "type", "Value": "value",
                                   "Description": "description", "Tier": "tier",
                                   "DataType": "dataType", "KeyId": "keyId"}, where)
    if params.get("Name") is None:
        params["Name"] = ctx.name
    resp = ctx.call("ssm", "PutParameter", params, where)
    out = {"id": params["Name"], "arn": ctx.arn("ssm", f"parameter/{params['Name'].lstrip('/')}"),
           "version": (resp or {}).get("Version", 1)}
    return out if resp is not None else failed(ctx, **out)
