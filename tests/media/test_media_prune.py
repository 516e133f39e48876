"""`--prune`: what the library no longer has leaves the bucket, and only that."""

from __future__ import annotations

import shutil

import pytest

from app.catalog import CATALOG_KEY, dump_catalog
from media.cli import main
from media.library import Library
from media.publisher import PublishError, delete_keys, prune_paths, publish

BUCKET = "edgeflix-media-test"
NOT_THE_PUBLISHERS = ["app/edgeflix-api.tar.gz", "logs/cdn/2024-01-01.gz",
                      "videos-archive/t00/master.m3u8", "index.html"]


def remove_title(library: Library, index: int) -> str:
    """Drop one title from the library's files and catalog; returns its id."""
    title = library.catalog.titles[index]
    shutil.rmtree(library.root / "video" / title.id)
    (library.root / title.poster).unlink()
    kept = [t for t in library.catalog.titles if t.id != title.id]
    dump_catalog(library.catalog.model_copy(update={"titles": kept}), library.root / CATALOG_KEY)
    return title.id


def versioned_bucket(s3) -> None:
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})


def test_removed_title_is_deleted_and_invalidated_as_one_wildcard(
        library, s3, cloudfront, distribution_id, invalidated_paths, bucket_keys):
    versioned_bucket(s3)
    publish(library, BUCKET, s3=s3, progress=False)
    removed = remove_title(library, 0)
    gone = sorted(k for k in bucket_keys(s3)
                  if k.startswith(f"video/{removed}/") or k == f"posters/{removed}.jpg")

    report = publish(Library.open(library.root), BUCKET, s3=s3, cloudfront=cloudfront,
                     distribution_id=distribution_id, prune=True, progress=False)

    assert report.pruned == gone
    assert not [k for k in bucket_keys(s3) if k.startswith(f"video/{removed}/")]
    # Other posters stay, so the removed one is invalidated by its own path.
    assert invalidated_paths() == [sorted([f"/video/{removed}/*", f"/posters/{removed}.jpg",
                                           f"/{CATALOG_KEY}"])]
    assert f"deleted {len(gone)} object(s) no longer in the library" in report.summary()
    markers = s3.list_object_versions(Bucket=BUCKET)["DeleteMarkers"]
    assert sorted(m["Key"] for m in markers) == gone, "recoverable: a delete marker each"


def test_prune_touches_nothing_outside_the_publishers_prefixes(library, s3, bucket_keys):
    for key in NOT_THE_PUBLISHERS:
        s3.put_object(Bucket=BUCKET, Key=key, Body=b"someone else's")
    publish(library, BUCKET, s3=s3, progress=False)
    removed = remove_title(library, 1)

    report = publish(Library.open(library.root), BUCKET, s3=s3, prune=True, progress=False)

    assert report.pruned and all(k.startswith(f"video/{removed}/")
                                 or k == f"posters/{removed}.jpg" for k in report.pruned)
    keys = set(bucket_keys(s3))
    assert set(NOT_THE_PUBLISHERS) <= keys
    assert f"posters/{removed}.jpg" not in keys


def test_dry_run_prune_deletes_nothing_and_lists_what_would_go(
        library, s3, cloudfront, distribution_id, invalidated_paths, bucket_keys, capsys):
    publish(library, BUCKET, s3=s3, progress=False)
    removed = remove_title(library, 2)
    before = sorted(bucket_keys(s3))
    gone = [k for k in before
            if k.startswith(f"video/{removed}/") or k == f"posters/{removed}.jpg"]

    assert main(["publish", "--bucket", BUCKET, "--library", str(library.root),
                 "--distribution-id", distribution_id, "--prune", "--dry-run",
                 "--warm-top", "0"]) == 0

    assert sorted(bucket_keys(s3)) == before
    assert invalidated_paths() == []
    err = capsys.readouterr().err
    assert f"would delete video/{removed}/master.m3u8" in err
    assert f"would delete {len(gone)} object(s) no longer in the library" in err


