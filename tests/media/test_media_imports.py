"""What importing the publisher costs: the catalog format and edge-config, not the API or the
Pulumi program (the publisher runs where neither is installed or wanted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_importing_the_publisher_loads_neither_flask_nor_the_pulumi_sdk():
    probe = ("import media.publisher, sys; "
             "print(sorted(m for m in ('flask', 'pulumi') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", probe], cwd=REPO_ROOT, capture_output=True,
                            text=True, timeout=60, check=True)
    assert result.stdout.strip() == "[]", result.stdout
