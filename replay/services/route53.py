"""Route 53 records (in a hosted zone the stack does not own)."""

from __future__ import annotations

import re
from typing import Any

from ..context import Ctx
from ..registry import resource


@resource("aws:route53/record:Record")
def record(ctx: Ctx) -> dict:
    zone = ctx.inputs.get("zoneId") or ""
    if not re.fullmatch(r"Z[A-Z0-9]{1,31}", zone):
        ctx.problem("zoneId", f"{zone!r} is not a hosted zone id (Z...)")
    where = {"HostedZoneId": "zoneId"}
    base = "ChangeBatch.Changes[0].ResourceRecordSet"
    rrset: dict[str, Any] = ctx.pick(ctx.inputs, {"Name": "name", "Type": "type", "TTL": "ttl",
                                                  "SetIdentifier": "setIdentifier"}, where, base)
    records = ctx.inputs.get("records")
    aliases = ctx.inputs.get("aliases") or []
    if records:
        rrset["ResourceRecords"] = [{"Value": v} for v in records]
        where[f"{base}.ResourceRecords"] = "records"
    if aliases:
        alias = aliases[0]
        rrset["AliasTarget"] = ctx.pick(alias, {"DNSName": "name", "HostedZoneId": "zoneId",
                                                "EvaluateTargetHealth": "evaluateTargetHealth"},
                                        where, f"{base}.AliasTarget", "aliases[0]")
        if len(aliases) > 1:
            ctx.problem("aliases", "a record has at most one alias")
    if bool(records) == bool(aliases):
        ctx.problem("records", "a record needs records or an alias, not both")
    if aliases and rrset.get("TTL") is not None:
        ctx.problem("ttl", "an alias record takes no TTL")
    if records and rrset.get("TTL") is None:
        ctx.problem("ttl", "a non-alias record needs a TTL")
    params = {"HostedZoneId": zone, "ChangeBatch": {"Changes": [
        {"Action": "UPSERT", "ResourceRecordSet": rrset}]}}
    # The zone exists outside the stack, so moto cannot know it: validate the shape only.
    ctx.check("route53", "ChangeResourceRecordSets", params, where)
    ctx.note(f"hosted zone {zone} is not part of the stack; record validated against the "
             "model only")
    name = rrset.get("Name", "")
    return {"id": f"{zone}_{name}_{rrset.get('Type')}", "fqdn": name.rstrip("."),
            "__summary__": f"{rrset.get('Type')} {name}"}
