"""The tiny loopback stack for the load test and verify: a moto server seeded with a small HLS
library, a catalog, the signing key and the plays table, and a real gunicorn running the real
API (app.wsgi:app) against it. No edge: video is served straight from moto's S3 (path-style),
so the edge's own behaviour (X-Cache, cookie checks, security headers) is only exercised on the
twin, and tests that need it say so when they skip.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import requests

from app.catalog import (
    CATALOG_KEY,
    Catalog,
    Rendition,
    Title,
    master_key,
    poster_key,
    variant_key,
)
from app.plans import PLANS
from media.tiers import plan_master
from twin.seed import create_plays_table, new_signing_pem

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
# Long enough (80-160 s) for a viewer to outlive a 60 s grant.
TITLES = (("alpha", 0.9, 40), ("bravo", 0.5, 30), ("charlie", 0.2, 20))


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
    titles = []
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
            folder = variant_key(title_id, name, height).rsplit("/", 1)[0]
            for i in range(segments):
                key = f"{folder}/seg_{i:03d}.ts"
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
                Key=variant_key(title_id, name, height),
                Body="\n".join(media).encode() + b"\n",
                ContentType="application/vnd.apple.mpegurl",
                ACL=READABLE,
            )
        titles.append(Title(
            id=title_id, title=title_id.title(), synopsis="", genres=["drama"],
            tags=[], year=2024, duration=segments * SEGMENT_SECONDS,
            popularity=popularity, poster=poster_key(title_id), master=master_key(title_id),
            renditions=[
                Rendition(name=n, width=w, height=h, bandwidth=b,
                          playlist=variant_key(title_id, n, h))
                for n, w, h, b in RENDITIONS
            ],
        ))  # fmt: skip
        for plan in PLANS:  # one master per plan, as the publisher writes them
            s3.put_object(
                Bucket=BUCKET,
                Key=master_key(title_id, plan),
                Body=plan_master("\n".join(master) + "\n", titles[-1], plan).encode(),
                ContentType="application/vnd.apple.mpegurl",
                ACL=READABLE,
            )
    s3.put_object(
        Bucket=BUCKET,
        Key=CATALOG_KEY,
        Body=Catalog(titles=titles).model_dump_json().encode(),
        ContentType="application/json",
    )


def seed_signing_key(secrets) -> None:
    secrets.create_secret(Name=SECRET_ID, SecretString=new_signing_pem())


def seed_table(dynamodb) -> None:
    create_plays_table(dynamodb, TABLE)


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


def run_loadtest(url: str, out: Path, *extra: str, timeout: float = 90) -> tuple[int, dict, str]:
    """`python -m loadtest` as a user runs it: exit code, summary.json and the printed output."""
    proc = subprocess.run(
        [sys.executable, "-m", "loadtest", "--url", url, "--out", str(out), *extra],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    summary_file = out / "summary.json"
    summary = json.loads(summary_file.read_text()) if summary_file.exists() else {}
    return proc.returncode, summary, proc.stdout + proc.stderr


def gates_by_name(code: int, summary: dict, output: str) -> dict[str, dict]:
    """The run's gates by name, after checking the verdict follows from them.

    Timing gates (p95 start-up, stalls) are figures of this machine at this moment:
    tests check they were measured and judged, while the benchmark and `make loadtest`
    judge the figures themselves.
    """
    assert summary, output
    gates = {g["name"]: g for g in summary["gates"]}
    passed = all(g["passed"] for g in gates.values())
    assert summary["passed"] is passed
    assert code == (0 if passed else 1), output
    assert f"RESULT: {'PASS' if passed else 'FAIL'}" in output
    return gates
