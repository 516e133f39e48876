"""Signing keys, the plays table and the alarms."""

from __future__ import annotations

import json

import pytest
from infra_harness import FULL_CONFIG


def test_key_pairs_are_rsa_2048_in_two_slots(dev_stack):
    keys = dev_stack.of_type("tls:index/privateKey:PrivateKey")
    assert sorted(k.name for k in keys) == ["signing-key-a1", "signing-key-b1"]
    assert all(k.inputs == {"algorithm": "RSA", "rsaBits": 2048} for k in keys)


def test_both_public_keys_in_the_trusted_key_group(dev_stack):
    group = dev_stack.one("aws:cloudfront/keyGroup:KeyGroup").inputs
    ids = []
    for slot in ("a", "b"):
        key = dev_stack.by_name(f"signing-key-{slot}1").outputs
        public = dev_stack.by_name(f"signing-public-key-{slot}1")
        assert public.inputs["encodedKey"] == key["publicKeyPem"]
        ids.append(public.outputs["id"])
    assert group["items"] == ids


def _document(stack):
    version = stack.one("aws:secretsmanager/secretVersion:SecretVersion")
    assert "secretString" in version.secret_paths
    return version, json.loads(version.inputs["secretString"])


def test_secret_names_the_current_and_next_key(dev_stack):
    version, document = _document(dev_stack)
    secret = dev_stack.one("aws:secretsmanager/secret:Secret")
    for role, slot in (("current", "a"), ("next", "b")):
        pem = dev_stack.by_name(f"signing-key-{slot}1").outputs["privateKeyPem"]
        public_id = dev_stack.by_name(f"signing-public-key-{slot}1").outputs["id"]
        assert document[role] == {"key_pair_id": public_id, "private_key_pem": pem}
    assert version.inputs["secretId"] == secret.outputs["id"]
    assert secret.inputs["recoveryWindowInDays"] == 7
    assert dev_stack.exports["signing_secret_name"] == secret.outputs["name"]
    assert dev_stack.exports["key_pair_id"] == document["current"]["key_pair_id"]


def test_switch_and_retire_follow_stack_config():
    from infra_harness import DEV_CONFIG, run_program

    switched = run_program({**DEV_CONFIG, "edgeflix:signingKeyCurrent": "b",
                            "edgeflix:signingKeyGenerationA": "2"})
    _, document = _document(switched)
    assert document["current"]["key_pair_id"] == switched.by_name(
        "signing-public-key-b1").outputs["id"]
    assert document["next"]["key_pair_id"] == switched.by_name(
        "signing-public-key-a2").outputs["id"]
    names = {k.name for k in switched.of_type("tls:index/privateKey:PrivateKey")}
    assert names == {"signing-key-a2", "signing-key-b1"}


def test_plays_table_is_on_demand_with_pitr(dev_stack):
    table = dev_stack.one("aws:dynamodb/table:Table").inputs
    assert table["billingMode"] == "PAY_PER_REQUEST"
    assert (table["hashKey"], table["rangeKey"]) == ("pk", "sk")
    assert sorted(table["attributes"], key=lambda a: a["name"]) == [
        {"name": "pk", "type": "S"}, {"name": "sk", "type": "S"}]
    assert table["pointInTimeRecovery"] == {"enabled": True}
    assert table["serverSideEncryption"] == {"enabled": True}
    assert table["deletionProtectionEnabled"] is True


def _alarms(stack):
    return {a.inputs["name"]: a for a in stack.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")}


def test_alb_alarms_watch_the_real_load_balancer(dev_stack):
    alarms = _alarms(dev_stack)
    alb = dev_stack.one("aws:lb/loadBalancer:LoadBalancer").outputs["arnSuffix"]
    five = alarms["edgeflix-dev-api-target-5xx"].inputs
    assert five["namespace"] == "AWS/ApplicationELB"
    assert five["dimensions"] == {"LoadBalancer": alb}
    assert five["threshold"] == 10
    assert "edgeflix-dev-api-unhealthy-targets" not in alarms  # one per service instead


@pytest.mark.parametrize("service", ["catalog", "accounts", "plans", "recommendations"])
def test_each_service_alarms_alone_on_its_target_group(dev_stack, service):
    """Unhealthy targets and 5xx per target group: a failed service shows alone."""
    alarms = _alarms(dev_stack)
    alb = dev_stack.one("aws:lb/loadBalancer:LoadBalancer").outputs["arnSuffix"]
    tg = dev_stack.by_name(f"api-lb-{service}").outputs["arnSuffix"]
    unhealthy = alarms[f"edgeflix-dev-api-{service}-unhealthy-targets"].inputs
    assert unhealthy["metricName"] == "UnHealthyHostCount"
    assert unhealthy["dimensions"] == {"LoadBalancer": alb, "TargetGroup": tg}
    five = alarms[f"edgeflix-dev-api-{service}-target-5xx"].inputs
    assert five["metricName"] == "HTTPCode_Target_5XX_Count"
    assert five["dimensions"] == {"LoadBalancer": alb, "TargetGroup": tg}
    assert five["threshold"] == 10


def test_cloudfront_5xx_rate_alarm(dev_stack):
    alarm = _alarms(dev_stack)["edgeflix-dev-cdn-5xx-rate"]
    distribution = dev_stack.one("aws:cloudfront/distribution:Distribution").outputs["id"]
    assert alarm.inputs["namespace"] == "AWS/CloudFront"
    assert alarm.inputs["metricName"] == "5xxErrorRate"
    assert alarm.inputs["dimensions"] == {"DistributionId": distribution, "Region": "Global"}
    assert alarm.inputs["threshold"] == 5


def test_alarms_notify_a_topic(dev_stack):
    topic = dev_stack.one("aws:sns/topic:Topic").outputs["arn"]
    for alarm in _alarms(dev_stack).values():
        assert alarm.inputs["alarmActions"] == [topic]


def test_cloudfront_alarm_lives_in_us_east_1_for_other_regions(full_stack):
    assert FULL_CONFIG["aws:region"] != "us-east-1"
    alarm = _alarms(full_stack)["edgeflix-prod-cdn-5xx-rate"]
    assert alarm.provider.split("::")[-2] == "us-east-1"
    topics = {t.name: t for t in full_stack.of_type("aws:sns/topic:Topic")}
    assert alarm.inputs["alarmActions"] == [topics["alarms-topic-us-east-1"].outputs["arn"]]
    subscriptions = full_stack.of_type("aws:sns/topicSubscription:TopicSubscription")
    assert {s.inputs["endpoint"] for s in subscriptions} == {"oncall@example.com"}
    assert len(subscriptions) == 2
