"""Session fixture: the load-generator program run once under the mocks."""

from __future__ import annotations

import pytest
from loadgen_harness import Stack, run_loadgen


@pytest.fixture(scope="session")
def loadgen_stack() -> Stack:
    return run_loadgen()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("filterwarnings", "ignore::DeprecationWarning:pulumi_aws.*")
