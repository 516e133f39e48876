"""Mutation suite: deliberately broken variants of the REAL program, each must be reported.

A mutator breaks one resource type's recorded inputs just before translation (the
engine's hook), so the real program is exercised without editing it. Every
mutation names the resource type and the property path the report must carry.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from replay_paths import REPO_ROOT, require_real_program

from replay import run_program

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

Inputs = dict[str, Any]


@dataclass(frozen=True)
class Mutation:
    id: str
    target: str                       # resource type token the mutator applies to
    mutate: Callable[[Inputs], Inputs | None] | None
    expect_type: str                  # the problem must name this resource type ...
    expect_path: str                  # ... and a property path starting with this
    config: dict[str, Any] | None = None


def _set(path: list, value: Any) -> Callable[[Inputs], Inputs | None]:
    def mutate(inputs: Inputs) -> Inputs | None:
        node = inputs
        for key in path[:-1]:
            try:
                node = node[key]
            except (KeyError, IndexError, TypeError):
                return None
        if not isinstance(node, dict | list):
            return None
        node[path[-1]] = value(node.get(path[-1]) if isinstance(node, dict) else
                               node[path[-1]]) if callable(value) else value
        return inputs
    return mutate


def _rename_nested(key: str, old: str, new: str) -> Callable[[Inputs], Inputs | None]:
    def mutate(inputs: Inputs) -> Inputs | None:
        block = inputs.get(key)
        if not isinstance(block, dict) or old not in block:
            return None
        block[new] = block.pop(old)
        return inputs
    return mutate


def _one_subnet(inputs: Inputs) -> Inputs | None:
    if len(inputs.get("subnets") or []) < 2:
        return None
    inputs["subnets"] = inputs["subnets"][:1]
    return inputs


def _min_above_max(inputs: Inputs) -> Inputs:
    inputs["minSize"] = inputs["maxSize"] + 1
    return inputs


def _duplicate_origin(inputs: Inputs) -> Inputs | None:
    origins = inputs.get("origins") or []
    if len(origins) < 2:
        return None
    origins[1]["originId"] = origins[0]["originId"]
    return inputs


def _unknown_action(inputs: Inputs) -> Inputs | None:
    doc = json.loads(inputs["policy"])
    statements = doc["Statement"] if isinstance(doc["Statement"], list) else [doc["Statement"]]
    statements[0]["Action"] = "s3:GetObjekt"
    inputs["policy"] = json.dumps(doc)
    return inputs


def _label_mismatch(inputs: Inputs) -> Inputs | None:
    spec = (inputs.get("targetTrackingConfiguration") or {}).get(
        "predefinedMetricSpecification") or {}
    if spec.get("predefinedMetricType") != "ALBRequestCountPerTarget":
        return None
    spec["resourceLabel"] = spec["resourceLabel"].rsplit("/", 1)[0] + "/0123456789abcdef"
    return inputs


def _function_on_origin_event(inputs: Inputs) -> Inputs | None:
    for behaviour in [inputs.get("defaultCacheBehavior") or {},
                      *(inputs.get("orderedCacheBehaviors") or [])]:
        if behaviour.get("functionAssociations"):
            behaviour["functionAssociations"][0]["eventType"] = "origin-request"
            return inputs
    return None


def _custom_origin_timeout(inputs: Inputs) -> Inputs | None:
    for origin in inputs.get("origins") or []:
        if origin.get("customOriginConfig"):
            origin["customOriginConfig"]["originReadTimeout"] = 300
            return inputs
    return None


def _https_origin(inputs: Inputs) -> Inputs | None:
    for origin in inputs.get("origins") or []:
        if origin.get("customOriginConfig"):
            origin["customOriginConfig"]["originProtocolPolicy"] = "https-only"
            return inputs
    return None


def _without(key: str) -> Callable[[Inputs], Inputs | None]:
    def mutate(inputs: Inputs) -> Inputs | None:
        return inputs if inputs.pop(key, None) is not None else None
    return mutate


def _certificate_from_us_east_1(inputs: Inputs) -> Inputs | None:
    arn = inputs.get("certificateArn") or ""
    if ":us-east-1:" in arn or ":acm:" not in arn:
        return None
    inputs["certificateArn"] = arn.replace(f":{arn.split(':')[3]}:", ":us-east-1:", 1)
    return inputs


def _origin_certificate_for_another_name(inputs: Inputs) -> Inputs | None:
    if not str(inputs.get("domainName", "")).startswith("origin."):
        return None
    inputs["domainName"] = "api." + inputs["domainName"].removeprefix("origin.")
    return inputs


def _waf_log_group_renamed(inputs: Inputs) -> Inputs | None:
    destinations = inputs.get("logDestinationConfigs") or []
    if not destinations or "aws-waf-logs-" not in destinations[0]:
        return None
    destinations[0] = destinations[0].replace("aws-waf-logs-", "waf-")
    return inputs


def _cache_alarm_without_region(inputs: Inputs) -> Inputs | None:
    if inputs.get("metricName") != "CacheHitRate":
        return None
    inputs["dimensions"].pop("Region")
    return inputs


def _cloudfront_widget_in_another_region(inputs: Inputs) -> Inputs | None:
    body = json.loads(inputs["dashboardBody"])
    widget = body["widgets"][0]["properties"]
    if widget["metrics"][0][0] != "AWS/CloudFront":
        return None
    widget["region"] = "eu-west-1"
    inputs["dashboardBody"] = json.dumps(body)
    return inputs


def _rate_rule(change: Callable[[Inputs], None]) -> Callable[[Inputs], Inputs | None]:
    """Break the web ACL's first rule, which must be the rate-based playback rule."""
    def mutate(inputs: Inputs) -> Inputs | None:
        rules = inputs.get("rules") or []
        if not rules or "rateBasedStatement" not in (rules[0].get("statement") or {}):
            return None
        change(rules[0])
        return inputs
    return mutate


