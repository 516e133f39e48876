"""The publisher against moto: headers from edge-config, idempotence, order, invalidation."""

from __future__ import annotations

import threading
from pathlib import Path

import boto3
import m3u8
import pytest
from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ConnectionClosedError

from app.catalog import CATALOG_KEY, read_titles
from media.publisher import PublishError, publish, upload_phase
from media.tiers import published_catalog

BUCKET = "edgeflix-media-test"


def test_every_object_has_edge_config_headers(library, s3, edge_config, bucket_keys,
                                              published_keys):
    report = publish(library, BUCKET, s3=s3, progress=False)

    keys = bucket_keys(s3)
    assert sorted(keys) == published_keys
    assert sorted(report.uploaded) == sorted(keys)
    for key in keys:
        head = s3.head_object(Bucket=BUCKET, Key=key)
        cls = edge_config.object_class(key)
        assert head["ContentType"] == cls.content_type, key
        assert head["CacheControl"] == cls.cache_control, key


def test_layout_matches_the_contract(library, s3, bucket_keys):
    publish(library, BUCKET, s3=s3, progress=False)
    keys = set(bucket_keys(s3))

    assert CATALOG_KEY in keys
    for title in library.catalog.titles:
        video = f"video/{title.id}/"
        assert f"posters/{title.id}.jpg" in keys
        # One master per plan, each in its plan's folder; renditions nested per plan.
        for folder in ("", "standard/", "standard/basic/"):
            assert f"{video}{folder}master.m3u8" in keys
        for folder, name in (("standard/basic/", "240p"), ("standard/basic/", "480p"),
                             ("standard/", "720p")):
            assert f"{video}{folder}{name}/index.m3u8" in keys
            assert f"{video}{folder}{name}/seg_00001.ts" in keys
        assert not any(k.startswith(f"{video}{name}/") for k in keys
                       for name in ("240p", "480p", "720p")), "nothing stays flat"


def test_each_plans_master_lists_only_what_the_plan_plays(library, s3):
    publish(library, BUCKET, s3=s3, progress=False)
    title = library.catalog.titles[0]

    def listed(key: str) -> list[str]:
        body = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read().decode()
        return [p.uri for p in m3u8.loads(body).playlists]

    video = f"video/{title.id}/"
    assert listed(f"{video}standard/basic/master.m3u8") == ["240p/index.m3u8",
                                                           "480p/index.m3u8"]
    assert listed(f"{video}standard/master.m3u8") == [
        "basic/240p/index.m3u8", "basic/480p/index.m3u8", "720p/index.m3u8"]
    assert listed(f"{video}master.m3u8") == [
        "standard/basic/240p/index.m3u8", "standard/basic/480p/index.m3u8",
        "standard/720p/index.m3u8"]


def test_the_published_catalog_names_the_nested_playlists(library, s3):
    publish(library, BUCKET, s3=s3, progress=False)
    body = s3.get_object(Bucket=BUCKET, Key=CATALOG_KEY)["Body"].read()
    title = read_titles(body)[0]
    assert title.master == f"video/{title.id}/master.m3u8"
    assert [r.playlist for r in title.renditions] == [
        f"video/{title.id}/standard/basic/240p/index.m3u8",
        f"video/{title.id}/standard/basic/480p/index.m3u8",
        f"video/{title.id}/standard/720p/index.m3u8"]


def test_every_published_playlist_parses_and_its_segments_exist(library, s3, bucket_keys):
    publish(library, BUCKET, s3=s3, progress=False)
    keys = set(bucket_keys(s3))

    playlists = sorted(k for k in keys if k.endswith(".m3u8"))
    assert playlists
    for key in playlists:
        body = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read().decode()
        playlist = m3u8.loads(body)
        folder = key.rsplit("/", 1)[0]
        if playlist.is_variant:
            assert len(playlist.playlists) == (2 if "/basic/" in key else 3), key
            for variant in playlist.playlists:
                assert f"{folder}/{variant.uri}" in keys, (key, variant.uri)
        else:
            assert playlist.is_endlist and playlist.playlist_type == "vod", key
            assert playlist.target_duration == 4, key
            for segment in playlist.segments:
                seg_key = f"{folder}/{segment.uri}"
                assert seg_key in keys, (key, segment.uri)
                size = s3.head_object(Bucket=BUCKET, Key=seg_key)["ContentLength"]
                assert size > 0


