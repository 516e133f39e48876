"""Session fixtures: the real program run once per stack config under the mocks."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from infra_harness import DEV_CONFIG, FULL_CONFIG, Stack, run_program


@pytest.fixture(scope="session")
def dev_stack() -> Stack:
    return run_program(DEV_CONFIG)


@pytest.fixture(scope="session")
def full_stack() -> Stack:
    return run_program(FULL_CONFIG)


@pytest.fixture(scope="session")
def public_tls_stack() -> Stack:
    """The production profile with an internet-facing ALB (apiOrigin public): CloudFront
    then reaches origin.<domainName> directly over TLS."""
    return run_program({**FULL_CONFIG, "edgeflix:apiOrigin": "public"})


@pytest.fixture(scope="session")
def stacks(dev_stack: Stack, full_stack: Stack) -> list[Stack]:
    return [dev_stack, full_stack]


@pytest.fixture
def config() -> Iterator[dict[str, str]]:
    yield dict(DEV_CONFIG)


def pytest_configure(config: pytest.Config) -> None:
    # pulumi_aws warns about its own deprecated modules when imported.
    config.addinivalue_line("filterwarnings", "ignore::DeprecationWarning:pulumi_aws.*")