def _rate(key: str, value: Any) -> Callable[[Inputs], None]:
    return lambda rule: rule["statement"]["rateBasedStatement"].__setitem__(key, value)


def _unknown_body_key(rule: Inputs) -> None:
    rule["action"]["block"]["customResponse"]["customResponseBodyKey"] = "rate-limited"


# A stack whose ALB has TLS: its own name, a regional certificate, an HTTPS listener.
ORIGIN_TLS = {"aws:region": "eu-west-1", "domainName": "watch.example.com",
              "hostedZoneId": "Z0123456789ABCDEFGHIJ"}

TG, LISTENER = "aws:lb/targetGroup:TargetGroup", "aws:lb/listener:Listener"
LB, ASG = "aws:lb/loadBalancer:LoadBalancer", "aws:autoscaling/group:Group"
CDN, CACHE = "aws:cloudfront/distribution:Distribution", "aws:cloudfront/cachePolicy:CachePolicy"
BUCKET, BUCKET_POLICY = "aws:s3/bucket:Bucket", "aws:s3/bucketPolicy:BucketPolicy"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
WEB_ACL = "aws:wafv2/webAcl:WebAcl"
RATE = "rules[0].statement.rateBasedStatement"
DEFAULT_SG = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
SUBSCRIPTION = "aws:cloudfront/monitoringSubscription:MonitoringSubscription"
WAF_LOGGING = "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"
FLOW_LOG, LOG_GROUP = "aws:ec2/flowLog:FlowLog", "aws:cloudwatch/logGroup:LogGroup"
ALARM, DASHBOARD = "aws:cloudwatch/metricAlarm:MetricAlarm", "aws:cloudwatch/dashboard:Dashboard"
# A stack with additional metrics (and their alarms) and VPC flow logs on.
OBSERVED = {"additionalMetricsEnabled": "true", "flowLogsEnabled": "true"}
LOG_SOURCE = "aws:cloudwatch/logDeliverySource:LogDeliverySource"
LOG_DESTINATION = "aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination"
LOG_DELIVERY = "aws:cloudwatch/logDelivery:LogDelivery"
LOGGING_V2 = {"standardLoggingV2Enabled": "true"}
# A stack whose ALB is internal, reached through a CloudFront VPC origin.
VPC = {"apiOrigin": "vpc"}
VPC_ORIGIN = "aws:cloudfront/vpcOrigin:VpcOrigin"


def _api_vpc_origin(change: Callable[[Inputs], None]) -> Callable[[Inputs], Inputs | None]:
    """Break the distribution's origin that goes through a VPC origin."""
    def mutate(inputs: Inputs) -> Inputs | None:
        for origin in inputs.get("origins") or []:
            if origin.get("vpcOriginConfig"):
                change(origin["vpcOriginConfig"])
                return inputs
        return None
    return mutate


def _ingress_from_a_range(inputs: Inputs) -> Inputs | None:
    if not inputs.pop("prefixListId", None):
        return None
    inputs["cidrIpv4"] = "10.0.0.0/8"
    return inputs


