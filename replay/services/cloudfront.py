"""CloudFront: distributions, OAC, keys, functions, and the policies moto lacks."""

from __future__ import annotations

import base64
import uuid
from typing import Any

from ..registry import resource
from . import autoname, failed, quantity

# Managed policies anyone may reference by id (AWS publishes these ids).
MANAGED_CACHE = {"658327ea-f89d-4fab-a63d-7e88639e58f6", "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
                 "b2884449-e4de-46a7-ac36-70bc7f1ddd6d", "08627262-05a9-4f76-9ded-b50ca2e3a84f"}
MANAGED_ORIGIN_REQUEST = {"88a5eaf4-2fd4-4709-b370-b4c650ea3fcf",
                          "b689b0a8-53d0-40ab-baf2-68738e2966ac",
                          "216adef6-5c7f-47e4-b989-5492eafa07d3",
                          "59781a5b-3903-41f3-afcb-af62929ccde1",
                          "acba4595-bd28-49b8-b9fe-13317c0390fa"}
MANAGED_RESPONSE_HEADERS = {"67f7725c-6f97-4210-82d7-5512b31e9d03",
                            "5cc3b908-e619-4b99-88e5-2cf7f45965bd",
                            "60669652-455b-4ae9-85a4-c4c02393f86c",
                            "eaab4381-ed33-4a86-88ca-d9558dc6cd63",
                            "e61eb60c-9c35-4d20-a928-2b84e02af89c"}
MAX_TTL = 3_153_600_000  # CloudFront's ceiling (100 years)


def _policy_id(ctx) -> str:
    return str(uuid.UUID(ctx.fake_id("", 32)))


def _ttls(ctx, ttls: dict[str, Any], paths: dict[str, str]) -> None:
    for key, value in ttls.items():
        if value is not None and not 0 <= value <= MAX_TTL:
            ctx.problem(paths[key], f"TTL {value:g} out of range 0-{MAX_TTL}")
    lo, default, hi = ttls.get("min"), ttls.get("default"), ttls.get("max")
    if None not in (lo, default) and lo > default:
        ctx.problem(paths["default"], f"default TTL {default:g} < minimum TTL {lo:g}")
    if None not in (default, hi) and default > hi:
        ctx.problem(paths["default"], f"default TTL {default:g} > maximum TTL {hi:g}")


def _items_config(ctx, conf: dict | None, behavior_key: str, list_key: str, api_behavior: str,
                  api_list: str, where: dict, ap: str, wp: str) -> dict:
    conf = conf or {}
    out = {api_behavior: conf.get(behavior_key)}
    where[f"{ap}.{api_behavior}"] = f"{wp}.{behavior_key}"
    items = (conf.get(list_key) or {}).get("items")
    if items is not None:
        out[api_list] = quantity(items)
        where[f"{ap}.{api_list}"] = f"{wp}.{list_key}.items"
    return out


@resource("aws:cloudfront/cachePolicy:CachePolicy")
def cache_policy(ctx) -> dict:
    """moto has no cache policies: validate CreateCachePolicy's shape only."""
    where: dict[str, str] = {"CachePolicyConfig.Name": "name"}
    name = autoname(ctx, max_len=128)
    conf = {"Name": name, **ctx.pick(ctx.inputs, {
        "Comment": "comment", "DefaultTTL": "defaultTtl", "MaxTTL": "maxTtl", "MinTTL": "minTtl"},
        where, "CachePolicyConfig")}
    params = ctx.inputs.get("parametersInCacheKeyAndForwardedToOrigin") or {}
    ap, wp = "CachePolicyConfig.ParametersInCacheKeyAndForwardedToOrigin", \
        "parametersInCacheKeyAndForwardedToOrigin"
    key = {"EnableAcceptEncodingGzip": False, "EnableAcceptEncodingBrotli": False}
    key |= ctx.pick(params, {"EnableAcceptEncodingGzip": "enableAcceptEncodingGzip",
                            "EnableAcceptEncodingBrotli": "enableAcceptEncodingBrotli"},
                    where, ap, wp)
    key["HeadersConfig"] = _items_config(ctx, params.get("headersConfig"), "headerBehavior",
                                         "headers", "HeaderBehavior", "Headers", where,
                                         f"{ap}.HeadersConfig", f"{wp}.headersConfig")
    key["CookiesConfig"] = _items_config(ctx, params.get("cookiesConfig"), "cookieBehavior",
                                         "cookies", "CookieBehavior", "Cookies", where,
                                         f"{ap}.CookiesConfig", f"{wp}.cookiesConfig")
    key["QueryStringsConfig"] = _items_config(
        ctx, params.get("queryStringsConfig"), "queryStringBehavior", "queryStrings",
        "QueryStringBehavior", "QueryStrings", where, f"{ap}.QueryStringsConfig",
        f"{wp}.queryStringsConfig")
    conf["ParametersInCacheKeyAndForwardedToOrigin"] = key
    _ttls(ctx, {"min": conf.get("MinTTL"), "default": conf.get("DefaultTTL"),
                "max": conf.get("MaxTTL")},
          {"min": "minTtl", "default": "defaultTtl", "max": "maxTtl"})
    if conf.get("MaxTTL") == 0 and (key.get("EnableAcceptEncodingGzip") or
                                    key.get("EnableAcceptEncodingBrotli")):
        ctx.problem(f"{wp}.enableAcceptEncodingGzip",
                    "compression settings need a caching policy (max TTL > 0)")
    ctx.check("cloudfront", "CreateCachePolicy", {"CachePolicyConfig": conf}, where)
    return {"id": _policy_id(ctx), "name": name, "etag": "E" + ctx.fake_id("", 13).upper(),
            "arn": ctx.arn("cloudfront", f"cache-policy/{_policy_id(ctx)}", region=""),
            "__summary__": f"ttl {conf.get('MinTTL')}/{conf.get('DefaultTTL')}/"
                           f"{conf.get('MaxTTL')}"}


