"""The real program with every optional feature on, in a region other than us-east-1.

Its own module: moto's in-process mock is global, so this replay must not overlap
the read-back module's long-lived one.
"""

from __future__ import annotations

import pytest
from replay_paths import REPO_ROOT, require_real_program

from replay import Engine, run_program

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def one(result, type_):
    found = result.of_type(type_)
    assert len(found) == 1, f"expected one {type_}, got {[r.name for r in found]}"
    return found[0]


def test_every_optional_feature_in_another_region_replays_clean():
    """Custom domain (ACM in us-east-1 + Route 53), cross-region replica, alarm e-mail, the
    web ACL, stack in eu-west-1: each resource lands in the region of its provider."""
    require_real_program()
    engine = Engine()
    with engine.active():
        result = run_program(REPO_ROOT, "dev", engine=engine, config_overrides={
            "aws:region": "eu-west-1", "domainName": "cdn.example.com",
            "hostedZoneId": "Z0123456789ABCDEFGHIJ", "replicaRegion": "us-west-2",
            "alarmEmail": "ops@example.com"})
        assert [str(p) for p in result.problems] == []
        certs = {c.name: c for c in result.of_type("aws:acm/certificate:Certificate")}
        assert ":us-east-1:" in certs["edge-cert"].id          # CloudFront's viewers
        assert ":eu-west-1:" in certs["api-lb-origin-cert"].id  # the ALB's, in its region
        alb = one(result, "aws:lb/loadBalancer:LoadBalancer")
        assert ":eu-west-1:" in alb.id
        https = engine.client("elbv2", "eu-west-1").describe_listeners(
            LoadBalancerArn=alb.id)["Listeners"]
        assert [(li["Protocol"], li["Port"], li["SslPolicy"]) for li in https] == [
            ("HTTPS", 443, "ELBSecurityPolicy-TLS13-1-2-2021-06")]
        assert https[0]["Certificates"] == [{"CertificateArn": certs["api-lb-origin-cert"].id}]
        in_use = engine.client("acm", "eu-west-1").describe_certificate(
            CertificateArn=certs["api-lb-origin-cert"].id)["Certificate"]["InUseBy"]
        assert in_use == [https[0]["ListenerArn"]]
        s3 = engine.client("s3")
        regions = {s3.get_bucket_location(Bucket=b.id)["LocationConstraint"]
                   for b in result.of_type("aws:s3/bucket:Bucket")}
        assert regions == {"eu-west-1", "us-west-2"}
        dist = one(result, "aws:cloudfront/distribution:Distribution")
        assert dist.inputs["aliases"] == ["cdn.example.com"]
        api = next(o for o in dist.inputs["origins"] if o["originId"] == "api")
        assert api["domainName"] == "origin.cdn.example.com"
        assert api["customOriginConfig"]["originProtocolPolicy"] == "https-only"
        # The CLOUDFRONT web ACL and the alarm on its metrics live in us-east-1.
        acl = one(result, "aws:wafv2/webAcl:WebAcl")
        assert acl.outputs["arn"].startswith("arn:aws:wafv2:us-east-1:")
        assert engine.client("wafv2", "us-east-1").get_web_acl(
            Name=acl.outputs["name"], Scope="CLOUDFRONT", Id=acl.id)["WebACL"]["Rules"]
        east = engine.client("cloudwatch", "us-east-1").describe_alarms(
            AlarmNamePrefix="edgeflix-dev-waf")["MetricAlarms"]
        assert [a["AlarmName"] for a in east] == ["edgeflix-dev-waf-playback-blocked"]
