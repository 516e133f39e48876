"""LoadBalancer: reachable only from CloudFront, forwarding only with the secret header."""

from __future__ import annotations

import pytest
from infra_harness import CLOUDFRONT_PREFIX_LIST_ID, DEV_CONFIG, FULL_CONFIG, run_program

from app.service_map import RULED, SERVICES
from edge.origin import ORIGIN_VERIFY_HEADER
from infra.load_balancer import CATALOG_RULE_PRIORITY, port_ranges

INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
RULE = "aws:lb/listenerRule:ListenerRule"
TG = "aws:lb/targetGroup:TargetGroup"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"


def _alb_sg(stack):
    return stack.by_name("api-lb-sg")


def test_alb_security_group_admits_only_cloudfront_origin_facing(dev_stack):
    sg = _alb_sg(dev_stack)
    rules = [r for r in dev_stack.of_type(INGRESS)
             if r.inputs["securityGroupId"] == sg.outputs["id"]]
    assert len(rules) == 1
    rule = rules[0].inputs
    assert rule["prefixListId"] == CLOUDFRONT_PREFIX_LIST_ID
    assert (rule["fromPort"], rule["toPort"], rule["ipProtocol"]) == (80, 80, "tcp")
    assert "cidrIpv4" not in rule and "cidrIpv6" not in rule
    assert "ingress" not in sg.inputs  # no inline rules next to the managed ones


def test_no_security_group_admits_the_internet(stacks):
    for stack in stacks:
        for rule in stack.of_type(INGRESS):
            assert rule.inputs.get("cidrIpv4") not in ("0.0.0.0/0",), rule.name
            assert rule.inputs.get("cidrIpv6") != "::/0", rule.name
        for sg in stack.of_type("aws:ec2/securityGroup:SecurityGroup"):
            for inline in sg.inputs.get("ingress", []):
                assert "0.0.0.0/0" not in inline.get("cidrBlocks", []), sg.name


def test_alb_egress_reaches_only_the_service_ports_in_private_subnets(dev_stack):
    sg = _alb_sg(dev_stack)
    rules = [r.inputs for r in dev_stack.of_type(EGRESS)
             if r.inputs["securityGroupId"] == sg.outputs["id"]]
    assert sorted(r["cidrIpv4"] for r in rules) == ["10.20.10.0/24", "10.20.11.0/24"]
    # The four services' ports, 8080..8083, and no other.
    assert {(r["fromPort"], r["toPort"]) for r in rules} == {(8080, 8083)}
    assert sorted(s.port(8080) for s in SERVICES) == [8080, 8081, 8082, 8083]


def test_alb_is_hardened_and_logs(dev_stack):
    alb = dev_stack.one("aws:lb/loadBalancer:LoadBalancer").inputs
    logs = next(b for b in dev_stack.of_type("aws:s3/bucket:Bucket")
                if b.inputs["tags"]["edgeflix:purpose"] == "logs")
    assert alb["loadBalancerType"] == "application" and alb["internal"] is False
    assert alb["dropInvalidHeaderFields"] is True
    assert alb["desyncMitigationMode"] == "strictest"
    assert alb["idleTimeout"] == 60
    assert alb["accessLogs"] == {"bucket": logs.outputs["id"], "prefix": "alb", "enabled": True}
    assert alb["securityGroups"] == [_alb_sg(dev_stack).outputs["id"]]
    public = {s.outputs["id"] for s in dev_stack.of_type("aws:ec2/subnet:Subnet")
              if s.inputs["tags"]["edgeflix:tier"] == "public"}
    assert set(alb["subnets"]) == public


def test_alb_waits_for_its_log_bucket_policy(dev_stack):
    key = ("aws:lb/loadBalancer:LoadBalancer", "api-lb-alb")
    depends = dev_stack.options[key].depends_on
    assert any(getattr(d, "_type", None) == "aws:s3/bucketPolicy:BucketPolicy" for d in depends)


def test_listener_default_is_a_fixed_403(dev_stack):
    listener = dev_stack.one("aws:lb/listener:Listener").inputs
    assert listener["defaultActions"] == [{
        "type": "fixed-response",
        "fixedResponse": {"contentType": "text/plain", "messageBody": "Forbidden",
                          "statusCode": "403"},
    }]


def test_catalog_rule_forwards_only_with_the_secret_header_after_every_path_rule(dev_stack):
    rule = dev_stack.by_name("api-lb-catalog-rule")
    password = dev_stack.one("random:index/randomPassword:RandomPassword")
    tg = dev_stack.by_name("api-lb-catalog")
    assert rule.inputs["conditions"] == [{"httpHeader": {
        "httpHeaderName": ORIGIN_VERIFY_HEADER, "values": [password.outputs["result"]]}}]
    assert rule.inputs["actions"] == [{"type": "forward", "targetGroupArn": tg.outputs["arn"]}]
    assert rule.inputs["priority"] == CATALOG_RULE_PRIORITY
    assert all(rule.inputs["priority"] > s.priority for s in RULED)
    assert "conditions" in rule.secret_paths  # the header value is a Pulumi secret
    assert password.inputs["length"] >= 32