@resource("aws:cloudfront/originRequestPolicy:OriginRequestPolicy")
def origin_request_policy(ctx) -> dict:
    where: dict[str, str] = {"OriginRequestPolicyConfig.Name": "name"}
    name = autoname(ctx, max_len=128)
    ap = "OriginRequestPolicyConfig"
    conf: dict[str, Any] = {"Name": name, **ctx.pick(ctx.inputs, {"Comment": "comment"}, where, ap)}
    conf["HeadersConfig"] = _items_config(ctx, ctx.inputs.get("headersConfig"), "headerBehavior",
                                          "headers", "HeaderBehavior", "Headers", where,
                                          f"{ap}.HeadersConfig", "headersConfig")
    conf["CookiesConfig"] = _items_config(ctx, ctx.inputs.get("cookiesConfig"), "cookieBehavior",
                                          "cookies", "CookieBehavior", "Cookies", where,
                                          f"{ap}.CookiesConfig", "cookiesConfig")
    conf["QueryStringsConfig"] = _items_config(
        ctx, ctx.inputs.get("queryStringsConfig"), "queryStringBehavior", "queryStrings",
        "QueryStringBehavior", "QueryStrings", where, f"{ap}.QueryStringsConfig",
        "queryStringsConfig")
    ctx.check("cloudfront", "CreateOriginRequestPolicy", {"OriginRequestPolicyConfig": conf}, where)
    return {"id": _policy_id(ctx), "name": name, "etag": "E" + ctx.fake_id("", 13).upper()}


def _items(value: dict | None) -> list:
    return list((value or {}).get("items") or [])


