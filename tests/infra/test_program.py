"""The program's shape: components with typed tokens, children parented, unknowns tolerated."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pulumi
import pytest
from infra_harness import DEV_CONFIG, FULL_CONFIG, run_program
from pulumi.output import Unknown

COMPONENTS = {
    "edgeflix:network:Network", "edgeflix:media:MediaOrigin", "edgeflix:fleet:ApiFleet",
    "edgeflix:lb:LoadBalancer", "edgeflix:edge:Edge", "edgeflix:signing:Signing",
    "edgeflix:data:Data", "edgeflix:alarms:Alarms", "edgeflix:waf:EdgeFirewall",
}


def test_every_component_is_declared_once(dev_stack):
    for token in COMPONENTS:
        assert len(dev_stack.of_type(token)) == 1, token


def test_every_cloud_resource_belongs_to_a_component(stacks):
    for stack in stacks:
        for (type_, name), parent in stack.parents.items():
            if type_.startswith("edgeflix:") or type_.startswith("pulumi:providers:"):
                continue
            assert parent is not None and parent.startswith("edgeflix:"), (type_, name)


def test_every_component_registers_its_outputs(dev_stack):
    registered = {type_: outputs for (type_, _), outputs in dev_stack.component_outputs.items()}
    assert set(registered) >= COMPONENTS
    for token in COMPONENTS:
        assert registered[token], token
    assert "asg_name" in registered["edgeflix:fleet:ApiFleet"]
    assert "distribution_id" in registered["edgeflix:edge:Edge"]


def _comparable(value):
    if isinstance(value, pulumi.AssetArchive):
        return ("archive", sorted((k, _comparable(v)) for k, v in value.assets.items()))
    if isinstance(value, pulumi.FileAsset):
        return ("file", value.path)
    if isinstance(value, pulumi.StringAsset):
        return ("string", value.text)
    if isinstance(value, dict):
        return {k: _comparable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_comparable(v) for v in value]
    return value


def test_program_is_deterministic():
    runs = [run_program(DEV_CONFIG), run_program(DEV_CONFIG)]
    first, second = (sorted((r.type, r.name, repr(_comparable(r.inputs)))
                            for r in run.resources) for run in runs)
    assert first == second


@pytest.fixture(scope="module")
def preview_stacks():
    return [run_program(DEV_CONFIG, preview=True), run_program(FULL_CONFIG, preview=True)]


def test_preview_with_unknown_values_declares_the_same_graph(preview_stacks, stacks):
    for preview, applied in zip(preview_stacks, stacks, strict=True):
        assert sorted((r.type, r.name) for r in preview.resources) == sorted(
            (r.type, r.name) for r in applied.resources)


def test_preview_really_had_unknowns(preview_stacks):
    # Under preview the mocks return no ids and no computed outputs, so the
    # distribution's origins (bucket domain, ALB DNS name) are unknown and the
    # exports never resolve: the program must not depend on them being known.
    dev = preview_stacks[0]
    distribution = dev.one("aws:cloudfront/distribution:Distribution")
    domains = [o["domainName"] for o in distribution.inputs["origins"]]
    assert domains and all(isinstance(d, Unknown) for d in domains)
    lt = dev.one("aws:ec2/launchTemplate:LaunchTemplate")
    assert isinstance(lt.inputs["userData"], Unknown)
    assert "cdn_url" not in dev.exports


def test_no_program_module_shadows_a_top_level_package():
    """Pulumi runs infra/ with infra/ first on sys.path: an infra/edge.py would be what
    `import edge` finds, not the edge package (edge-config's model and CloudFront's rules)."""
    root = Path(__file__).resolve().parents[2]
    include = tomllib.loads((root / "pyproject.toml").read_text())[
        "tool"]["setuptools"]["packages"]["find"]["include"]
    packages = {pattern.rstrip("*") for pattern in include} - {"infra"}
    assert "edge" in packages
    shadows = {p for p in packages
               if (root / "infra" / f"{p}.py").exists() or (root / "infra" / p).is_dir()}
    assert not shadows
