"""Edge: the distribution rendered from edge-config, with both origins wired right."""

from __future__ import annotations

from edge.cloudfront import MANAGED_CACHE_POLICIES
from edge.config import load_edge_config
from edge.origin import ORIGIN_VERIFY_HEADER
from infra import outputs

DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
EDGE = load_edge_config()


def _distribution(stack):
    return stack.one(DISTRIBUTION)


def _behaviors(stack) -> list[dict]:
    d = _distribution(stack).inputs
    return [*d["orderedCacheBehaviors"], {**d["defaultCacheBehavior"], "pathPattern": "*"}]


def _bucket(stack, purpose):
    return next(b for b in stack.of_type("aws:s3/bucket:Bucket")
                if b.inputs["tags"]["edgeflix:purpose"] == purpose)


def test_s3_origin_is_the_buckets_regional_domain_with_oac(dev_stack):
    origins = {o["originId"]: o for o in _distribution(dev_stack).inputs["origins"]}
    media = _bucket(dev_stack, "media")
    oac = dev_stack.one("aws:cloudfront/originAccessControl:OriginAccessControl")
    assert origins["media"]["domainName"] == media.outputs["bucketRegionalDomainName"]
    assert origins["media"]["domainName"].endswith(".s3.us-east-1.amazonaws.com")
    assert origins["media"]["originAccessControlId"] == oac.outputs["id"]
    assert "s3OriginConfig" not in origins["media"]  # no legacy OAI


def test_api_origin_without_a_hosted_zone_is_the_albs_dns_name_over_http(dev_stack):
    origins = {o["originId"]: o for o in _distribution(dev_stack).inputs["origins"]}
    alb = dev_stack.one("aws:lb/loadBalancer:LoadBalancer")
    api = origins["api"]
    assert api["domainName"] == alb.outputs["dnsName"]
    config = api["customOriginConfig"]
    assert EDGE.origins["api"].fallback_protocol == "http-only"
    assert config["originProtocolPolicy"] == "http-only"
    assert config["httpPort"] == 80
    assert config["originReadTimeout"] == EDGE.origins["api"].read_timeout
    assert config["originKeepaliveTimeout"] == EDGE.origins["api"].keepalive_timeout
    assert set(origins) == {"media", "api"}


def test_api_origin_with_a_hosted_zone_is_origin_name_over_tls_12(public_tls_stack):
    full_stack = public_tls_stack
    origins = {o["originId"]: o for o in _distribution(full_stack).inputs["origins"]}
    api = origins["api"]
    assert api["domainName"] == "origin.watch.example.com"
    config = api["customOriginConfig"]
    assert EDGE.origins["api"].protocol == "https-only"
    assert config["originProtocolPolicy"] == "https-only"
    assert config["httpsPort"] == 443
    assert config["originSslProtocols"] == ["TLSv1.2"]
    assert api["customHeaders"][0]["name"] == ORIGIN_VERIFY_HEADER
    # `make verify` probes the origin by the name and scheme CloudFront uses.
    assert full_stack.exports["alb_url"] == "https://origin.watch.example.com"


def test_behaviours_follow_edge_config_in_order(dev_stack):
    behaviors = _behaviors(dev_stack)
    assert [b["pathPattern"] for b in behaviors] == [b.path for b in EDGE.behaviors]
    for rendered, declared in zip(behaviors, EDGE.behaviors, strict=True):
        assert rendered["targetOriginId"] == declared.origin
        assert rendered["allowedMethods"] == declared.allowed_methods
        assert "forwardedValues" not in rendered


def test_every_behaviour_redirects_to_https_and_sets_security_headers(stacks):
    for stack in stacks:
        policies = {p.outputs["id"]: p.inputs for p in
                    stack.of_type("aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy")}
        for b in _behaviors(stack):
            assert b["viewerProtocolPolicy"] == "redirect-to-https", b["pathPattern"]
            policy = policies[b["responseHeadersPolicyId"]]
            security = policy["securityHeadersConfig"]
            assert security["strictTransportSecurity"]["accessControlMaxAgeSec"] >= 31536000
            assert security["contentTypeOptions"]["override"] is True
            assert security["frameOptions"]["frameOption"] == "DENY"


def test_video_behaviours_require_the_trusted_key_group(dev_stack):
    key_group = dev_stack.one("aws:cloudfront/keyGroup:KeyGroup").outputs["id"]
    for b in _behaviors(dev_stack):
        if b["pathPattern"].startswith("/video/"):
            assert b["trustedKeyGroups"] == [key_group], b["pathPattern"]
        else:
            assert "trustedKeyGroups" not in b, b["pathPattern"]
    assert sum(b.signed for b in EDGE.behaviors) == 2


