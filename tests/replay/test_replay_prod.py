"""The production profile (Pulumi.prod.yaml) through the replay, read back from moto."""

from __future__ import annotations

import pytest
from replay_paths import REPO_ROOT, require_real_program

from replay import Engine, run_program

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def prod():
    require_real_program()
    engine = Engine()
    with engine.active():
        yield run_program(REPO_ROOT, "prod", engine=engine), engine


def _one(result, type_):
    found = result.of_type(type_)
    assert len(found) == 1, f"expected one {type_}, got {[r.name for r in found]}"
    return found[0]


def test_production_profile_replays_with_no_problems(prod):
    result, _ = prod
    assert [str(p) for p in result.problems] == []
    types = {r.type for r in result.resources}
    assert {"aws:cloudfront/monitoringSubscription:MonitoringSubscription",
            "aws:ec2/flowLog:FlowLog",
            "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration",
            "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
            "aws:cloudwatch/dashboard:Dashboard"} <= types


def test_distribution_keeps_the_geo_allow_list(prod):
    result, engine = prod
    dist = _one(result, "aws:cloudfront/distribution:Distribution")
    config = engine.client("cloudfront", "us-east-1").get_distribution(Id=dist.id)[
        "Distribution"]["DistributionConfig"]
    geo = config["Restrictions"]["GeoRestriction"]
    assert geo["RestrictionType"] == "whitelist"
    assert sorted(geo["Items"]) == ["DE", "FR", "GB", "IE"]


def test_default_security_group_has_no_rules_left(prod):
    result, engine = prod
    group = _one(result, "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
    described = engine.client("ec2", "eu-west-1").describe_security_groups(
        GroupIds=[group.id])["SecurityGroups"][0]
    assert described["GroupName"] == "default"
    assert described["IpPermissions"] == [] and described["IpPermissionsEgress"] == []


def test_flow_log_writes_the_vpc_to_its_log_group(prod):
    result, engine = prod
    flow = _one(result, "aws:ec2/flowLog:FlowLog")
    vpc = _one(result, "aws:ec2/vpc:Vpc")
    described = engine.client("ec2", "eu-west-1").describe_flow_logs(
        FlowLogIds=[flow.id])["FlowLogs"][0]
    assert described["ResourceId"] == vpc.id
    assert described["TrafficType"] == "ALL"
    assert described["LogDestination"].endswith(":log-group:/edgeflix/prod/vpc-flow-logs")


def test_waf_logging_is_stored_for_the_cloudfront_acl(prod):
    result, engine = prod
    acl = _one(result, "aws:wafv2/webAcl:WebAcl")
    logging = engine.client("wafv2", "us-east-1").get_logging_configuration(
        ResourceArn=acl.outputs["arn"])["LoggingConfiguration"]
    assert logging["LogDestinationConfigs"][0].split(":")[6].startswith("aws-waf-logs-")
