"""Fixtures: the tiny loopback API stack and the real local twin (see loadtest_stack.py)."""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from loadtest_stack import (
    BUCKET,
    REPO_ROOT,
    SECRET_ID,
    TABLE,
    ApiStack,
    TwinStack,
    free_port,
    seed_library,
    seed_signing_key,
    seed_table,
    twin_unavailable,
    wait_until_ready,
)

from app.settings import ENV_PREFIX, environment_from_settings
from twin.seed import create_user_pool


@pytest.fixture(scope="session")
def api_stack(tmp_path_factory) -> Iterator[ApiStack]:
    """moto server + gunicorn(app.wsgi:app), both on loopback, stopped at the end."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    moto_url = f"http://{host}:{port}"
    aws_env = {
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL": moto_url,
    }  # fmt: skip
    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )
    video_base = f"{moto_url}/{BUCKET}"  # path-style S3: the "CDN" of an edge-less stack
    seed_library(session.client("s3", endpoint_url=moto_url))
    seed_signing_key(session.client("secretsmanager", endpoint_url=moto_url))
    seed_table(session.client("dynamodb", endpoint_url=moto_url))
    pool = create_user_pool(session.client("cognito-idp", endpoint_url=moto_url), "viewers")

    api_port = free_port()
    log = tmp_path_factory.mktemp("gunicorn") / "gunicorn.log"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("AWS_", ENV_PREFIX))},
        **aws_env,
        **environment_from_settings({
            "bucket": BUCKET, "signing_secret_id": SECRET_ID, "table": TABLE,
            "cdn_url": video_base, "cookie_secure": False, "plays_per_minute": 0,
            # The shortest grant the API allows, so sped-up viewers renew within a test.
            "cookie_ttl": 60,
            "user_pool_id": pool.pool_id, "user_pool_client_id": pool.client_id,
            "jwks_url": f"{moto_url}/{pool.pool_id}/.well-known/jwks.json",
        }),
        "GUNICORN_BIND": f"127.0.0.1:{api_port}",
        "GUNICORN_WORKERS": "2",
        "GUNICORN_ACCESSLOG": "",
        "GUNICORN_LOGLEVEL": "warning",
    }
    gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or "gunicorn"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [gunicorn, "-c", str(REPO_ROOT / "app" / "gunicorn.conf.py"), "app.wsgi:app"],
            cwd=REPO_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    api_url = f"http://127.0.0.1:{api_port}"
    try:
        wait_until_ready(f"{api_url}/readyz", proc, log)
        yield ApiStack(api_url=api_url, video_base_url=video_base, moto_url=moto_url)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        server.stop()


@pytest.fixture(scope="session")
def twin_stack(tmp_path_factory) -> Iterator[TwinStack]:
    """The real local twin (moto, gunicorn fleet, HAProxy, Varnish, nginx edge) on free ports."""
    reason = twin_unavailable()
    if reason:
        pytest.skip(reason)
    from twin.processes import StartupFailed
    from twin.state import TwinPorts
    from twin.topology import Twin

    twin = Twin(
        stack="dev",
        run_dir=tmp_path_factory.mktemp("twin"),
        ports=TwinPorts.free,
        titles=3,
        warm_top=0,
    )
    try:
        try:
            state = twin.up()
        except (StartupFailed, FileNotFoundError) as exc:
            pytest.skip(f"the local twin did not start: {exc}")
        yield TwinStack(cdn_url=state.cdn_url, alb_url=state.alb_url)
    finally:
        twin.down()
