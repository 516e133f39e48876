"""Checks of CloudFront's references: key groups to public keys; a distribution's
behaviours, origin groups and origins to what they name; its origins on an ALB of the
stack to a listener of their protocol; its web ACL to a CLOUDFRONT-scope one.
"""

from __future__ import annotations

from typing import Any

from edge.cloudfront import AWS_MANAGED_POLICY_IDS

from ..context import Ctx
from . import continuous_deployment, vpc_origin


def key_group_references(ctx: Ctx, items: list[str]) -> None:
    """Every item of a key group is a public key of this stack."""
    keys = {r.id for r in ctx.find("aws:cloudfront/publicKey")}
    for i, item in enumerate(items):
        if item not in keys:
            ctx.problem(f"items[{i}]", f"{item!r} is not a public key of this stack")


def distribution_references(ctx: Ctx, origins: list[dict], groups: list[dict],
                            behaviours: list[tuple[str, dict]]) -> None:
    """What a distribution's wire inputs name: origin group members are origins of the
    distribution; each behaviour (`(wire path, behaviour)`, the default one first) targets
    an origin or group of it and names policies, key groups and functions that are managed
    or of this stack; origins name origin access controls of this stack. Deferred until the
    graph is whole: a custom origin on an ALB of the stack meets a listener, and the web
    ACL is a CLOUDFRONT-scope WAFv2 one."""
    ids = [o.get("originId") for o in origins]
    for i, g in enumerate(groups):
        for j, m in enumerate(g.get("members") or []):
            if m.get("originId") not in ids:
                ctx.problem(f"originGroups[{i}].members[{j}].originId",
                            f"{m.get('originId')!r} is not an origin of this distribution")
    _behaviour_references(ctx, behaviours, set(ids) | {g.get("originId") for g in groups})
    for i, o in enumerate(origins):
        if o.get("customOriginConfig"):
            # Listeners may register after the distribution: check once the graph is whole.
            ctx.defer(lambda i=i, o=o: _origin_meets_a_listener(ctx, i, o))
        elif o.get("vpcOriginConfig"):
            vpc_origin.distribution_vpc_origin(ctx, i, o)
            ctx.defer(lambda i=i, o=o: _vpc_origin_name_meets_a_listener(ctx, i, o))
    if ctx.inputs.get("webAclId"):
        ctx.defer(lambda: _web_acl_for_cloudfront(ctx, ctx.inputs["webAclId"]))
    continuous_deployment.distribution_continuous_deployment(ctx)
    oac_ids = {r.id for r in ctx.find("aws:cloudfront/originAccessControl")}
    for i, o in enumerate(origins):
        oac = o.get("originAccessControlId")
        if oac and oac not in oac_ids:
            ctx.problem(f"origins[{i}].originAccessControlId",
                        f"{oac!r} is not an origin access control of this stack")


def _behaviour_references(ctx: Ctx, behaviours: list[tuple[str, dict]],
                          origin_ids: set) -> None:
    cache_ids = AWS_MANAGED_POLICY_IDS["cache"] | {
        r.id for r in ctx.find("aws:cloudfront/cachePolicy")}
    orp_ids = AWS_MANAGED_POLICY_IDS["origin-request"] | {r.id for r in
                                        ctx.find("aws:cloudfront/originRequestPolicy")}
    rhp_ids = AWS_MANAGED_POLICY_IDS["response-headers"] | {r.id for r in
                                          ctx.find("aws:cloudfront/responseHeadersPolicy")}
    key_groups = {r.id for r in ctx.find("aws:cloudfront/keyGroup")}
    functions = {r.outputs.get("arn") for r in ctx.find("aws:cloudfront/function")}
    for wp, b in behaviours:
        target = b.get("targetOriginId")
        if target not in origin_ids:
            ctx.problem(f"{wp}.targetOriginId",
                        f"{target!r} is not an origin of this distribution {sorted(origin_ids)}")
        for key, known, what in (("cachePolicyId", cache_ids, "cache policy"),
                                 ("originRequestPolicyId", orp_ids, "origin request policy"),
                                 ("responseHeadersPolicyId", rhp_ids, "response headers policy")):
            if b.get(key) and b[key] not in known:
                ctx.problem(f"{wp}.{key}", f"{b[key]!r} is neither a managed {what} nor one of "
                                           "this stack")
        for i, kg in enumerate(b.get("trustedKeyGroups") or []):
            if kg not in key_groups:
                ctx.problem(f"{wp}.trustedKeyGroups[{i}]", f"{kg!r} is not a key group of this "
                                                           "stack")
        for i, f in enumerate(b.get("functionAssociations") or []):
            if f.get("functionArn") not in functions:
                ctx.problem(f"{wp}.functionAssociations[{i}].functionArn",
                            f"{f.get('functionArn')!r} is not a CloudFront Function of this stack")


