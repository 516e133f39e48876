"""The README stays true: its config table and commands match the code."""

from __future__ import annotations

import re
from pathlib import Path

from infra.config import config_table

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
MAKEFILE = (ROOT / "Makefile").read_text()


def test_every_config_key_is_in_the_readme_table_with_its_default():
    for key, default, allowed in config_table():
        row = f"| `{key}` | {default} | {allowed.replace('|', chr(92) + '|')} |"
        assert row in README, f"README config table is stale for {key}"


def test_readme_make_commands_exist():
    targets = set(re.findall(r"^([a-z][a-z-]*):", MAKEFILE, re.M))
    named = set(re.findall(r"\bmake ([a-z][a-z-]+)", README))
    assert named, "README names no make targets"
    assert named <= targets, f"README names missing targets: {sorted(named - targets)}"


def test_design_front_door_targets_exist():
    targets = set(re.findall(r"^([a-z][a-z-]*):", MAKEFILE, re.M))
    front_door = {"demo", "down", "test", "plan", "publish", "loadtest", "verify",
                  "bench-api", "preview", "up"}
    assert front_door <= targets


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in README and re.search(r"^make test$", ci, re.M)
