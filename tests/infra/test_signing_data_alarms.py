"""Signing keys, the plays table and the alarms."""

from __future__ import annotations

from infra_harness import FULL_CONFIG


def test_key_pair_is_rsa_2048(dev_stack):
    key = dev_stack.one("tls:index/privateKey:PrivateKey").inputs
    assert key == {"algorithm": "RSA", "rsaBits": 2048}


def test_public_key_in_the_trusted_key_group(dev_stack):
    key = dev_stack.one("tls:index/privateKey:PrivateKey").outputs
    public = dev_stack.one("aws:cloudfront/publicKey:PublicKey")
    group = dev_stack.one("aws:cloudfront/keyGroup:KeyGroup").inputs
    assert public.inputs["encodedKey"] == key["publicKeyPem"]
    assert group["items"] == [public.outputs["id"]]


def test_private_key_is_stored_as_a_secret(dev_stack):
    version = dev_stack.one("aws:secretsmanager/secretVersion:SecretVersion")
    secret = dev_stack.one("aws:secretsmanager/secret:Secret")
    pem = dev_stack.one("tls:index/privateKey:PrivateKey").outputs["privateKeyPem"]
    assert version.inputs["secretString"] == pem
    assert version.inputs["secretId"] == secret.outputs["id"]
    assert "secretString" in version.secret_paths
    assert secret.inputs["recoveryWindowInDays"] == 7
    assert dev_stack.exports["signing_secret_name"] == secret.outputs["name"]


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
    tg = dev_stack.one("aws:lb/targetGroup:TargetGroup").outputs["arnSuffix"]
    five = alarms["edgeflix-dev-api-target-5xx"].inputs
    assert five["namespace"] == "AWS/ApplicationELB"
    assert five["dimensions"] == {"LoadBalancer": alb}
    assert five["threshold"] == 10
    unhealthy = alarms["edgeflix-dev-api-unhealthy-targets"].inputs
    assert unhealthy["metricName"] == "UnHealthyHostCount"
    assert unhealthy["dimensions"] == {"LoadBalancer": alb, "TargetGroup": tg}


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
