"""serviceLayout: the four API services as four units on a shared fleet, or an ASG each."""

from __future__ import annotations

import base64
import json
import shlex

import pytest
from infra_harness import DEV_CONFIG, Stack, run_program

from app.service_map import PLANS, SERVICE_NAMES, SERVICES
from app.settings import settings_from_environment
from infra.config import ConfigError, StackConfig

ASG = "aws:autoscaling/group:Group"
LT = "aws:ec2/launchTemplate:LaunchTemplate"
SG = "aws:ec2/securityGroup:SecurityGroup"
POLICY = "aws:autoscaling/policy:Policy"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
PORTS = {"catalog": 8080, "accounts": 8081, "plans": 8082, "recommendations": 8083}


@pytest.fixture(scope="module")
def dedicated_stack() -> Stack:
    return run_program({**DEV_CONFIG, "edgeflix:serviceLayout": "dedicated"})


def _user_data(launch_template) -> str:
    return base64.b64decode(launch_template.inputs["userData"]).decode()


def _heredoc(script: str, path: str) -> dict[str, str]:
    """The NAME=value lines user data writes to `path`, unquoted."""
    body = script.split(f"cat > {path} <<'ENV'\n", 1)[1].split("\nENV\n", 1)[0]
    return dict(shlex.split(line)[0].split("=", 1) for line in body.splitlines() if line)


def _unit_environments(script: str) -> dict[str, dict[str, str]]:
    """Per unit the script enables: the environment its unit sees (shared, then its own)."""
    enabled = script.split("systemctl enable --now ", 1)[1].split("\n", 1)[0].split()
    common = _heredoc(script, "/etc/edgeflix/api.env")
    units = {}
    for unit in enabled:
        name = unit.removeprefix("edgeflix@").removesuffix(".service")
        units[name] = {**common, **_heredoc(script, f"/etc/edgeflix/{name}.env")}
    return units


def test_service_layout_defaults_to_shared():
    assert StackConfig().service_layout == "shared"


def test_a_bad_service_layout_names_the_key():
    with pytest.raises(ConfigError) as raised:
        StackConfig.from_mapping({"serviceLayout": "split"})
    message = str(raised.value)
    assert "edgeflix:serviceLayout" in message and "shared | dedicated" in message


def test_a_bad_service_layout_stops_the_program_before_any_resource():
    with pytest.raises(Exception, match="edgeflix:serviceLayout") as raised:
        run_program({**DEV_CONFIG, "edgeflix:serviceLayout": "microservices"})
    assert "'microservices'" in str(raised.value)


# ---- shared: one group, four units -------------------------------------------------------

def test_shared_instances_run_the_four_services_each_on_its_port(dev_stack):
    script = _user_data(dev_stack.one(LT))
    assert "cat > /etc/systemd/system/edgeflix@.service <<'UNIT'" in script
    units = _unit_environments(script)
    assert list(units) == list(SERVICE_NAMES)
    for name, env in units.items():
        settings = settings_from_environment(env)
        assert settings.service == name
        assert env["GUNICORN_BIND"] == f"0.0.0.0:{PORTS[name]}"
        assert settings.table == dev_stack.exports["table_name"]  # the shared environment


def test_shared_catalog_asks_the_plans_service_on_the_same_instance(dev_stack):
    units = _unit_environments(_user_data(dev_stack.one(LT)))
    assert settings_from_environment(units["catalog"]).plans_url == (
        f"http://127.0.0.1:{PLANS.port(8080)}")
    assert PLANS.port(8080) == 8082
    for name in ("accounts", "plans", "recommendations"):
        assert "EDGEFLIX_PLANS_URL" not in units[name]


def test_shared_layout_has_one_group_template_and_security_group(dev_stack):
    assert len(dev_stack.of_type(ASG)) == len(dev_stack.of_type(LT)) == 1
    assert [s.name for s in dev_stack.of_type(SG)] == ["api-lb-sg", "api-sg"]


# ---- dedicated: a group per service -----------------------------------------------------

def test_dedicated_layout_makes_an_asg_per_service_in_its_own_target_group(dedicated_stack):
    groups = dedicated_stack.of_type(ASG)
    assert sorted(g.name for g in groups) == sorted(f"api-{s}-asg" for s in SERVICE_NAMES)
    for service in SERVICE_NAMES:
        asg = dedicated_stack.by_name(f"api-{service}-asg").inputs
        tg = dedicated_stack.by_name(f"api-lb-{service}").outputs["arn"]
        assert asg["targetGroupArns"] == [tg]
        lt = dedicated_stack.by_name(f"api-{service}-lt")
        assert asg["launchTemplate"]["id"] == lt.outputs["id"]
        # The fleet's sizes, each (README "Service layout").
        assert (asg["minSize"], asg["maxSize"], asg["desiredCapacity"]) == (2, 6, 2)
        assert asg["tags"][0]["value"] == f"edgeflix-dev-api-{service}"


def test_dedicated_instances_run_one_unit_and_the_catalog_reads_plans_itself(
        dedicated_stack):
    bundles = set()
    for service in SERVICE_NAMES:
        script = _user_data(dedicated_stack.by_name(f"api-{service}-lt"))
        units = _unit_environments(script)
        assert list(units) == [service]
        env = units[service]
        assert settings_from_environment(env).service == service
        assert env["GUNICORN_BIND"] == f"0.0.0.0:{PORTS[service]}"
        # No plans service on a catalog instance's loopback: the plan of record is read
        # from the table (app/plan_store.py).
        assert "EDGEFLIX_PLANS_URL" not in env
        assert settings_from_environment(env).plans_url is None
        bundles.add(script.split("aws s3 cp --only-show-errors", 1)[1].split("\n", 1)[0])
    assert len(bundles) == 1  # the same app bundle everywhere


