"""Reading a deployed stack's outputs: one reader, clear failures, only exported names."""

from __future__ import annotations

import json
import os

import pytest

from infra import outputs


def _fake_pulumi(folder, script: str) -> str:
    """A `pulumi` on PATH running this shell script; returns the PATH to use."""
    folder.mkdir(exist_ok=True)
    path = folder / "pulumi"
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(0o755)
    return f"{folder}{os.pathsep}{os.environ['PATH']}"


def test_outputs_are_read_as_a_dict(tmp_path, monkeypatch):
    printed = {outputs.CDN_URL: "https://d1.cloudfront.net", outputs.MEDIA_BUCKET: "b"}
    monkeypatch.setenv("PATH", _fake_pulumi(tmp_path, f"cat <<'EOF'\n{json.dumps(printed)}\nEOF\n"))
    assert outputs.read_stack_outputs() == printed


def test_the_stack_flag_is_passed_on(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", _fake_pulumi(tmp_path, 'printf \'{"args": "%s"}\' "$*"\n'))
    assert outputs.read_stack_outputs("prod") == {"args": "stack output --json --stack prod"}


@pytest.mark.parametrize("script,reason", [
    ("echo 'error: no stack selected' >&2\nexit 255\n", "failed: error: no stack selected"),
    ("echo 'not json'\n", "printed no JSON"),
    ("echo '[1, 2]'\n", "printed list, not an object"),
    ("sleep 5\n", "gave no answer in 1 s"),
])
def test_a_failing_cli_is_a_clear_error(tmp_path, monkeypatch, script, reason):
    monkeypatch.setenv("PATH", _fake_pulumi(tmp_path, script))
    with pytest.raises(outputs.StackOutputsUnavailable, match="pulumi stack output") as raised:
        outputs.read_stack_outputs(timeout=1)
    assert reason in str(raised.value)


def test_no_cli_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(outputs.StackOutputsUnavailable, match="not on PATH"):
        outputs.read_stack_outputs()


def test_a_name_the_program_never_exports_cannot_be_asked_for():
    with pytest.raises(ValueError, match="not a stack output"):
        outputs.output({"cdnUrl": "x"}, "cdnUrl")
    assert outputs.output({outputs.CDN_URL: ""}, outputs.CDN_URL) is None
    assert outputs.output({}, outputs.ALB_URL) is None


def test_importing_the_outputs_loads_no_pulumi_sdk():
    import subprocess
    import sys

    probe = ("import sys, infra.outputs; "
             "assert not [m for m in sys.modules if m.startswith('pulumi')], 'pulumi loaded'")
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