@pytest.mark.parametrize("stack_name", ["dev_stack", "full_stack"])
def test_each_ruled_service_has_a_rule_with_the_header_and_its_path_patterns(request,
                                                                            stack_name):
    stack = request.getfixturevalue(stack_name)
    password = stack.one("random:index/randomPassword:RandomPassword").outputs["result"]
    listener = stack.one("aws:lb/listener:Listener").outputs["arn"]
    for service in RULED:
        rule = stack.by_name(f"api-lb-{service.name}-rule")
        tg = stack.by_name(f"api-lb-{service.name}")
        assert rule.inputs["listenerArn"] == listener
        assert rule.inputs["priority"] == service.priority
        assert rule.inputs["conditions"] == [
            {"httpHeader": {"httpHeaderName": ORIGIN_VERIFY_HEADER, "values": [password]}},
            {"pathPattern": {"values": list(service.path_patterns)}},
        ]
        assert rule.inputs["actions"] == [{"type": "forward",
                                           "targetGroupArn": tg.outputs["arn"]}]
        assert "conditions" in rule.secret_paths
        # ALB quota: five condition values per rule, all conditions together.
        values = sum(len(next(iter(c.values()))["values"]) for c in rule.inputs["conditions"])
        assert values <= 5


def test_rule_priorities_are_unique_and_every_service_is_reached_once(dev_stack):
    rules = dev_stack.of_type(RULE)
    assert len(rules) == len(SERVICES) == 4
    assert len({r.inputs["priority"] for r in rules}) == 4
    targets = sorted(r.inputs["actions"][0]["targetGroupArn"] for r in rules)
    assert targets == sorted(tg.outputs["arn"] for tg in dev_stack.of_type(TG))


def test_path_rules_are_created_after_the_catalog_rule(dev_stack):
    """A stack that had one header rule at priority 10 moves it (the catalog rule, aliased)
    to its new priority before the accounts rule takes 10."""
    for service in RULED:
        depends = dev_stack.options[(RULE, f"api-lb-{service.name}-rule")].depends_on
        assert [d._name for d in depends] == ["api-lb-catalog-rule"]
    # (The SDK adds an alias without a name of its own, the parent's; only ours are named.)
    aliases = dev_stack.options[(RULE, "api-lb-catalog-rule")].aliases
    assert [a.name for a in aliases if a.name is not ...] == ["api-lb-from-cloudfront"]
    tg_aliases = dev_stack.options[(TG, "api-lb-catalog")].aliases
    assert [a.name for a in tg_aliases if a.name is not ...] == ["api-lb-api"]


def test_port_ranges_hold_exactly_the_ports():
    assert port_ranges([8083, 8080, 8081, 8082]) == [(8080, 8083)]
    assert port_ranges([8080, 8082, 8083]) == [(8080, 8080), (8082, 8083)]


def test_cloudfront_sends_the_same_secret_header_to_the_alb(dev_stack):
    distribution = dev_stack.one("aws:cloudfront/distribution:Distribution")
    password = dev_stack.one("random:index/randomPassword:RandomPassword").outputs["result"]
    api = next(o for o in distribution.inputs["origins"] if o["originId"] == "api")
    assert api["customHeaders"] == [{"name": ORIGIN_VERIFY_HEADER, "value": password}]
    assert "origins" in distribution.secret_paths


@pytest.mark.parametrize(("service", "port"), [("catalog", 8080), ("accounts", 8081),
                                               ("plans", 8082), ("recommendations", 8083)])
def test_each_service_target_group_checks_its_own_port(dev_stack, service, port):
    tg = dev_stack.by_name(f"api-lb-{service}").inputs
    assert tg["port"] == port and tg["protocol"] == "HTTP" and tg["targetType"] == "instance"
    assert tg["healthCheck"]["path"] == "/healthz"
    assert tg["healthCheck"]["port"] == "traffic-port"  # the service's own port
    assert tg["healthCheck"]["matcher"] == "200"
    assert tg["deregistrationDelay"] == 30
    assert tg["tags"]["edgeflix:service"] == service


# ---- TLS from CloudFront to the ALB: only with a hosted zone -------------------------

LISTENER = "aws:lb/listener:Listener"
CERT = "aws:acm/certificate:Certificate"
VALIDATION = "aws:acm/certificateValidation:CertificateValidation"
RECORD = "aws:route53/record:Record"
ZONE = FULL_CONFIG["edgeflix:hostedZoneId"]
ORIGIN_NAME = "origin." + FULL_CONFIG["edgeflix:domainName"]