@resource("aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy")
def response_headers_policy(ctx) -> dict:
    where: dict[str, str] = {"ResponseHeadersPolicyConfig.Name": "name"}
    name = autoname(ctx, max_len=128)
    ap = "ResponseHeadersPolicyConfig"
    conf: dict[str, Any] = {"Name": name, **ctx.pick(ctx.inputs, {"Comment": "comment"}, where, ap)}
    cors = ctx.inputs.get("corsConfig")
    if cors:
        cap, cwp = f"{ap}.CorsConfig", "corsConfig"
        conf["CorsConfig"] = {
            **ctx.pick(cors, {"AccessControlAllowCredentials": "accessControlAllowCredentials",
                              "OriginOverride": "originOverride",
                              "AccessControlMaxAgeSec": "accessControlMaxAgeSec"}, where, cap, cwp),
            "AccessControlAllowHeaders": quantity(_items(cors.get("accessControlAllowHeaders"))),
            "AccessControlAllowMethods": quantity(_items(cors.get("accessControlAllowMethods"))),
            "AccessControlAllowOrigins": quantity(_items(cors.get("accessControlAllowOrigins"))),
        }
        for api, wire in (("AccessControlAllowMethods", "accessControlAllowMethods"),
                          ("AccessControlAllowOrigins", "accessControlAllowOrigins"),
                          ("AccessControlAllowHeaders", "accessControlAllowHeaders")):
            where[f"{cap}.{api}.Items"] = f"{cwp}.{wire}.items"
        if cors.get("accessControlExposeHeaders"):
            conf["CorsConfig"]["AccessControlExposeHeaders"] = quantity(
                _items(cors["accessControlExposeHeaders"]))
        if cors.get("accessControlAllowCredentials") and \
                "*" in _items(cors.get("accessControlAllowOrigins")):
            ctx.problem(f"{cwp}.accessControlAllowCredentials",
                        "credentials cannot be allowed for origin '*'")
    sec = ctx.inputs.get("securityHeadersConfig")
    if sec:
        sap, swp = f"{ap}.SecurityHeadersConfig", "securityHeadersConfig"
        out: dict[str, Any] = {}
        if sec.get("strictTransportSecurity"):
            out["StrictTransportSecurity"] = ctx.pick(sec["strictTransportSecurity"], {
                "AccessControlMaxAgeSec": "accessControlMaxAgeSec", "Override": "override",
                "IncludeSubdomains": "includeSubdomains", "Preload": "preload"}, where,
                f"{sap}.StrictTransportSecurity", f"{swp}.strictTransportSecurity")
        if sec.get("contentTypeOptions"):
            out["ContentTypeOptions"] = ctx.pick(sec["contentTypeOptions"],
                                                 {"Override": "override"})
        if sec.get("frameOptions"):
            out["FrameOptions"] = ctx.pick(sec["frameOptions"], {
                "FrameOption": "frameOption", "Override": "override"}, where,
                f"{sap}.FrameOptions", f"{swp}.frameOptions")
        if sec.get("referrerPolicy"):
            out["ReferrerPolicy"] = ctx.pick(sec["referrerPolicy"], {
                "ReferrerPolicy": "referrerPolicy", "Override": "override"}, where,
                f"{sap}.ReferrerPolicy", f"{swp}.referrerPolicy")
        if sec.get("xssProtection"):
            out["XSSProtection"] = ctx.pick(sec["xssProtection"], {
                "Override": "override", "Protection": "protection", "ModeBlock": "modeBlock",
                "ReportUri": "reportUri"}, where, f"{sap}.XSSProtection", f"{swp}.xssProtection")
        if sec.get("contentSecurityPolicy"):
            out["ContentSecurityPolicy"] = ctx.pick(sec["contentSecurityPolicy"], {
                "ContentSecurityPolicy": "contentSecurityPolicy", "Override": "override"})
        conf["SecurityHeadersConfig"] = out
    custom = ctx.inputs.get("customHeadersConfig")
    if custom:
        conf["CustomHeadersConfig"] = quantity([
            ctx.pick(item, {"Header": "header", "Value": "value", "Override": "override"}, where,
                     f"{ap}.CustomHeadersConfig.Items[{i}]", f"customHeadersConfig.items[{i}]")
            for i, item in enumerate(custom.get("items") or [])])
    remove = ctx.inputs.get("removeHeadersConfig")
    if remove:
        conf["RemoveHeadersConfig"] = quantity([ctx.pick(i, {"Header": "header"})
                                                for i in remove.get("items") or []])
    timing = ctx.inputs.get("serverTimingHeadersConfig")
    if timing:
        conf["ServerTimingHeadersConfig"] = ctx.pick(timing, {"Enabled": "enabled",
                                                              "SamplingRate": "samplingRate"},
                                                     where, f"{ap}.ServerTimingHeadersConfig",
                                                     "serverTimingHeadersConfig")
    ctx.check("cloudfront", "CreateResponseHeadersPolicy",
              {"ResponseHeadersPolicyConfig": conf}, where)
    return {"id": _policy_id(ctx), "name": name, "etag": "E" + ctx.fake_id("", 13).upper()}


@resource("aws:cloudfront/originAccessControl:OriginAccessControl")
def origin_access_control(ctx) -> dict:
    where: dict[str, str] = {}
    name = autoname(ctx, max_len=64)
    conf = {"Name": name, **ctx.pick(ctx.inputs, {
        "Description": "description", "SigningProtocol": "signingProtocol",
        "SigningBehavior": "signingBehavior",
        "OriginAccessControlOriginType": "originAccessControlOriginType"}, where,
        "OriginAccessControlConfig")}
    where["OriginAccessControlConfig.Name"] = "name"
    resp = ctx.call("cloudfront", "CreateOriginAccessControl",
                    {"OriginAccessControlConfig": conf}, where)
    if resp is None:
        return failed(ctx, id=ctx.fake_id("E", 13).upper(), etag="ETAG")
    return {"id": resp["OriginAccessControl"]["Id"], "etag": resp.get("ETag"),
            "arn": ctx.arn("cloudfront", f"origin-access-control/"
                                         f"{resp['OriginAccessControl']['Id']}", region=""),
            "__summary__": f"{conf.get('OriginAccessControlOriginType')} "
                           f"{conf.get('SigningBehavior')}"}


