"""The edge firewall: a CLOUDFRONT web ACL in us-east-1, a playback rate limit from config."""

from __future__ import annotations

import json
import re

import pytest
from infra_harness import DEV_CONFIG, FULL_CONFIG, run_program

from app.openapi import SPEC
from infra.waf import MANAGED_RULE_GROUPS, PLAYBACK_PATH_REGEX, RATE_LIMITED_BODY, RATE_RULE

WEB_ACL = "aws:wafv2/webAcl:WebAcl"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"


def _rules(acl) -> dict[str, dict]:
    return {r["name"]: r for r in acl.inputs["rules"]}


def _scope_down(acl) -> list[dict]:
    rate = _rules(acl)[RATE_RULE]["statement"]["rateBasedStatement"]
    return rate["scopeDownStatement"]["andStatement"]["statements"]


@pytest.fixture(scope="module")
def tuned_stack():
    return run_program({**DEV_CONFIG, "edgeflix:playbackRateLimit": "250",
                        "edgeflix:playbackRateWindow": "60"})


@pytest.fixture(scope="module")
def waf_off_stack():
    return run_program({**DEV_CONFIG, "edgeflix:wafEnabled": "false"})


def test_one_cloudfront_web_acl_allowing_by_default(stacks):
    for stack in stacks:
        acl = stack.one(WEB_ACL)
        assert acl.inputs["scope"] == "CLOUDFRONT"
        assert acl.inputs["defaultAction"] == {"allow": {}}
        assert stack.parents[(WEB_ACL, acl.name)] == "edgeflix:waf:EdgeFirewall"


def test_web_acl_lives_in_us_east_1_when_the_stack_does_not(full_stack):
    assert FULL_CONFIG["aws:region"] != "us-east-1"
    acl = full_stack.one(WEB_ACL)
    assert acl.provider.split("::")[-2] == "us-east-1"
    provider = full_stack.one("pulumi:providers:aws", "us-east-1")
    assert provider.inputs["region"] == "us-east-1"
    assert ":wafv2:us-east-1:" in acl.outputs["arn"]


def test_web_acl_uses_the_default_provider_in_us_east_1(dev_stack):
    assert DEV_CONFIG["aws:region"] == "us-east-1"
    assert [p.name for p in dev_stack.of_type("pulumi:providers:aws")
            if p.name == "us-east-1"] == []
    assert ":wafv2:us-east-1:" in dev_stack.one(WEB_ACL).outputs["arn"]


def test_rate_rule_limit_and_window_default(dev_stack):
    rate = _rules(dev_stack.one(WEB_ACL))[RATE_RULE]["statement"]["rateBasedStatement"]
    assert (rate["limit"], rate["evaluationWindowSec"], rate["aggregateKeyType"]) == (
        1000, 300, "IP")


def test_rate_rule_limit_window_and_retry_after_come_from_config(tuned_stack):
    rule = _rules(tuned_stack.one(WEB_ACL))[RATE_RULE]
    rate = rule["statement"]["rateBasedStatement"]
    assert (rate["limit"], rate["evaluationWindowSec"]) == (250, 60)
    headers = rule["action"]["block"]["customResponse"]["responseHeaders"]
    assert {"name": "Retry-After", "value": "60"} in headers


def test_rate_rule_counts_only_playback_posts(dev_stack):
    method, path = _scope_down(dev_stack.one(WEB_ACL))
    assert method == {"byteMatchStatement": {
        "searchString": "POST", "positionalConstraint": "EXACTLY",
        "fieldToMatch": {"method": {}}, "textTransformations": [{"priority": 0, "type": "NONE"}]}}
    regex = path["regexMatchStatement"]
    assert regex["regexString"] == PLAYBACK_PATH_REGEX
    assert regex["fieldToMatch"] == {"uriPath": {}}
    assert [t["type"] for t in sorted(regex["textTransformations"],
                                      key=lambda t: t["priority"])] == [
        "URL_DECODE", "NORMALIZE_PATH"]


def _operations() -> list[tuple[str, str]]:
    """(METHOD, concrete path) for every operation of the API's OpenAPI spec."""
    return [(method.upper(), re.sub(r"\{[^}]+\}", "some-title", path))
            for path, item in SPEC["paths"].items() for method in item]


def test_playback_path_regex_matches_the_api_spec_and_nothing_else():
    pattern = re.compile(PLAYBACK_PATH_REGEX)
    playback = ("POST", "/api/v1/titles/some-title/playback")
    assert playback in _operations()
    for method, path in _operations():
        counted = method == "POST" and pattern.search(path) is not None
        assert counted == ((method, path) == playback), (method, path)
    assert pattern.search("/api/v1/titles/unknown-id/playback")  # unknown ids count too
    assert not pattern.search("/api/v1/titles/a/b/playback")
    assert not pattern.search("/video/some-title/playback")


