"""`make loadgen-plan`: the load-generator program replayed into moto has 0 problems, and
a broken load generator is reported with the resource and the property path."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from replay import run_program

LOADGEN = Path(__file__).resolve().parents[2] / "loadgen"
OFFLINE_TARGET = {"targetStack": "", "targetUrl": "https://d111111abcdef8.cloudfront.net"}

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _replay(mutators: dict[str, Callable[[dict], Any]] | None = None):
    return run_program(LOADGEN, "sample", config_overrides=OFFLINE_TARGET, mutators=mutators)


def test_the_sample_stack_replays_with_no_problems():
    result = _replay()
    assert result.problems == [], "\n".join(map(str, result.problems))
    counts = result.counts()
    assert counts["aws:ec2/instance:Instance"] == 5  # master + 2 + 2 workers
    assert counts["pulumi:providers:aws"] == 2
    lifecycles = {r.outputs.get("instanceLifecycle") for r in result.of_type(
        "aws:ec2/instance:Instance")}
    assert lifecycles == {"spot"}


def _open_master_port(inputs: dict) -> dict:
    inputs.pop("referencedSecurityGroupId", None)
    inputs["cidrIpv4"] = "0.0.0.0/0"
    return inputs


def _set(key: str, value: Any) -> Callable[[dict], dict]:
    def mutate(inputs: dict) -> dict:
        inputs[key] = value
        return inputs
    return mutate


def _persistent_behavior_on_one_time_spot(inputs: dict) -> dict:
    inputs["instanceMarketOptions"]["spotOptions"]["instanceInterruptionBehavior"] = "stop"
    return inputs


@pytest.mark.parametrize(("mutators", "expect_type", "expect_path", "expect_text"), [
    # The master port open to the world instead of to the workers' security group.
    ({"workers-us-east-1-to-master": _open_master_port}, "aws:ec2/instance:Instance",
     "vpcSecurityGroupIds", "admits the whole internet (0.0.0.0/0) on tcp 5557-5557"),
    # Powering off would only stop the master: it would not terminate, and stay billed.
    ({"master": _set("instanceInitiatedShutdownBehavior", "stop")},
     "aws:ec2/instance:Instance", "instanceInitiatedShutdownBehavior", "stops instead"),
    ({"workers-eu-west-1-0": _persistent_behavior_on_one_time_spot},
     "aws:ec2/instance:Instance",
     "instanceMarketOptions.spotOptions.instanceInterruptionBehavior", "persistent"),
    ({"workers-eu-west-1-1": _set("instanceType", "c6i.enormous")},
     "aws:ec2/instance:Instance", "instanceType", "not one of"),
], ids=["master-port-open-to-all", "shutdown-stops", "one-time-spot-stop", "bad-type"])
def test_a_broken_load_generator_is_reported(mutators, expect_type, expect_path,
                                             expect_text):
    result = _replay(mutators)
    assert result.engine.mutated, "the mutation did not apply"
    hits = [p for p in result.problems if p.type == expect_type
            and p.path.startswith(expect_path) and expect_text in p.message]
    assert hits, "\n".join(map(str, result.problems)) or "no problems reported"
