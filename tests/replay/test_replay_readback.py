"""Replay the REAL program (infra/) into moto, then read the stack back with boto3.

Resources are found by type, not by name, so renames in infra/ do not break these.
"""

from __future__ import annotations

import json

import pytest
from replay_paths import REPO_ROOT, require_real_program

from app.service_map import RULED, SERVICE_NAMES, service_named
from replay import Engine, run_program

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def stack():
    require_real_program()
    engine = Engine()
    with engine.active():
        result = run_program(REPO_ROOT, "dev", engine=engine)
        yield result, engine


def one(result, type_):
    found = result.of_type(type_)
    assert len(found) == 1, f"expected one {type_}, got {[r.name for r in found]}"
    return found[0]


def target_groups(result) -> dict[str, object]:
    """The API services' target groups, by the service their `edgeflix:service` tag names."""
    return {r.inputs["tags"]["edgeflix:service"]: r
            for r in result.of_type("aws:lb/targetGroup:TargetGroup")}


def test_real_program_replays_with_no_problems(stack):
    result, _ = stack
    assert [str(p) for p in result.problems] == []
    assert len(result.resources) >= 50


def test_instances_registered_in_every_service_target_group(stack):
    """The shared layout: each instance is a target of the four groups, on each one's port."""
    result, engine = stack
    groups = target_groups(result)
    assert sorted(groups) == sorted(SERVICE_NAMES)
    asg = one(result, "aws:autoscaling/group:Group")
    group = engine.client("autoscaling").describe_auto_scaling_groups(
        AutoScalingGroupNames=[asg.id])["AutoScalingGroups"][0]
    instances = sorted(i["InstanceId"] for i in group["Instances"])
    assert len(instances) == asg.inputs["desiredCapacity"] >= 1
    for service, tg in groups.items():
        health = engine.client("elbv2").describe_target_health(TargetGroupArn=tg.id)
        assert sorted(t["Target"]["Id"] for t in health["TargetHealthDescriptions"]) == \
            instances, service
        assert {t["Target"]["Port"] for t in health["TargetHealthDescriptions"]} == \
            {service_named(service).port(8080)}


def test_listener_target_groups_and_asg_are_connected(stack):
    result, engine = stack
    alb = one(result, "aws:lb/loadBalancer:LoadBalancer")
    groups = target_groups(result)
    asg = one(result, "aws:autoscaling/group:Group")
    elbv2 = engine.client("elbv2")
    listeners = elbv2.describe_listeners(LoadBalancerArn=alb.id)["Listeners"]
    assert listeners
    forwards = []
    for listener in listeners:
        actions = list(listener["DefaultActions"])
        for rule in elbv2.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"]:
            actions += rule["Actions"]
        forwards += [a.get("TargetGroupArn") for a in actions if a["Type"] == "forward"]
    assert sorted(forwards) == sorted(tg.id for tg in groups.values())
    group = engine.client("autoscaling").describe_auto_scaling_groups(
        AutoScalingGroupNames=[asg.id])["AutoScalingGroups"][0]
    assert sorted(group["TargetGroupARNs"]) == sorted(tg.id for tg in groups.values())
    for tg in groups.values():
        described = elbv2.describe_target_groups(TargetGroupArns=[tg.id])["TargetGroups"][0]
        assert described["LoadBalancerArns"] == [alb.id]


def test_rules_read_back_route_each_path_to_its_service(stack):
    """The listener's rules as moto keeps them: the secret header on every rule, each ruled
    service's path patterns at its priority, the catalog header-only rule last."""
    result, engine = stack
    groups = {tg.id: service for service, tg in target_groups(result).items()}
    listener = one(result, "aws:lb/listener:Listener")
    rules = engine.client("elbv2").describe_rules(ListenerArn=listener.id)["Rules"]
    routed = {}
    for rule in rules:
        if rule["IsDefault"]:
            assert rule["Actions"][0]["Type"] == "fixed-response"
            continue
        fields = {c["Field"]: c for c in rule["Conditions"]}
        assert "http-header" in fields
        patterns = tuple(fields["path-pattern"]["PathPatternConfig"]["Values"]) \
            if "path-pattern" in fields else ()
        routed[groups[rule["Actions"][0]["TargetGroupArn"]]] = (int(rule["Priority"]),
                                                                  patterns)
    for service in RULED:
        assert routed[service.name] == (service.priority, service.path_patterns)
    assert routed["catalog"][1] == ()
    assert routed["catalog"][0] > max(s.priority for s in RULED)


