"""The real AWS path, opt-in: an ephemeral stack is deployed with the Pulumi Automation API,
the sample library published to it, `verify` run against its CloudFront URL, a short load test
run with --allow-remote, and the stack destroyed whatever happened.

Skipped unless the `pulumi` CLI is on PATH and boto3 finds AWS credentials. Costs money and
takes 10-40 minutes (CloudFront deploys). State lives in .run/e2e-pulumi (a local backend) unless
PULUMI_BACKEND_URL is set, so a failed destroy can be finished by hand:
`PULUMI_BACKEND_URL=file://.run/e2e-pulumi pulumi destroy --stack <name>`.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest
import requests
import yaml

from infra import outputs

REPO_ROOT = Path(__file__).resolve().parents[2]
BACKEND_DIR = REPO_ROOT / ".run" / "e2e-pulumi"
CDN_READY_TIMEOUT = 45 * 60
STEP_TIMEOUT = 20 * 60

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(3 * 3600)]


def skip_reason() -> str | None:
    """Why the real-AWS run cannot happen here, or None (the CLI first: no credential lookup
    happens on a machine that could not deploy anyway)."""
    if not shutil.which("pulumi"):
        return "no `pulumi` CLI on PATH (install it to run the real-AWS e2e test)"
    if boto3.session.Session().get_credentials() is None:
        return "no AWS credentials (boto3 found none: set AWS_PROFILE or AWS_ACCESS_KEY_ID)"
    return None


def run(*argv: str, timeout: float = STEP_TIMEOUT) -> subprocess.CompletedProcess:
    """A project command, its output shown live in the test log."""
    print("$", " ".join(argv), flush=True)
    return subprocess.run([sys.executable, *argv], cwd=REPO_ROOT, timeout=timeout, check=False)


def wait_until_serving(cdn_url: str) -> None:
    """CloudFront answers on the new domain (deploy and DNS), bounded in time."""
    deadline = time.monotonic() + CDN_READY_TIMEOUT
    last = "no answer yet"
    while time.monotonic() < deadline:
        try:
            resp = requests.get(f"{cdn_url}/healthz", timeout=10)
            if resp.status_code == 200:
                return
            last = f"HTTP {resp.status_code}"
        except requests.RequestException as exc:
            last = type(exc).__name__
        time.sleep(20)
    raise AssertionError(f"{cdn_url}/healthz not serving after {CDN_READY_TIMEOUT} s ({last})")


def stack_config(name: str) -> dict:
    """The sample dev stack's config, as an independent environment that waits for CloudFront."""
    config = yaml.safe_load((REPO_ROOT / "Pulumi.dev.yaml").read_text())["config"]
    config["edgeflix:environment"] = name
    config["edgeflix:waitForDeployment"] = True
    config["edgeflix:forceDestroy"] = True  # the media bucket holds the published library
    return {"config": config}


def test_an_ephemeral_stack_deploys_serves_video_and_holds_a_short_load(tmp_path, monkeypatch):
    reason = skip_reason()
    if reason:
        pytest.skip(reason)
    from pulumi import automation as auto

    name = f"e2e-{secrets.token_hex(4)}"
    env = {"PULUMI_CONFIG_PASSPHRASE": os.environ.get("PULUMI_CONFIG_PASSPHRASE", "edgeflix-e2e")}
    if not os.environ.get("PULUMI_BACKEND_URL") and not os.environ.get("PULUMI_ACCESS_TOKEN"):
        BACKEND_DIR.mkdir(parents=True, exist_ok=True)
        env["PULUMI_BACKEND_URL"] = BACKEND_DIR.as_uri()
    for key, value in env.items():  # the publisher may call `pulumi` too
        monkeypatch.setenv(key, value)
    stack_file = REPO_ROOT / f"Pulumi.{name}.yaml"
    stack_file.write_text(yaml.safe_dump(stack_config(name)))
    stack = None
    try:
        stack = auto.create_stack(
            stack_name=name,
            work_dir=str(REPO_ROOT),
            opts=auto.LocalWorkspaceOptions(env_vars=env),
        )
        up = stack.up(on_output=print, color="never")
        exported = {key: out.value for key, out in up.outputs.items()}
        cdn_url = exported[outputs.CDN_URL].rstrip("/")
        origin_url = exported[outputs.ALB_URL]
        wait_until_serving(cdn_url)

        published = run(
            "-m",
            "media",
            "publish",
            "--bucket",
            exported[outputs.MEDIA_BUCKET],
            "--cdn-url",
            cdn_url,
            "--distribution-id",
            exported[outputs.DISTRIBUTION_ID],
            "--titles",
            "4",
            "--quiet",
        )
        assert published.returncode == 0, "publishing the sample library failed"

        verified = run(
            "-m",
            "loadtest.verify",
            "--url",
            cdn_url,
            "--origin-url",
            origin_url,
            "--allow-remote",
        )
        assert verified.returncode == 0, "verify found failing checks (see the log above)"

        loaded = run(
            "-m",
            "loadtest",
            "--url",
            cdn_url,
            "--allow-remote",
            "--users",
            "10",
            "--spawn-rate",
            "5",
            "--duration",
            "90s",
            "--out",
            str(tmp_path / "loadtest"),
        )
        assert loaded.returncode == 0, f"load test gates failed: {tmp_path / 'loadtest'}"
    finally:
        try:
            if stack is not None:
                stack.destroy(on_output=print, color="never")
                stack.workspace.remove_stack(name)
        finally:
            stack_file.unlink(missing_ok=True)


def test_the_ephemeral_stack_config_is_valid(tmp_path):
    """Offline: the config the e2e run deploys passes the program's own validation."""
    from infra.config import load_stack_file

    name = "e2e-0123abcd"
    path = tmp_path / f"Pulumi.{name}.yaml"
    path.write_text(yaml.safe_dump(stack_config(name)))
    config = load_stack_file(path)
    assert config.environment == name
    assert config.wait_for_deployment and config.force_destroy
