"""The engine's parts, and the engine on a small program of its own (fixtures/program)."""

from __future__ import annotations

import json
import subprocess
import sys

import pulumi_aws as aws
import pytest
from replay_paths import FIXTURES, REPO_ROOT

from replay import awsmodel, policies, schema
from replay.__main__ import main
from replay.registry import RESOURCES, load_all
from replay.runner import run_program

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def test_botocore_walk_reports_enums_ranges_unknown_and_types():
    problems = dict(awsmodel.validate("elbv2", "CreateTargetGroup", {
        "Name": "tg", "Protocol": "HTTPX", "Port": 70000, "HealthCheckIntervalSeconds": 1,
        "Bogus": 1, "HealthCheckEnabled": "yes"}))
    assert "not one of" in problems["Protocol"]
    assert "above maximum 65535" in problems["Port"]
    assert "below minimum 5" in problems["HealthCheckIntervalSeconds"]
    assert "unknown member" in problems["Bogus"]
    assert "invalid type" in problems["HealthCheckEnabled"]


def test_schema_walk_finds_misspelt_nested_keys_and_wrong_types():
    cls = schema.args_class("aws:lb/targetGroup:TargetGroup")
    assert cls is aws.lb.TargetGroupArgs
    problems = dict(schema.check(cls, {"port": 80, "healthCheck": {"protocoll": "HTTP",
                                                                  "interval": "ten"}}))
    assert "did you mean 'protocol'" in problems["healthCheck.protocoll"]
    assert "expected number" in problems["healthCheck.interval"]


def test_schema_uses_init_args_where_names_collide():
    cls = schema.args_class("aws:s3/bucketVersioning:BucketVersioning")
    assert cls.__name__ == "BucketVersioningInitArgs"
    inputs = {"bucket": "b", "versioningConfiguration": {"status": "Enabled"}}
    assert schema.check(cls, inputs) == []


@pytest.mark.parametrize("action, ok", [
    ("s3:GetObject", True), ("s3:ListBucket", True), ("dynamodb:Get*", True),
    ("elasticloadbalancing:Describe*", True), ("iam:PassRole", True),
    ("cloudwatch:PutMetricData", True), ("secretsmanager:GetSecretValue", True),
    ("s3:GetObjekt", False), ("dynamodb:Gett*", False), ("GetObject", False),
])
def test_iam_actions_checked_against_botocore(action, ok):
    assert (policies.check_action(action) is None) is ok


def test_policy_documents():
    assert policies.check('{"Version": "2012-10-17"', "identity")[0][1].startswith("policy is not")
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "sts:AssumeRole",
        "Principal": {"Service": "ec2.amazonaws.com"}}]}
    assert policies.check(json.dumps(trust), "trust") == []
    bad = {"Version": "2012-10-17", "Statement": [{"Effect": "Permit", "Action": "s3:GetObject"}]}
    paths = [p for p, _ in policies.check(bad, "identity")]
    assert "Statement[0].Effect" in paths and "Statement[0]" in paths


def test_every_type_the_fixture_uses_has_a_translator():
    load_all()
    for token in ("aws:ec2/vpc:Vpc", "aws:lb/loadBalancer:LoadBalancer",
                  "aws:cloudfront/distribution:Distribution", "aws:autoscaling/group:Group",
                  "tls:index/privateKey:PrivateKey", "random:index/randomPassword:RandomPassword"):
        assert token in RESOURCES


@pytest.fixture(scope="module")
def fixture_run():
    return run_program(FIXTURES, "test")


def test_fixture_program_replays_clean(fixture_run):
    assert [str(p) for p in fixture_run.problems] == []
    assert len(fixture_run.resources) >= 30
    asg = fixture_run.of_type("aws:autoscaling/group:Group")[0]
    assert "2 instances" in asg.summary


def test_unknown_resource_type_is_a_problem(tmp_path):
    program = tmp_path / "__main__.py"
    program.write_text(
        "import pulumi_aws as aws\n"
        "aws.ec2.Vpc('v', cidr_block='10.0.0.0/16')\n"
        "aws.ec2.KeyPair('k', public_key='ssh-ed25519 AAAA')\n")
    result = run_program(FIXTURES, "test", program=program)
    assert [(p.type, p.name) for p in result.problems] == [("aws:ec2/keyPair:KeyPair", "k")]
    assert "no translator" in result.problems[0].message


