"""Observability at the edge: additional metrics and their alarms, WAF logging, VPC flow
logs and the viewer-path dashboard, with the dev profile's defaults and with them all on."""

from __future__ import annotations

import json

from infra_harness import FULL_CONFIG

from infra.waf import REDACTED_HEADERS, WAF_LOG_GROUP_PREFIX

SUBSCRIPTION = "aws:cloudfront/monitoringSubscription:MonitoringSubscription"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
WAF_LOGGING = "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"


def _alarms(stack):
    return {a.inputs["name"]: a for a in stack.of_type(ALARM)}


def _region(resource) -> str:
    return resource.provider.split("::")[-2] if resource.provider else "default"


def test_dev_profile_has_no_additional_metrics_nor_their_alarms_nor_flow_logs(dev_stack):
    assert dev_stack.of_type(SUBSCRIPTION) == []
    metrics = {a.inputs["metricName"] for a in dev_stack.of_type(ALARM)}
    assert not metrics & {"CacheHitRate", "OriginLatency"}
    assert dev_stack.of_type(FLOW_LOG) == []


def test_additional_metrics_subscribe_the_distribution(full_stack):
    subscription = full_stack.one(SUBSCRIPTION).inputs
    distribution = full_stack.one("aws:cloudfront/distribution:Distribution").outputs["id"]
    assert subscription["distributionId"] == distribution
    assert subscription["monitoringSubscription"] == {
        "realtimeMetricsSubscriptionConfig": {"realtimeMetricsSubscriptionStatus": "Enabled"}}


def test_cache_hit_rate_and_origin_latency_alarms_in_us_east_1(full_stack):
    alarms = _alarms(full_stack)
    distribution = full_stack.one("aws:cloudfront/distribution:Distribution").outputs["id"]
    hit = alarms["edgeflix-prod-cdn-cache-hit-rate"]
    latency = alarms["edgeflix-prod-cdn-origin-latency"]
    for alarm in (hit, latency):
        assert alarm.inputs["namespace"] == "AWS/CloudFront"
        assert alarm.inputs["dimensions"] == {"DistributionId": distribution, "Region": "Global"}
        assert _region(alarm) == "us-east-1"
    assert hit.inputs["metricName"] == "CacheHitRate"
    assert hit.inputs["comparisonOperator"] == "LessThanThreshold"
    assert hit.inputs["threshold"] == float(FULL_CONFIG["edgeflix:cacheHitRateFloor"])
    assert hit.inputs["statistic"] == "Average"
    assert latency.inputs["metricName"] == "OriginLatency"
    assert latency.inputs["extendedStatistic"] == "p90"
    assert "statistic" not in latency.inputs
    assert latency.inputs["threshold"] == 3000


def test_waf_logs_to_an_aws_waf_logs_group_in_us_east_1_with_secrets_redacted(request):
    for name in ("dev_stack", "full_stack"):
        stack = request.getfixturevalue(name)
        logging = stack.one(WAF_LOGGING)
        acl = stack.one("aws:wafv2/webAcl:WebAcl")
        group = next(g for g in stack.of_type(LOG_GROUP)
                     if g.inputs["name"].startswith(WAF_LOG_GROUP_PREFIX))
        assert logging.inputs["resourceArn"] == acl.outputs["arn"]
        assert logging.inputs["logDestinationConfigs"] == [group.outputs["arn"]]
        assert {f["singleHeader"]["name"] for f in logging.inputs["redactedFields"]} == \
            set(REDACTED_HEADERS)
        assert _region(logging) == _region(group) == _region(acl)
        assert group.inputs["retentionInDays"] == (30 if name == "dev_stack" else 365)
    assert _region(request.getfixturevalue("full_stack").one(WAF_LOGGING)) == "us-east-1"


def test_flow_logs_capture_all_traffic_through_a_scoped_role(full_stack):
    flow = full_stack.one(FLOW_LOG).inputs
    vpc = full_stack.one("aws:ec2/vpc:Vpc").outputs["id"]
    group = next(g for g in full_stack.of_type(LOG_GROUP)
                 if g.inputs["name"].endswith("vpc-flow-logs"))
    role = full_stack.one("aws:iam/role:Role", "network-flow-logs")
    assert (flow["vpcId"], flow["trafficType"]) == (vpc, "ALL")
    assert flow["logDestinationType"] == "cloud-watch-logs"
    assert flow["logDestination"] == group.outputs["arn"]
    assert "vpc-flow-logs.amazonaws.com" in role.inputs["assumeRolePolicy"]
    policy = json.loads(next(p for p in full_stack.of_type("aws:iam/rolePolicy:RolePolicy")
                             if p.name == "network-flow-logs").inputs["policy"])
    resources = policy["Statement"][0]["Resource"]
    assert resources == [group.outputs["arn"], group.outputs["arn"] + ":*"]


