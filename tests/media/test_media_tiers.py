"""Publishing nests a generated library per plan without touching the library itself."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.catalog import master_key
from media.library import Library
from media.tiers import LayoutError, plan_master, published_catalog, published_files


def test_publishing_leaves_the_generated_library_as_ffmpeg_wrote_it(library: Library,
                                                                    tmp_path: Path) -> None:
    before = {key: path.read_bytes() for key, path in library.files().items()}

    files = published_files(library, tmp_path / "published")

    assert {key: path.read_bytes() for key, path in library.files().items()} == before
    title = library.catalog.titles[0]
    assert files[f"video/{title.id}/standard/basic/240p/seg_00001.ts"] == (
        library.root / f"video/{title.id}/240p/seg_00001.ts")
    assert f"video/{title.id}/240p/seg_00001.ts" not in files


def test_a_plans_master_keeps_the_measured_attributes(library: Library) -> None:
    title = library.catalog.titles[0]
    generated = (library.root / title.master).read_text()
    stream_infs = [line for line in generated.splitlines() if line.startswith("#EXT-X-STREAM")]

    basic = plan_master(generated, title, "basic")

    # 240p and 480p, with BANDWIDTH, RESOLUTION and CODECS as measured at generation.
    assert [line for line in basic.splitlines() if line.startswith("#EXT-X-STREAM")] == (
        stream_infs[:2])
    assert basic.startswith("#EXTM3U\n")


def test_a_master_listing_a_rendition_the_catalog_lacks_is_refused(library: Library) -> None:
    title = library.catalog.titles[0]
    generated = (library.root / title.master).read_text().replace("720p/", "1080p/")
    with pytest.raises(LayoutError, match="1080p/index.m3u8"):
        plan_master(generated, title, "premium")


def test_the_published_catalog_keeps_every_other_field(library: Library) -> None:
    published = published_catalog(library.catalog)
    for before, after in zip(library.catalog.titles, published.titles, strict=True):
        assert after.model_dump(exclude={"renditions"}) == before.model_dump(
            exclude={"renditions"})
        assert after.master == master_key(after.id)
        assert [r.model_dump(exclude={"playlist"}) for r in after.renditions] == [
            r.model_dump(exclude={"playlist"}) for r in before.renditions]