def test_without_prune_nothing_is_deleted(library, s3, bucket_keys):
    publish(library, BUCKET, s3=s3, progress=False)
    removed = remove_title(library, 0)
    before = sorted(bucket_keys(s3))

    report = publish(Library.open(library.root), BUCKET, s3=s3, progress=False)

    assert report.pruned == []
    assert sorted(bucket_keys(s3)) == before
    assert f"video/{removed}/master.m3u8" in before


def test_rerun_after_a_prune_prunes_nothing(library, s3, cloudfront, distribution_id,
                                            invalidated_paths):
    publish(library, BUCKET, s3=s3, progress=False)
    remove_title(library, 0)
    publish(Library.open(library.root), BUCKET, s3=s3, cloudfront=cloudfront,
            distribution_id=distribution_id, prune=True, progress=False)
    invalidations = invalidated_paths()

    again = publish(Library.open(library.root), BUCKET, s3=s3, cloudfront=cloudfront,
                    distribution_id=distribution_id, prune=True, progress=False)

    assert again.pruned == [] and again.uploaded == [] and again.invalidated == []
    assert invalidated_paths() == invalidations


def test_deletes_come_after_the_new_catalog_is_up(library, s3):
    publish(library, BUCKET, s3=s3, progress=False)
    remove_title(library, 0)
    calls: list[str] = []
    s3.meta.events.register("before-call.s3.PutObject", lambda **_: calls.append("put"))
    s3.meta.events.register("before-call.s3.DeleteObjects", lambda **_: calls.append("delete"))

    publish(Library.open(library.root), BUCKET, s3=s3, prune=True, progress=False)

    assert calls == ["put", "delete"], "catalog.json first, then the removed title's objects"


def test_stray_objects_of_a_kept_title_coalesce_no_wider_than_their_folder(
        library, s3, bucket_keys):
    kept = library.catalog.titles[0].id
    strays = [f"video/{kept}/1080p/index.m3u8", f"video/{kept}/1080p/seg_00001.ts",
              f"video/{kept}/poster-old.jpg"]
    for key in strays:
        s3.put_object(Bucket=BUCKET, Key=key, Body=b"old")

    report = publish(library, BUCKET, s3=s3, prune=True, progress=False)

    assert report.pruned == sorted(strays)
    assert report.invalidated == [f"/video/{kept}/1080p/*", f"/video/{kept}/poster-old.jpg"]
    assert f"video/{kept}/master.m3u8" in bucket_keys(s3)


def test_prune_paths_never_cover_a_published_key():
    published = {"catalog.json", "video/a/master.m3u8", "video/a/240p/index.m3u8"}
    stale = ["catalog.json", "video/a/720p/seg_00001.ts", "video/b/240p/seg_00001.ts",
             "video/b/master.m3u8"]

    assert prune_paths(stale, published) == ["/catalog.json", "/video/a/720p/*", "/video/b/*"]


def test_deletes_go_in_batches_of_at_most_1000():
    class Recording:
        def __init__(self) -> None:
            self.batches: list[list[str]] = []

        def delete_objects(self, Bucket, Delete):  # noqa: N803 - boto3's parameter names
            self.batches.append([o["Key"] for o in Delete["Objects"]])
            return {}

    keys = [f"video/t99-gone/240p/seg_{n:05d}.ts" for n in range(2001)]
    s3 = Recording()

    delete_keys(s3, BUCKET, keys)

    assert [len(b) for b in s3.batches] == [1000, 1000, 1]
    assert [k for b in s3.batches for k in b] == keys


def test_a_refused_delete_fails_the_publish():
    class Refusing:
        def delete_objects(self, **_):
            return {"Errors": [{"Key": "video/x/master.m3u8", "Code": "AccessDenied",
                                "Message": "Access Denied"}]}

    with pytest.raises(PublishError, match=r"1 object\(s\) could not be deleted.*AccessDenied"):
        delete_keys(Refusing(), BUCKET, ["video/x/master.m3u8"])
