"""Data sources (invokes), served from moto where moto has them.

Each handler gets an `InvokeCtx` (the region it is served in, boto3 clients on moto)
and the invoke's wire arguments, and returns its outputs or raises `InvokeError`.
"""

from __future__ import annotations

import json
from typing import Any

from ..context import ACCOUNT, InvokeCtx
from ..registry import InvokeError, invoke


@invoke("aws:index/getAvailabilityZones:getAvailabilityZones")
def availability_zones(ctx: InvokeCtx, args: dict) -> dict:
    filters = [{"Name": "state", "Values": [args.get("state") or "available"]}]
    zones = ctx.client("ec2").describe_availability_zones(Filters=filters)["AvailabilityZones"]
    excluded = set(args.get("excludeNames") or []) | set(args.get("excludeZoneIds") or [])
    zones = [z for z in zones if z["ZoneName"] not in excluded and z["ZoneId"] not in excluded]
    return {"id": ctx.region, "names": [z["ZoneName"] for z in zones],
            "zoneIds": [z["ZoneId"] for z in zones], "groupNames": [ctx.region],
            "state": args.get("state"), "allAvailabilityZones": args.get("allAvailabilityZones")}


@invoke("aws:ssm/getParameter:getParameter")
def ssm_parameter(ctx: InvokeCtx, args: dict) -> dict:
    name = args.get("name")
    try:
        p = ctx.client("ssm").get_parameter(Name=name,
                                               WithDecryption=bool(args.get("withDecryption")))
    except Exception as exc:  # noqa: BLE001 - becomes the invoke's error
        raise InvokeError(f"ssm parameter {name!r}: {exc}") from exc
    p = p["Parameter"]
    return {"id": p["Name"], "name": p["Name"], "arn": p.get("ARN", ""), "type": p["Type"],
            "value": p["Value"], "insecureValue": p["Value"], "version": p.get("Version", 1),
            "withDecryption": args.get("withDecryption", True)}


@invoke("aws:index/getCallerIdentity:getCallerIdentity")
def caller_identity(ctx: InvokeCtx, args: dict) -> dict:
    ident = ctx.client("sts").get_caller_identity()
    return {"id": ident["Account"], "accountId": ident["Account"], "arn": ident["Arn"],
            "userId": ident["UserId"]}


@invoke("aws:index/getRegion:getRegion")
def region(ctx: InvokeCtx, args: dict) -> dict:
    name = args.get("region") or args.get("name") or ctx.region
    return {"id": name, "name": name, "region": name, "description": name,
            "endpoint": f"ec2.{name}.amazonaws.com"}


@invoke("aws:index/getPartition:getPartition")
def partition(ctx: InvokeCtx, args: dict) -> dict:
    return {"id": "aws", "partition": "aws", "dnsSuffix": "amazonaws.com",
            "reverseDnsPrefix": "com.amazonaws"}


@invoke("aws:ec2/getManagedPrefixList:getManagedPrefixList")
def managed_prefix_list(ctx: InvokeCtx, args: dict) -> dict:
    filters = [{"Name": f["name"], "Values": f["values"]} for f in args.get("filters") or []]
    if args.get("name"):
        filters.append({"Name": "prefix-list-name", "Values": [args["name"]]})
    kwargs: dict[str, Any] = {"Filters": filters} if filters else {}
    if args.get("id"):
        kwargs["PrefixListIds"] = [args["id"]]
    lists = ctx.client("ec2").describe_managed_prefix_lists(**kwargs)["PrefixLists"]
    if len(lists) != 1:
        raise InvokeError(f"getManagedPrefixList matched {len(lists)} prefix lists, want 1")
    pl = lists[0]
    entries = ctx.client("ec2").get_managed_prefix_list_entries(
        PrefixListId=pl["PrefixListId"]).get("Entries", [])
    return {"id": pl["PrefixListId"], "name": pl["PrefixListName"], "arn": pl.get("PrefixListArn"),
            "addressFamily": pl.get("AddressFamily"), "maxEntries": pl.get("MaxEntries"),
            "ownerId": pl.get("OwnerId"), "version": pl.get("Version", 1), "tags": {},
            "entries": [{"cidr": e["Cidr"], "description": e.get("Description", "")}
                        for e in entries]}


@invoke("aws:iam/getPolicyDocument:getPolicyDocument")
def policy_document(ctx: InvokeCtx, args: dict) -> dict:
    statements = []
    for st in args.get("statements") or []:
        out: dict[str, Any] = {}
        if st.get("sid"):
            out["Sid"] = st["sid"]
        out["Effect"] = st.get("effect") or "Allow"
        for key, api in (("actions", "Action"), ("notActions", "NotAction"),
                         ("resources", "Resource"), ("notResources", "NotResource")):
            if st.get(key):
                values = sorted(st[key]) if len(st[key]) > 1 else st[key][0]
                out[api] = values
        for key, api in (("principals", "Principal"), ("notPrincipals", "NotPrincipal")):
            if st.get(key):
                out[api] = {}
                for p in st[key]:
                    ids = p.get("identifiers") or []
                    out[api][p.get("type")] = ids[0] if len(ids) == 1 else ids
        if st.get("conditions"):
            cond: dict[str, dict] = {}
            for c in st["conditions"]:
                vals = c.get("values") or []
                cond.setdefault(c.get("test"), {})[c.get("variable")] = \
                    vals[0] if len(vals) == 1 else vals
            out["Condition"] = cond
        statements.append(out)
    doc = {"Version": args.get("version") or "2012-10-17", "Statement": statements}
    text = json.dumps(doc, indent=2)
    return {"id": str(abs(hash(text))), "json": text, "minifiedJson": json.dumps(
        doc, separators=(",", ":"))}


@invoke("aws:elb/getServiceAccount:getServiceAccount")
def elb_service_account(ctx: InvokeCtx, args: dict) -> dict:
    accounts = {"us-east-1": "127311923021", "us-east-2": "033677994240",
                "us-west-2": "797873946194", "eu-west-1": "156460612806",
                "eu-central-1": "054676820928"}
    region = args.get("region") or ctx.region
    acct = accounts.get(region, "127311923021")
    return {"id": acct, "arn": f"arn:aws:iam::{acct}:root", "region": region}


@invoke("aws:ec2/getAmi:getAmi")
def ami(ctx: InvokeCtx, args: dict) -> dict:
    images = ctx.client("ec2").describe_images(Owners=args.get("owners") or ["amazon"])["Images"]
    if not images:
        raise InvokeError("getAmi: no image")
    img = images[0]
    return {"id": img["ImageId"], "imageId": img["ImageId"], "name": img.get("Name", ""),
            "architecture": img.get("Architecture"), "ownerId": img.get("OwnerId", ACCOUNT)}
