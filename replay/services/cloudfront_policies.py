"""CloudFront's cache, origin request and response headers policies: requests validated only.

moto does not model these policies, so each translator builds the Create*Policy request,
checks it against botocore's model and the rules AWS applies server-side (TTL order and
range, compression without caching, credentials with origin '*'), and returns realistic
outputs. Distributions, which reference these policies, are in cloudfront.py.
"""

from __future__ import annotations

from typing import Any

from ..context import Ctx
from ..registry import resource
from . import autoname, quantity

MAX_TTL = 3_153_600_000  # CloudFront's ceiling (100 years)


def ttl_problems(ctx: Ctx, ttls: dict[str, Any], paths: dict[str, str]) -> None:
    """Min <= default <= max, each 0-MAX_TTL seconds; `ttls` and `paths` keyed min/default/max
    (a cache policy's TTLs, or a behaviour's legacy ones)."""
    for key, value in ttls.items():
        if value is not None and not 0 <= value <= MAX_TTL:
            ctx.problem(paths[key], f"TTL {value:g} out of range 0-{MAX_TTL}")
    lo, default, hi = ttls.get("min"), ttls.get("default"), ttls.get("max")
    if None not in (lo, default) and lo > default:
        ctx.problem(paths["default"], f"default TTL {default:g} < minimum TTL {lo:g}")
    if None not in (default, hi) and default > hi:
        ctx.problem(paths["default"], f"default TTL {default:g} > maximum TTL {hi:g}")


def _items_config(ctx: Ctx, conf: dict | None, behavior_key: str, list_key: str, api_behavior: str,
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
def cache_policy(ctx: Ctx) -> dict:
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
    ttl_problems(ctx, {"min": conf.get("MinTTL"), "default": conf.get("DefaultTTL"),
                "max": conf.get("MaxTTL")},
          {"min": "minTtl", "default": "defaultTtl", "max": "maxTtl"})
    if conf.get("MaxTTL") == 0 and (key.get("EnableAcceptEncodingGzip") or
                                    key.get("EnableAcceptEncodingBrotli")):
        ctx.problem(f"{wp}.enableAcceptEncodingGzip",
                    "compression settings need a caching policy (max TTL > 0)")
    ctx.check("cloudfront", "CreateCachePolicy", {"CachePolicyConfig": conf}, where)
    return {"id": ctx.fake_uuid(), "name": name, "etag": "E" + ctx.fake_id("", 13).upper(),
            "arn": ctx.arn("cloudfront", f"cache-policy/{ctx.fake_uuid()}", region=""),
            "__summary__": f"ttl {conf.get('MinTTL')}/{conf.get('DefaultTTL')}/"
                           f"{conf.get('MaxTTL')}"}


@resource("aws:cloudfront/originRequestPolicy:OriginRequestPolicy")
def origin_request_policy(ctx: Ctx) -> dict:
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
    return {"id": ctx.fake_uuid(), "name": name, "etag": "E" + ctx.fake_id("", 13).upper()}


def _items(value: dict | None) -> list:
    return list((value or {}).get("items") or [])


@resource("aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy")
def response_headers_policy(ctx: Ctx) -> dict:
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
    return {"id": ctx.fake_uuid(), "name": name, "etag": "E" + ctx.fake_id("", 13).upper()}
