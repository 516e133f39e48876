"""The generated sample library: layout, catalog, encoding, determinism, size."""

from __future__ import annotations

import hashlib
import json
import subprocess
import time

import m3u8
import pytest

from app.catalog import TITLE_ID
from media.ffmpeg import FfmpegNotFound, find_ffmpeg
from media.generate import LibrarySpec, default_cache_dir, generate_library
from media.sample import LADDER, plan_titles

# ci: 12 titles of 20-60 s at about a tenth of the demo ladder's bitrates.
CI_SIZE_BUDGET = 40_000_000
LADDER_SIZES = {"240p": (426, 240), "480p": (854, 480), "720p": (1280, 720)}


def test_catalog_follows_the_contract(small_library):
    data = json.loads((small_library.root / "catalog.json").read_text())
    assert data["version"] == 1
    assert len(data["titles"]) == 3
    for title in data["titles"]:
        assert TITLE_ID.match(title["id"]) and title["id"].startswith("t0")
        assert title["poster"] == f"posters/{title['id']}.jpg"
        assert title["master"] == f"video/{title['id']}/master.m3u8"
        assert title["duration"] == pytest.approx(8.0, abs=0.1)
        assert 0 < title["popularity"] <= 1
        assert {r["name"]: (r["width"], r["height"]) for r in title["renditions"]} == LADDER_SIZES
        bandwidths = [r["bandwidth"] for r in title["renditions"]]
        assert bandwidths == sorted(bandwidths) and all(isinstance(b, int) for b in bandwidths)
        for r in title["renditions"]:
            assert r["playlist"] == f"video/{title['id']}/{r['name']}/index.m3u8"
    assert sum(t["popularity"] for t in data["titles"]) == pytest.approx(1.0, abs=1e-4)


def test_master_playlists_describe_each_rendition(small_library):
    for title in small_library.catalog.titles:
        master = m3u8.load(str(small_library.root / title.master))
        by_uri = {p.uri: p.stream_info for p in master.playlists}
        for r in title.renditions:
            info = by_uri[f"{r.name}/index.m3u8"]
            assert info.bandwidth == r.bandwidth
            assert tuple(info.resolution) == (r.width, r.height)
            assert info.codecs.startswith("avc1.") and "mp4a.40.2" in info.codecs


def test_segments_are_four_second_h264_aac_starting_on_a_keyframe(small_library):
    ff = find_ffmpeg()
    title = small_library.catalog.titles[0]
    for name, width, height in LADDER:
        variant = m3u8.load(str(small_library.root / f"video/{title.id}/{name}/index.m3u8"))
        assert [s.duration for s in variant.segments] == [4.0, 4.0]
        assert [s.uri for s in variant.segments] == ["seg_00001.ts", "seg_00002.ts"]
        segment = small_library.root / f"video/{title.id}/{name}/seg_00002.ts"
        info = ff.probe(["-show_entries", "stream=codec_type,codec_name,width,height",
                         "-show_entries", "packet=flags", "-select_streams", "v",
                         "-read_intervals", "%+#1", str(segment)])
        assert info["streams"][0]["codec_name"] == "h264"
        assert (info["streams"][0]["width"], info["streams"][0]["height"]) == (width, height)
        assert info["packets"][0]["flags"].startswith("K"), "segment must open on a keyframe"
        audio = ff.probe(["-show_entries", "stream=codec_name", "-select_streams", "a",
                          str(segment)])
        assert audio["streams"][0]["codec_name"] == "aac"


def test_titles_look_and_sound_distinct():
    plan = plan_titles(12)
    assert len({t.background for t in plan}) == 12
    assert len({t.tone_hz for t in plan}) == 12
    assert len({t.title for t in plan}) == 12
    assert len({t.id for t in plan}) == 12


def test_first_frames_differ_between_titles(small_library):
    ff = find_ffmpeg()
    frames = []
    for title in small_library.catalog.titles:
        segment = small_library.root / f"video/{title.id}/240p/seg_00001.ts"
        raw = subprocess.run(
            [ff.ffmpeg, "-v", "error", "-i", str(segment), "-frames:v", "1",
             "-f", "rawvideo", "-pix_fmt", "gray", "-"], capture_output=True, check=True).stdout
        frames.append(raw)
    for a in range(len(frames)):
        for b in range(a + 1, len(frames)):
            diff = sum(abs(x - y) for x, y in zip(frames[a], frames[b], strict=True))
            assert diff / len(frames[a]) > 5, "two titles' first frames look the same"