@resource("aws:cloudfront/publicKey:PublicKey")
def public_key(ctx) -> dict:
    name = autoname(ctx, max_len=128)
    encoded = ctx.inputs.get("encodedKey") or ""
    if "BEGIN PUBLIC KEY" not in encoded:
        ctx.problem("encodedKey", "must be a PEM-encoded public key (-----BEGIN PUBLIC KEY-----)")
    else:
        from cryptography.hazmat.primitives.asymmetric import rsa
        from cryptography.hazmat.primitives.serialization import load_pem_public_key

        try:
            key = load_pem_public_key(encoded.encode())
            if not isinstance(key, rsa.RSAPublicKey) or key.key_size not in (2048, 4096):
                ctx.problem("encodedKey", "CloudFront needs an RSA 2048 or 4096 public key")
        except ValueError as exc:
            ctx.problem("encodedKey", f"not a readable public key: {exc}")
    conf = {"CallerReference": ctx.fake_id("", 24), "Name": name, "EncodedKey": encoded}
    if ctx.inputs.get("comment"):
        conf["Comment"] = ctx.inputs["comment"]
    resp = ctx.call("cloudfront", "CreatePublicKey", {"PublicKeyConfig": conf},
                    {"PublicKeyConfig.Name": "name", "PublicKeyConfig.EncodedKey": "encodedKey",
                     "PublicKeyConfig.Comment": "comment"})
    if resp is None:
        return failed(ctx, id=ctx.fake_id("K", 13).upper(), name=name)
    return {"id": resp["PublicKey"]["Id"], "etag": resp.get("ETag"), "name": name,
            "callerReference": conf["CallerReference"]}


@resource("aws:cloudfront/keyGroup:KeyGroup")
def key_group(ctx) -> dict:
    conf = {"Name": ctx.inputs.get("name") or autoname(ctx, max_len=128),
            "Items": list(ctx.inputs.get("items") or [])}
    if ctx.inputs.get("comment"):
        conf["Comment"] = ctx.inputs["comment"]
    keys = {r.id for r in ctx.engine.find("aws:cloudfront/publicKey")}
    for i, item in enumerate(conf["Items"]):
        if item not in keys:
            ctx.problem(f"items[{i}]", f"{item!r} is not a public key of this stack")
    resp = ctx.call("cloudfront", "CreateKeyGroup", {"KeyGroupConfig": conf},
                    {"KeyGroupConfig.Name": "name", "KeyGroupConfig.Items": "items",
                     "KeyGroupConfig.Comment": "comment"})
    if resp is None:
        return failed(ctx, id=_policy_id(ctx))
    return {"id": resp["KeyGroup"]["Id"], "etag": resp.get("ETag"),
            "__summary__": f"{len(conf['Items'])} keys"}


@resource("aws:cloudfront/function:Function")
def function(ctx) -> dict:
    name = ctx.inputs.get("name") or autoname(ctx, max_len=64)
    code = ctx.inputs.get("code") or ""
    if len(code.encode()) > 10240:
        ctx.problem("code", f"{len(code.encode())} bytes, maximum 10240 (10 KB)")
    where = {"Name": "name", "FunctionConfig.Runtime": "runtime",
             "FunctionConfig.Comment": "comment", "FunctionCode": "code"}
    params = {"Name": name, "FunctionCode": code.encode(), "FunctionConfig": {
        "Comment": ctx.inputs.get("comment") or "", "Runtime": ctx.inputs.get("runtime")}}
    resp = ctx.call("cloudfront", "CreateFunction", params, where)
    arn = ((resp or {}).get("FunctionSummary") or {}).get("FunctionMetadata", {}).get(
        "FunctionARN") or ctx.arn("cloudfront", f"function/{name}", region="")
    etag = (resp or {}).get("ETag") or "ETVPDKIKX0DER"
    if ctx.inputs.get("publish", True):
        # moto has no PublishFunction: validate its shape only.
        ctx.check("cloudfront", "PublishFunction", {"Name": name, "IfMatch": etag})
    out = {"id": name, "arn": arn, "etag": etag, "liveStageEtag": etag, "status": "UNASSOCIATED",
           "__summary__": f"{ctx.inputs.get('runtime')} {len(code)} bytes"}
    return out if resp is not None else failed(ctx, **out)


