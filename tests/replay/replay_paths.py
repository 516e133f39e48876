"""Paths of the replay tests and the guard for the real program (a uniquely named module,
so it never collides with another folder's conftest)."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
REAL_PROGRAM = REPO_ROOT / "infra" / "__main__.py"


def require_real_program() -> None:
    if not REAL_PROGRAM.exists():
        pytest.skip("infra/__main__.py does not exist yet (the Pulumi program of issue 2); "
                    "the replay of the real stack runs once it lands")