def _ingress_ports(stack) -> list[tuple[int, int, str]]:
    sg = _alb_sg(stack)
    return [(r.inputs["fromPort"], r.inputs["toPort"], r.inputs["prefixListId"])
            for r in stack.of_type(INGRESS) if r.inputs["securityGroupId"] == sg.outputs["id"]]


def test_without_a_hosted_zone_the_alb_listens_on_http_80_only(dev_stack):
    listeners = dev_stack.of_type(LISTENER)
    assert [(x.inputs["protocol"], x.inputs["port"]) for x in listeners] == [("HTTP", 80)]
    assert "certificateArn" not in listeners[0].inputs
    assert "sslPolicy" not in listeners[0].inputs
    assert _ingress_ports(dev_stack) == [(80, 80, CLOUDFRONT_PREFIX_LIST_ID)]
    assert dev_stack.of_type(CERT) == [] and dev_stack.of_type(RECORD) == []


def test_with_a_hosted_zone_the_alb_listens_on_https_443_only(full_stack):
    listeners = full_stack.of_type(LISTENER)
    assert len(listeners) == 1
    https = listeners[0].inputs
    assert (https["protocol"], https["port"]) == ("HTTPS", 443)
    assert https["sslPolicy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    validation = full_stack.one(VALIDATION, "api-lb-origin-cert")
    assert https["certificateArn"] == validation.outputs["certificateArn"]
    assert https["defaultActions"][0]["fixedResponse"]["statusCode"] == "403"
    assert _ingress_ports(full_stack) == [(443, 443, CLOUDFRONT_PREFIX_LIST_ID)]


def test_origin_verify_rules_guard_the_https_listener(full_stack):
    listener = full_stack.one(LISTENER)
    rules = full_stack.of_type(RULE)
    assert len(rules) == 4
    for rule in rules:
        assert rule.inputs["listenerArn"] == listener.outputs["arn"]
        header = rule.inputs["conditions"][0]["httpHeader"]
        assert header["httpHeaderName"] == ORIGIN_VERIFY_HEADER
        assert rule.inputs["actions"][0]["type"] == "forward"
        assert "conditions" in rule.secret_paths


def test_origin_certificate_is_regional_and_dns_validated(full_stack):
    cert = full_stack.one(CERT, "api-lb-origin-cert")
    assert cert.inputs["domainName"] == ORIGIN_NAME
    assert cert.inputs["validationMethod"] == "DNS"
    # The default provider: the stack's region, where the ALB is, not us-east-1.
    assert not cert.provider
    assert f":acm:{FULL_CONFIG['aws:region']}:" in cert.outputs["arn"]
    validation = full_stack.one(VALIDATION, "api-lb-origin-cert")
    assert validation.provider == cert.provider
    assert validation.inputs["certificateArn"] == cert.outputs["arn"]
    record = full_stack.by_name("api-lb-origin-cert-validation")
    assert record.inputs["zoneId"] == ZONE
    assert record.inputs["records"] == ["_x2.acm-validations.aws."]
    assert validation.inputs["validationRecordFqdns"] == [record.outputs["fqdn"]]


def test_origin_name_is_an_alias_of_the_alb(full_stack):
    alb = full_stack.one("aws:lb/loadBalancer:LoadBalancer")
    alias = full_stack.by_name("api-lb-origin-alias").inputs
    assert (alias["zoneId"], alias["name"], alias["type"]) == (ZONE, ORIGIN_NAME, "A")
    assert alias["aliases"] == [{"name": alb.outputs["dnsName"], "zoneId": alb.outputs["zoneId"],
                                 "evaluateTargetHealth": False}]
    outputs = full_stack.component_outputs[("edgeflix:lb:LoadBalancer", "api-lb")]
    assert outputs["origin_tls"] is True


def test_certificate_arn_without_a_hosted_zone_keeps_http():
    """A certificateArn is us-east-1's, for viewers: it cannot serve a regional ALB."""
    config = {**DEV_CONFIG, "aws:region": "eu-west-1",
              "edgeflix:domainName": "watch.example.com",
              "edgeflix:certificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/"
                                         "0e3f5a6b-1c2d-4e5f-8a9b-0c1d2e3f4a5b"}
    stack = run_program(config)
    listener = stack.one(LISTENER).inputs
    assert (listener["protocol"], listener["port"]) == ("HTTP", 80)
    assert _ingress_ports(stack) == [(80, 80, CLOUDFRONT_PREFIX_LIST_ID)]
    assert stack.of_type(CERT) == [] and stack.of_type(RECORD) == []
    api = next(o for o in stack.one("aws:cloudfront/distribution:Distribution").inputs["origins"]
               if o["originId"] == "api")
    assert api["domainName"] == stack.one("aws:lb/loadBalancer:LoadBalancer").outputs["dnsName"]
    assert api["customOriginConfig"]["originProtocolPolicy"] == "http-only"