def test_dashboard_follows_the_viewer_path(request):
    for name in ("dev_stack", "full_stack"):
        stack = request.getfixturevalue(name)
        body = json.loads(stack.one("aws:cloudwatch/dashboard:Dashboard").inputs["dashboardBody"])
        metrics = {(m[0], m[1]): w["properties"]["region"]
                   for w in body["widgets"] for m in w["properties"]["metrics"]}
        for metric in ("Requests", "CacheHitRate", "4xxErrorRate", "5xxErrorRate",
                       "OriginLatency"):
            assert metrics[("AWS/CloudFront", metric)] == "us-east-1"
        here = "us-east-1" if name == "dev_stack" else FULL_CONFIG["aws:region"]
        for key in (("AWS/ApplicationELB", "HealthyHostCount"),
                    ("AWS/AutoScaling", "GroupInServiceInstances"),
                    ("AWS/DynamoDB", "ReadThrottleEvents"),
                    ("AWS/DynamoDB", "WriteThrottleEvents")):
            assert metrics[key] == here
        asg = stack.one("aws:autoscaling/group:Group").outputs["name"]
        table = stack.one("aws:dynamodb/table:Table").outputs["name"]
        assert asg in json.dumps(body) and table in json.dumps(body)


def test_standard_logging_v2_replaces_legacy_logging_in_the_production_profile(full_stack):
    distribution = full_stack.one("aws:cloudfront/distribution:Distribution")
    assert "loggingConfig" not in distribution.inputs
    source = full_stack.one("aws:cloudwatch/logDeliverySource:LogDeliverySource")
    destination = full_stack.one(
        "aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination")
    delivery = full_stack.one("aws:cloudwatch/logDelivery:LogDelivery")
    logs = next(b for b in full_stack.of_type("aws:s3/bucket:Bucket")
                if b.inputs["tags"]["edgeflix:purpose"] == "logs")
    assert (source.inputs["resourceArn"], source.inputs["logType"]) == \
        (distribution.outputs["arn"], "ACCESS_LOGS")
    assert _region(source) == _region(destination) == _region(delivery) == "us-east-1"
    assert destination.inputs["deliveryDestinationConfiguration"] == {
        "destinationResourceArn": logs.outputs["arn"]}
    assert delivery.inputs["deliverySourceName"] == source.inputs["name"]
    assert delivery.inputs["deliveryDestinationArn"] == destination.outputs["arn"]


def test_log_bucket_admits_vended_delivery_only_from_this_source(full_stack, dev_stack):
    def statements(stack):
        policy = next(p for p in stack.of_type("aws:s3/bucketPolicy:BucketPolicy")
                      if p.name == "media-logs")
        return {s.get("Sid"): s for s in json.loads(policy.inputs["policy"])["Statement"]}

    assert "AllowCloudFrontLogDelivery" not in statements(dev_stack)
    statement = statements(full_stack)["AllowCloudFrontLogDelivery"]
    source = full_stack.one("aws:cloudwatch/logDeliverySource:LogDeliverySource")
    assert statement["Principal"] == {"Service": "delivery.logs.amazonaws.com"}
    assert statement["Condition"]["ArnLike"]["aws:SourceArn"].endswith(
        f":delivery-source:{source.inputs['name']}")
    assert statement["Resource"].endswith("/AWSLogs/123456789012/*")


def test_log_bucket_drops_acls_once_legacy_logging_is_gone(dev_stack, full_stack):
    def ownership(stack):
        return next(o.inputs["rule"]["objectOwnership"] for o in stack.of_type(
            "aws:s3/bucketOwnershipControls:BucketOwnershipControls") if o.name == "media-logs")

    assert ownership(dev_stack) == "BucketOwnerPreferred"
    assert ownership(full_stack) == "BucketOwnerEnforced"
