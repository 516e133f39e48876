"""The load-generator program under the infra tests' mocks (tests/infra/infra_harness.py,
parameterised with the program, the project and the target stack's outputs). A uniquely
named module, so it never collides with another folder's conftest."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "infra"))

from infra_harness import Resource, Stack, run_program  # noqa: E402

TARGET_STACK = "acme/edgeflix/dev"
CDN = "https://d111111abcdef8.cloudfront.net"
CONFIG = {
    "aws:region": "us-east-1",
    "edgeflix-loadgen:targetStack": TARGET_STACK,
    "edgeflix-loadgen:workers": '{"us-east-1": 2, "eu-west-1": 3}',
    "edgeflix-loadgen:maxRunMinutes": "30",
    "edgeflix-loadgen:users": "1000",
    "edgeflix-loadgen:runId": "test-run",
}

__all__ = ["CDN", "CONFIG", "TARGET_STACK", "Resource", "Stack", "run_loadgen"]


def run_loadgen(config: dict[str, str] | None = None, cdn_url: str = CDN,
                preview: bool = False) -> Stack:
    """loadgen/__main__.py's main() under fresh mocks; the target stack exports `cdn_url`."""
    return run_program(dict(CONFIG if config is None else config), preview,
                       program="loadgen.__main__", project="edgeflix-loadgen",
                       stack_outputs={TARGET_STACK: {"cdn_url": cdn_url}})


def provider_region(resource: Resource) -> str:
    """The region of the explicit provider a resource names (providers are named by region)."""
    assert resource.provider, f"{resource.name} has no explicit provider"
    return resource.provider.split("::")[-2]
