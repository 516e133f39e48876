"""ApiFleet: a hardened launch template, a safe rollout, and scaling wired to the ALB."""

from __future__ import annotations

import base64
import json
import shlex

import pytest
from infra_harness import AMI_ID

from app.catalog import CATALOG_KEY
from app.service_map import SERVICES
from app.settings import environment_from_settings, settings_from_environment
from infra import app_bundle
from infra.api_fleet import render_user_data

ASG = "aws:autoscaling/group:Group"
LT = "aws:ec2/launchTemplate:LaunchTemplate"
POLICY = "aws:autoscaling/policy:Policy"


def _user_data(stack) -> str:
    return base64.b64decode(stack.one(LT).inputs["userData"]).decode()


def test_shared_asg_is_attached_to_every_service_target_group(dev_stack):
    asg = dev_stack.one(ASG).inputs
    groups = {s.name: dev_stack.by_name(f"api-lb-{s.name}").outputs["arn"] for s in SERVICES}
    assert asg["targetGroupArns"] == [groups[s.name] for s in SERVICES]
    assert len(set(asg["targetGroupArns"])) == 4
    assert asg["healthCheckType"] == "ELB"
    assert asg["healthCheckGracePeriod"] == 300
    assert asg["defaultInstanceWarmup"] == 180


def test_asg_spans_the_private_subnets(stacks):
    for stack in stacks:
        asg = stack.one(ASG).inputs
        private = {s.outputs["id"] for s in stack.of_type("aws:ec2/subnet:Subnet")
                   if s.inputs["tags"]["edgeflix:tier"] == "private"}
        assert set(asg["vpcZoneIdentifiers"]) == private
        assert len(private) >= 2


def test_asg_sizes_come_from_config(dev_stack):
    asg = dev_stack.one(ASG).inputs
    assert (asg["minSize"], asg["maxSize"], asg["desiredCapacity"]) == (2, 6, 2)


def test_asg_pins_the_launch_template_latest_version(dev_stack):
    lt = dev_stack.one(LT)
    spec = dev_stack.one(ASG).inputs["launchTemplate"]
    assert spec["id"] == lt.outputs["id"]
    assert spec["version"] == str(lt.outputs["latestVersion"])
    assert spec["version"] not in ("$Latest", "$Default")


def test_later_updates_do_not_reset_desired_capacity(dev_stack):
    key = next(k for k in dev_stack.options if k[0] == ASG)
    assert dev_stack.options[key].ignore_changes == ["desiredCapacity"]


