"""serviceLayout dedicated through the replay: an Auto Scaling group per service, each the
only source of its target group's targets, read back from moto (production profile)."""

from __future__ import annotations

import pytest
from replay_paths import REPO_ROOT, require_real_program

from app.service_map import SERVICE_NAMES, service_named
from replay import Engine, run_program

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def dedicated():
    require_real_program()
    engine = Engine(region="eu-west-1")
    with engine.active():
        yield run_program(REPO_ROOT, "prod", engine=engine,
                          config_overrides={"serviceLayout": "dedicated"}), engine


def test_dedicated_production_profile_replays_with_no_problems(dedicated):
    result, _ = dedicated
    assert [str(p) for p in result.problems] == []
    assert len(result.of_type("aws:autoscaling/group:Group")) == 4
    assert len(result.of_type("aws:ec2/launchTemplate:LaunchTemplate")) == 4


def test_each_service_group_is_the_only_source_of_its_targets(dedicated):
    result, engine = dedicated
    groups = {r.inputs["tags"]["edgeflix:service"]: r
              for r in result.of_type("aws:lb/targetGroup:TargetGroup")}
    asgs = {r.name.removeprefix("api-").removesuffix("-asg"): r
            for r in result.of_type("aws:autoscaling/group:Group")}
    assert sorted(groups) == sorted(asgs) == sorted(SERVICE_NAMES)
    autoscaling, elbv2 = engine.client("autoscaling"), engine.client("elbv2")
    for service in SERVICE_NAMES:
        described = autoscaling.describe_auto_scaling_groups(
            AutoScalingGroupNames=[asgs[service].id])["AutoScalingGroups"][0]
        assert described["TargetGroupARNs"] == [groups[service].id]
        instances = sorted(i["InstanceId"] for i in described["Instances"])
        assert instances
        health = elbv2.describe_target_health(TargetGroupArn=groups[service].id)
        targets = health["TargetHealthDescriptions"]
        assert sorted(t["Target"]["Id"] for t in targets) == instances, service
        assert {t["Target"]["Port"] for t in targets} == {service_named(service).port(8080)}
