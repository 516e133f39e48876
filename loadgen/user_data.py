"""The instances' boot scripts: install the pinned Locust, run the viewer model as master
or worker, upload the results, power off.

The maximum run time is enforced twice: Locust's own `--run-time` (the master stops the
test and the workers with it), and a `shutdown -h +N` scheduled first thing at boot, with
N = maxRunMinutes + SETUP_ALLOWANCE_MINUTES, which powers the instance off whatever
happens to Locust. With InstanceInitiatedShutdownBehavior=terminate a power-off
terminates the instance (EC2 User Guide, "Change the instance initiated shutdown
behavior"), so nothing is left running or billed but the results bucket. cloud-init runs
user data once, as root (Amazon Linux 2023: Python 3.11 from dnf, the AWS CLI v2 present).
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from .config import MASTER_PORT

RESULTS_DIR = "/var/lib/locust"
BUNDLE_DIR = "/opt/loadgen"
# Boot, dnf and pip before the test, the master's wait for its workers, and the upload.
SETUP_ALLOWANCE_MINUTES = 20
EXPECT_WORKERS_MAX_WAIT_SECONDS = 900  # the master gives up if the workers never arrive
STOP_TIMEOUT_SECONDS = 30  # viewers finish their current segment on stop


@dataclass(frozen=True)
class RunSettings:
    """What both roles need: where the bundle is, where results go, and the test's limits."""

    bucket: str
    bucket_region: str
    bundle_key: str
    results_prefix: str  # runs/<runId>/
    target_url: str
    max_run_minutes: int


def deadline_minutes(max_run_minutes: int) -> int:
    """Minutes after boot at which the safety net powers the instance off."""
    return max_run_minutes + SETUP_ALLOWANCE_MINUTES


def _prologue(run: RunSettings, upload_to: str) -> str:
    q = shlex.quote
    dest = f"s3://{run.bucket}/{run.results_prefix}{upload_to}"
    return f"""#!/bin/bash
# Safety net first: power off (= terminate) after the maximum run time plus setup.
shutdown -h +{deadline_minutes(run.max_run_minutes)}
set -euo pipefail
mkdir -p {RESULTS_DIR} {BUNDLE_DIR}
exec > >(tee -a {RESULTS_DIR}/boot.log) 2>&1
finish() {{
  aws s3 cp --recursive --only-show-errors --region {q(run.bucket_region)} \\
    {RESULTS_DIR} {q(dest)} || true
  shutdown -h now
}}
trap finish EXIT
dnf install -y -q python3.11 python3.11-pip unzip
aws s3 cp --only-show-errors --region {q(run.bucket_region)} \\
  {q(f"s3://{run.bucket}/{run.bundle_key}")} /tmp/bundle.zip
unzip -q -o /tmp/bundle.zip -d {BUNDLE_DIR}
python3.11 -m venv {BUNDLE_DIR}/venv
{BUNDLE_DIR}/venv/bin/pip install -q -r {BUNDLE_DIR}/requirements.txt
cd {BUNDLE_DIR}
export PYTHONPATH={BUNDLE_DIR}
"""


def _locust(run: RunSettings) -> str:
    return (f"{BUNDLE_DIR}/venv/bin/locust -f loadtest/locustfile.py --headless "
            f"--stream-metrics {RESULTS_DIR}/stream.json --logfile {RESULTS_DIR}/locust.log")


def master_script(run: RunSettings, *, workers: int, users: int, spawn_rate: float) -> str:
    """The master's user data: waits for `workers`, runs `users` viewers for the maximum run
    time, writes Locust's CSV and HTML report, uploads them to runs/<runId>/master/."""
    q = shlex.quote
    return _prologue(run, "master/") + (
        f"{_locust(run)} --master --master-bind-port {MASTER_PORT} \\\n"
        f"  --expect-workers {workers} "
        f"--expect-workers-max-wait {EXPECT_WORKERS_MAX_WAIT_SECONDS} \\\n"
        f"  -u {users} -r {spawn_rate:g} --run-time {run.max_run_minutes}m "
        f"--stop-timeout {STOP_TIMEOUT_SECONDS} \\\n"
        f"  -H {q(run.target_url)} --csv {RESULTS_DIR}/locust --csv-full-history "
        f"--html {RESULTS_DIR}/report.html || echo \"locust exited $?\"\n")


def worker_script(run: RunSettings, *, master_host: str, worker_name: str) -> str:
    """A worker's user data: runs viewers for the master at `master_host`, uploads its
    stream metrics to runs/<runId>/workers/<worker_name>/. A worker stops when the master
    does; `timeout` stops it at the deadline even if the master never answers."""
    q = shlex.quote
    return _prologue(run, f"workers/{worker_name}/") + (
        f"timeout {run.max_run_minutes + SETUP_ALLOWANCE_MINUTES // 2}m \\\n"
        f"  {_locust(run)} --worker --master-host {q(master_host)} "
        f"--master-port {MASTER_PORT} \\\n"
        f"  -H {q(run.target_url)} || echo \"locust exited $?\"\n")
