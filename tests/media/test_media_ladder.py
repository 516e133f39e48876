"""The bitrate ladder: the demo profile spends about 0.4 / 1.2 / 3 Mbps, measured, not declared."""

from __future__ import annotations

import m3u8
import pytest

from media.ffmpeg import FfmpegNotFound, find_ffmpeg, find_font
from media.generate import STAMP, LibrarySpec, default_cache_dir, generate_library
from media.library import Library

# Measured average of each demo rendition (video + AAC + MPEG-TS overhead), bit/s.
DEMO_AVERAGE_BITRATE = {"240p": (300_000, 550_000), "480p": (900_000, 1_500_000),
                        "720p": (2_400_000, 3_600_000)}
# demo: a 20-minute title and 11 shorts at about 0.4 + 1.2 + 3 Mbps.
DEMO_SIZE_BUDGET = 1_200_000_000


@pytest.fixture(scope="session")
def demo_sample() -> Library:
    """One 8 s title of the demo profile (full 720p ladder at demo bitrates)."""
    return generate_library(LibrarySpec(titles=1, seconds=8, profile="demo"))


def _averages(library: Library) -> dict[str, int]:
    [title] = library.catalog.titles
    return {r.name: r.average_bandwidth for r in title.renditions}


def test_demo_ladder_spends_its_bitrates(demo_sample):
    averages = _averages(demo_sample)
    for name, (low, high) in DEMO_AVERAGE_BITRATE.items():
        assert low <= averages[name] <= high, f"{name}: {averages[name]} bit/s"


def test_catalog_and_master_carry_the_measured_bitrates(demo_sample):
    [title] = demo_sample.catalog.titles
    master = m3u8.load(str(demo_sample.root / title.master))
    by_uri = {p.uri: p.stream_info for p in master.playlists}
    for r in title.renditions:
        folder = demo_sample.root / r.playlist.rsplit("/", 1)[0]
        variant = m3u8.load(str(folder / "index.m3u8"))
        sizes = [(folder / s.uri).stat().st_size for s in variant.segments]
        seconds = [s.duration for s in variant.segments]
        peak = max(b * 8 / d for b, d in zip(sizes, seconds, strict=True))
        assert r.bandwidth == pytest.approx(peak, abs=2)
        assert r.average_bandwidth == pytest.approx(sum(sizes) * 8 / sum(seconds), abs=2)
        info = by_uri[f"{r.name}/index.m3u8"]
        assert (info.bandwidth, info.average_bandwidth) == (r.bandwidth, r.average_bandwidth)
        assert info.frame_rate == 24


def test_ci_ladder_keeps_the_shape_at_lower_bitrates(small_library, demo_sample):
    """Same rungs as the demo; each rung costs clearly more than the one below."""
    demo = _averages(demo_sample)
    for title in small_library.catalog.titles:
        ci = {r.name: r.average_bandwidth for r in title.renditions}
        assert list(ci) == list(demo)
        rates = list(ci.values())
        assert all(high > 1.5 * low for low, high in zip(rates, rates[1:], strict=False))
        assert all(ci[name] < demo[name] / 2 for name in demo)


def test_demo_library_when_cached():
    """The real demo library, if `make library` (or `make demo`) has cached it already."""
    try:
        ff = find_ffmpeg()
    except FfmpegNotFound:
        pytest.skip("ffmpeg missing")
    root = default_cache_dir() / LibrarySpec().fingerprint(ff.version, find_font())
    if not (root / STAMP).is_file():
        pytest.skip("demo library not generated yet (make library; ~25 min on 2 cores)")
    library = generate_library()
    assert library.root == root
    assert len(library.catalog.titles) == 12
    assert max(t.duration for t in library.catalog.titles) >= 20 * 60
    assert library.size_bytes() < DEMO_SIZE_BUDGET
    for title in library.catalog.titles:
        averages = {r.name: r.average_bandwidth for r in title.renditions}
        for name, (low, high) in DEMO_AVERAGE_BITRATE.items():
            assert low <= averages[name] <= high, (title.id, name, averages[name])