def test_distribution_origins_resolve_to_the_bucket_and_the_alb(stack):
    result, engine = stack
    dist = one(result, "aws:cloudfront/distribution:Distribution")
    alb = one(result, "aws:lb/loadBalancer:LoadBalancer")
    config = engine.client("cloudfront").get_distribution(Id=dist.id)["Distribution"][
        "DistributionConfig"]
    domains = {o["Id"]: o["DomainName"] for o in config["Origins"]["Items"]}
    buckets = {r.outputs["bucketRegionalDomainName"]: r.id
               for r in result.of_type("aws:s3/bucket:Bucket")}
    s3_origins = [d for d in domains.values() if d in buckets]
    assert s3_origins, f"no origin on a bucket of this stack: {domains}"
    engine.client("s3").head_bucket(Bucket=buckets[s3_origins[0]])
    assert alb.outputs["dnsName"] in domains.values()
    lb = engine.client("elbv2").describe_load_balancers(LoadBalancerArns=[alb.id])
    assert lb["LoadBalancers"][0]["DNSName"] == alb.outputs["dnsName"]


def test_bucket_policy_source_arn_is_the_distribution(stack):
    result, engine = stack
    dist = one(result, "aws:cloudfront/distribution:Distribution")
    origin_domains = {o["domainName"] for o in dist.inputs["origins"]}
    media = [r for r in result.of_type("aws:s3/bucket:Bucket")
             if r.outputs["bucketRegionalDomainName"] in origin_domains]
    assert len(media) == 1
    policy = json.loads(engine.client("s3").get_bucket_policy(Bucket=media[0].id)["Policy"])
    arns = [value for st in policy["Statement"]
            for cond in (st.get("Condition") or {}).values()
            for key, value in cond.items() if key.lower() == "aws:sourcearn"]
    assert arns == [dist.outputs["arn"]]
    described = engine.client("cloudfront").get_distribution(Id=dist.id)["Distribution"]
    assert described["ARN"] == dist.outputs["arn"]


def test_key_group_holds_the_current_and_next_public_keys(stack):
    result, engine = stack
    keys = result.of_type("aws:cloudfront/publicKey:PublicKey")
    assert len(keys) == 2
    group = one(result, "aws:cloudfront/keyGroup:KeyGroup")
    cf = engine.client("cloudfront")
    items = cf.get_key_group(Id=group.id)["KeyGroup"]["KeyGroupConfig"]["Items"]
    assert sorted(items) == sorted(key.id for key in keys)
    for key in keys:
        pem = cf.get_public_key(Id=key.id)["PublicKey"]["PublicKeyConfig"]["EncodedKey"]
        assert "BEGIN PUBLIC KEY" in pem
    dist = one(result, "aws:cloudfront/distribution:Distribution")
    behaviours = [dist.inputs["defaultCacheBehavior"], *dist.inputs.get(
        "orderedCacheBehaviors", [])]
    assert any(group.id in (b.get("trustedKeyGroups") or []) for b in behaviours)


def test_scaling_policy_label_matches_alb_and_target_group(stack):
    result, engine = stack
    alb = one(result, "aws:lb/loadBalancer:LoadBalancer")
    tg = target_groups(result)["catalog"]  # a shared group scales on the catalog's requests
    policies = engine.client("autoscaling").describe_policies()["ScalingPolicies"]
    labels = [p["TargetTrackingConfiguration"]["PredefinedMetricSpecification"].get(
        "ResourceLabel") for p in policies if p.get("TargetTrackingConfiguration", {}).get(
        "PredefinedMetricSpecification", {}).get("PredefinedMetricType") ==
        "ALBRequestCountPerTarget"]
    assert labels == [f"{alb.outputs['arnSuffix']}/{tg.outputs['arnSuffix']}"]
    # The suffixes are moto's, taken from the real ARNs.
    assert alb.id.endswith(alb.outputs["arnSuffix"])
    assert tg.id.endswith(tg.outputs["arnSuffix"])


def test_secret_and_table_exist(stack):
    result, engine = stack
    secret = one(result, "aws:secretsmanager/secret:Secret")
    table = one(result, "aws:dynamodb/table:Table")
    sm = engine.client("secretsmanager")
    assert sm.describe_secret(SecretId=secret.id)["ARN"] == secret.outputs["arn"]
    assert "PRIVATE KEY" in sm.get_secret_value(SecretId=secret.id)["SecretString"]
    described = engine.client("dynamodb").describe_table(TableName=table.id)["Table"]
    assert described["TableStatus"] == "ACTIVE"
    assert described["TableArn"] == table.outputs["arn"]