def test_dedicated_security_groups_admit_only_their_service_port(dedicated_stack):
    alb_sg = dedicated_stack.by_name("api-lb-sg").outputs["id"]
    for service in SERVICE_NAMES:
        sg = dedicated_stack.by_name(f"api-{service}-sg").outputs["id"]
        rules = [r.inputs for r in dedicated_stack.of_type(INGRESS)
                 if r.inputs["securityGroupId"] == sg]
        assert [(r["fromPort"], r["toPort"], r["referencedSecurityGroupId"]) for r in rules] \
            == [(PORTS[service], PORTS[service], alb_sg)]
        lt = dedicated_stack.by_name(f"api-{service}-lt").inputs
        assert lt["networkInterfaces"][0]["securityGroups"] == [sg]


def test_dedicated_groups_scale_on_their_own_target_group(dedicated_stack):
    alb = dedicated_stack.one("aws:lb/loadBalancer:LoadBalancer").outputs["arnSuffix"]
    for service in SERVICE_NAMES:
        asg = dedicated_stack.by_name(f"api-{service}-asg").outputs["name"]
        tg = dedicated_stack.by_name(f"api-lb-{service}").outputs["arnSuffix"]
        requests = dedicated_stack.by_name(f"api-{service}-requests-per-target").inputs
        spec = requests["targetTrackingConfiguration"]["predefinedMetricSpecification"]
        assert spec["resourceLabel"] == f"{alb}/{tg}"
        assert requests["autoscalingGroupName"] == asg
        cpu = dedicated_stack.by_name(f"api-{service}-cpu").inputs
        assert cpu["autoscalingGroupName"] == asg
        depends = dedicated_stack.options[(POLICY, f"api-{service}-requests-per-target")]
        assert [d._name for d in depends.depends_on] == [f"api-lb-{service}-rule"]
    assert len(dedicated_stack.of_type(POLICY)) == 8


def test_dedicated_refresh_rolls_back_on_its_own_service_5xx(dedicated_stack):
    for service in SERVICE_NAMES:
        prefs = dedicated_stack.by_name(f"api-{service}-asg").inputs["instanceRefresh"][
            "preferences"]
        assert prefs["alarmSpecification"]["alarms"] == [
            f"edgeflix-dev-api-{service}-target-5xx", "edgeflix-dev-api-elb-5xx"]


def test_dedicated_layout_shares_one_least_privilege_role(dedicated_stack):
    assert len(dedicated_stack.of_type("aws:iam/role:Role")) == 1
    profile = dedicated_stack.one("aws:iam/instanceProfile:InstanceProfile").outputs["arn"]
    for service in SERVICE_NAMES:
        lt = dedicated_stack.by_name(f"api-{service}-lt").inputs
        assert lt["iamInstanceProfile"] == {"arn": profile}
        assert lt["metadataOptions"]["httpTokens"] == "required"


def test_dedicated_user_data_holds_no_secrets(dedicated_stack):
    origin_verify = dedicated_stack.one("random:index/randomPassword:RandomPassword").outputs[
        "result"]
    pems = [k.outputs["privateKeyPem"].strip()
            for k in dedicated_stack.of_type("tls:index/privateKey:PrivateKey")]
    for lt in dedicated_stack.of_type(LT):
        script = _user_data(lt)
        assert origin_verify not in script and "X-Origin-Verify" not in script
        assert "PRIVATE KEY" not in script and not any(pem in script for pem in pems)


def test_dedicated_exports_and_dashboard_name_every_group(dedicated_stack):
    names = {s: dedicated_stack.by_name(f"api-{s}-asg").outputs["name"]
             for s in SERVICE_NAMES}
    assert dedicated_stack.exports["service_asg_names"] == names
    assert dedicated_stack.exports["asg_name"] == names["catalog"]
    body = json.loads(dedicated_stack.one("aws:cloudwatch/dashboard:Dashboard").inputs[
        "dashboardBody"])
    fleet = next(w for w in body["widgets"] if w["properties"]["title"] == "API fleet size")
    shown = {m[3] for m in fleet["properties"]["metrics"]}
    assert shown == set(names.values())


def test_dashboard_shows_each_service_targets(dev_stack):
    body = json.loads(dev_stack.one("aws:cloudwatch/dashboard:Dashboard").inputs[
        "dashboardBody"])
    widget = next(w for w in body["widgets"]
                  if w["properties"]["title"].startswith("Healthy / unhealthy"))
    lines = {(m[1], m[3]) for m in widget["properties"]["metrics"]}
    for service in SERVICES:
        tg = dev_stack.by_name(f"api-lb-{service.name}").outputs["arnSuffix"]
        assert ("UnHealthyHostCount", tg) in lines and ("HealthyHostCount", tg) in lines


def test_dedicated_layout_tolerates_unknowns_in_a_preview():
    """Under preview computed outputs are unknown; the program must still declare all."""
    stack = run_program({**DEV_CONFIG, "edgeflix:serviceLayout": "dedicated"}, preview=True)
    assert len(stack.of_type(ASG)) == 4