def _behavior(ctx, b: dict, wp: str, ap: str, where: dict, default: bool) -> dict[str, Any]:
    out = ctx.pick(b, {
        "TargetOriginId": "targetOriginId", "ViewerProtocolPolicy": "viewerProtocolPolicy",
        "Compress": "compress", "CachePolicyId": "cachePolicyId",
        "OriginRequestPolicyId": "originRequestPolicyId",
        "ResponseHeadersPolicyId": "responseHeadersPolicyId",
        "FieldLevelEncryptionId": "fieldLevelEncryptionId", "SmoothStreaming": "smoothStreaming",
        "RealtimeLogConfigArn": "realtimeLogConfigArn"}, where, ap, wp)
    if not default:
        out["PathPattern"] = b.get("pathPattern")
        where[f"{ap}.PathPattern"] = f"{wp}.pathPattern"
    out["AllowedMethods"] = quantity(b.get("allowedMethods"),
                                     CachedMethods=quantity(b.get("cachedMethods")))
    where[f"{ap}.AllowedMethods.Items"] = f"{wp}.allowedMethods"
    where[f"{ap}.AllowedMethods.CachedMethods.Items"] = f"{wp}.cachedMethods"
    allowed = set(b.get("allowedMethods") or [])
    sets = ({"GET", "HEAD"}, {"GET", "HEAD", "OPTIONS"},
            {"GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"})
    if allowed and allowed not in sets:
        ctx.problem(f"{wp}.allowedMethods", f"{sorted(allowed)} is not one of CloudFront's "
                    "three method sets")
    cached = set(b.get("cachedMethods") or [])
    if cached and cached not in sets[:2]:
        ctx.problem(f"{wp}.cachedMethods", f"{sorted(cached)} must be [GET, HEAD] or "
                                           "[GET, HEAD, OPTIONS]")
    if cached - allowed:
        ctx.problem(f"{wp}.cachedMethods", f"{sorted(cached - allowed)} not in allowedMethods")
    keys = b.get("trustedKeyGroups")
    out["TrustedKeyGroups"] = quantity(keys, Enabled=bool(keys))
    where[f"{ap}.TrustedKeyGroups.Items"] = f"{wp}.trustedKeyGroups"
    signers = b.get("trustedSigners")
    if signers:
        out["TrustedSigners"] = quantity(signers, Enabled=True)
    funcs = b.get("functionAssociations") or []
    out["FunctionAssociations"] = quantity([
        ctx.pick(f, {"FunctionARN": "functionArn", "EventType": "eventType"}, where,
                 f"{ap}.FunctionAssociations.Items[{i}]", f"{wp}.functionAssociations[{i}]")
        for i, f in enumerate(funcs)])
    for i, f in enumerate(funcs):
        if f.get("eventType") not in ("viewer-request", "viewer-response"):
            ctx.problem(f"{wp}.functionAssociations[{i}].eventType",
                        f"{f.get('eventType')!r}: CloudFront Functions run on viewer-request or "
                        "viewer-response only")
    lambdas = b.get("lambdaFunctionAssociations") or []
    if lambdas:
        out["LambdaFunctionAssociations"] = quantity([
            {"LambdaFunctionARN": f.get("lambdaArn"), "EventType": f.get("eventType"),
             "IncludeBody": bool(f.get("includeBody"))} for f in lambdas])
    if b.get("cachePolicyId"):
        for key in ("forwardedValues", "minTtl", "defaultTtl", "maxTtl"):
            if b.get(key) not in (None, 0) and key != "forwardedValues":
                ctx.problem(f"{wp}.{key}", "legacy TTLs cannot be combined with a cache policy")
        if b.get("forwardedValues"):
            ctx.problem(f"{wp}.forwardedValues", "forwardedValues cannot be combined with a "
                                                 "cache policy")
    else:
        fv = b.get("forwardedValues")
        if not fv:
            ctx.problem(wp, "a behaviour needs a cachePolicyId (or legacy forwardedValues)")
        else:
            cookies = fv.get("cookies") or {}
            out["ForwardedValues"] = {
                "QueryString": bool(fv.get("queryString")),
                "Cookies": {"Forward": cookies.get("forward", "none"),
                            **({"WhitelistedNames": quantity(cookies["whitelistedNames"])}
                               if cookies.get("whitelistedNames") else {})},
                "Headers": quantity(fv.get("headers")),
                "QueryStringCacheKeys": quantity(fv.get("queryStringCacheKeys"))}
            where[f"{ap}.ForwardedValues.Cookies.Forward"] = f"{wp}.forwardedValues.cookies.forward"
        out.update(ctx.pick(b, {"MinTTL": "minTtl", "DefaultTTL": "defaultTtl",
                                "MaxTTL": "maxTtl"}, where, ap, wp))
        _ttls(ctx, {"min": out.get("MinTTL"), "default": out.get("DefaultTTL"),
                    "max": out.get("MaxTTL")},
              {"min": f"{wp}.minTtl", "default": f"{wp}.defaultTtl", "max": f"{wp}.maxTtl"})
    return out