def test_alarms_watch_the_right_dimensions(stack):
    result, engine = stack
    alb = one(result, "aws:lb/loadBalancer:LoadBalancer")
    suffixes = {tg.outputs["arnSuffix"] for tg in target_groups(result).values()}
    dist = one(result, "aws:cloudfront/distribution:Distribution")
    expected = {"LoadBalancer": alb.outputs["arnSuffix"], "DistributionId": dist.id}
    alarms = engine.client("cloudwatch").describe_alarms()["MetricAlarms"]
    names = {r.outputs["name"] for r in result.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")}
    assert names and names <= {a["AlarmName"] for a in alarms}
    watched, target_groups_watched = set(), set()
    for alarm in alarms:
        for dim in alarm["Dimensions"]:
            if dim["Name"] in expected:
                assert dim["Value"] == expected[dim["Name"]], alarm["AlarmName"]
                watched.add(dim["Name"])
            if dim["Name"] == "TargetGroup":
                assert dim["Value"] in suffixes, alarm["AlarmName"]
                target_groups_watched.add(dim["Value"])
        if alarm["Namespace"] == "AWS/ApplicationELB":
            assert any(d["Name"] == "LoadBalancer" for d in alarm["Dimensions"])
    assert watched == set(expected)
    assert target_groups_watched == suffixes  # every service alarms on its own group



def test_web_acl_is_a_cloudfront_acl_with_the_playback_rate_rule(stack):
    result, engine = stack
    acl = one(result, "aws:wafv2/webAcl:WebAcl")
    assert acl.outputs["arn"].startswith("arn:aws:wafv2:us-east-1:123456789012:global/webacl/")
    got = engine.client("wafv2", "us-east-1").get_web_acl(
        Name=acl.outputs["name"], Scope="CLOUDFRONT", Id=acl.id)["WebACL"]
    assert got["ARN"] == acl.outputs["arn"]
    assert got["DefaultAction"] == {"Allow": {}}
    rules = {r["Name"]: r for r in got["Rules"]}
    rate = rules["playback-rate"]["Statement"]["RateBasedStatement"]
    assert (rate["Limit"], rate["EvaluationWindowSec"], rate["AggregateKeyType"]) == (
        1000, 300, "IP")
    block = rules["playback-rate"]["Action"]["Block"]["CustomResponse"]
    assert block["ResponseCode"] == 429
    assert got["CustomResponseBodies"][block["CustomResponseBodyKey"]]["ContentType"] == \
        "APPLICATION_JSON"
    managed = {r["Statement"]["ManagedRuleGroupStatement"]["Name"] for r in got["Rules"]
               if "ManagedRuleGroupStatement" in r["Statement"]}
    assert managed == {"AWSManagedRulesAmazonIpReputationList",
                       "AWSManagedRulesKnownBadInputsRuleSet"}
    assert all(r["VisibilityConfig"]["CloudWatchMetricsEnabled"] for r in got["Rules"])
    waf_alarms = [a for a in engine.client("cloudwatch").describe_alarms()["MetricAlarms"]
                  if a["Namespace"] == "AWS/WAFV2"]
    assert [{d["Name"]: d["Value"] for d in a["Dimensions"]} for a in waf_alarms] == [
        {"WebACL": got["VisibilityConfig"]["MetricName"],
         "Rule": rules["playback-rate"]["VisibilityConfig"]["MetricName"]}]


def test_user_pool_and_public_client_exist(stack):
    result, engine = stack
    pool = one(result, "aws:cognito/userPool:UserPool")
    client = one(result, "aws:cognito/userPoolClient:UserPoolClient")
    idp = engine.client("cognito-idp")
    described = idp.describe_user_pool(UserPoolId=pool.id)["UserPool"]
    assert described["UsernameAttributes"] == ["email"]
    assert described["Policies"]["PasswordPolicy"]["MinimumLength"] >= 12
    # Pulumi.dev.yaml is a sandbox stack (forceDestroy: true).
    assert described["DeletionProtection"] == "INACTIVE"
    app_client = idp.describe_user_pool_client(
        UserPoolId=pool.id, ClientId=client.id)["UserPoolClient"]
    assert "ClientSecret" not in app_client
    assert "ALLOW_USER_PASSWORD_AUTH" in app_client["ExplicitAuthFlows"]
