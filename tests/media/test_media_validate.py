"""A corrupt or partial rendition is refused before anything is uploaded."""

from __future__ import annotations

import pytest

from media.publisher import publish
from media.validate import LibraryInvalid

BUCKET = "edgeflix-media-test"


def _variant(library, title=0, rendition="480p"):
    t = library.catalog.titles[title]
    return library.root / f"video/{t.id}/{rendition}"


def _refused(library, s3, bucket_keys, match: str) -> None:
    with pytest.raises(LibraryInvalid, match=match):
        publish(library, BUCKET, s3=s3, progress=False)
    assert bucket_keys(s3) == [], "nothing may be uploaded when the library is refused"


def test_missing_segment_is_refused(library, s3, bucket_keys):
    (_variant(library) / "seg_00002.ts").unlink()
    _refused(library, s3, bucket_keys, r"seg_00002\.ts: referenced by .* but missing")


def test_zero_length_segment_is_refused(library, s3, bucket_keys):
    (_variant(library) / "seg_00001.ts").write_bytes(b"")
    _refused(library, s3, bucket_keys, r"seg_00001\.ts: referenced by .* but empty")


def test_truncated_segment_is_refused_by_ffprobe(library, s3, bucket_keys):
    segment = _variant(library, rendition="720p") / "seg_00002.ts"
    segment.write_bytes(segment.read_bytes()[: segment.stat().st_size // 3])
    _refused(library, s3, bucket_keys, r"720p/index\.m3u8: segments hold \d+ frames.*truncated")


def test_garbage_segment_is_refused_by_ffprobe(library, s3, bucket_keys):
    segment = _variant(library, rendition="240p") / "seg_00001.ts"
    segment.write_bytes(bytes(range(256)) * 64)
    _refused(library, s3, bucket_keys, r"240p/index\.m3u8")


def test_unfinished_playlist_is_refused(library, s3, bucket_keys):
    playlist = _variant(library) / "index.m3u8"
    playlist.write_text(playlist.read_text().replace("#EXT-X-ENDLIST\n", ""))
    _refused(library, s3, bucket_keys, r"no #EXT-X-ENDLIST")


def test_segment_count_mismatch_is_refused(library, s3, bucket_keys):
    playlist = _variant(library) / "index.m3u8"
    lines = playlist.read_text().splitlines()
    cut = lines.index("seg_00002.ts")
    playlist.write_text("\n".join(lines[: cut - 1] + lines[cut + 1:]) + "\n")
    _refused(library, s3, bucket_keys, r"1 segments, expected 2")


def test_duration_mismatch_with_catalog_is_refused(library, s3, bucket_keys):
    playlist = _variant(library) / "index.m3u8"
    playlist.write_text(playlist.read_text().replace("#EXTINF:4.000000,", "#EXTINF:3.000000,", 1))
    _refused(library, s3, bucket_keys, r"segments last 7\.00 s, catalog says 8\.00 s")


def test_missing_variant_playlist_is_refused(library, s3, bucket_keys):
    (_variant(library, rendition="720p") / "index.m3u8").unlink()
    _refused(library, s3, bucket_keys, r"720p/index\.m3u8: playlist missing or empty")


def test_master_that_is_not_a_playlist_is_refused(library, s3, bucket_keys):
    (library.root / library.catalog.titles[2].master).write_text("<html>oops</html>")
    _refused(library, s3, bucket_keys, r"master\.m3u8: not an HLS playlist")


def test_every_problem_is_listed(library):
    (_variant(library, 0) / "seg_00001.ts").unlink()
    (_variant(library, 1) / "seg_00002.ts").write_bytes(b"")

    from media.ffmpeg import find_ffmpeg
    from media.validate import check_library

    with pytest.raises(LibraryInvalid) as refused:
        check_library(library, find_ffmpeg())
    assert len(refused.value.problems) == 2


def test_probe_record_never_hides_a_later_corruption(library):
    from media.ffmpeg import find_ffmpeg
    from media.publisher import plan_objects
    from media.validate import PROBE_RECORD, check_library

    def digests():
        from edge.config import load_edge_config
        return {o.key: o.sha256 for o in plan_objects(library.files(), load_edge_config())}

    check_library(library, find_ffmpeg(), digests=digests())
    assert (library.root / PROBE_RECORD).is_file()
    segment = _variant(library, rendition="720p") / "seg_00001.ts"
    segment.write_bytes(segment.read_bytes()[:4000])

    with pytest.raises(LibraryInvalid, match="truncated"):
        check_library(library, find_ffmpeg(), digests=digests())