def test_unknown_invoke_raises_and_is_reported(tmp_path):
    program = tmp_path / "__main__.py"
    program.write_text("import pulumi_aws as aws\naws.ec2.get_vpc(default=True)\n")
    result = run_program(FIXTURES, "test", program=program)
    kinds = {p.type for p in result.problems}
    assert "invoke" in kinds and "program" in kinds


def test_problems_are_collected_not_cascaded(tmp_path):
    """Two broken resources, both reported; the dependants of the first still replay."""
    result = run_program(FIXTURES, "test", mutators={
        "fx-api-tg": lambda i: {**i, "protocol": "HTTPX"},
        "fx-asg": lambda i: {**i, "minSize": 9},
    })
    named = {(p.name, p.path) for p in result.problems}
    assert ("fx-api-tg", "protocol") in named
    assert ("fx-asg", "minSize") in named
    assert all("KeyError" not in p.message for p in result.problems)


def test_cli_json_and_exit_code_zero(capsys):
    assert main(["--root", str(FIXTURES), "--stack", "test", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["ok"] and doc["problems"] == []
    assert doc["counts"]["aws:ec2/subnet:Subnet"] == 2
    parents = {r["name"]: r["parent"] for r in doc["resources"]}
    assert parents["fx-vpc"] is None


def test_cli_exits_non_zero_on_a_problem(tmp_path):
    (tmp_path / "Pulumi.yaml").write_text(f"name: replayfixture\nmain: {FIXTURES / 'program'}\n")
    bad = (FIXTURES / "Pulumi.test.yaml").read_text().replace("minSize: 2", "minSize: 5")
    (tmp_path / "Pulumi.test.yaml").write_text(bad)
    broken = subprocess.run([sys.executable, "-m", "replay", "--root", str(tmp_path), "--stack",
                             "test"], capture_output=True, text=True, cwd=REPO_ROOT, timeout=180)
    assert broken.returncode == 1, broken.stdout[-2000:] + broken.stderr[-2000:]
    assert "aws:autoscaling/group:Group fx-asg: minSize: minSize 5 > maxSize 4" in broken.stdout
    assert "1 problem(s)" in broken.stdout or "problem(s):" in broken.stdout


def test_a_failed_resource_does_not_cascade_into_its_dependants():
    result = run_program(FIXTURES, "test", mutators={
        "fx-media": lambda i: {**i, "bucket": "Not_A_Bucket"}})
    assert [(p.name, p.path) for p in result.problems] == [("fx-media", "bucket")]
    assert any("failed upstream" in n and "fx-media-pab" in n for n in result.notes)


def test_resources_and_invokes_use_the_region_of_their_provider(tmp_path):
    program = tmp_path / "__main__.py"
    program.write_text(
        "import pulumi, pulumi_aws as aws\n"
        "west = aws.Provider('west', region='us-west-2')\n"
        "azs = aws.get_availability_zones(opts=pulumi.InvokeOptions(provider=west))\n"
        "aws.ec2.Vpc('here', cidr_block='10.0.0.0/16')\n"
        "aws.ec2.Subnet('there', vpc_id=aws.ec2.Vpc('west-vpc', cidr_block='10.1.0.0/16',\n"
        "    opts=pulumi.ResourceOptions(provider=west)).id, cidr_block='10.1.0.0/24',\n"
        "    availability_zone=azs.names[0], opts=pulumi.ResourceOptions(provider=west))\n")
    result = run_program(FIXTURES, "test", program=program)
    assert [str(p) for p in result.problems] == []
    assert result.named("there").outputs["availabilityZone"] == "us-west-2a"
    assert ":us-east-1:" in result.named("here").outputs["arn"]
    assert ":us-west-2:" in result.named("west-vpc").outputs["arn"]


def test_plan_config_override_must_be_key_value(capsys):
    from replay.__main__ import main

    with pytest.raises(SystemExit) as info:
        main(["--config", "hostedZoneId"])
    assert info.value.code == 2
    assert "expected KEY=VALUE" in capsys.readouterr().err