def test_cache_policies_carry_edge_config_ttls_and_keys(dev_stack):
    rendered = {p.inputs["name"].removeprefix("edgeflix-dev-"): p.inputs
                for p in dev_stack.of_type("aws:cloudfront/cachePolicy:CachePolicy")}
    custom = {k: p for k, p in EDGE.cache_policies.items() if not p.managed}
    assert set(rendered) == set(custom)
    for key, policy in custom.items():
        r = rendered[key]
        assert (r["minTtl"], r["defaultTtl"], r["maxTtl"]) == (
            policy.min_ttl, policy.default_ttl, policy.max_ttl)
        params = r["parametersInCacheKeyAndForwardedToOrigin"]
        assert params["cookiesConfig"]["cookieBehavior"] == "none"
        assert params["queryStringsConfig"]["queryStringBehavior"] == policy.key.query_strings
        assert params["enableAcceptEncodingGzip"] is policy.compress


def test_behaviours_reference_their_policies(dev_stack):
    cache_ids = {p.inputs["name"].removeprefix("edgeflix-dev-"): p.outputs["id"]
                 for p in dev_stack.of_type("aws:cloudfront/cachePolicy:CachePolicy")}
    for rendered, declared in zip(_behaviors(dev_stack), EDGE.behaviors, strict=True):
        policy = EDGE.cache_policies[declared.cache_policy]
        expected = MANAGED_CACHE_POLICIES[policy.managed] if policy.managed else cache_ids[
            declared.cache_policy]
        assert rendered["cachePolicyId"] == expected
    healthz = next(b for b in _behaviors(dev_stack) if b["pathPattern"] == "/healthz")
    assert healthz["cachePolicyId"] == MANAGED_CACHE_POLICIES["CachingDisabled"]


def test_cors_policy_for_players(dev_stack):
    cors = next(p.inputs for p in dev_stack.of_type(
        "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy")
        if p.inputs["name"] == "edgeflix-dev-secure-cors")["corsConfig"]
    assert cors["accessControlAllowOrigins"] == {"items": ["*"]}
    assert cors["accessControlAllowHeaders"] == {"items": ["Range"]}
    assert cors["accessControlAllowCredentials"] is False


def test_viewer_request_function_is_published_from_edge_config(dev_stack):
    fn = dev_stack.one("aws:cloudfront/function:Function")
    assert fn.inputs["runtime"] == "cloudfront-js-2.0"
    assert fn.inputs["publish"] is True
    assert fn.inputs["code"] == EDGE.functions["normalize"].path.read_text()
    for rendered, declared in zip(_behaviors(dev_stack), EDGE.behaviors, strict=True):
        associations = rendered.get("functionAssociations", [])
        assert [a["eventType"] for a in associations] == list(declared.functions)
        assert all(a["functionArn"] == fn.outputs["arn"] for a in associations)


def test_logging_price_class_and_deployment_wait_from_config(dev_stack, full_stack):
    d = _distribution(dev_stack).inputs
    logs = _bucket(dev_stack, "logs")
    assert d["loggingConfig"] == {"bucket": logs.outputs["bucketDomainName"],
                                  "prefix": "cloudfront/", "includeCookies": False}
    assert d["priceClass"] == "PriceClass_100"
    assert d["waitForDeployment"] is False
    assert _distribution(full_stack).inputs["waitForDeployment"] is True
    assert d["enabled"] is True and d["isIpv6Enabled"] is True


def test_default_domain_uses_the_cloudfront_certificate(dev_stack):
    d = _distribution(dev_stack).inputs
    assert d["viewerCertificate"] == {"cloudfrontDefaultCertificate": True}
    assert "aliases" not in d
    assert dev_stack.exports["cdn_url"] == "https://d111111abcdef8.cloudfront.net"