# Stacks with staged edge deployments (continuous deployment), weight- or header-based.
WEIGHTED = {"stagingMode": "weight", "httpVersion": "http2"}
HEADERED = {"stagingMode": "header", "httpVersion": "http2"}
POLICY = "aws:cloudfront/continuousDeploymentPolicy:ContinuousDeploymentPolicy"
WEIGHT = "trafficConfig.singleWeightConfig"

# A stack with Origin Shield and a geo restriction on.
SHIELD_AND_GEO = {"originShieldEnabled": "true", "geoRestrictionType": "deny",
                  "geoRestrictionLocations": '["KP", "IR"]'}

# The four API services' rules and groups (app/service_map.py, infra/load_balancer.py).
RULE = "aws:lb/listenerRule:ListenerRule"
DEDICATED = {"serviceLayout": "dedicated"}


def _more_path_patterns(inputs: Inputs) -> Inputs | None:
    for condition in inputs.get("conditions") or []:
        if condition.get("pathPattern"):
            condition["pathPattern"]["values"] += ["/api/v1/x*", "/api/v1/y*", "/api/v1/z*"]
            return inputs
    return None


def _split_path_condition(inputs: Inputs) -> Inputs | None:
    conditions = inputs.get("conditions") or []
    path = next((c for c in conditions if c.get("pathPattern")), None)
    if path is None or len(path["pathPattern"]["values"]) < 2:
        return None
    first, *rest = path["pathPattern"]["values"]
    path["pathPattern"]["values"] = [first]
    conditions.append({"pathPattern": {"values": rest}})
    return inputs


def _path_pattern(change: Callable[[str], str]) -> Callable[[Inputs], Inputs | None]:
    def mutate(inputs: Inputs) -> Inputs | None:
        for condition in inputs.get("conditions") or []:
            if condition.get("pathPattern"):
                values = condition["pathPattern"]["values"]
                values[0] = change(values[0])
                return inputs
        return None
    return mutate


def _drop_last_target_group(inputs: Inputs) -> Inputs | None:
    arns = inputs.get("targetGroupArns") or []
    if len(arns) < 2:
        return None
    inputs["targetGroupArns"] = arns[:-1]
    return inputs


