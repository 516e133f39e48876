"""apiOrigin vpc (the production profile): an internal ALB in the private subnets, reached
only through a CloudFront VPC origin; apiOrigin public keeps the internet-facing ALB."""

from __future__ import annotations

import pytest
from infra_harness import CLOUDFRONT_PREFIX_LIST_ID, DEV_CONFIG, FULL_CONFIG, run_program
from test_api_fleet import _api_env_file, _user_data

from edge.origin import ORIGIN_VERIFY_HEADER
from infra.config import ConfigError, StackConfig

LB = "aws:lb/loadBalancer:LoadBalancer"
VPC_ORIGIN = "aws:cloudfront/vpcOrigin:VpcOrigin"
DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
SERVICE_SG = "sg-0123456789abcdef0"


def _tier(stack, tier: str) -> set[str]:
    return {s.outputs["id"] for s in stack.of_type("aws:ec2/subnet:Subnet")
            if s.inputs["tags"]["edgeflix:tier"] == tier}


def _api_origin(stack) -> dict:
    return next(o for o in stack.one(DISTRIBUTION).inputs["origins"] if o["originId"] == "api")


def _alb_ingress(stack) -> list[dict]:
    sg = stack.by_name("api-lb-sg").outputs["id"]
    return [r.inputs for r in stack.of_type(INGRESS) if r.inputs["securityGroupId"] == sg]


def test_prod_alb_is_internal_in_the_private_subnets(full_stack):
    alb = full_stack.one(LB).inputs
    assert alb["internal"] is True
    assert set(alb["subnets"]) == _tier(full_stack, "private")
    assert len(alb["subnets"]) == 3


def test_vpc_origin_targets_the_alb_over_tls_12(full_stack):
    alb = full_stack.one(LB)
    endpoint = full_stack.one(VPC_ORIGIN).inputs["vpcOriginEndpointConfig"]
    assert endpoint["arn"] == alb.outputs["arn"]
    assert endpoint["originProtocolPolicy"] == "https-only"  # prod has origin.<domainName>
    assert (endpoint["httpPort"], endpoint["httpsPort"]) == (80, 443)
    assert endpoint["originSslProtocols"] == {"items": ["TLSv1.2"], "quantity": 1}
    assert endpoint["name"] == "edgeflix-prod-api-alb"


def test_vpc_origin_waits_for_the_guarded_listener(full_stack):
    options = full_stack.options[(VPC_ORIGIN, "api-lb-vpc-origin")]
    rules = full_stack.of_type("aws:lb/listenerRule:ListenerRule")
    assert len(rules) == 4
    assert sorted(d._name for d in options.depends_on) == sorted(r.name for r in rules)


def test_distribution_reaches_the_api_through_the_vpc_origin(full_stack):
    api = _api_origin(full_stack)
    vpc_origin = full_stack.one(VPC_ORIGIN)
    assert "customOriginConfig" not in api
    assert api["vpcOriginConfig"]["vpcOriginId"] == vpc_origin.outputs["id"]
    assert api["vpcOriginConfig"]["originReadTimeout"] == 30
    assert api["domainName"] == "origin.watch.example.com"
    # Defence in depth: the secret header still travels with every API request.
    assert api["customHeaders"][0]["name"] == ORIGIN_VERIFY_HEADER


def test_alb_admits_the_origin_facing_prefix_list_until_the_service_group_is_known(full_stack):
    assert [(r["fromPort"], r.get("prefixListId"), r.get("referencedSecurityGroupId"))
            for r in _alb_ingress(full_stack)] == [(443, CLOUDFRONT_PREFIX_LIST_ID, None)]


def test_alb_admits_only_cloudfronts_vpc_origin_group_once_named():
    stack = run_program({**FULL_CONFIG, "edgeflix:vpcOriginSecurityGroupId": SERVICE_SG})
    rules = _alb_ingress(stack)
    assert len(rules) == 1
    assert rules[0]["referencedSecurityGroupId"] == SERVICE_SG
    assert "prefixListId" not in rules[0] and "cidrIpv4" not in rules[0]
    assert rules[0]["fromPort"] == rules[0]["toPort"] == 443
    # The prefix list is no longer read at all.
    assert not any(t == "aws:ec2/getManagedPrefixList:getManagedPrefixList"
                   for t, _ in stack.invokes)


def test_fleet_trusts_forwarded_headers_from_the_private_subnets_only(full_stack):
    env = _api_env_file(_user_data(full_stack))
    assert env["FORWARDED_ALLOW_IPS"] == "10.20.10.0/24,10.20.11.0/24,10.20.12.0/24"


def test_public_api_origin_keeps_no_vpc_origin(dev_stack):
    assert dev_stack.of_type(VPC_ORIGIN) == []
    assert dev_stack.one(LB).inputs["internal"] is False
    assert "vpcOriginConfig" not in _api_origin(dev_stack)


def test_dev_can_switch_to_a_vpc_origin_over_http():
    stack = run_program({**DEV_CONFIG, "edgeflix:apiOrigin": "vpc"})
    endpoint = stack.one(VPC_ORIGIN).inputs["vpcOriginEndpointConfig"]
    assert endpoint["originProtocolPolicy"] == "http-only"  # no name of ours to certify
    assert set(stack.one(LB).inputs["subnets"]) == _tier(stack, "private")
    assert _api_origin(stack)["domainName"] == stack.one(LB).outputs["dnsName"]


def test_service_group_needs_a_vpc_origin():
    with pytest.raises(ConfigError, match="edgeflix:vpcOriginSecurityGroupId"):
        StackConfig.from_mapping({"vpcOriginSecurityGroupId": SERVICE_SG})
    with pytest.raises(ConfigError, match="edgeflix:apiOrigin"):
        StackConfig.from_mapping({"apiOrigin": "private"})
    with pytest.raises(ConfigError, match="vpcOriginSecurityGroupId"):
        StackConfig.from_mapping({"apiOrigin": "vpc", "vpcOriginSecurityGroupId": "sg-XYZ"})
