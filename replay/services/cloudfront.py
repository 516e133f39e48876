"""CloudFront: distributions, and what they attach that moto models (origin access
controls, public keys, key groups, functions).

Each translator builds the Create* request, judges what the request alone tells (method
sets, TTLs, origin timeouts and ports, certificate settings, function size and events),
and creates it in moto. What a distribution or key group names elsewhere in the stack is
checked by replay/checks/cloudfront.py; the three policies moto lacks are in
cloudfront_policies.py.
"""

from __future__ import annotations

import copy
from typing import Any

from edge.cloudfront import ISO_3166_ALPHA2, ORIGIN_SHIELD_REGIONS

from ..checks import cloudfront as checks
from ..context import Ctx
from ..registry import resource
from . import autoname, failed, quantity
from .cloudfront_policies import ttl_problems


@resource("aws:cloudfront/originAccessControl:OriginAccessControl")
def origin_access_control(ctx: Ctx) -> dict:
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
def public_key(ctx: Ctx) -> dict:
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
def key_group(ctx: Ctx) -> dict:
    conf = {"Name": ctx.inputs.get("name") or autoname(ctx, max_len=128),
            "Items": list(ctx.inputs.get("items") or [])}
    if ctx.inputs.get("comment"):
        conf["Comment"] = ctx.inputs["comment"]
    checks.key_group_references(ctx, conf["Items"])
    resp = ctx.call("cloudfront", "CreateKeyGroup", {"KeyGroupConfig": conf},
                    {"KeyGroupConfig.Name": "name", "KeyGroupConfig.Items": "items",
                     "KeyGroupConfig.Comment": "comment"})
    if resp is None:
        return failed(ctx, id=ctx.fake_uuid())
    return {"id": resp["KeyGroup"]["Id"], "etag": resp.get("ETag"),
            "__summary__": f"{len(conf['Items'])} keys"}


@resource("aws:cloudfront/function:Function")
def function(ctx: Ctx) -> dict:
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


def _behavior(ctx: Ctx, b: dict, wp: str, ap: str, where: dict, default: bool) -> dict[str, Any]:
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
        ttl_problems(ctx, {"min": out.get("MinTTL"), "default": out.get("DefaultTTL"),
                    "max": out.get("MaxTTL")},
              {"min": f"{wp}.minTtl", "default": f"{wp}.defaultTtl", "max": f"{wp}.maxTtl"})
    return out


