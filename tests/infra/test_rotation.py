"""The rotation sequence: switch to the staged key, retire the old one after the longest grant."""

from __future__ import annotations

import pytest

from infra.config import StackConfig
from infra.rotation import commands, longest_grant_seconds, retire_step, switch_step


def test_longest_grant_covers_refresh_ttl_and_rounding_window() -> None:
    cfg = StackConfig(signed_cookie_ttl=600)
    assert longest_grant_seconds(cfg, refresh_seconds=60) == 60 + 600 + 60


def test_switch_flips_the_current_slot() -> None:
    assert switch_step(StackConfig(), now=5).config == {"signingKeyCurrent": "b"}
    assert switch_step(StackConfig(signing_key_current="b"), now=5).config == {
        "signingKeyCurrent": "a"}


def test_retire_bumps_the_old_slot_not_before_the_longest_grant() -> None:
    cfg = StackConfig(signing_key_current="b", signing_key_generation_a=3, signed_cookie_ttl=600)
    step = retire_step(cfg, switched_at=1000.0, refresh_seconds=60)
    assert step.config == {"signingKeyGenerationA": "4"}
    assert step.not_before == 1000.0 + 720
    with pytest.raises(ValueError, match="switch"):
        retire_step(cfg, switched_at=None, refresh_seconds=60)


def test_commands_set_config_then_update() -> None:
    step = switch_step(StackConfig(), now=0)
    assert commands("dev", step) == [
        ["pulumi", "config", "set", "--stack", "dev", "edgeflix:signingKeyCurrent", "b"],
        ["pulumi", "up", "--stack", "dev", "--policy-pack", "infra/policy", "--yes"],
    ]
