"""A feature-length title: playlists, catalog, validation and publishing at 300 segments."""

from __future__ import annotations

import m3u8
import pytest

from media.ffmpeg import find_ffmpeg
from media.publisher import publish
from media.sample import SEGMENT_SECONDS, get_profile
from media.tiers import published_catalog, published_files
from media.validate import check_library

MINUTES = 20
SEGMENTS = MINUTES * 60 // SEGMENT_SECONDS


def test_long_title_is_twenty_minutes_in_the_catalog(long_library):
    [title] = long_library.catalog.titles
    assert title.duration == pytest.approx(MINUTES * 60, abs=0.1)
    assert [r.name for r in title.renditions] == [r.name for r in get_profile("tiny").ladder]


def test_every_rendition_is_a_finished_vod_playlist_of_four_second_segments(long_library):
    [title] = long_library.catalog.titles
    for rendition in title.renditions:
        variant = m3u8.load(str(long_library.root / rendition.playlist))
        assert variant.is_endlist and variant.playlist_type == "vod"
        assert variant.target_duration == SEGMENT_SECONDS
        assert len(variant.segments) == SEGMENTS
        assert {s.duration for s in variant.segments} == {float(SEGMENT_SECONDS)}
        assert variant.segments[-1].uri == f"seg_{SEGMENTS:05d}.ts"
        folder = long_library.root / rendition.playlist.rsplit("/", 1)[0]
        assert all((folder / s.uri).stat().st_size > 0 for s in variant.segments)


def test_master_carries_measured_peak_and_average_bandwidth(long_library):
    [title] = long_library.catalog.titles
    master = m3u8.load(str(long_library.root / title.master))
    by_uri = {p.uri: p.stream_info for p in master.playlists}
    for r in title.renditions:
        info = by_uri[f"{r.name}/index.m3u8"]
        assert (info.bandwidth, info.average_bandwidth) == (r.bandwidth, r.average_bandwidth)
        folder = long_library.root / r.playlist.rsplit("/", 1)[0]
        total = sum(p.stat().st_size for p in folder.glob("seg_*.ts"))
        assert r.average_bandwidth == pytest.approx(total * 8 / (MINUTES * 60), rel=0.001)
        assert r.bandwidth >= r.average_bandwidth


def test_long_title_passes_validation_with_ffprobe(long_library):
    check_library(long_library, find_ffmpeg())


def test_long_title_publishes_every_segment(long_library, s3, bucket, bucket_keys, tmp_path):
    report = publish(long_library, bucket, s3=s3, progress=False, probe=False)

    keys = set(bucket_keys(s3))
    [title] = published_catalog(long_library.catalog).titles
    assert set(published_files(long_library, tmp_path / "published")) == keys
    for r in title.renditions:  # nested per plan (media/tiers.py)
        folder = r.playlist.rsplit("/", 1)[0]
        assert sum(1 for k in keys if k.startswith(f"{folder}/seg_")) == SEGMENTS
    assert len(report.uploaded) == len(keys)