def _origin(ctx, o: dict, wp: str, ap: str, where: dict) -> dict[str, Any]:
    out = ctx.pick(o, {"Id": "originId", "DomainName": "domainName", "OriginPath": "originPath",
                       "OriginAccessControlId": "originAccessControlId",
                       "ConnectionAttempts": "connectionAttempts",
                       "ConnectionTimeout": "connectionTimeout",
                       "ResponseCompletionTimeout": "responseCompletionTimeout"}, where, ap, wp)
    out["CustomHeaders"] = quantity([
        ctx.pick(h, {"HeaderName": "name", "HeaderValue": "value"}, where,
                 f"{ap}.CustomHeaders.Items[{i}]", f"{wp}.customHeaders[{i}]")
        for i, h in enumerate(o.get("customHeaders") or [])])
    custom = o.get("customOriginConfig")
    s3 = o.get("s3OriginConfig")
    if custom:
        cap, cwp = f"{ap}.CustomOriginConfig", f"{wp}.customOriginConfig"
        out["CustomOriginConfig"] = {
            **ctx.pick(custom, {"HTTPPort": "httpPort", "HTTPSPort": "httpsPort",
                                "OriginProtocolPolicy": "originProtocolPolicy",
                                "OriginReadTimeout": "originReadTimeout",
                                "OriginKeepaliveTimeout": "originKeepaliveTimeout",
                                "IpAddressType": "ipAddressType"}, where, cap, cwp),
            "OriginSslProtocols": quantity(custom.get("originSslProtocols"))}
        where[f"{cap}.OriginSslProtocols.Items"] = f"{cwp}.originSslProtocols"
        read = custom.get("originReadTimeout")
        if read is not None and not 1 <= read <= 180:
            ctx.problem(f"{cwp}.originReadTimeout", f"{read:g} not 1-180 seconds")
        keep = custom.get("originKeepaliveTimeout")
        if keep is not None and not 1 <= keep <= 180:
            ctx.problem(f"{cwp}.originKeepaliveTimeout", f"{keep:g} not 1-180 seconds")
        for port_key in ("httpPort", "httpsPort"):
            port = custom.get(port_key)
            if port is not None and not (port in (80, 443) or 1024 <= port <= 65535):
                ctx.problem(f"{cwp}.{port_key}", f"{port:g}: CloudFront allows 80, 443 or "
                                                 "1024-65535")
        if o.get("originAccessControlId"):
            ctx.problem(f"{wp}.originAccessControlId", "an origin access control needs an S3 "
                        "(or MediaStore/Lambda URL) origin, not a custom origin")
    elif s3 is not None or o.get("originAccessControlId"):
        out["S3OriginConfig"] = {"OriginAccessIdentity": (s3 or {}).get("originAccessIdentity",
                                                                        "")}
        if o.get("originAccessControlId") and (s3 or {}).get("originAccessIdentity"):
            ctx.problem(f"{wp}.s3OriginConfig.originAccessIdentity",
                        "use an origin access control or an identity, not both")
    else:
        ctx.problem(wp, "an origin needs customOriginConfig or s3OriginConfig")
    if custom and s3:
        ctx.problem(wp, "an origin takes customOriginConfig or s3OriginConfig, not both")
    return out


