"""Staged edge deployments (stagingMode): a staging distribution, a continuous-deployment
policy on the primary, and the config rules CloudFront imposes on them."""

from __future__ import annotations

import copy
import json

import pytest
from infra_harness import DEV_CONFIG, run_program

from infra import outputs
from infra.config import ConfigError, StackConfig
from infra.distribution import STAGED_FIELDS
from infra.policy.rules import stack_violations, violations

DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
POLICY = "aws:cloudfront/continuousDeploymentPolicy:ContinuousDeploymentPolicy"
STAGED = {**DEV_CONFIG, "edgeflix:httpVersion": "http2"}


@pytest.fixture(scope="module")
def weighted():
    return run_program({**STAGED, "edgeflix:stagingMode": "weight",
                        "edgeflix:stagingWeight": "0.1",
                        "edgeflix:stagingSessionIdleTtl": "600",
                        "edgeflix:stagingSessionMaxTtl": "1800"})


@pytest.fixture(scope="module")
def headered():
    return run_program({**STAGED, "edgeflix:stagingMode": "header",
                        "edgeflix:stagingHeader": "aws-cf-cd-canary",
                        "edgeflix:stagingHeaderValue": "on"})


def _pair(stack):
    primary = stack.by_name("edge-cdn")
    staging = stack.by_name("edge-staging-cdn")
    return primary, staging


def test_staging_is_off_by_default(dev_stack):
    assert dev_stack.of_type(POLICY) == []
    assert [d.name for d in dev_stack.of_type(DISTRIBUTION)] == ["edge-cdn"]
    primary = dev_stack.one(DISTRIBUTION)
    assert primary.inputs["httpVersion"] == "http2and3"
    assert "continuousDeploymentPolicyId" not in primary.inputs
    assert not dev_stack.options[(DISTRIBUTION, "edge-cdn")].ignore_changes


def test_weight_policy_sends_a_sticky_share_to_staging(weighted):
    _, staging = _pair(weighted)
    policy = weighted.one(POLICY).inputs
    assert policy["enabled"] is True
    assert policy["stagingDistributionDnsNames"] == {
        "items": [staging.outputs["domainName"]], "quantity": 1}
    assert policy["trafficConfig"] == {"type": "SingleWeight", "singleWeightConfig": {
        "weight": 0.1, "sessionStickinessConfig": {"idleTtl": 600, "maximumTtl": 1800}}}


def test_header_policy_routes_the_aws_cf_cd_header(headered):
    policy = headered.one(POLICY).inputs
    assert policy["trafficConfig"] == {"type": "SingleHeader", "singleHeaderConfig": {
        "header": "aws-cf-cd-canary", "value": "on"}}


def test_primary_carries_the_policy_and_holds_edge_config_changes(weighted):
    primary, staging = _pair(weighted)
    assert primary.inputs["continuousDeploymentPolicyId"] == weighted.one(POLICY).outputs["id"]
    assert primary.inputs.get("staging") is not True
    assert staging.inputs["staging"] is True
    ignored = weighted.options[(DISTRIBUTION, "edge-cdn")].ignore_changes
    assert set(ignored) == set(STAGED_FIELDS) >= {"origins", "defaultCacheBehavior",
                                                   "orderedCacheBehaviors"}
    assert not weighted.options[(DISTRIBUTION, "edge-staging-cdn")].ignore_changes


def test_staging_mirrors_the_primary_but_its_name_and_logs(weighted):
    primary, staging = _pair(weighted)
    for field in (*STAGED_FIELDS, "httpVersion", "webAclId", "restrictions",
                  "viewerCertificate", "priceClass", "isIpv6Enabled"):
        assert staging.inputs.get(field) == primary.inputs.get(field), field
    assert primary.inputs["webAclId"].startswith("arn:aws:wafv2:")
    assert "3" not in staging.inputs["httpVersion"]
    assert not staging.inputs.get("aliases")
    assert "continuousDeploymentPolicyId" not in staging.inputs
    assert staging.inputs["loggingConfig"]["prefix"] == "cloudfront/staging/"
    assert primary.inputs["loggingConfig"]["prefix"] == "cloudfront/"


def test_media_bucket_admits_both_distributions(weighted):
    primary, staging = _pair(weighted)
    policy = next(r for r in weighted.of_type("aws:s3/bucketPolicy:BucketPolicy")
                  if r.name == "media-media")
    read = [s for s in json.loads(policy.inputs["policy"])["Statement"]
            if s["Sid"] == "AllowCloudFrontOAC"][0]
    assert read["Condition"]["StringEquals"]["AWS:SourceArn"] == [
        primary.outputs["arn"], staging.outputs["arn"]]


def test_staging_distribution_is_exported(weighted, dev_stack):
    assert weighted.exports[outputs.STAGING_DISTRIBUTION_ID] == \
        weighted.by_name("edge-staging-cdn").outputs["id"]
    assert outputs.STAGING_DISTRIBUTION_ID not in dev_stack.exports


def test_policy_pack_passes_a_staged_stack(weighted):
    resources = [(r.type, copy.deepcopy(r.inputs)) for r in weighted.resources]
    assert stack_violations(resources) == []
    assert [v for t, p in resources for v in violations(t, p)] == []


@pytest.mark.parametrize(("values", "key"), [
    ({"stagingMode": "header"}, "edgeflix:httpVersion"),
    ({"stagingMode": "weight", "httpVersion": "http3"}, "edgeflix:httpVersion"),
    ({"stagingMode": "weight", "httpVersion": "http2", "stagingWeight": 0.2},
     "edgeflix:stagingWeight"),
    ({"stagingMode": "weight", "httpVersion": "http2", "stagingWeight": 0},
     "edgeflix:stagingWeight"),
    ({"stagingMode": "header", "httpVersion": "http2", "stagingHeader": "x-canary"},
     "edgeflix:stagingHeader"),
    ({"stagingMode": "weight", "httpVersion": "http2", "stagingSessionIdleTtl": 1200,
      "stagingSessionMaxTtl": 900}, "edgeflix:stagingSessionIdleTtl"),
    ({"stagingMode": "weight", "httpVersion": "http2", "stagingSessionMaxTtl": 7200},
     "edgeflix:stagingSessionMaxTtl"),
    ({"stagingMode": "weight", "httpVersion": "http2", "stagingHeader": "aws-cf-cd-x"},
     "edgeflix:stagingHeader"),
    ({"stagingWeight": 0.1}, "edgeflix:stagingWeight"),
    ({"stagingMode": "header", "httpVersion": "http2", "standardLoggingV2Enabled": True},
     "edgeflix:stagingMode"),
])
def test_impossible_staging_configs_fail_naming_the_key(values, key):
    with pytest.raises(ConfigError, match=key):
        StackConfig.from_mapping(values)


def test_http3_stays_available_without_staging():
    assert StackConfig.from_mapping({"httpVersion": "http3"}).http_version == "http3"