def test_ci_plan_is_within_the_contract():
    plan = plan_titles(profile="ci")
    assert len(plan) == 12
    assert all(20 <= t.seconds <= 60 and t.seconds % 4 == 0 for t in plan)
    assert all(TITLE_ID.match(t.id) for t in plan)


def test_demo_plan_has_a_feature_length_title_and_the_most_popular_one_is_it():
    plan = plan_titles()
    assert len(plan) == 12 and all(TITLE_ID.match(t.id) for t in plan)
    assert all(t.seconds % 4 == 0 for t in plan)
    longest = max(plan, key=lambda t: t.seconds)
    assert longest.seconds >= 20 * 60
    assert longest == max(plan, key=lambda t: t.popularity), "warming should cover it"


def test_popularity_is_zipf_and_not_in_catalogue_order():
    shares = [t.popularity for t in plan_titles(12)]
    ranked = sorted(shares, reverse=True)
    assert sum(shares) == pytest.approx(1.0, abs=1e-4)
    assert ranked[0] / ranked[1] == pytest.approx(2.0, rel=0.01)
    assert ranked[0] / ranked[9] == pytest.approx(10.0, rel=0.01)
    assert shares != ranked, "top-K must need a sort, not the first K ids"


def test_generation_is_cached(small_library):
    started = time.monotonic()
    again = generate_library(LibrarySpec(titles=3, seconds=8, profile="ci"))
    assert again.root == small_library.root
    assert time.monotonic() - started < 2
    assert again.root.parent == default_cache_dir()


def test_generation_is_deterministic(tmp_path):
    spec = LibrarySpec(titles=1, seconds=4, profile="ci")
    cached = generate_library(spec)                   # default cache, reused across runs
    fresh = generate_library(spec, tmp_path / "fresh")

    def digests(library):
        return {k: hashlib.sha256(p.read_bytes()).hexdigest() for k, p in library.files().items()}

    assert fresh.root != cached.root
    assert digests(fresh) == digests(cached)


def test_generate_refuses_to_overwrite_a_foreign_directory(tmp_path):
    (tmp_path / "precious.txt").write_text("not a library")
    with pytest.raises(FileExistsError, match="not a generated library"):
        generate_library(LibrarySpec(titles=1, seconds=4, profile="ci"), tmp_path)
    assert (tmp_path / "precious.txt").read_text() == "not a library"


def test_ci_library_fits_the_size_budget_by_extrapolation(small_library):
    """Bytes per second of the small library, scaled to the 12-title ci plan, stay small."""
    files = small_library.files()
    video = sum(p.stat().st_size for k, p in files.items() if k.startswith("video/"))
    other_per_title = sum(p.stat().st_size for k, p in files.items()
                          if not k.startswith("video/")) / len(small_library.catalog.titles)
    seconds = sum(t.duration for t in small_library.catalog.titles)
    ci = plan_titles(12, profile="ci")
    estimate = video / seconds * sum(t.seconds for t in ci) + other_per_title * len(ci)
    assert estimate < CI_SIZE_BUDGET, f"estimated {estimate / 1e6:.1f} MB"


def test_missing_ffmpeg_gives_an_install_hint(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(FfmpegNotFound, match=r"apt-get install ffmpeg"):
        generate_library(LibrarySpec(titles=1, seconds=4, profile="ci"), tmp_path / "out")


def test_ffmpeg_progress_reports_seconds_written():
    ff = find_ffmpeg()
    seen: list[float] = []
    ff.run(["-f", "lavfi", "-i", "testsrc2=d=3:s=64x64:r=10", "-f", "null", "-"],
           what="a progress check", on_progress=seen.append)
    assert seen and seen == sorted(seen)
    assert seen[-1] == pytest.approx(3.0, abs=0.2)


def test_ffmpeg_failure_with_progress_carries_stderr():
    from media.ffmpeg import FfmpegFailed

    with pytest.raises(FfmpegFailed, match="no-such-filter"):
        find_ffmpeg().run(["-f", "lavfi", "-i", "no-such-filter", "-f", "null", "-"],
                          what="a failing run", on_progress=lambda _s: None)