def test_republish_uploads_nothing(library, s3, cloudfront, distribution_id, invalidated_paths,
                                   published_keys):
    publish(library, BUCKET, s3=s3, cloudfront=cloudfront, distribution_id=distribution_id,
            progress=False)
    again = publish(library, BUCKET, s3=s3, cloudfront=cloudfront,
                    distribution_id=distribution_id, progress=False)

    assert again.uploaded == []
    assert sorted(again.skipped) == published_keys
    assert again.invalidated == []
    assert invalidated_paths() == []


def test_first_publish_invalidates_nothing(library, s3, cloudfront, distribution_id,
                                           invalidated_paths):
    report = publish(library, BUCKET, s3=s3, cloudfront=cloudfront,
                     distribution_id=distribution_id, progress=False)

    assert report.uploaded and report.invalidated == []
    assert invalidated_paths() == []


def test_changed_playlist_is_reuploaded_and_invalidated(library, s3, cloudfront,
                                                        distribution_id, invalidated_paths):
    publish(library, BUCKET, s3=s3, cloudfront=cloudfront, distribution_id=distribution_id,
            progress=False)
    title = library.catalog.titles[0]
    master = library.root / title.master
    master.write_text(master.read_text() + "## republished\n")

    report = publish(library, BUCKET, s3=s3, cloudfront=cloudfront,
                     distribution_id=distribution_id, progress=False)

    # Every plan's master is made from the generated one.
    masters = sorted(f"video/{title.id}/{folder}master.m3u8"
                     for folder in ("", "standard/", "standard/basic/"))
    assert sorted(report.uploaded) == masters
    assert sorted(report.invalidated) == [f"/{key}" for key in masters]
    assert invalidated_paths() == [[f"/{key}" for key in masters]]
    body = s3.get_object(Bucket=BUCKET, Key=title.master)["Body"].read().decode()
    assert body.endswith("## republished\n")


def test_changed_immutable_object_is_reuploaded_but_not_invalidated(library, s3, cloudfront,
                                                                    distribution_id):
    publish(library, BUCKET, s3=s3, progress=False)
    poster = library.root / library.catalog.titles[1].poster
    poster.write_bytes(poster.read_bytes() + b"\0")

    report = publish(library, BUCKET, s3=s3, cloudfront=cloudfront,
                     distribution_id=distribution_id, progress=False)

    assert report.uploaded == [library.catalog.titles[1].poster]
    assert report.invalidated == []


def test_invalidate_hook_receives_changed_mutable_paths(library, s3):
    publish(library, BUCKET, s3=s3, progress=False)
    catalog = library.root / CATALOG_KEY
    catalog.write_text(catalog.read_text().replace('"synopsis": "', '"synopsis": "Now: ', 1))
    banned: list[list[str]] = []

    # A library path, not the Library: the catalog is read again.
    publish(library.root, BUCKET, s3=s3, invalidate=banned.append, progress=False)

    assert banned == [["/catalog.json"]]


def test_changed_headers_in_edge_config_republish_the_object(library, s3, edge_config):
    publish(library, BUCKET, s3=s3, progress=False)
    objects = [o.model_copy(update={"cache_control": "public, max-age=7"})
               if o.name == "poster" else o for o in edge_config.objects]
    changed = edge_config.model_copy(update={"objects": objects})

    report = publish(library, BUCKET, s3=s3, edge_config=changed, progress=False)

    posters = sorted(t.poster for t in library.catalog.titles)
    assert sorted(report.uploaded) == posters
    assert s3.head_object(Bucket=BUCKET, Key=posters[0])["CacheControl"] == "public, max-age=7"


def test_dry_run_uploads_nothing(library, s3, bucket_keys, published_keys):
    report = publish(library, BUCKET, s3=s3, dry_run=True, progress=False)

    assert sorted(report.uploaded) == published_keys
    assert bucket_keys(s3) == []


def test_key_without_object_class_is_refused_before_upload(library, s3, tmp_path, bucket_keys):
    notes = tmp_path / "notes.txt"
    notes.write_text("no object class covers .txt")

    with pytest.raises(PublishError, match=r"no object class.*notes\.txt"):
        publish(library, BUCKET, s3=s3, extra_files={"notes.txt": notes}, progress=False)
    assert bucket_keys(s3) == []


def test_extra_files_go_through_the_same_path(library, s3, edge_config, tmp_path):
    page, script = tmp_path / "index.html", tmp_path / "app.js"
    page.write_text("<!doctype html><title>edgeflix</title>")
    script.write_text("console.log('edgeflix');")

    report = publish(library, BUCKET, s3=s3, progress=False,
                     extra_files={"index.html": page, "player/app.js": script})

    assert {"index.html", "player/app.js"} <= set(report.uploaded)
    for key in ("index.html", "player/app.js"):
        head = s3.head_object(Bucket=BUCKET, Key=key)
        assert head["ContentType"] == edge_config.object_class(key).content_type
        assert head["CacheControl"] == edge_config.object_class(key).cache_control