MUTATIONS = [
    Mutation("listener-rule-six-condition-values", "api-lb-accounts-rule", _more_path_patterns,
             RULE, "conditions"),
    Mutation("listener-rule-two-path-pattern-conditions", "api-lb-accounts-rule",
             _split_path_condition, RULE, "conditions"),
    Mutation("listener-rule-path-pattern-too-long", "api-lb-plans-rule",
             _path_pattern(lambda p: "/api/v1/" + "p" * 130 + "*"), RULE,
             "conditions[1].pathPattern.values[0]"),
    Mutation("listener-rule-path-pattern-bad-character", "api-lb-plans-rule",
             _path_pattern(lambda p: p.replace("*", "{id}")), RULE,
             "conditions[1].pathPattern.values[0]"),
    Mutation("listener-rule-priority-in-use", "api-lb-plans-rule", _set(["priority"], 10),
             RULE, "priority"),
    Mutation("listener-rule-to-a-group-without-targets", ASG, _drop_last_target_group,
             RULE, "actions[0].targetGroupArn"),
    Mutation("instances-closed-to-a-service-port", "api-from-alb-recommendations",
             lambda i: {**i, "fromPort": 8090, "toPort": 8090}, ASG, "targetGroupArns[3]"),
    Mutation("dedicated-target-group-port-not-admitted", "api-lb-plans",
             _set(["port"], 8083), ASG, "targetGroupArns[0]", config=DEDICATED),
    Mutation("config-service-layout-typo", "", None, "program", "",
             config={"serviceLayout": "split"}),
    Mutation("bad-enum-health-check-protocol", TG, _set(["healthCheck", "protocol"], "HTTPX"),
             TG, "healthCheck.protocol"),
    Mutation("wrong-port-listener", LISTENER, _set(["port"], 70000), LISTENER, "port"),
    Mutation("behaviour-to-unknown-origin", CDN,
             _set(["orderedCacheBehaviors", 0, "targetOriginId"], "nowhere"),
             CDN, "orderedCacheBehaviors[0].targetOriginId"),
    Mutation("one-az-alb", LB, _one_subnet, LB, "subnets"),
    Mutation("asg-min-above-max", ASG, _min_above_max, ASG, "minSize"),
    Mutation("misspelt-nested-key", TG, _rename_nested("healthCheck", "path", "pth"),
             TG, "healthCheck.pth"),
    Mutation("malformed-bucket-policy-json", BUCKET_POLICY,
             _set(["policy"], lambda p: p[:-2]), BUCKET_POLICY, "policy"),
    Mutation("invalid-bucket-name", BUCKET, _set(["bucket"], "Edgeflix_Media!"), BUCKET,
             "bucket"),
    Mutation("unknown-iam-action", "aws:iam/rolePolicy:RolePolicy", _unknown_action,
             "aws:iam/rolePolicy:RolePolicy", "policy.Statement[0].Action"),
    Mutation("ttl-out-of-range", CACHE, _set(["minTtl"], -1), CACHE, "minTtl"),
    Mutation("alarm-bad-operator", "aws:cloudwatch/metricAlarm:MetricAlarm",
             _set(["comparisonOperator"], "GreaterThan"),
             "aws:cloudwatch/metricAlarm:MetricAlarm", "comparisonOperator"),
    Mutation("imds-tokens-bad-enum", "aws:ec2/launchTemplate:LaunchTemplate",
             _set(["metadataOptions", "httpTokens"], "mandatory"),
             "aws:ec2/launchTemplate:LaunchTemplate", "metadataOptions.httpTokens"),
    Mutation("duplicate-origin-id", CDN, _duplicate_origin, CDN, "origins[1].originId"),
    Mutation("dynamodb-bad-attribute-type", "aws:dynamodb/table:Table",
             _set(["attributes", 0, "type"], "X"), "aws:dynamodb/table:Table",
             "attributes[0].type"),
    Mutation("secret-recovery-window", "aws:secretsmanager/secret:Secret",
             _set(["recoveryWindowInDays"], 3), "aws:secretsmanager/secret:Secret",
             "recoveryWindowInDays"),
    Mutation("scaling-label-wrong-target-group", "aws:autoscaling/policy:Policy", _label_mismatch,
             "aws:autoscaling/policy:Policy",
             "targetTrackingConfiguration.predefinedMetricSpecification.resourceLabel"),
    Mutation("sg-rule-port-out-of-range", INGRESS,
             lambda i: {**i, "fromPort": 70000, "toPort": 70000}, INGRESS, "fromPort"),
    Mutation("listener-action-typo", LISTENER, _set(["defaultActions", 0, "type"], "fixed-respons"),
             LISTENER, "defaultActions[0].type"),
    Mutation("viewer-protocol-bad-enum", CDN,
             _set(["defaultCacheBehavior", "viewerProtocolPolicy"], "https"),
             CDN, "defaultCacheBehavior.viewerProtocolPolicy"),
    Mutation("function-on-origin-event", CDN, _function_on_origin_event, CDN,
             "functionAssociations"),
    Mutation("origin-read-timeout-too-long", CDN, _custom_origin_timeout, CDN,
             "origins"),
    Mutation("https-listener-without-certificate", LISTENER, _without("certificateArn"),
             LISTENER, "certificateArn", config=ORIGIN_TLS),
    Mutation("https-listener-unknown-ssl-policy", LISTENER,
             _set(["sslPolicy"], "ELBSecurityPolicy-TLS13-9-9"), LISTENER, "sslPolicy",
             config=ORIGIN_TLS),
    Mutation("https-listener-certificate-from-us-east-1", LISTENER,
             _certificate_from_us_east_1, LISTENER, "certificateArn", config=ORIGIN_TLS),
    Mutation("https-origin-to-an-alb-without-tls", CDN, _https_origin, CDN, "origins"),
    Mutation("origin-certificate-for-another-name", "aws:acm/certificate:Certificate",
             _origin_certificate_for_another_name, CDN, "origins", config=ORIGIN_TLS),
    Mutation("waf-rate-limit-below-api-minimum", WEB_ACL, _rate_rule(_rate("limit", 5)),
             WEB_ACL, f"{RATE}.limit"),
    Mutation("waf-evaluation-window-not-allowed", WEB_ACL,
             _rate_rule(_rate("evaluationWindowSec", 900)), WEB_ACL,
             f"{RATE}.evaluationWindowSec"),
    Mutation("waf-429-body-key-undefined", WEB_ACL, _rate_rule(_unknown_body_key), WEB_ACL,
             "rules[0].action.block.customResponse.customResponseBodyKey"),
    Mutation("origin-shield-region-not-offered", CDN,
             _set(["origins", 0, "originShield", "originShieldRegion"], "us-west-1"), CDN,
             "origins[0].originShield.originShieldRegion", config=SHIELD_AND_GEO),
    Mutation("origin-shield-without-region", CDN,
             _set(["origins", 0, "originShield", "originShieldRegion"], None), CDN,
             "origins[0].originShield.originShieldRegion", config=SHIELD_AND_GEO),
    Mutation("geo-restriction-unknown-country", CDN,
             _set(["restrictions", "geoRestriction", "locations", 1], "XX"), CDN,
             "restrictions.geoRestriction.locations[1]", config=SHIELD_AND_GEO),
    Mutation("geo-restriction-type-typo", CDN,
             _set(["restrictions", "geoRestriction", "restrictionType"], "denylist"), CDN,
             "restrictions.geoRestriction.restrictionType", config=SHIELD_AND_GEO),
    Mutation("default-sg-rule-bad-protocol", DEFAULT_SG,
             _set(["ingress"], [{"protocol": "tcpx", "fromPort": 443, "toPort": 443,
                                 "cidrBlocks": ["10.20.0.0/16"]}]),
             DEFAULT_SG, "ingress[0].protocol"),
    Mutation("monitoring-subscription-status-typo", SUBSCRIPTION,
             _set(["monitoringSubscription", "realtimeMetricsSubscriptionConfig",
                   "realtimeMetricsSubscriptionStatus"], "On"), SUBSCRIPTION,
             "monitoringSubscription.realtimeMetricsSubscriptionConfig", config=OBSERVED),
    Mutation("monitoring-subscription-for-another-distribution", SUBSCRIPTION,
             _set(["distributionId"], "E0000000000000"), SUBSCRIPTION, "distributionId",
             config=OBSERVED),
    Mutation("waf-logs-to-a-group-waf-cannot-use", WAF_LOGGING, _waf_log_group_renamed,
             WAF_LOGGING, "logDestinationConfigs[0]"),
    Mutation("flow-log-to-cloudwatch-without-role", FLOW_LOG, _without("iamRoleArn"),
             FLOW_LOG, "iamRoleArn", config=OBSERVED),
    Mutation("flow-log-bad-traffic-type", FLOW_LOG, _set(["trafficType"], "EVERYTHING"),
             FLOW_LOG, "trafficType", config=OBSERVED),
    Mutation("cache-hit-alarm-without-region-dimension", ALARM, _cache_alarm_without_region,
             ALARM, "dimensions", config=OBSERVED),
    Mutation("dashboard-cloudfront-widget-outside-us-east-1", DASHBOARD,
             _cloudfront_widget_in_another_region, DASHBOARD, "dashboardBody.widgets[0]"),
    Mutation("log-group-retention-not-allowed", LOG_GROUP, _set(["retentionInDays"], 45),
             LOG_GROUP, "retentionInDays"),
    Mutation("cloudfront-log-source-wrong-log-type", LOG_SOURCE,
             _set(["logType"], "ERROR_LOGS"), LOG_SOURCE, "logType", config=LOGGING_V2),
    Mutation("log-destination-unknown-format", LOG_DESTINATION,
             _set(["outputFormat"], "csv"), LOG_DESTINATION, "outputFormat", config=LOGGING_V2),
    Mutation("log-delivery-from-an-unknown-source", LOG_DELIVERY,
             _set(["deliverySourceName"], "someone-elses-source"), LOG_DELIVERY,
             "deliverySourceName", config=LOGGING_V2),
    Mutation("vpc-origin-on-an-internet-facing-alb", LB, _set(["internal"], False),
             VPC_ORIGIN, "vpcOriginEndpointConfig.arn", config=VPC),
    Mutation("vpc-origin-protocol-bad-enum", VPC_ORIGIN,
             _set(["vpcOriginEndpointConfig", "originProtocolPolicy"], "https"), VPC_ORIGIN,
             "vpcOriginEndpointConfig.originProtocolPolicy", config=VPC),
    Mutation("vpc-origin-https-without-an-https-listener", VPC_ORIGIN,
             _set(["vpcOriginEndpointConfig", "originProtocolPolicy"], "https-only"),
             VPC_ORIGIN, "vpcOriginEndpointConfig.originProtocolPolicy", config=VPC),
    Mutation("vpc-origin-alb-admits-an-address-range", "api-lb-from-cloudfront",
             _ingress_from_a_range, VPC_ORIGIN, "vpcOriginEndpointConfig.arn", config=VPC),
    Mutation("distribution-to-an-unknown-vpc-origin", CDN,
             _api_vpc_origin(lambda c: c.__setitem__("vpcOriginId", "vo_0123456789abcdef")),
             CDN, "origins[1].vpcOriginConfig.vpcOriginId", config=VPC),
    Mutation("vpc-origin-read-timeout-too-long", CDN,
             _api_vpc_origin(lambda c: c.__setitem__("originReadTimeout", 300)),
             CDN, "origins[1].vpcOriginConfig.originReadTimeout", config=VPC),
    Mutation("staging-weight-above-15-percent", POLICY, _set(
        ["trafficConfig", "singleWeightConfig", "weight"], 0.3), POLICY, f"{WEIGHT}.weight",
        config=WEIGHTED),
    Mutation("staging-stickiness-below-300-s", POLICY, _set(
        ["trafficConfig", "singleWeightConfig", "sessionStickinessConfig", "idleTtl"], 60),
        POLICY, f"{WEIGHT}.sessionStickinessConfig.idleTtl", config=WEIGHTED),
    Mutation("staging-header-without-the-aws-cf-cd-prefix", POLICY, _set(
        ["trafficConfig", "singleHeaderConfig", "header"], "x-staging"), POLICY,
        "trafficConfig.singleHeaderConfig.header", config=HEADERED),
    Mutation("staging-type-without-its-config", POLICY,
             _set(["trafficConfig", "type"], "SingleHeader"), POLICY, "trafficConfig",
             config=WEIGHTED),
    Mutation("policy-names-an-unknown-staging-distribution", POLICY,
             _set(["stagingDistributionDnsNames", "items", 0], "d0000000000000.cloudfront.net"),
             POLICY, "stagingDistributionDnsNames.items[0]", config=WEIGHTED),
    Mutation("primary-offers-http3-under-a-policy", "edge-cdn",
             _set(["httpVersion"], "http2and3"), CDN, "httpVersion", config=WEIGHTED),
    Mutation("staging-without-the-primarys-web-acl", "edge-staging-cdn", _without("webAclId"),
             CDN, "webAclId", config=WEIGHTED),
    Mutation("config-staging-with-http3", "", None, "program", "",
             config={"stagingMode": "header"}),
    # A config variant: infra/config.py rejects it before any resource exists; the
    # replay surfaces the program's own error as a problem (exit code 1).
    Mutation("config-min-above-max", "", None, "program", "", config={"minSize": 7}),
]

