"""Checks of a certificate validation: its certificate and validation records."""

from __future__ import annotations

from typing import Any

from ..context import Ctx


def validates_a_stack_certificate(ctx: Ctx, arn: Any, fqdns: list[str] | None) -> bool:
    """The validation names a certificate of this stack and, if it lists record FQDNs,
    every validation record the certificate asks for. False when no such certificate."""
    certs = {r.id: r for r in ctx.find("aws:acm/certificate")}
    if arn not in certs:
        ctx.problem("certificateArn", f"{arn!r} is not a certificate of this stack")
        return False
    wanted = {o.get("resourceRecordName", "").rstrip(".")
              for o in certs[arn].outputs.get("domainValidationOptions") or []}
    given = {f.rstrip(".") for f in fqdns or []}
    if given and wanted - given:
        ctx.problem("validationRecordFqdns", f"missing validation records {sorted(wanted - given)}")
    return True
