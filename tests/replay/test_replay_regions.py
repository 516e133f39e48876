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
    """Custom domain (ACM in us-east-1 + Route 53), cross-region replica, alarm e-mail,
    stack in eu-west-1: each resource lands in the region of its provider."""
    require_real_program()
    engine = Engine()
    with engine.active():
        result = run_program(REPO_ROOT, "dev", engine=engine, config_overrides={
            "aws:region": "eu-west-1", "domainName": "cdn.example.com",
            "hostedZoneId": "Z0123456789ABCDEFGHIJ", "replicaRegion": "us-west-2",
            "alarmEmail": "ops@example.com"})
        assert [str(p) for p in result.problems] == []
        cert = one(result, "aws:acm/certificate:Certificate")
        assert ":us-east-1:" in cert.id
        alb = one(result, "aws:lb/loadBalancer:LoadBalancer")
        assert ":eu-west-1:" in alb.id
        s3 = engine.client("s3")
        regions = {s3.get_bucket_location(Bucket=b.id)["LocationConstraint"]
                   for b in result.of_type("aws:s3/bucket:Bucket")}
        assert regions == {"eu-west-1", "us-west-2"}
        dist = one(result, "aws:cloudfront/distribution:Distribution")
        assert dist.inputs["aliases"] == ["cdn.example.com"]
