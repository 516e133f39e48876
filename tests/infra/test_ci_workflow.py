"""The GitHub workflow: tests on every push; a policy-checked preview only with credentials."""

from __future__ import annotations

from pathlib import Path

import yaml

WORKFLOW = yaml.safe_load(
    (Path(__file__).resolve().parents[2] / ".github" / "workflows" / "ci.yml").read_text())


def _steps(job):
    return WORKFLOW["jobs"][job]["steps"]


def _uses(job, action):
    return next(s for s in _steps(job) if s.get("uses", "").startswith(action))


def test_tests_run_on_every_push():
    triggers = WORKFLOW[True]  # YAML 1.1 reads the key `on` as true
    assert "push" in triggers and "pull_request" in triggers
    assert "branches" not in (triggers["push"] or {})
    assert any(s.get("run", "").strip() == ".ci/run" for s in _steps("test"))


def test_preview_uses_pulumi_actions_with_the_policy_pack():
    step = _uses("preview", "pulumi/actions@")
    assert step["with"]["command"] == "preview"
    assert step["with"]["policyPacks"] == "infra/policy"
    assert "comment-on-pr" in step["with"]


def test_preview_gets_aws_credentials_through_oidc():
    job = WORKFLOW["jobs"]["preview"]
    assert job["permissions"]["id-token"] == "write"
    creds = _uses("preview", "aws-actions/configure-aws-credentials@")
    assert creds["with"]["role-to-assume"] == "${{ vars.AWS_ROLE_ARN }}"
    assert not any("aws-access-key-id" in (s.get("with") or {}) for s in _steps("preview"))


def test_preview_is_skipped_with_a_message_when_not_configured():
    gate = _steps("preview")[0]
    assert gate["id"] == "gate"
    assert "::notice" in gate["run"] and "skipped" in gate["run"]
    for step in _steps("preview")[1:]:
        assert step["if"] == "steps.gate.outputs.enabled == 'true'", step