def test_large_files_use_multipart(library, s3, tmp_path):
    big = tmp_path / "hls.js"
    big.write_bytes(bytes(range(256)) * (11 * 4096))  # 11 MiB
    config = TransferConfig(multipart_threshold=5 * 2**20, multipart_chunksize=5 * 2**20)

    publish(library, BUCKET, s3=s3, extra_files={"player/hls.js": big},
            transfer_config=config, progress=False)
    again = publish(library, BUCKET, s3=s3, extra_files={"player/hls.js": big},
                    transfer_config=config, progress=False)

    etag = s3.head_object(Bucket=BUCKET, Key="player/hls.js")["ETag"]
    assert etag.strip('"').endswith("-3")          # three parts: 5 + 5 + 1 MiB
    assert "player/hls.js" in again.skipped          # the sha256 metadata, not the ETag, decides


def test_upload_order_puts_referenced_objects_first(library, s3, tmp_path):
    order: list[str] = []
    lock = threading.Lock()

    def record(params, **_):
        with lock:
            order.append(params["Key"])

    page, script = tmp_path / "index.html", tmp_path / "app.js"
    page.write_text('<script src="player/app.js"></script>')
    script.write_text("// player")
    s3.meta.events.register("before-parameter-build.s3.PutObject", record)
    publish(library, BUCKET, s3=s3, progress=False,
            extra_files={"index.html": page, "player/app.js": script})

    position = {key: i for i, key in enumerate(order)}
    phases = [upload_phase(key, key.endswith((".m3u8", ".json", ".js", ".html"))) for key in order]
    assert phases == sorted(phases)
    assert position[CATALOG_KEY] == len(order) - 1
    assert position["player/app.js"] < position["index.html"]
    assert max(position[k] for k in order if k.endswith(".m3u8")) < position["player/app.js"]
    for title in published_catalog(library.catalog).titles:
        for r in title.renditions:
            segments = [k for k in order if k.startswith(r.playlist.rsplit("/", 1)[0] + "/seg_")]
            assert max(position[s] for s in segments) < position[r.playlist]
            assert position[r.playlist] < position[title.master]


def test_interrupted_upload_completes_on_rerun_without_duplicates(library, s3, bucket_keys,
                                                                  published_keys):
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    calls, lock = [0], threading.Lock()

    def drop_connection_midway(**_):
        with lock:
            calls[0] += 1
            if calls[0] > 10:
                raise ConnectionClosedError(endpoint_url="s3://simulated")

    flaky = boto3.client("s3", region_name="us-east-1")
    flaky.meta.events.register("before-call.s3.PutObject", drop_connection_midway)
    with pytest.raises(PublishError, match="rerun to complete"):
        publish(library, BUCKET, s3=flaky, progress=False, workers=2)

    partial = set(bucket_keys(s3))
    assert 0 < len(partial) < len(published_keys)
    assert not any(k.endswith(".m3u8") or k == CATALOG_KEY for k in partial)

    report = publish(library, BUCKET, s3=s3, progress=False)

    assert sorted(bucket_keys(s3)) == published_keys
    assert set(report.skipped) == partial
    assert set(report.uploaded) == set(published_keys) - partial
    versions = s3.list_object_versions(Bucket=BUCKET)["Versions"]
    per_key: dict[str, int] = {}
    for v in versions:
        per_key[v["Key"]] = per_key.get(v["Key"], 0) + 1
    assert set(per_key.values()) == {1}, {k: n for k, n in per_key.items() if n > 1}


def test_honours_aws_endpoint_url(library, monkeypatch, bucket_keys, published_keys):
    """The twin publishes to a moto *server* through AWS_ENDPOINT_URL, like any boto3 client."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    try:
        host, port = server.get_host_and_port()
        monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://{host}:{port}")
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        client = boto3.client("s3")
        client.create_bucket(Bucket=BUCKET)

        report = publish(library, BUCKET, progress=False)

        assert sorted(bucket_keys(client)) == published_keys == sorted(report.uploaded)
    finally:
        server.stop()


def test_publish_accepts_a_library_path(library, s3, published_keys):
    report = publish(Path(library.root), BUCKET, s3=s3, progress=False, probe=False)
    assert sorted(report.uploaded) == published_keys