@resource("aws:cloudfront/distribution:Distribution")
def distribution(ctx) -> dict:
    where: dict[str, str] = {}
    base = "DistributionConfig"
    origins_in = ctx.inputs.get("origins") or []
    origins = [_origin(ctx, o, f"origins[{i}]", f"{base}.Origins.Items[{i}]", where)
               for i, o in enumerate(origins_in)]
    ids = [o.get("originId") for o in origins_in]
    for i, oid in enumerate(ids):
        if ids.index(oid) != i:
            ctx.problem(f"origins[{i}].originId", f"duplicate origin id {oid!r}")
    groups_in = ctx.inputs.get("originGroups") or []
    group_ids = [g.get("originId") for g in groups_in]
    for i, g in enumerate(groups_in):
        if g.get("originId") in ids:
            ctx.problem(f"originGroups[{i}].originId", "an origin group id must differ from "
                                                       "every origin id")
        for j, m in enumerate(g.get("members") or []):
            if m.get("originId") not in ids:
                ctx.problem(f"originGroups[{i}].members[{j}].originId",
                            f"{m.get('originId')!r} is not an origin of this distribution")
        if len(g.get("members") or []) != 2:
            ctx.problem(f"originGroups[{i}].members", "an origin group needs exactly 2 members")
    default = ctx.inputs.get("defaultCacheBehavior") or {}
    behaviors = [("defaultCacheBehavior", default)] + [
        (f"orderedCacheBehaviors[{i}]", b)
        for i, b in enumerate(ctx.inputs.get("orderedCacheBehaviors") or [])]
    _cross_check_behaviors(ctx, behaviors, set(ids) | set(group_ids))
    patterns = [b.get("pathPattern") for _, b in behaviors[1:]]
    for i, p in enumerate(patterns):
        if patterns.index(p) != i:
            ctx.problem(f"orderedCacheBehaviors[{i}].pathPattern", f"duplicate path pattern {p!r}")
    for i, o in enumerate(origins_in):
        if o.get("customOriginConfig"):
            # Listeners may register after the distribution: check once the graph is whole.
            ctx.engine.deferred.append(lambda i=i, o=o: _origin_meets_a_listener(ctx, i, o))
    if ctx.inputs.get("webAclId"):
        ctx.engine.deferred.append(lambda: _web_acl_for_cloudfront(ctx, ctx.inputs["webAclId"]))
    oac_ids = {r.id for r in ctx.engine.find("aws:cloudfront/originAccessControl")}
    for i, o in enumerate(origins_in):
        oac = o.get("originAccessControlId")
        if oac and oac not in oac_ids:
            ctx.problem(f"origins[{i}].originAccessControlId",
                        f"{oac!r} is not an origin access control of this stack")
    conf: dict[str, Any] = {
        "CallerReference": ctx.fake_id("", 24),
        "Comment": ctx.inputs.get("comment") or "",
        "Enabled": ctx.inputs.get("enabled"),
        "Origins": quantity(origins),
        "DefaultCacheBehavior": _behavior(ctx, default, "defaultCacheBehavior",
                                          f"{base}.DefaultCacheBehavior", where, True),
        "CacheBehaviors": quantity([
            _behavior(ctx, b, wp, f"{base}.CacheBehaviors.Items[{i}]", where, False)
            for i, (wp, b) in enumerate(behaviors[1:])]),
    }
    where[f"{base}.Comment"] = "comment"
    where[f"{base}.Enabled"] = "enabled"
    if len(conf["Comment"]) > 128:
        ctx.problem("comment", f"{len(conf['Comment'])} characters, maximum 128")
    conf.update(ctx.pick(ctx.inputs, {
        "DefaultRootObject": "defaultRootObject", "PriceClass": "priceClass",
        "HttpVersion": "httpVersion", "IsIPV6Enabled": "isIpv6Enabled", "WebACLId": "webAclId",
        "Staging": "staging", "ContinuousDeploymentPolicyId": "continuousDeploymentPolicyId"},
        where, base))
    if ctx.inputs.get("aliases"):
        conf["Aliases"] = quantity(ctx.inputs["aliases"])
    if groups_in:
        conf["OriginGroups"] = quantity([{
            "Id": g.get("originId"),
            "FailoverCriteria": {"StatusCodes": quantity(
                (g.get("failoverCriteria") or {}).get("statusCodes"))},
            "Members": quantity([{"OriginId": m.get("originId")} for m in g.get("members") or []]),
        } for g in groups_in])
    errors = ctx.inputs.get("customErrorResponses") or []
    if errors:
        conf["CustomErrorResponses"] = quantity([
            {**ctx.pick(e, {"ErrorCode": "errorCode", "ResponsePagePath": "responsePagePath",
                            "ErrorCachingMinTTL": "errorCachingMinTtl"},
                        where, f"{base}.CustomErrorResponses.Items[{i}]",
                        f"customErrorResponses[{i}]"),
             **({"ResponseCode": str(int(e["responseCode"]))} if e.get("responseCode") else {})}
            for i, e in enumerate(errors)])
    logging = ctx.inputs.get("loggingConfig")
    if logging:
        conf["Logging"] = {"Enabled": True, "IncludeCookies": bool(logging.get("includeCookies")),
                           "Bucket": logging.get("bucket", ""), "Prefix": logging.get("prefix", "")}
    geo = (ctx.inputs.get("restrictions") or {}).get("geoRestriction") or {}
    conf["Restrictions"] = {"GeoRestriction": quantity(geo.get("locations"),
                                                       RestrictionType=geo.get("restrictionType"))}
    where[f"{base}.Restrictions.GeoRestriction.RestrictionType"] = \
        "restrictions.geoRestriction.restrictionType"
    if geo.get("restrictionType") in ("whitelist", "blacklist") and not geo.get("locations"):
        ctx.problem("restrictions.geoRestriction.locations",
                    f"a {geo['restrictionType']} restriction needs locations")
    cert = ctx.inputs.get("viewerCertificate") or {}
    conf["ViewerCertificate"] = ctx.pick(cert, {
        "CloudFrontDefaultCertificate": "cloudfrontDefaultCertificate",
        "ACMCertificateArn": "acmCertificateArn", "IAMCertificateId": "iamCertificateId",
        "SSLSupportMethod": "sslSupportMethod",
        "MinimumProtocolVersion": "minimumProtocolVersion"}, where,
        f"{base}.ViewerCertificate", "viewerCertificate")
    if cert.get("acmCertificateArn") and ":us-east-1:" not in cert["acmCertificateArn"]:
        ctx.problem("viewerCertificate.acmCertificateArn",
                    "CloudFront needs an ACM certificate from us-east-1")
    if cert.get("acmCertificateArn") and not cert.get("sslSupportMethod"):
        ctx.problem("viewerCertificate.sslSupportMethod", "required with acmCertificateArn")
    if not cert.get("cloudfrontDefaultCertificate") and not cert.get("acmCertificateArn") and \
            not cert.get("iamCertificateId"):
        ctx.problem("viewerCertificate", "needs cloudfrontDefaultCertificate, acmCertificateArn "
                                         "or iamCertificateId")
    if ctx.inputs.get("aliases") and cert.get("cloudfrontDefaultCertificate"):
        ctx.problem("aliases", "aliases need a certificate of your own, not the default one")
    ctx.check("cloudfront", "CreateDistribution", {"DistributionConfig": conf}, where)
    conf = _without_origin_group_targets(ctx, conf, groups_in)
    params: dict[str, Any] = {"DistributionConfig": conf}
    tags = ctx.inputs.get("tags")
    if tags:
        op, params = "CreateDistributionWithTags", {"DistributionConfigWithTags": {
            "DistributionConfig": conf, "Tags": {"Items": ctx.tags(tags)}}}
        where = {k.replace(base, f"DistributionConfigWithTags.{base}", 1): v
                 for k, v in where.items()}
    else:
        op = "CreateDistribution"
    resp = ctx.call("cloudfront", op, params, where, validate=False)
    if resp is None:
        did = ctx.fake_id("E", 13).upper()
        return failed(ctx, id=did, arn=ctx.arn("cloudfront", f"distribution/{did}", region=""),
                      domainName=f"d{ctx.fake_id('', 13)}.cloudfront.net",
                      hostedZoneId="Z2FDTNDATAQYW2", status="Deployed")
    dist = resp["Distribution"]
    return {"id": dist["Id"], "arn": dist["ARN"], "domainName": dist["DomainName"],
            "hostedZoneId": "Z2FDTNDATAQYW2", "etag": resp.get("ETag"),
            "status": dist.get("Status", "Deployed"), "callerReference": conf["CallerReference"],
            "inProgressValidationBatches": 0, "lastModifiedTime": str(dist.get("LastModifiedTime")),
            "__summary__": f"{dist['DomainName']} {len(origins)} origins, "
                           f"{len(behaviors)} behaviours"}


