"""Shared fixtures for the capacity model's tests: a simple viewer model and a stack."""

from __future__ import annotations

import pytest

from infra.config import StackConfig
from loadtest import viewer


@pytest.fixture
def round_viewer(monkeypatch: pytest.MonkeyPatch) -> None:
    """A viewer model with round numbers: 4 s mean think time, 4 segments a play on average
    (max_segments=7), so a play cycle is 4 + 4 x 4 s = 20 s, three plays a minute."""
    monkeypatch.setattr(viewer, "THINK_TIME_S", (3.0, 5.0))
    monkeypatch.setattr(viewer, "MAX_SEGMENTS_DEFAULT", 7)
    monkeypatch.setattr(viewer, "BROWSE_SHARE", 0.2)
    monkeypatch.setattr(viewer, "RECOMMENDATIONS_SHARE", 0.25)
    monkeypatch.setattr(viewer, "PLAYLISTS_PER_PLAY", 2)
    monkeypatch.setattr(viewer, "PAGE_LIMIT", 100)
    monkeypatch.setattr(viewer, "MAX_PAGES", 5)


@pytest.fixture
def stack() -> StackConfig:
    """A stack with 600 requests per target per minute and a 50% CPU target, max 6."""
    return StackConfig(target_requests_per_target=600, target_cpu_percent=50,
                       min_size=2, max_size=6, desired_capacity=2)
