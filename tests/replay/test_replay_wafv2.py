"""The wafv2 translator: Terraform-shaped rules as CreateWebACL, and the checks AWS makes."""

from __future__ import annotations

import pytest
from replay_paths import FIXTURES

from replay import awsmodel, run_program
from replay.services.wafv2 import to_api

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

ACL = """
import pulumi, pulumi_aws as aws
{provider}
acl = aws.wafv2.WebAcl("acl", scope="{scope}", default_action={{"allow": {{}}}},
    visibility_config={{"cloudwatchMetricsEnabled": True, "sampledRequestsEnabled": True,
                       "metricName": "acl"}}, opts=pulumi.ResourceOptions(provider={ref}))
"""
US_EAST_1 = "east = aws.Provider('east', region='us-east-1')"

DISTRIBUTION = """
aws.cloudfront.Distribution("cdn", enabled=True, web_acl_id={web_acl_id},
    origins=[{{"originId": "o", "domainName": "origin.example.com", "customOriginConfig": {{
        "httpPort": 80, "httpsPort": 443, "originProtocolPolicy": "https-only",
        "originSslProtocols": ["TLSv1.2"]}}}}],
    default_cache_behavior={{"targetOriginId": "o", "viewerProtocolPolicy": "https-only",
        "allowedMethods": ["GET", "HEAD"], "cachedMethods": ["GET", "HEAD"],
        "cachePolicyId": "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"}},
    restrictions={{"geoRestriction": {{"restrictionType": "none"}}}},
    viewer_certificate={{"cloudfrontDefaultCertificate": True}})
"""


def _replay(tmp_path, source: str, region: str = "us-east-1"):
    program = tmp_path / "__main__.py"
    program.write_text(source)
    return run_program(FIXTURES, "test", program=program,
                       config_overrides={"aws:region": region})


def test_wire_keys_become_api_members_acronyms_and_blocks_included():
    shape = awsmodel.service_model("wafv2").operation_model("CreateWebACL").input_shape
    where: dict[str, str] = {}
    rules = [{"name": "r", "statement": {"ipSetReferenceStatement": {
        "arn": "arn:aws:wafv2:us-east-1:123456789012:global/ipset/x/1",
        "ipSetForwardedIpConfig": [{"headerName": "X-Forwarded-For", "fallbackBehavior": "MATCH",
                                    "position": "FIRST"}]}},
        "visibilityConfig": {"cloudwatchMetricsEnabled": True, "metricName": "r",
                             "sampledRequestsEnabled": False}}]
    api = to_api(shape.members["Rules"], rules, "Rules", "rules", where)
    statement = api[0]["Statement"]["IPSetReferenceStatement"]
    assert statement["ARN"].startswith("arn:aws:wafv2:")
    assert statement["IPSetForwardedIPConfig"] == {  # a Terraform block of one: a structure
        "HeaderName": "X-Forwarded-For", "FallbackBehavior": "MATCH", "Position": "FIRST"}
    assert api[0]["VisibilityConfig"]["CloudWatchMetricsEnabled"] is True
    assert where["Rules[0].Statement.IPSetReferenceStatement.IPSetForwardedIPConfig"] == \
        "rules[0].statement.ipSetReferenceStatement.ipSetForwardedIpConfig"


def test_misspelt_wire_key_is_reported_where_it_was_written():
    shape = awsmodel.service_model("wafv2").operation_model("CreateWebACL").input_shape
    where: dict[str, str] = {}
    api = to_api(shape.members["DefaultAction"], {"alow": {}}, "DefaultAction", "defaultAction",
                 where)
    assert api == {"Alow": {}}
    assert where["DefaultAction.Alow"] == "defaultAction.alow"


def test_cloudfront_web_acl_is_created_in_moto_from_us_east_1(tmp_path):
    result = _replay(tmp_path, ACL.format(provider=US_EAST_1, scope="CLOUDFRONT", ref="east"),
                     region="eu-west-1")
    assert [str(p) for p in result.problems] == []
    acl = result.named("acl")
    assert acl.outputs["arn"].startswith("arn:aws:wafv2:us-east-1:123456789012:global/webacl/")
    assert acl.summary == "CLOUDFRONT 0 rules"


def test_cloudfront_web_acl_outside_us_east_1_is_a_problem(tmp_path):
    result = _replay(tmp_path, ACL.format(provider="", scope="CLOUDFRONT", ref="None"),
                     region="eu-west-1")
    assert [(p.name, p.path) for p in result.problems] == [("acl", "scope")]
    assert "us-east-1" in result.problems[0].message


@pytest.mark.parametrize(("scope", "reference", "problem"), [
    ("CLOUDFRONT", "acl.arn", None),
    ("CLOUDFRONT", "acl.id", "by its ARN"),
    ("REGIONAL", "acl.arn", "CLOUDFRONT-scope"),
    ("CLOUDFRONT", "'arn:aws:wafv2:us-east-1:123456789012:global/webacl/other/1'",
     "not a web ACL of this stack"),
])
def test_distribution_takes_a_cloudfront_web_acl_by_its_arn(tmp_path, scope, reference, problem):
    source = ACL.format(provider=US_EAST_1, scope=scope, ref="east") + \
        DISTRIBUTION.format(web_acl_id=reference)
    result = _replay(tmp_path, source)
    found = [(p.name, p.path, p.message) for p in result.problems]
    if problem is None:
        assert found == []
    else:
        assert [(n, path) for n, path, _ in found] == [("cdn", "webAclId")]
        assert problem in found[0][2]
