"""The policy pack: clean on the real program, and every rule fires when broken."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import yaml

from infra.policy import rules
from infra.policy.rules import GUARDRAILS, STACK_GUARDRAILS, stack_violations, violations

POLICY_DIR = Path(rules.__file__).parent


def test_recorded_stacks_have_no_violations(stacks):
    found = [(r.type, r.name, v) for stack in stacks for r in stack.resources
             for v in violations(r.type, r.inputs)]
    assert found == []


def test_every_guarded_type_is_present_in_the_stack(dev_stack):
    guarded = {rules.PUBLIC_ACCESS_BLOCK, rules.OWNERSHIP, rules.ENCRYPTION, rules.BUCKET_POLICY,
               rules.DISTRIBUTION, rules.OAC, rules.LAUNCH_TEMPLATE, rules.ASG,
               rules.SECURITY_GROUP, rules.SG_INGRESS, rules.ALB, rules.LISTENER, rules.TABLE,
               rules.ROLE_POLICY, rules.SUBNET, rules.WEB_ACL, rules.VERSIONING,
               rules.DEFAULT_SECURITY_GROUP, rules.WEB_ACL_LOGGING, rules.LOG_GROUP,
               rules.LISTENER_RULE}
    assert guarded <= {r.type for r in dev_stack.resources}


def _props(stack, type_, name=None):
    resource = stack.one(type_, name)
    return copy.deepcopy(resource.inputs)


def _policy_json(statements):
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def _break_listener_to_https_without_tls(p):
    p["protocol"], p["port"] = "HTTPS", 443


# Each case: (rule, resource type, resource name or None, how to break it).
def _break_pab(p):
    p["restrictPublicBuckets"] = False


def _break_ownership(p):
    p["rule"]["objectOwnership"] = "ObjectWriter"


def _break_encryption(p):
    p["rules"] = []


def _break_bucket_policy_public(p):
    doc = json.loads(p["policy"])
    doc["Statement"].append({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                             "Resource": "arn:aws:s3:::x/*"})
    p["policy"] = json.dumps(doc)


def _break_bucket_policy_sourcearn(p):
    doc = json.loads(p["policy"])
    for statement in doc["Statement"]:
        if statement["Effect"] == "Allow":
            statement.pop("Condition", None)
    p["policy"] = json.dumps(doc)


def _break_bucket_policy_tls(p):
    doc = json.loads(p["policy"])
    doc["Statement"] = [s for s in doc["Statement"] if s["Effect"] != "Deny"]
    p["policy"] = json.dumps(doc)


def _break_behaviour_http(p):
    p["orderedCacheBehaviors"][0]["viewerProtocolPolicy"] = "allow-all"


def _break_behaviour_headers(p):
    del p["defaultCacheBehavior"]["responseHeadersPolicyId"]


def _break_s3_origin_oac(p):
    del p["origins"][0]["originAccessControlId"]


def _break_distribution_logging(p):
    del p["loggingConfig"]


def _break_oac(p):
    p["signingBehavior"] = "no-override"


def _break_imds(p):
    p["metadataOptions"]["httpTokens"] = "optional"


def _break_hop_limit(p):
    p["metadataOptions"]["httpPutResponseHopLimit"] = 2


def _break_ebs(p):
    p["blockDeviceMappings"][0]["ebs"]["encrypted"] = "false"


def _break_public_ip(p):
    p["networkInterfaces"][0]["associatePublicIpAddress"] = "true"


def _break_user_data(p):
    import base64
    script = base64.b64decode(p["userData"]).decode()
    script += "\ncat > key.pem <<'K'\n-----BEGIN RSA PRIVATE KEY-----\nK\n"
    p["userData"] = base64.b64encode(script.encode()).decode()


def _break_asg_latest(p):
    p["launchTemplate"]["version"] = "$Latest"


def _break_asg_health(p):
    p["healthCheckType"] = "EC2"


def _break_asg_refresh(p):
    p["instanceRefresh"]["preferences"]["minHealthyPercentage"] = 50


def _break_asg_rollback(p):
    p["instanceRefresh"]["preferences"]["autoRollback"] = False


def _break_asg_single_az(p):
    p["vpcZoneIdentifiers"] = p["vpcZoneIdentifiers"][:1]


def _break_sg_anywhere(p):
    p.pop("prefixListId")
    p["cidrIpv4"] = "0.0.0.0/0"


def _break_subnet(p):
    p["mapPublicIpOnLaunch"] = True


def _break_alb_headers(p):
    p["dropInvalidHeaderFields"] = False


def _break_alb_desync(p):
    p["desyncMitigationMode"] = "monitor"


def _break_alb_logs(p):
    p["accessLogs"]["enabled"] = False


def _break_listener(p):
    p["defaultActions"] = [{"type": "forward", "targetGroupArn": "arn:tg"}]


def _break_rule_header(p):
    p["conditions"] = [c for c in p["conditions"] if "httpHeader" not in c]


def _break_table(p):
    p["pointInTimeRecovery"] = {"enabled": False}


def _break_role_policy(p):
    doc = json.loads(p["policy"])
    doc["Statement"].append({"Effect": "Allow", "Action": "s3:*", "Resource": "*"})
    p["policy"] = json.dumps(doc)


def _break_web_acl_no_rate_rule(p):
    p["rules"] = [r for r in p["rules"] if "rateBasedStatement" not in r["statement"]]


def _break_web_acl_rule_metrics(p):
    p["rules"][-1]["visibilityConfig"]["cloudwatchMetricsEnabled"] = False


def _break_versioning(p):
    p["versioningConfiguration"]["status"] = "Suspended"


def _break_default_sg(p):
    p["ingress"] = [{"protocol": "-1", "fromPort": 0, "toPort": 0, "self": True}]


def _break_waf_log_redaction(p):
    p["redactedFields"] = p["redactedFields"][:1]


def _break_log_group_retention(p):
    p.pop("retentionInDays")


def _break_web_acl_metrics(p):
    p["visibilityConfig"]["cloudwatchMetricsEnabled"] = False


CASES = [
    ("bucket-public-access-fully-blocked", rules.PUBLIC_ACCESS_BLOCK, "media-media", _break_pab),
    ("bucket-ownership-not-object-writer", rules.OWNERSHIP, "media-media", _break_ownership),
    ("bucket-encrypted", rules.ENCRYPTION, "media-media", _break_encryption),
    ("bucket-versioned", rules.VERSIONING, "media-logs", _break_versioning),
    ("default-security-group-locked", rules.DEFAULT_SECURITY_GROUP, None, _break_default_sg),
    ("bucket-not-public-and-tls-only", rules.BUCKET_POLICY, "media-media",
     _break_bucket_policy_public),
    ("bucket-not-public-and-tls-only", rules.BUCKET_POLICY, "media-media",
     _break_bucket_policy_sourcearn),
    ("bucket-not-public-and-tls-only", rules.BUCKET_POLICY, "media-artifacts",
     _break_bucket_policy_tls),
    ("distribution-secure", rules.DISTRIBUTION, None, _break_behaviour_http),
    ("distribution-secure", rules.DISTRIBUTION, None, _break_behaviour_headers),
    ("distribution-secure", rules.DISTRIBUTION, None, _break_s3_origin_oac),
    ("origin-access-control-signs-always", rules.OAC, None, _break_oac),
    ("web-acl-rate-limited-and-observable", rules.WEB_ACL, None, _break_web_acl_no_rate_rule),
    ("web-acl-rate-limited-and-observable", rules.WEB_ACL, None, _break_web_acl_rule_metrics),
    ("web-acl-rate-limited-and-observable", rules.WEB_ACL, None, _break_web_acl_metrics),
    ("web-acl-logs-redact-credentials", rules.WEB_ACL_LOGGING, None, _break_waf_log_redaction),
    ("log-group-expires", rules.LOG_GROUP, None, _break_log_group_retention),
    ("launch-template-hardened", rules.LAUNCH_TEMPLATE, None, _break_imds),
    ("launch-template-hardened", rules.LAUNCH_TEMPLATE, None, _break_hop_limit),
    ("launch-template-hardened", rules.LAUNCH_TEMPLATE, None, _break_ebs),
    ("launch-template-hardened", rules.LAUNCH_TEMPLATE, None, _break_public_ip),
    ("launch-template-hardened", rules.LAUNCH_TEMPLATE, None, _break_user_data),
    ("asg-safe-rollout", rules.ASG, None, _break_asg_latest),
    ("asg-safe-rollout", rules.ASG, None, _break_asg_health),
    ("asg-safe-rollout", rules.ASG, None, _break_asg_refresh),
    ("asg-safe-rollout", rules.ASG, None, _break_asg_rollback),
    ("asg-safe-rollout", rules.ASG, None, _break_asg_single_az),
    ("no-ingress-from-anywhere", rules.SG_INGRESS, "api-lb-from-cloudfront", _break_sg_anywhere),
    ("subnet-no-public-ip", rules.SUBNET, "network-public-0", _break_subnet),
    ("alb-hardened", rules.ALB, None, _break_alb_headers),
    ("alb-hardened", rules.ALB, None, _break_alb_desync),
    ("alb-hardened", rules.ALB, None, _break_alb_logs),
    ("listener-default-denies", rules.LISTENER, None, _break_listener),
    ("listener-rule-requires-origin-verify", rules.LISTENER_RULE, "api-lb-accounts-rule",
     _break_rule_header),
    ("listener-tls-modern", rules.LISTENER, None, _break_listener_to_https_without_tls),
    ("table-recoverable", rules.TABLE, None, _break_table),
    ("role-policy-least-privilege", rules.ROLE_POLICY, None, _break_role_policy),
]


@pytest.mark.parametrize(("rule", "type_", "name", "breaker"), CASES,
                         ids=[f"{c[0]}:{c[3].__name__.removeprefix('_break_')}" for c in CASES])
def test_rule_fires_on_broken_input(dev_stack, rule, type_, name, breaker):
    props = _props(dev_stack, type_, name)
    assert [r for r, _ in violations(type_, props) if r == rule] == []  # clean before
    breaker(props)
    fired = [message for r, message in violations(type_, props) if r == rule]
    assert fired, f"{rule} did not fire"


# Rules whose resource only the production profile declares, broken in their own tests:
# vpc-origin-tls-modern in test_https_vpc_origin_allows_only_tls_12.
PROD_ONLY_CASES = {"vpc-origin-tls-modern"}


def test_every_rule_has_a_breaking_case():
    assert {g.name for g in GUARDRAILS} == {rule for rule, *_ in CASES} | PROD_ONLY_CASES


def test_security_group_inline_and_legacy_rules_are_checked_too():
    assert violations(rules.SECURITY_GROUP, {"ingress": [{"cidrBlocks": ["0.0.0.0/0"]}]})
    assert violations(rules.SG_RULE, {"type": "ingress", "ipv6CidrBlocks": ["::/0"]})
    assert not violations(rules.SG_RULE, {"type": "egress", "cidrBlocks": ["0.0.0.0/0"]})


def test_custom_certificate_needs_tls_12(full_stack):
    props = _props(full_stack, rules.DISTRIBUTION)
    assert not violations(rules.DISTRIBUTION, props)
    props["viewerCertificate"]["minimumProtocolVersion"] = "TLSv1"
    assert violations(rules.DISTRIBUTION, props)


def test_https_listener_names_its_certificate_and_a_tls_12_policy(full_stack):
    props = _props(full_stack, rules.LISTENER)
    assert props["protocol"] == "HTTPS"
    assert [r for r, _ in violations(rules.LISTENER, props)] == []
    for policy in ("ELBSecurityPolicy-2016-08", "ELBSecurityPolicy-TLS13-1-1-2021-06", None):
        weak = {**props, "sslPolicy": policy}
        assert [r for r, _ in violations(rules.LISTENER, weak)] == ["listener-tls-modern"], policy
    uncertified = {k: v for k, v in props.items() if k != "certificateArn"}
    assert any("certificate" in m for _, m in violations(rules.LISTENER, uncertified))


def test_https_origin_allows_only_tls_12(public_tls_stack):
    props = _props(public_tls_stack, rules.DISTRIBUTION)
    api = next(o for o in props["origins"] if o["originId"] == "api")
    api["customOriginConfig"]["originSslProtocols"] = ["TLSv1", "TLSv1.2"]
    assert any("TLSv1.2 only" in m for _, m in violations(rules.DISTRIBUTION, props))


def _stack_resources(stack):
    return [(r.type, copy.deepcopy(r.inputs)) for r in stack.resources]


def test_stack_rules_pass_on_both_recorded_stacks(stacks):
    assert [v for stack in stacks for v in stack_violations(_stack_resources(stack))] == []


def test_certified_origin_must_be_https_only(public_tls_stack):
    resources = _stack_resources(public_tls_stack)
    assert any(t == rules.CERTIFICATE and p["domainName"] == "origin.watch.example.com"
               for t, p in resources)
    distribution = next(p for t, p in resources if t == rules.DISTRIBUTION)
    api = next(o for o in distribution["origins"] if o["originId"] == "api")
    api["customOriginConfig"]["originProtocolPolicy"] = "http-only"
    fired = stack_violations(resources)
    assert [r for r, _ in fired] == ["origin-tls-where-certified"]
    assert "origin.watch.example.com" in fired[0][1]


def test_uncertified_origin_may_stay_http(dev_stack):
    resources = _stack_resources(dev_stack)
    assert not any(t == rules.CERTIFICATE for t, _ in resources)
    assert stack_violations(resources) == []
    # A wildcard certificate covers the origin name too.
    distribution = next(p for t, p in resources if t == rules.DISTRIBUTION)
    host = next(o for o in distribution["origins"] if o["originId"] == "api")["domainName"]
    wildcard = "*." + host.partition(".")[2]
    assert stack_violations([*resources, (rules.CERTIFICATE, {"domainName": wildcard})])


def test_rules_read_through_secret_envelopes():
    wrapped = {rules.SECRET_SIG: "1b47061264138c4ac30d75fd1eb44270",
               "value": {"enabled": False}}
    assert violations(rules.TABLE, {"pointInTimeRecovery": wrapped})


def test_policy_pack_registers_every_rule_as_mandatory(monkeypatch):
    import runpy

    import pulumi_policy

    captured = {}

    class FakePack:
        def __init__(self, name, enforcement_level, policies):
            captured.update(name=name, level=enforcement_level, policies=policies)

    monkeypatch.setattr(pulumi_policy, "PolicyPack", FakePack)
    runpy.run_path(str(POLICY_DIR / "__main__.py"))
    assert captured["level"] == pulumi_policy.EnforcementLevel.MANDATORY
    names = [p.name for p in captured["policies"]]
    assert names == [g.name for g in GUARDRAILS] + [g.name for g in STACK_GUARDRAILS]
    assert isinstance(captured["policies"][-1], pulumi_policy.StackValidationPolicy)
    assert all(p.enforcement_level == pulumi_policy.EnforcementLevel.MANDATORY
               for p in captured["policies"])

    # The registered validate() reports through the SDK's callback.
    asg = next(p for p in captured["policies"] if p.name == "asg-safe-rollout")
    reported = []

    class Args:
        resource_type = rules.ASG
        props = {"launchTemplate": {"version": "$Latest"}}

    asg.validate(Args(), lambda message, urn=None: reported.append(message))
    assert any("pinned" in m for m in reported)

    # So does a whole-stack one, over every resource of the stack.
    origin_tls = next(p for p in captured["policies"] if p.name == "origin-tls-where-certified")

    class Resource:
        def __init__(self, resource_type, props):
            self.resource_type, self.props = resource_type, props

    class StackArgs:
        resources = [
            Resource(rules.CERTIFICATE, {"domainName": "origin.example.com"}),
            Resource(rules.DISTRIBUTION, {"origins": [{
                "originId": "api", "domainName": "origin.example.com",
                "customOriginConfig": {"originProtocolPolicy": "http-only"}}]}),
        ]

    reported.clear()
    origin_tls.validate(StackArgs(), lambda message, urn=None: reported.append(message))
    assert any("must be https-only" in m for m in reported)


def test_policy_pack_project_file_uses_the_project_venv():
    project = yaml.safe_load((POLICY_DIR / "PulumiPolicy.yaml").read_text())
    assert project["runtime"]["name"] == "python"
    venv = (POLICY_DIR / project["runtime"]["options"]["virtualenv"]).resolve()
    assert venv == (POLICY_DIR.parents[1] / ".venv").resolve()


def test_web_acl_rule_leaves_regional_acls_alone(dev_stack):
    props = _props(dev_stack, rules.WEB_ACL)
    props["scope"], props["rules"] = "REGIONAL", []
    assert violations(rules.WEB_ACL, props) == []


def test_every_vpc_needs_its_default_group_managed(dev_stack):
    resources = [(t, p) for t, p in _stack_resources(dev_stack)
                 if t != rules.DEFAULT_SECURITY_GROUP]
    fired = stack_violations(resources)
    assert [r for r, _ in fired] == ["every-vpc-default-group-managed"]


def test_a_cloudfront_web_acl_needs_logging(dev_stack):
    resources = [(t, p) for t, p in _stack_resources(dev_stack) if t != rules.WEB_ACL_LOGGING]
    fired = stack_violations(resources)
    assert [r for r, _ in fired] == ["cloudfront-web-acl-logged"]


def test_a_distribution_without_any_access_logging_fires(dev_stack):
    resources = _stack_resources(dev_stack)
    distribution = next(p for t, p in resources if t == rules.DISTRIBUTION)
    assert stack_violations(resources) == []
    _break_distribution_logging(distribution)
    fired = stack_violations(resources)
    assert [r for r, _ in fired] == ["distribution-access-logged"]
    assert "standard logging must be enabled" in fired[0][1]


def test_logging_v2_counts_as_access_logging(full_stack):
    resources = _stack_resources(full_stack)
    assert not next(p for t, p in resources if t == rules.DISTRIBUTION).get("loggingConfig")
    assert stack_violations(resources) == []
    without_v2 = [(t, p) for t, p in resources if t != rules.LOG_DELIVERY_SOURCE]
    assert [r for r, _ in stack_violations(without_v2)] == ["distribution-access-logged"]


def test_https_vpc_origin_allows_only_tls_12(full_stack):
    props = _props(full_stack, rules.VPC_ORIGIN)
    assert violations(rules.VPC_ORIGIN, props) == []
    props["vpcOriginEndpointConfig"]["originSslProtocols"]["items"] = ["TLSv1.1", "TLSv1.2"]
    assert [r for r, _ in violations(rules.VPC_ORIGIN, props)] == ["vpc-origin-tls-modern"]


def test_certified_vpc_origin_must_be_https_only(full_stack):
    resources = _stack_resources(full_stack)
    vpc_origin = next(p for t, p in resources if t == rules.VPC_ORIGIN)
    vpc_origin["vpcOriginEndpointConfig"]["originProtocolPolicy"] = "http-only"
    fired = stack_violations(resources)
    assert [r for r, _ in fired] == ["origin-tls-where-certified"]
    assert "https-only" in fired[0][1]


def test_alb_stays_internal_behind_a_vpc_origin(full_stack):
    resources = _stack_resources(full_stack)
    alb = next(p for t, p in resources if t == rules.ALB)
    alb["internal"] = False
    assert [r for r, _ in stack_violations(resources)] == ["alb-internal-behind-vpc-origin"]
