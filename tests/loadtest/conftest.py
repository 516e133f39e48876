"""A tiny loopback stack for the load test and verify: a moto server seeded with a small HLS
library, a catalog, the signing key and the plays table, and a real gunicorn running the real
API (app.wsgi:app) against it. No edge: video is served straight from moto's S3 (path-style),
so the edge's own behaviour (X-Cache, cookie checks, security headers) is only exercised on the
twin, and tests that need it say so when they skip.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

REPO_ROOT = Path(__file__).resolve().parents[2]
BUCKET = "edgeflix-media"
SECRET_ID = "edgeflix/cloudfront-signing-key"
TABLE = "edgeflix-plays"
SEGMENT_SECONDS = 4.0
RENDITIONS = (
    ("240p", 426, 240, 400_000),
    ("480p", 854, 480, 1_200_000),
    ("720p", 1280, 720, 3_000_000),
)
# moto (5.2) answers an anonymous GET with 403 unless the object is public-read; here S3 itself
# stands where the edge would, so the video is readable without signing.
READABLE = "public-read"
TITLES = (("alpha", 0.9, 6), ("bravo", 0.5, 5), ("charlie", 0.2, 4))


@dataclass(frozen=True)
class ApiStack:
    """The running stack: where the API answers and where the video lives."""

    api_url: str
    video_base_url: str
    moto_url: str


def fake_segment(title_id: str, rendition: str, index: int) -> bytes:
    """A few MPEG-TS packets (sync byte 0x47); players are not involved, sizes are."""
    payload = f"{title_id}/{rendition}/{index}".encode()
    packet = b"\x47" + payload[:187].ljust(187, b"\xff")
    return packet * 16


def seed_library(s3) -> None:
    """Catalog, master and variant playlists and segments, with the publisher's headers."""
    s3.create_bucket(Bucket=BUCKET)
    catalog = {"version": 1, "titles": []}
    for title_id, popularity, segments in TITLES:
        master = ["#EXTM3U", "#EXT-X-VERSION:3"]
        for name, width, height, bandwidth in RENDITIONS:
            master += [
                f"#EXT-X-STREAM-INF:BANDWIDTH={bandwidth},RESOLUTION={width}x{height}",
                f"{name}/index.m3u8",
            ]
            media = [
                "#EXTM3U",
                "#EXT-X-VERSION:3",
                "#EXT-X-TARGETDURATION:4",
                "#EXT-X-MEDIA-SEQUENCE:0",
                "#EXT-X-PLAYLIST-TYPE:VOD",
            ]
            for i in range(segments):
                key = f"video/{title_id}/{name}/seg_{i:03d}.ts"
                s3.put_object(
                    Bucket=BUCKET,
                    Key=key,
                    Body=fake_segment(title_id, name, i),
                    ContentType="video/mp2t",
                    CacheControl="public, max-age=31536000, immutable",
                    ACL=READABLE,
                )
                media += [f"#EXTINF:{SEGMENT_SECONDS:.3f},", f"seg_{i:03d}.ts"]
            media.append("#EXT-X-ENDLIST")
            s3.put_object(
                Bucket=BUCKET,
                Key=f"video/{title_id}/{name}/index.m3u8",
                Body="\n".join(media).encode() + b"\n",
                ContentType="application/vnd.apple.mpegurl",
                ACL=READABLE,
            )
        s3.put_object(
            Bucket=BUCKET,
            Key=f"video/{title_id}/master.m3u8",
            Body="\n".join(master).encode() + b"\n",
            ContentType="application/vnd.apple.mpegurl",
            ACL=READABLE,
        )
        catalog["titles"].append({
            "id": title_id, "title": title_id.title(), "synopsis": "", "genres": ["drama"],
            "tags": [], "year": 2024, "duration": segments * SEGMENT_SECONDS,
            "popularity": popularity,
            "renditions": [
                {"name": n, "width": w, "height": h, "bandwidth": b,
                 "playlist": f"video/{title_id}/{n}/index.m3u8"}
                for n, w, h, b in RENDITIONS
            ],
        })  # fmt: skip
    s3.put_object(
        Bucket=BUCKET,
        Key="catalog.json",
        Body=json.dumps(catalog).encode(),
        ContentType="application/json",
    )


def seed_signing_key(secrets) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    secrets.create_secret(Name=SECRET_ID, SecretString=pem)


def seed_table(dynamodb) -> None:
    dynamodb.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                   {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                              {"AttributeName": "sk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )  # fmt: skip


def wait_until_ready(url: str, proc: subprocess.Popen, log: Path, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(
                f"gunicorn exited with {proc.returncode}:\n{log.read_text()[-2000:]}"
            )
        try:
            if requests.get(url, timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} not ready after {timeout} s:\n{log.read_text()[-2000:]}")


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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

    api_port = free_port()
    log = tmp_path_factory.mktemp("gunicorn") / "gunicorn.log"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "EDGEFLIX_"))},
        **aws_env,
        "EDGEFLIX_BUCKET": BUCKET,
        "EDGEFLIX_SIGNING_SECRET_ID": SECRET_ID,
        "EDGEFLIX_TABLE": TABLE,
        "EDGEFLIX_CDN_URL": video_base,
        "EDGEFLIX_COOKIE_SECURE": "false",
        "EDGEFLIX_PLAYS_PER_MINUTE": "0",
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


TWIN_BINARIES = ("varnishd", "haproxy", "nginx", "ffmpeg")


@dataclass(frozen=True)
class TwinStack:
    cdn_url: str
    alb_url: str


def twin_unavailable() -> str | None:
    """Why the real twin cannot run here, or None when it can."""
    try:
        import twin.topology  # noqa: F401
    except ImportError as exc:
        return f"the twin package is not importable ({exc}); edge checks need `python -m twin`"
    missing = [b for b in TWIN_BINARIES if not shutil.which(b)]
    if missing:
        return f"the twin needs {', '.join(missing)} (`make system-deps`)"
    return None


@pytest.fixture(scope="session")
def twin_stack(tmp_path_factory) -> Iterator[TwinStack]:
    """The real local twin (moto, gunicorn fleet, HAProxy, Varnish, nginx edge) on free ports."""
    reason = twin_unavailable()
    if reason:
        pytest.skip(reason)
    from twin.processes import StartupFailed
    from twin.topology import Twin, TwinPorts, load_stack

    instances = load_stack("dev").min_size
    twin = Twin(
        stack="dev",
        run_dir=tmp_path_factory.mktemp("twin"),
        ports=TwinPorts.free(instances),
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