def test_custom_domain_gets_a_us_east_1_certificate_and_tls_12(full_stack):
    d = _distribution(full_stack).inputs
    assert d["aliases"] == ["watch.example.com"]
    cert = full_stack.one("aws:acm/certificate:Certificate", "edge-cert")
    assert cert.inputs["domainName"] == "watch.example.com"
    assert ":acm:us-east-1:" in cert.outputs["arn"]
    validation = full_stack.one("aws:acm/certificateValidation:CertificateValidation",
                                "edge-cert")
    provider = full_stack.by_name("us-east-1")
    assert provider.inputs["region"] == "us-east-1"
    assert cert.provider.split("::")[-2].endswith("us-east-1")
    assert validation.provider.split("::")[-2].endswith("us-east-1")
    assert d["viewerCertificate"] == {
        "acmCertificateArn": cert.outputs["arn"],
        "sslSupportMethod": "sni-only",
        "minimumProtocolVersion": "TLSv1.2_2021",
    }
    records = {r.name: r.inputs for r in full_stack.of_type("aws:route53/record:Record")}
    assert records["edge-alias-a"]["aliases"][0]["name"] == "d111111abcdef8.cloudfront.net"
    assert records["edge-cert-validation"]["zoneId"] == "Z0123456789ABCDEFGHIJ"
    assert full_stack.exports["cdn_url"] == "https://watch.example.com"
    assert full_stack.exports["api_health_url"] == "https://watch.example.com/healthz"


def test_origin_failover_to_the_replica_bucket(full_stack):
    d = _distribution(full_stack).inputs
    replica = _bucket(full_stack, "replica")
    origins = {o["originId"]: o for o in d["origins"]}
    assert origins["media-replica"]["domainName"] == replica.outputs["bucketRegionalDomainName"]
    assert origins["media-replica"]["originAccessControlId"]
    (group,) = d["originGroups"]
    assert [m["originId"] for m in group["members"]] == ["media", "media-replica"]
    assert set(group["failoverCriteria"]["statusCodes"]) >= {500, 502, 503, 504}
    media_targets = {b["targetOriginId"] for b in _behaviors(full_stack)
                     if b["pathPattern"] not in ("/api/*", "/healthz")}
    assert media_targets == {"media-failover"}


def test_the_program_exports_exactly_the_names_readers_import(dev_stack):
    """infra/outputs.py names every export (web_acl_arn with the WAF on, as in dev), and the
    one mapping, the services' Auto Scaling groups."""
    assert set(dev_stack.exports) == set(outputs.EXPORTED) | {outputs.SERVICE_ASG_NAMES}
    assert all(dev_stack.exports[name] for name in outputs.EXPORTED)


def test_exports_point_at_the_right_things(dev_stack):
    e = dev_stack.exports
    assert e["api_health_url"] == e["cdn_url"] + "/healthz"
    assert e["distribution_id"] == _distribution(dev_stack).outputs["id"]
    assert e["alb_dns_name"] == dev_stack.one("aws:lb/loadBalancer:LoadBalancer").outputs[
        "dnsName"]
    assert e["alb_url"] == "http://" + e["alb_dns_name"]
    assert e["key_pair_id"] == dev_stack.by_name("signing-public-key-a1").outputs["id"]
    assert e["asg_name"] == dev_stack.one("aws:autoscaling/group:Group").outputs["name"]
    assert e["service_asg_names"] == dict.fromkeys(
        ("catalog", "accounts", "plans", "recommendations"), e["asg_name"])
    assert e["media_bucket"] == _bucket(dev_stack, "media").outputs["id"]


def test_error_caching_is_edge_configs_decision_per_code(stacks):
    expected = [{"errorCode": e.code, "errorCachingMinTtl": e.min_ttl}
                for e in EDGE.error_caching]
    assert len(expected) == 10
    for stack in stacks:
        rendered = _distribution(stack).inputs["customErrorResponses"]
        # Exactly code + TTL: no response page or code, so viewers see the origin's error.
        assert rendered == expected
    by_code = {e["errorCode"]: e["errorCachingMinTtl"] for e in expected}
    assert by_code[403] == by_code[404] == 10 and by_code[503] == 5


def test_no_origin_shield_and_no_geo_restriction_by_default(dev_stack):
    d = _distribution(dev_stack).inputs
    assert all("originShield" not in o for o in d["origins"])
    assert d["restrictions"]["geoRestriction"] == {"restrictionType": "none"}


def test_origin_shield_fronts_the_media_origins_in_the_stack_region(full_stack):
    origins = {o["originId"]: o for o in _distribution(full_stack).inputs["origins"]}
    for key in ("media", "media-replica"):
        assert origins[key]["originShield"] == {"enabled": True,
                                                "originShieldRegion": "eu-west-1"}
    assert "originShield" not in origins["api"]  # uncacheable answers: no shield hop


def test_geo_restriction_renders_the_allow_list_as_a_whitelist(full_stack):
    geo = _distribution(full_stack).inputs["restrictions"]["geoRestriction"]
    assert geo == {"restrictionType": "whitelist", "locations": ["GB", "IE", "DE", "FR"]}