def _origin_meets_a_listener(ctx: Ctx, i: int, origin: dict, where: str | None = None) -> None:
    """A custom origin on an ALB of the stack (by its DNS name or a Route 53 alias of it)
    needs a listener for the protocol CloudFront speaks to it, and over HTTPS a certificate
    covering the name CloudFront connects to: else every request fails with a 502."""
    custom = origin.get("customOriginConfig") or {}
    domain = _dns(origin.get("domainName"))
    albs = {_dns(r.outputs.get("dnsName")): r for r in ctx.find("aws:lb/loadBalancer")}
    alb = albs.get(domain)
    for record in ctx.find("aws:route53/record"):
        if alb is None and _dns(record.inputs.get("name")) == domain:
            alb = next((albs[_dns(a.get("name"))] for a in record.inputs.get("aliases") or []
                        if _dns(a.get("name")) in albs), None)
    if alb is None or not domain:
        return
    policy = custom.get("originProtocolPolicy")
    wanted = [("HTTPS", custom.get("httpsPort", 443))] if policy in (
        "https-only", "match-viewer") else []
    if policy in ("http-only", "match-viewer"):
        wanted.append(("HTTP", custom.get("httpPort", 80)))
    where = where or f"origins[{i}].customOriginConfig.originProtocolPolicy"
    listeners = [r for r in ctx.find("aws:lb/listener")
                 if r.inputs.get("loadBalancerArn") == alb.id]
    for protocol, port in wanted:
        found = [r for r in listeners
                 if r.inputs.get("protocol") == protocol and r.inputs.get("port") == port]
        if not found:
            ctx.problem(where, f"{policy}: the ALB behind {domain!r} has no {protocol} "
                               f"listener on port {port:g}")
        elif protocol == "HTTPS" and domain.endswith(".elb.amazonaws.com"):
            ctx.problem(where, f"{policy} to the ALB's own DNS name {domain!r}: no certificate "
                               "of ours can cover it; use a name of the stack (Route 53 alias) "
                               "with a certificate, or http-only")
        elif protocol == "HTTPS":
            names = set()
            for listener in found:
                cert = ctx.by_id(str(listener.inputs.get("certificateArn")))
                if cert is not None:
                    names |= {_dns(n) for n in [cert.inputs.get("domainName"),
                                                *(cert.inputs.get("subjectAlternativeNames")
                                                  or [])]}
            if names and not any(_covers(n, domain) for n in names):
                ctx.problem(where, f"the ALB's HTTPS certificate names {sorted(names)}, not "
                                   f"{domain!r}: CloudFront's TLS handshake would fail")


def _vpc_origin_name_meets_a_listener(ctx: Ctx, i: int, origin: dict) -> None:
    """Through a VPC origin CloudFront still connects to the origin's domain name (the
    TLS name it checks): the same listener and certificate rules as a custom origin,
    with the protocol and ports of the VPC origin's endpoint, and the name must lead to
    the ALB the VPC origin targets."""
    ref = (origin.get("vpcOriginConfig") or {}).get("vpcOriginId")
    record = ctx.by_id(str(ref))
    if record is None:
        return  # reported by distribution_vpc_origin
    endpoint = record.inputs.get("vpcOriginEndpointConfig") or {}
    as_custom = {**origin, "customOriginConfig": {
        "originProtocolPolicy": endpoint.get("originProtocolPolicy"),
        "httpPort": endpoint.get("httpPort", 80), "httpsPort": endpoint.get("httpsPort", 443)}}
    _origin_meets_a_listener(ctx, i, as_custom, where=f"origins[{i}].vpcOriginConfig")
    target = _alb_by_name(ctx, _dns(origin.get("domainName")))
    if target is not None and target.id != endpoint.get("arn"):
        ctx.problem(f"origins[{i}].domainName",
                    f"{origin.get('domainName')!r} leads to load balancer {target.name}, not "
                    "to the one the VPC origin targets")


def _alb_by_name(ctx: Ctx, domain: str):
    """The ALB of the stack behind a DNS name: its own, or a Route 53 alias of it."""
    albs = {_dns(r.outputs.get("dnsName")): r for r in ctx.find("aws:lb/loadBalancer")}
    if domain in albs:
        return albs[domain]
    for record in ctx.find("aws:route53/record"):
        if _dns(record.inputs.get("name")) == domain:
            for a in record.inputs.get("aliases") or []:
                if _dns(a.get("name")) in albs:
                    return albs[_dns(a.get("name"))]
    return None


def _web_acl_for_cloudfront(ctx: Ctx, ref: str) -> None:
    """A WAFv2 web ACL is attached by its ARN (its id is WAF Classic's way) and must be
    CLOUDFRONT-scope: CloudFront rejects anything else when the distribution is saved."""
    acls = ctx.find("aws:wafv2/webAcl")
    by_arn = {r.outputs.get("arn"): r for r in acls}
    if ref in {r.id for r in acls} and ref not in by_arn:
        ctx.problem("webAclId", f"{ref!r} is a WAFv2 web ACL's id; CloudFront takes a "
                                "WAFv2 web ACL by its ARN")
    elif ref.startswith("arn:aws:wafv2:"):
        acl = by_arn.get(ref)
        if acl is None:
            ctx.problem("webAclId", f"{ref!r} is not a web ACL of this stack")
        elif acl.inputs.get("scope") != "CLOUDFRONT":
            ctx.problem("webAclId", f"web ACL {acl.name} is {acl.inputs.get('scope')}-scope; "
                                    "a distribution takes a CLOUDFRONT-scope one (us-east-1)")


def _dns(name: Any) -> str:
    return str(name or "").rstrip(".").lower()


def _covers(cert_name: str, host: str) -> bool:
    """A certificate name covers a host exactly or by a one-label wildcard."""
    if cert_name.startswith("*."):
        return host.partition(".")[2] == cert_name[2:] and "." in host
    return cert_name == host