def _origin(ctx: Ctx, o: dict, wp: str, ap: str, where: dict) -> dict[str, Any]:
    out = ctx.pick(o, {"Id": "originId", "DomainName": "domainName", "OriginPath": "originPath",
                       "OriginAccessControlId": "originAccessControlId",
                       "ConnectionAttempts": "connectionAttempts",
                       "ConnectionTimeout": "connectionTimeout",
                       "ResponseCompletionTimeout": "responseCompletionTimeout"}, where, ap, wp)
    out["CustomHeaders"] = quantity([
        ctx.pick(h, {"HeaderName": "name", "HeaderValue": "value"}, where,
                 f"{ap}.CustomHeaders.Items[{i}]", f"{wp}.customHeaders[{i}]")
        for i, h in enumerate(o.get("customHeaders") or [])])
    shield = o.get("originShield")
    if shield:
        out["OriginShield"] = ctx.pick(shield, {"Enabled": "enabled",
                                                "OriginShieldRegion": "originShieldRegion"},
                                       where, f"{ap}.OriginShield", f"{wp}.originShield")
        region = shield.get("originShieldRegion")
        if shield.get("enabled") and not region:
            ctx.problem(f"{wp}.originShield.originShieldRegion",
                        "required when Origin Shield is enabled")
        elif region and region not in ORIGIN_SHIELD_REGIONS:
            ctx.problem(f"{wp}.originShield.originShieldRegion",
                        f"{region!r} is not an Origin Shield region (CloudFront Developer "
                        f"Guide, Using Origin Shield): {', '.join(sorted(ORIGIN_SHIELD_REGIONS))}")
    custom = o.get("customOriginConfig")
    s3 = o.get("s3OriginConfig")
    vpc = o.get("vpcOriginConfig")
    if vpc:
        vap, vwp = f"{ap}.VpcOriginConfig", f"{wp}.vpcOriginConfig"
        out["VpcOriginConfig"] = ctx.pick(vpc, {
            "VpcOriginId": "vpcOriginId", "OwnerAccountId": "ownerAccountId",
            "OriginReadTimeout": "originReadTimeout",
            "OriginKeepaliveTimeout": "originKeepaliveTimeout"}, where, vap, vwp)
        for key in ("originReadTimeout", "originKeepaliveTimeout"):
            value = vpc.get(key)
            if value is not None and not 1 <= value <= 180:
                ctx.problem(f"{vwp}.{key}", f"{value:g} not 1-180 seconds")
        if custom or s3 or o.get("originAccessControlId"):
            ctx.problem(wp, "an origin with vpcOriginConfig takes no customOriginConfig, "
                            "s3OriginConfig or origin access control")
    elif custom:
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
def distribution(ctx: Ctx) -> dict:
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
    for i, g in enumerate(groups_in):
        if g.get("originId") in ids:
            ctx.problem(f"originGroups[{i}].originId", "an origin group id must differ from "
                                                       "every origin id")
        if len(g.get("members") or []) != 2:
            ctx.problem(f"originGroups[{i}].members", "an origin group needs exactly 2 members")
    default = ctx.inputs.get("defaultCacheBehavior") or {}
    behaviors = [("defaultCacheBehavior", default)] + [
        (f"orderedCacheBehaviors[{i}]", b)
        for i, b in enumerate(ctx.inputs.get("orderedCacheBehaviors") or [])]
    patterns = [b.get("pathPattern") for _, b in behaviors[1:]]
    for i, p in enumerate(patterns):
        if patterns.index(p) != i:
            ctx.problem(f"orderedCacheBehaviors[{i}].pathPattern", f"duplicate path pattern {p!r}")
    checks.distribution_references(ctx, origins_in, groups_in, behaviors)
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
    if geo.get("restrictionType") == "none" and geo.get("locations"):
        ctx.problem("restrictions.geoRestriction.locations",
                    "locations need a whitelist or blacklist restriction type")
    for i, code in enumerate(geo.get("locations") or []):
        if code not in ISO_3166_ALPHA2:
            ctx.problem(f"restrictions.geoRestriction.locations[{i}]",
                        f"{code!r} is not an ISO 3166-1 alpha-2 country code")
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
    conf = _vpc_origins_as_custom(ctx, conf)
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


def _without_origin_group_targets(ctx: Ctx, conf: dict, groups: list[dict]) -> dict:
    """moto rejects a behaviour that targets an origin group (AWS allows it): for moto
    only, aim such behaviours at the group's primary member. The real config was
    validated above."""
    primary = {g.get("originId"): (g.get("members") or [{}])[0].get("originId") for g in groups}
    behaviours = [conf["DefaultCacheBehavior"], *conf["CacheBehaviors"].get("Items", [])]
    if not any(b.get("TargetOriginId") in primary for b in behaviours):
        return conf
    conf = copy.deepcopy(conf)
    for b in [conf["DefaultCacheBehavior"], *conf["CacheBehaviors"].get("Items", [])]:
        if b.get("TargetOriginId") in primary:
            b["TargetOriginId"] = primary[b["TargetOriginId"]]
    ctx.note("moto does not model origin groups; behaviours aimed at a group were sent to "
             "its primary origin")
    return conf


def _vpc_origins_as_custom(ctx: Ctx, conf: dict) -> dict:
    """moto does not model VPC origins: for moto only, send such an origin as a custom
    origin on the same name. The real config was validated above."""
    origins = conf["Origins"].get("Items") or []
    if not any("VpcOriginConfig" in o for o in origins):
        return conf
    conf = copy.deepcopy(conf)
    for o in conf["Origins"]["Items"]:
        vpc = o.pop("VpcOriginConfig", None)
        if vpc is not None:
            o["CustomOriginConfig"] = {"HTTPPort": 80, "HTTPSPort": 443,
                                       "OriginProtocolPolicy": "http-only"}
    ctx.note("moto does not model VPC origins; origins through one were sent to moto as "
             "custom origins")
    return conf
