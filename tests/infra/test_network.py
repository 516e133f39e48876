"""Network: two or more AZs, private subnets without public IPs, NAT per config."""

from __future__ import annotations

import pytest
from infra_harness import DEV_CONFIG, FULL_CONFIG, run_program

SUBNET = "aws:ec2/subnet:Subnet"
NAT = "aws:ec2/natGateway:NatGateway"
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"


def _tier(stack, tier):
    return [s for s in stack.of_type(SUBNET) if s.inputs["tags"]["edgeflix:tier"] == tier]


def test_availability_zones_come_from_the_region(dev_stack):
    tokens = [t for t, _ in dev_stack.invokes]
    assert "aws:index/getAvailabilityZones:getAvailabilityZones" in tokens
    azs = {s.inputs["availabilityZone"] for s in _tier(dev_stack, "private")}
    assert azs == {"us-east-1a", "us-east-1b"}


@pytest.mark.parametrize("stack_fixture", ["dev_stack", "full_stack"])
def test_public_and_private_subnet_in_every_az(request, stack_fixture):
    stack = request.getfixturevalue(stack_fixture)
    public, private = _tier(stack, "public"), _tier(stack, "private")
    assert len(public) == len(private) >= 2
    assert {s.inputs["availabilityZone"] for s in public} == {
        s.inputs["availabilityZone"] for s in private}
    assert all(s.inputs["mapPublicIpOnLaunch"] is False for s in public + private)


def test_subnet_cidrs_come_from_config(dev_stack):
    assert sorted(s.inputs["cidrBlock"] for s in _tier(dev_stack, "private")) == [
        "10.20.10.0/24", "10.20.11.0/24"]
    vpc = dev_stack.one("aws:ec2/vpc:Vpc")
    assert vpc.inputs["cidrBlock"] == "10.20.0.0/16"
    assert vpc.inputs["enableDnsHostnames"] is True


def test_single_nat_serves_every_private_route_table(dev_stack):
    nats = dev_stack.of_type(NAT)
    assert len(nats) == 1
    public_ids = {s.outputs["id"] for s in _tier(dev_stack, "public")}
    assert nats[0].inputs["subnetId"] in public_ids
    private_tables = [rt for rt in dev_stack.of_type(ROUTE_TABLE) if "private" in rt.name]
    assert len(private_tables) == 2
    for rt in private_tables:
        assert rt.inputs["routes"] == [{"cidrBlock": "0.0.0.0/0",
                                        "natGatewayId": nats[0].outputs["id"]}]


def test_per_az_nat_gives_each_az_its_own(full_stack):
    nats = full_stack.of_type(NAT)
    assert len(nats) == 3
    private_tables = [rt for rt in full_stack.of_type(ROUTE_TABLE) if "private" in rt.name]
    assert {rt.inputs["routes"][0]["natGatewayId"] for rt in private_tables} == {
        n.outputs["id"] for n in nats}


@pytest.fixture(scope="module")
def no_nat_stack():
    return run_program({**DEV_CONFIG, "edgeflix:natMode": "none"})


def test_no_nat_mode_has_no_default_route_but_keeps_aws_reachable(no_nat_stack):
    assert no_nat_stack.of_type(NAT) == []
    assert no_nat_stack.of_type("aws:ec2/eip:Eip") == []
    private_tables = [rt for rt in no_nat_stack.of_type(ROUTE_TABLE) if "private" in rt.name]
    assert all(not rt.inputs.get("routes") for rt in private_tables)
    services = {e.inputs["serviceName"]: e.inputs for e in no_nat_stack.of_type(ENDPOINT)}
    assert services["com.amazonaws.us-east-1.secretsmanager"]["vpcEndpointType"] == "Interface"
    assert services["com.amazonaws.us-east-1.secretsmanager"]["privateDnsEnabled"] is True


@pytest.mark.parametrize("stack_fixture", ["dev_stack", "full_stack"])
def test_s3_gateway_endpoint_on_private_route_tables(request, stack_fixture):
    stack = request.getfixturevalue(stack_fixture)
    region = (DEV_CONFIG if stack_fixture == "dev_stack" else FULL_CONFIG)["aws:region"]
    s3 = [e for e in stack.of_type(ENDPOINT)
          if e.inputs["serviceName"] == f"com.amazonaws.{region}.s3"]
    assert len(s3) == 1
    assert s3[0].inputs["vpcEndpointType"] == "Gateway"
    private_tables = {rt.outputs["id"] for rt in stack.of_type(ROUTE_TABLE) if "private" in rt.name}
    assert private_tables <= set(s3[0].inputs["routeTableIds"])


def test_public_route_table_uses_the_internet_gateway(dev_stack):
    igw = dev_stack.one("aws:ec2/internetGateway:InternetGateway")
    public = [rt for rt in dev_stack.of_type(ROUTE_TABLE) if rt.name.endswith("-public")]
    assert public[0].inputs["routes"] == [{"cidrBlock": "0.0.0.0/0",
                                           "gatewayId": igw.outputs["id"]}]


@pytest.mark.parametrize("stack_fixture", ["dev_stack", "full_stack"])
def test_the_vpc_default_security_group_is_locked(request, stack_fixture):
    stack = request.getfixturevalue(stack_fixture)
    vpc = stack.one("aws:ec2/vpc:Vpc")
    default = stack.one("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
    assert default.inputs["vpcId"] == vpc.outputs["id"]
    assert default.inputs.get("ingress", []) == [] and default.inputs.get("egress", []) == []