def test_instance_refresh_rolls_back_on_the_alb_5xx_alarms(dev_stack):
    refresh = dev_stack.one(ASG).inputs["instanceRefresh"]
    prefs = refresh["preferences"]
    assert refresh["strategy"] == "Rolling"
    assert prefs["minHealthyPercentage"] >= 90
    assert prefs["maxHealthyPercentage"] - prefs["minHealthyPercentage"] <= 100
    assert prefs["autoRollback"] is True
    alarms = {a.inputs["name"]: a.inputs for a in
              dev_stack.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")}
    watched = prefs["alarmSpecification"]["alarms"]
    assert watched == ["edgeflix-dev-api-target-5xx", "edgeflix-dev-api-elb-5xx"]
    assert {alarms[n]["metricName"] for n in watched} == {
        "HTTPCode_Target_5XX_Count", "HTTPCode_ELB_5XX_Count"}


def test_request_scaling_label_is_built_from_the_real_suffixes(dev_stack):
    """A shared group scales on the catalog service's requests (most of the API's)."""
    alb = dev_stack.one("aws:lb/loadBalancer:LoadBalancer").outputs["arnSuffix"]
    tg = dev_stack.by_name("api-lb-catalog").outputs["arnSuffix"]
    policies = {p.name: p.inputs for p in dev_stack.of_type(POLICY)}
    tracking = policies["api-requests-per-target"]["targetTrackingConfiguration"]
    spec = tracking["predefinedMetricSpecification"]
    assert spec["predefinedMetricType"] == "ALBRequestCountPerTarget"
    assert spec["resourceLabel"] == f"{alb}/{tg}"
    assert spec["resourceLabel"].startswith("app/") and "/targetgroup/" in spec["resourceLabel"]
    assert tracking["targetValue"] == 1000
    asg_name = dev_stack.one(ASG).outputs["name"]
    assert policies["api-requests-per-target"]["autoscalingGroupName"] == asg_name
    assert policies["api-requests-per-target"]["policyType"] == "TargetTrackingScaling"


def test_request_scaling_waits_for_the_listener_rule(dev_stack):
    depends = dev_stack.options[(POLICY, "api-requests-per-target")].depends_on
    assert [(d._type, d._name) for d in depends] == [
        ("aws:lb/listenerRule:ListenerRule", "api-lb-catalog-rule")]


def test_cpu_target_tracking(dev_stack):
    cpu = dev_stack.by_name("api-cpu").inputs["targetTrackingConfiguration"]
    assert cpu["predefinedMetricSpecification"]["predefinedMetricType"] == (
        "ASGAverageCPUUtilization")
    assert cpu["targetValue"] == 50


def test_launch_template_requires_imdsv2_with_hop_limit_1(dev_stack):
    md = dev_stack.one(LT).inputs["metadataOptions"]
    assert md["httpTokens"] == "required"
    assert md["httpPutResponseHopLimit"] == 1
    assert md["httpEndpoint"] == "enabled"


def test_launch_template_encrypts_ebs_and_has_no_public_ip(dev_stack):
    lt = dev_stack.one(LT).inputs
    (bdm,) = lt["blockDeviceMappings"]
    assert bdm["ebs"]["encrypted"] == "true" and bdm["ebs"]["volumeType"] == "gp3"
    (nic,) = lt["networkInterfaces"]
    assert nic["associatePublicIpAddress"] == "false"
    fleet_sg = dev_stack.by_name("api-sg").outputs["id"]
    assert nic["securityGroups"] == [fleet_sg]
    assert "vpcSecurityGroupIds" not in lt


def test_launch_template_uses_amazon_linux_2023_from_ssm(dev_stack):
    assert dev_stack.one(LT).inputs["imageId"] == AMI_ID
    (params,) = [a for t, a in dev_stack.invokes if t == "aws:ssm/getParameter:getParameter"]
    assert params["name"] == (
        "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64")
    assert dev_stack.one(LT).inputs["instanceType"] == "t3.small"


def test_instances_admit_only_the_alb_on_the_four_service_ports(dev_stack):
    fleet_sg = dev_stack.by_name("api-sg").outputs["id"]
    alb_sg = dev_stack.by_name("api-lb-sg").outputs["id"]
    rules = [r.inputs for r in dev_stack.of_type(
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        if r.inputs["securityGroupId"] == fleet_sg]
    assert rules == [{"securityGroupId": fleet_sg, "ipProtocol": "tcp", "fromPort": port,
                      "toPort": port, "referencedSecurityGroupId": alb_sg,
                      "description": f"the {name} service's port from the ALB"}
                     for name, port in (("catalog", 8080), ("accounts", 8081),
                                        ("plans", 8082), ("recommendations", 8083))]


def test_user_data_installs_the_bundle_and_runs_gunicorn_under_systemd(dev_stack):
    script = _user_data(dev_stack)
    bundle = dev_stack.one("aws:s3/bucketObjectv2:BucketObjectv2")
    artifacts = bundle.inputs["bucket"]
    assert f"s3://{artifacts}/{bundle.inputs['key']}" in script
    assert "gunicorn -c app/gunicorn.conf.py app.wsgi:app" in script
    assert ("systemctl enable --now edgeflix@catalog.service edgeflix@accounts.service "
            "edgeflix@plans.service edgeflix@recommendations.service") in script
    assert "KillSignal=SIGTERM" in script
    assert "EnvironmentFile=/etc/edgeflix/%i.env" in script


def _api_env_file(script: str) -> dict[str, str]:
    """The NAME=value lines user data writes to /etc/edgeflix/api.env, unquoted."""
    body = script.split("cat > /etc/edgeflix/api.env <<'ENV'\n", 1)[1].split("\nENV\n", 1)[0]
    return dict(shlex.split(line)[0].split("=", 1) for line in body.splitlines())


def test_user_data_carries_the_api_contract_env(dev_stack):
    env = _api_env_file(_user_data(dev_stack))
    exports = dev_stack.exports
    secret = dev_stack.one("aws:secretsmanager/secret:Secret").outputs["arn"]
    settings = settings_from_environment(env)
    assert (settings.bucket, settings.catalog_key, settings.signing_secret_id, settings.table,
            settings.key_pair_id, settings.cdn_url, settings.cookie_ttl, settings.region) == (
        exports["media_bucket"], CATALOG_KEY, secret, exports["table_name"],
        exports["key_pair_id"], exports["cdn_url"], 600, "us-east-1")
    # Set explicitly, not left to the API's defaults (some of which are the same values).
    decided = ("bucket", "catalog_key", "signing_secret_id", "table", "key_pair_id", "cdn_url",
               "cookie_ttl", "region")
    rendered = environment_from_settings({name: getattr(settings, name) for name in decided})
    assert rendered.items() <= env.items()
    assert env["FORWARDED_ALLOW_IPS"] == "10.20.0.0/24,10.20.1.0/24"


def test_user_data_holds_no_secrets(dev_stack):
    script = _user_data(dev_stack)
    keys = dev_stack.of_type("tls:index/privateKey:PrivateKey")
    pems = [k.outputs["privateKeyPem"] for k in keys]
    assert pems
    origin_verify = dev_stack.one("random:index/randomPassword:RandomPassword").outputs["result"]
    assert "PRIVATE KEY" not in script
    assert all(pem.strip() not in script for pem in pems)
    assert origin_verify not in script
    assert "X-Origin-Verify" not in script


def test_a_new_bundle_gives_new_user_data():
    env = environment_from_settings({"bucket": "media"})
    units = {"catalog": {"EDGEFLIX_SERVICE": "catalog"}}
    one = render_user_data(env, "artifacts", "bundles/api-1111.zip", "us-east-1", False, units)
    two = render_user_data(env, "artifacts", "bundles/api-2222.zip", "us-east-1", False, units)
    assert one != two


def test_bundle_key_follows_the_content(tmp_path, monkeypatch):
    first = app_bundle.collect()
    assert first.key == f"bundles/api-{first.digest[:16]}.zip"
    assert "app/wsgi.py" in first.files and "app/gunicorn.conf.py" in first.files
    assert not any("__pycache__" in name for name in first.files)
    fake_app = tmp_path / "app"
    fake_app.mkdir()
    (fake_app / "wsgi.py").write_text("app = None\n")
    monkeypatch.setattr(app_bundle, "APP_DIR", fake_app)
    monkeypatch.setattr(app_bundle, "REPO_ROOT", tmp_path)
    monkeypatch.setattr(app_bundle, "WHEEL_DIR", tmp_path / "wheels")
    monkeypatch.setattr(app_bundle, "requirements", lambda *_packages: "flask==3.1.3\n")
    second = app_bundle.collect()
    assert second.key != first.key


def test_bundle_requirements_are_the_project_pins():
    reqs = app_bundle.requirements().splitlines()
    assert reqs == ["flask==3.1.3", "gunicorn==27.0.1", "boto3==1.44.5", "cryptography==50.0.2",
                    "pydantic==2.14.3", "pyjwt[crypto]==2.15.1", "cachetools==8.0.0",
                    "requests==2.34.2"]


def test_instance_role_is_least_privilege(dev_stack):
    policy = json.loads(dev_stack.one("aws:iam/rolePolicy:RolePolicy").inputs["policy"])
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    media = next(b for b in dev_stack.of_type("aws:s3/bucket:Bucket")
                 if b.inputs["tags"]["edgeflix:purpose"] == "media").outputs["arn"]
    artifacts = next(b for b in dev_stack.of_type("aws:s3/bucket:Bucket")
                     if b.inputs["tags"]["edgeflix:purpose"] == "artifacts").outputs["arn"]
    assert by_sid["ReadCatalog"]["Resource"] == f"{media}/catalog.json"
    assert by_sid["ReadBundles"]["Resource"] == f"{artifacts}/bundles/*"
    secret = dev_stack.one("aws:secretsmanager/secret:Secret").outputs["arn"]
    assert by_sid["ReadSigningKey"] == {"Sid": "ReadSigningKey", "Effect": "Allow",
                                        "Action": "secretsmanager:GetSecretValue",
                                        "Resource": secret}
    table = dev_stack.one("aws:dynamodb/table:Table").outputs["arn"]
    assert by_sid["PlaysTable"]["Resource"] == table
    assert "dynamodb:DeleteTable" not in by_sid["PlaysTable"]["Action"]
    # Profiles are deleted item by item (app/profiles.py), never the table.
    assert "dynamodb:DeleteItem" in by_sid["PlaysTable"]["Action"]
    for statement in policy["Statement"]:
        assert statement["Resource"] != "*"
        assert all(not a.endswith("*") for a in
                   ([statement["Action"]] if isinstance(statement["Action"], str)
                    else statement["Action"]))
    role = json.loads(dev_stack.one("aws:iam/role:Role").inputs["assumeRolePolicy"])
    assert role["Statement"][0]["Principal"] == {"Service": "ec2.amazonaws.com"}


@pytest.mark.parametrize(("instance_type", "arch"), [("t3.small", "x86_64"),
                                                      ("t4g.small", "arm64")])
def test_ami_parameter_follows_the_instance_architecture(instance_type, arch):
    from infra.config import StackConfig

    cfg = StackConfig(instance_type=instance_type)
    assert cfg.ami_parameter.endswith(f"al2023-ami-kernel-default-{arch}")
