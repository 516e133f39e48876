"""One module per AWS service (plus random/tls/providers): translators and invokes.

A translator turns one resource's wire inputs into the AWS request and judges what the
request alone tells (enums, ranges, combinations AWS rejects); what needs other
resources of the stack is a cross-resource check in replay/checks/. The helpers below
are the request-building steps several services share.
"""

from __future__ import annotations

import hashlib
from typing import Any

from ..context import Ctx


def autoname(ctx: Ctx, key: str = "name", max_len: int = 255, prefix_key: str = "namePrefix",
             lower: bool = False, sep: str = "-") -> str:
    """The physical name: given, or Pulumi's auto-name (logical name + 7 random hex)."""
    given = ctx.inputs.get(key)
    if given:
        return given
    suffix = hashlib.sha256(f"{ctx.type}/{ctx.name}".encode()).hexdigest()[:7]
    base = ctx.inputs.get(prefix_key) or (ctx.name + sep)
    name = base[: max(1, max_len - 7)] + suffix
    return name.lower() if lower else name


def quantity(items: list | None, **extra: Any) -> dict[str, Any]:
    """CloudFront's {Quantity, Items} lists."""
    items = list(items or [])
    out: dict[str, Any] = {"Quantity": len(items), **extra}
    if items:
        out["Items"] = items
    return out


def tf_bool(ctx: Ctx, value: Any, path: str) -> bool | None:
    """Terraform string booleans ("true"/"false") as the API's booleans."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    ctx.problem(path, f"{value!r} is not a boolean")
    return None


def failed(ctx: Ctx, **outputs: Any) -> dict[str, Any]:
    """Outputs for a resource moto could not create: realistic, marked as failed."""
    return {"__failed__": True, **outputs}
