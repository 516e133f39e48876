"""LoadBalancer: reachable only from CloudFront, forwarding only with the secret header."""

from __future__ import annotations

from infra_harness import CLOUDFRONT_PREFIX_LIST_ID

INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
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


def test_alb_egress_reaches_only_the_api_port_in_private_subnets(dev_stack):
    sg = _alb_sg(dev_stack)
    rules = [r.inputs for r in dev_stack.of_type(EGRESS)
             if r.inputs["securityGroupId"] == sg.outputs["id"]]
    assert sorted(r["cidrIpv4"] for r in rules) == ["10.20.10.0/24", "10.20.11.0/24"]
    assert {(r["fromPort"], r["toPort"]) for r in rules} == {(8080, 8080)}


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


def test_one_rule_forwards_only_with_the_secret_header(dev_stack):
    rule = dev_stack.one("aws:lb/listenerRule:ListenerRule")
    password = dev_stack.one("random:index/randomPassword:RandomPassword")
    tg = dev_stack.one("aws:lb/targetGroup:TargetGroup")
    assert rule.inputs["conditions"] == [{"httpHeader": {
        "httpHeaderName": "X-Origin-Verify", "values": [password.outputs["result"]]}}]
    assert rule.inputs["actions"] == [{"type": "forward", "targetGroupArn": tg.outputs["arn"]}]
    assert "conditions" in rule.secret_paths  # the header value is a Pulumi secret
    assert password.inputs["length"] >= 32


def test_cloudfront_sends_the_same_secret_header_to_the_alb(dev_stack):
    distribution = dev_stack.one("aws:cloudfront/distribution:Distribution")
    password = dev_stack.one("random:index/randomPassword:RandomPassword").outputs["result"]
    api = next(o for o in distribution.inputs["origins"] if o["originId"] == "api")
    assert api["customHeaders"] == [{"name": "X-Origin-Verify", "value": password}]
    assert "origins" in distribution.secret_paths


def test_target_group_checks_the_api_health_path(dev_stack):
    tg = dev_stack.one("aws:lb/targetGroup:TargetGroup").inputs
    assert tg["port"] == 8080 and tg["protocol"] == "HTTP" and tg["targetType"] == "instance"
    assert tg["healthCheck"]["path"] == "/healthz"
    assert tg["healthCheck"]["matcher"] == "200"
    assert tg["deregistrationDelay"] == 30