_RESULTS: dict[str, bool] = {}


def _caught(mutation: Mutation, result) -> bool:
    def matches(p) -> bool:
        if p.type != mutation.expect_type:
            return False
        return mutation.expect_path in p.path if mutation.expect_path.startswith(
            "functionAssociations") or mutation.expect_path == "origins" else \
            p.path.startswith(mutation.expect_path)
    return any(matches(p) for p in result.problems)


@pytest.mark.parametrize("mutation", MUTATIONS, ids=[m.id for m in MUTATIONS])
def test_mutation_is_reported(mutation: Mutation):
    require_real_program()
    mutators = {mutation.target: mutation.mutate} if mutation.mutate else None
    result = run_program(REPO_ROOT, "dev", mutators=mutators, config_overrides=mutation.config)
    if mutation.mutate:
        assert result.engine.mutated, f"{mutation.id}: the mutator found nothing to break"
    caught = _caught(mutation, result)
    _RESULTS[mutation.id] = caught
    assert caught, (f"{mutation.id}: expected a problem on {mutation.expect_type} at "
                    f"{mutation.expect_path!r}; got {[str(p) for p in result.problems]}")
    print(f"\n{mutation.id}: " + "; ".join(
        str(p) for p in result.problems if p.type == mutation.expect_type)[:300])


def test_catch_rate():
    """Printed for the report; every mutation above must be caught."""
    require_real_program()
    missing = [m.id for m in MUTATIONS if m.id not in _RESULTS]
    if missing:
        pytest.skip(f"run the whole module for the catch rate (missing {len(missing)})")
    caught = sum(_RESULTS.values())
    print(f"\nmutation catch rate: {caught}/{len(MUTATIONS)} "
          f"({100 * caught / len(MUTATIONS):.0f}%)")
    assert len(MUTATIONS) >= 12
    assert caught == len(MUTATIONS)