def _without_origin_group_targets(ctx, conf: dict, groups: list[dict]) -> dict:
    """moto rejects a behaviour that targets an origin group (AWS allows it): for moto
    only, aim such behaviours at the group's primary member. The real config was
    validated above."""
    primary = {g.get("originId"): (g.get("members") or [{}])[0].get("originId") for g in groups}
    behaviours = [conf["DefaultCacheBehavior"], *conf["CacheBehaviors"].get("Items", [])]
    if not any(b.get("TargetOriginId") in primary for b in behaviours):
        return conf
    import copy

    conf = copy.deepcopy(conf)
    for b in [conf["DefaultCacheBehavior"], *conf["CacheBehaviors"].get("Items", [])]:
        if b.get("TargetOriginId") in primary:
            b["TargetOriginId"] = primary[b["TargetOriginId"]]
    ctx.engine.notes.append(f"{ctx.type} {ctx.name}: moto does not model origin groups; "
                            "behaviours aimed at a group were sent to its primary origin")
    return conf


def _origin_meets_a_listener(ctx, i: int, origin: dict) -> None:
    """A custom origin on an ALB of the stack (by its DNS name or a Route 53 alias of it)
    needs a listener for the protocol CloudFront speaks to it, and over HTTPS a certificate
    covering the name CloudFront connects to: else every request fails with a 502."""
    engine = ctx.engine
    custom = origin.get("customOriginConfig") or {}
    domain = _dns(origin.get("domainName"))
    albs = {_dns(r.outputs.get("dnsName")): r for r in engine.find("aws:lb/loadBalancer")}
    alb = albs.get(domain)
    for record in engine.find("aws:route53/record"):
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
    where = f"origins[{i}].customOriginConfig.originProtocolPolicy"
    listeners = [r for r in engine.find("aws:lb/listener")
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
                cert = engine.by_id(str(listener.inputs.get("certificateArn")))
                if cert is not None:
                    names |= {_dns(n) for n in [cert.inputs.get("domainName"),
                                                *(cert.inputs.get("subjectAlternativeNames")
                                                  or [])]}
            if names and not any(_covers(n, domain) for n in names):
                ctx.problem(where, f"the ALB's HTTPS certificate names {sorted(names)}, not "
                                   f"{domain!r}: CloudFront's TLS handshake would fail")


def _web_acl_for_cloudfront(ctx, ref: str) -> None:
    """A WAFv2 web ACL is attached by its ARN (its id is WAF Classic's way) and must be
    CLOUDFRONT-scope: CloudFront rejects anything else when the distribution is saved."""
    acls = ctx.engine.find("aws:wafv2/webAcl")
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


def _cross_check_behaviors(ctx, behaviors: list[tuple[str, dict]], origin_ids: set) -> None:
    engine = ctx.engine
    cache_ids = MANAGED_CACHE | {r.id for r in engine.find("aws:cloudfront/cachePolicy")}
    orp_ids = MANAGED_ORIGIN_REQUEST | {r.id for r in
                                        engine.find("aws:cloudfront/originRequestPolicy")}
    rhp_ids = MANAGED_RESPONSE_HEADERS | {r.id for r in
                                          engine.find("aws:cloudfront/responseHeadersPolicy")}
    key_groups = {r.id for r in engine.find("aws:cloudfront/keyGroup")}
    functions = {r.outputs.get("arn") for r in engine.find("aws:cloudfront/function")}
    for wp, b in behaviors:
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


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
