"""`python -m media`: flags, Pulumi stack outputs, clear failures."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from media.cli import main

BUCKET = "edgeflix-media-test"


def _fake_pulumi(folder, outputs: dict | None) -> str:
    """A `pulumi` on PATH that prints these stack outputs (or fails: no stack selected)."""
    folder.mkdir(exist_ok=True)
    script = folder / "pulumi"
    if outputs is None:
        script.write_text("#!/bin/sh\necho 'error: no stack selected' >&2\nexit 255\n")
    else:
        script.write_text(f"#!/bin/sh\ncat <<'EOF'\n{json.dumps(outputs)}\nEOF\n")
    script.chmod(0o755)
    return f"{folder}{os.pathsep}{os.environ['PATH']}"


def test_no_ffmpeg_exits_nonzero_with_install_hint(tmp_path):
    repo = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PATH": str(tmp_path),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(repo), os.environ.get("PYTHONPATH")]))}
    proc = subprocess.run([sys.executable, "-m", "media", "generate", "--titles", "1",
                           "--seconds", "4", "--out", str(tmp_path / "out")],
                          capture_output=True, text=True, env=env, cwd=tmp_path)
    assert proc.returncode != 0
    assert "apt-get install ffmpeg" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_generate_prints_the_library_directory(small_library, capsys):
    assert main(["generate", "--titles", "3", "--seconds", "8", "--profile", "ci", "--quiet"]) == 0
    assert capsys.readouterr().out.strip() == str(small_library.root)


def test_publish_without_bucket_or_stack_fails_clearly(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", _fake_pulumi(tmp_path / "bin", None))
    assert main(["publish", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "no --bucket given" in err and "pulumi stack output" in err


def test_publish_reads_bucket_from_the_stack_outputs(library, s3, tmp_path, monkeypatch,
                                                     bucket_keys, published_keys):
    monkeypatch.setenv("PATH", _fake_pulumi(tmp_path / "bin", {
        "media_bucket": BUCKET, "cdn_url": "http://127.0.0.1:9", "distribution_id": None}))
    assert main(["publish", "--library", str(library.root), "--warm-top", "0", "--quiet"]) == 0
    assert sorted(bucket_keys(s3)) == published_keys


def test_publish_dry_run_lists_what_would_change(library, s3, capsys, bucket_keys):
    assert main(["publish", "--bucket", BUCKET, "--library", str(library.root),
                 "--dry-run", "--warm-top", "0"]) == 0
    err = capsys.readouterr().err
    assert f"would upload {library.catalog.titles[0].master}" in err
    assert bucket_keys(s3) == []


def test_publish_extra_directory(library, s3, tmp_path):
    player = tmp_path / "player-site"
    (player / "player").mkdir(parents=True)
    (player / "index.html").write_text("<!doctype html>")
    (player / "player" / "app.js").write_text("// player")

    assert main(["publish", "--bucket", BUCKET, "--library", str(library.root),
                 "--extra", str(player), "--warm-top", "0", "--quiet"]) == 0
    head = s3.head_object(Bucket=BUCKET, Key="player/app.js")
    assert head["ContentType"] == "application/javascript"


def test_publish_refuses_a_damaged_library(library, s3, capsys, bucket_keys):
    title = library.catalog.titles[0]
    (library.root / f"video/{title.id}/240p/seg_00001.ts").unlink()

    assert main(["publish", "--bucket", BUCKET, "--library", str(library.root),
                 "--warm-top", "0"]) == 2
    assert "refusing to publish" in capsys.readouterr().err
    assert bucket_keys(s3) == []