def test_rate_rule_blocks_with_a_429_problem_document(dev_stack):
    acl = dev_stack.one(WEB_ACL)
    response = _rules(acl)[RATE_RULE]["action"]["block"]["customResponse"]
    assert response["responseCode"] == 429
    assert response["customResponseBodyKey"] == RATE_LIMITED_BODY
    bodies = {b["key"]: b for b in acl.inputs["customResponseBodies"]}
    assert set(bodies) == {RATE_LIMITED_BODY}
    assert bodies[RATE_LIMITED_BODY]["contentType"] == "APPLICATION_JSON"
    problem = json.loads(bodies[RATE_LIMITED_BODY]["content"])
    assert problem["status"] == 429 and problem["title"] == "Too Many Requests"
    assert problem["type"] == "about:blank" and problem["detail"]


def test_managed_rule_groups_keep_their_own_actions(dev_stack):
    rules = _rules(dev_stack.one(WEB_ACL))
    for name, group in MANAGED_RULE_GROUPS:
        rule = rules[name]
        assert rule["statement"] == {"managedRuleGroupStatement": {"vendorName": "AWS",
                                                                   "name": group}}
        assert rule["overrideAction"] == {"none": {}}
        assert "action" not in rule
    groups = {r["statement"].get("managedRuleGroupStatement", {}).get("name")
              for r in rules.values()}
    assert "AWSManagedRulesCommonRuleSet" not in groups  # see infra/waf.py for why
    assert len(rules) == 1 + len(MANAGED_RULE_GROUPS)


def test_rule_priorities_and_names_are_unique(dev_stack):
    rules = dev_stack.one(WEB_ACL).inputs["rules"]
    assert len({r["priority"] for r in rules}) == len({r["name"] for r in rules}) == len(rules)
    assert min(r["priority"] for r in rules) == 0 and rules[0]["name"] == RATE_RULE


def test_metrics_and_sampling_on_for_the_acl_and_every_rule(dev_stack):
    acl = dev_stack.one(WEB_ACL).inputs
    configs = [acl["visibilityConfig"], *(r["visibilityConfig"] for r in acl["rules"])]
    assert len(configs) == 4
    for config in configs:
        assert config["cloudwatchMetricsEnabled"] is True
        assert config["sampledRequestsEnabled"] is True
        assert re.fullmatch(r"[A-Za-z0-9_-]{1,128}", config["metricName"])
    assert len({c["metricName"] for c in configs}) == len(configs)


def test_web_acl_arn_is_exported(stacks):
    for stack in stacks:
        acl = stack.one(WEB_ACL)
        assert stack.exports["web_acl_arn"] == acl.outputs["arn"]
        assert acl.outputs["arn"].startswith("arn:aws:wafv2:us-east-1:")


def test_distribution_is_behind_the_web_acl(stacks):
    for stack in stacks:
        distribution = stack.one("aws:cloudfront/distribution:Distribution")
        assert distribution.inputs["webAclId"] == stack.one(WEB_ACL).outputs["arn"]


def test_without_the_firewall_the_distribution_has_no_web_acl(waf_off_stack):
    distribution = waf_off_stack.one("aws:cloudfront/distribution:Distribution")
    assert not distribution.inputs.get("webAclId")
    assert not waf_off_stack.of_type(WEB_ACL)


def test_component_registers_the_arn(dev_stack):
    outputs = dev_stack.component_outputs[("edgeflix:waf:EdgeFirewall", "waf")]
    assert outputs["web_acl_arn"] is not None
    assert outputs["rate_rule_metric_name"] == "edgeflix-dev-waf-playback-rate"


def test_blocked_playback_alarm_watches_the_rate_rule(stacks):
    for stack in stacks:
        acl = stack.one(WEB_ACL).inputs
        alarm = next(a for a in stack.of_type(ALARM)
                     if a.inputs["namespace"] == "AWS/WAFV2")
        assert alarm.inputs["metricName"] == "BlockedRequests"
        assert alarm.inputs["dimensions"] == {
            "WebACL": acl["visibilityConfig"]["metricName"],
            "Rule": _rules(stack.one(WEB_ACL))[RATE_RULE]["visibilityConfig"]["metricName"]}
        assert alarm.inputs["statistic"] == "Sum" and alarm.inputs["threshold"] == 1


def test_blocked_playback_alarm_lives_in_us_east_1_beside_the_cdn_alarm(full_stack):
    alarms = {a.inputs["name"]: a for a in full_stack.of_type(ALARM)}
    waf, cdn = alarms["edgeflix-prod-waf-playback-blocked"], alarms["edgeflix-prod-cdn-5xx-rate"]
    assert waf.provider.split("::")[-2] == "us-east-1"
    assert waf.inputs["alarmActions"] == cdn.inputs["alarmActions"]
    # One extra topic in us-east-1, shared by both edge alarms.
    assert len(full_stack.of_type("aws:sns/topic:Topic")) == 2


def test_nothing_when_waf_is_disabled(waf_off_stack):
    assert waf_off_stack.of_type(WEB_ACL) == []
    assert waf_off_stack.of_type("edgeflix:waf:EdgeFirewall") == []
    assert "web_acl_arn" not in waf_off_stack.exports
    assert not [a for a in waf_off_stack.of_type(ALARM) if a.inputs["namespace"] == "AWS/WAFV2"]
    assert waf_off_stack.exports["cdn_url"]  # the rest of the stack is still there
