"""Publishing a library to the media bucket, then invalidating and warming the edge.

The bucket gets the published layout (media/tiers.py): renditions nested per plan,
one master playlist per plan, and a catalog.json naming the nested keys; the
library on disk keeps the layout ffmpeg wrote.

Headers come from edge-config's object classes (`cfg.object_class(key)`); a key
no class covers is refused rather than given guessed headers. Uploads are
idempotent (a sha256 in each object's metadata, compared by HEAD), parallel,
and ordered so a viewer never meets a playlist that names a missing object:
segments and other immutable files first, then variant playlists, then master
playlists, then other mutable files (scripts), then pages, and catalog.json last.

With `prune`, objects under the publisher's own prefixes (`video/`, `posters/`
and the catalog key) that the library no longer has are deleted after the upload, so
the new catalog is live before a removed title's video goes, and invalidated
with one wildcard per removed folder. Nothing else in the bucket is touched.
"""

from __future__ import annotations

import hashlib
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ClientError
from tqdm import tqdm

from app.catalog import CATALOG_KEY
from edge.config import EdgeConfig, load_edge_config
from edge.invalidation import invalidation_path
from media.ffmpeg import find_ffmpeg
from media.library import Library
from media.tiers import LayoutError, published_files
from media.validate import check_library
from media.warm import WarmLimits, WarmReport, warm_edge

SHA256_META = "sha256"          # x-amz-meta-sha256 on every published object
MiB = 1024 * 1024
DEFAULT_TRANSFER = TransferConfig(multipart_threshold=16 * MiB, multipart_chunksize=16 * MiB,
                                  max_concurrency=4)
INVALIDATION_BATCH = 1000       # paths per CreateInvalidation call (3000 may be in flight)
INVALIDATION_POLL = 5.0         # seconds between GetInvalidation polls before warming
DELETE_BATCH = 1000            # keys per DeleteObjects call (the API's maximum)
PRUNE_PREFIXES = ("video/", "posters/")  # with CATALOG_KEY, all a prune may delete
PHASES = ("immutable objects", "variant playlists", "master playlists", "mutable files",
          "pages", "catalog")


class PublishError(RuntimeError):
    """Publishing was refused or failed; nothing after the failing phase was uploaded."""


@dataclass(frozen=True)
class PlannedObject:
    """One file and the headers it is published with."""

    key: str
    path: Path
    content_type: str
    cache_control: str
    mutable: bool
    sha256: str
    size: int

    @property
    def phase(self) -> int:
        return upload_phase(self.key, self.mutable)


@dataclass
class PublishReport:
    """What a publish did (or, with dry_run, would do)."""

    bucket: str
    dry_run: bool = False
    uploaded: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    pruned: list[str] = field(default_factory=list)
    invalidated: list[str] = field(default_factory=list)
    invalidation_ids: list[str] = field(default_factory=list)
    warmed: WarmReport | None = None
    bytes_uploaded: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        verb = "would upload" if self.dry_run else "uploaded"
        pruned = (f"{'would delete' if self.dry_run else 'deleted'} {len(self.pruned)} "
                  "object(s) no longer in the library, ") if self.pruned else ""
        lines = [f"{self.bucket}: {verb} {len(self.uploaded)} object(s) "
                 f"({self.bytes_uploaded / MiB:.1f} MiB), {len(self.skipped)} unchanged, "
                 f"{pruned}{len(self.invalidated)} path(s) to invalidate, {self.seconds:.1f} s"]
        if self.warmed is not None:
            lines.append(self.warmed.summary())
        return "\n".join(lines)


def upload_phase(key: str, mutable: bool) -> int:
    """Upload order by key layout: what a file refers to is always uploaded before it."""
    if key == CATALOG_KEY:
        return 5
    if key.endswith(".m3u8"):
        return 2 if key.endswith("/master.m3u8") else 1
    if key.endswith(".html"):
        return 4
    return 3 if mutable else 0


def plan_objects(files: dict[str, Path], cfg: EdgeConfig) -> list[PlannedObject]:
    """Headers for every file from edge-config; PublishError if any key has no object class."""
    unknown = sorted(key for key in files if cfg.object_class(key) is None)
    if unknown:
        raise PublishError(
            "no object class in edge-config/edge.yaml covers these keys, so their "
            f"Content-Type and Cache-Control are unknown: {unknown[:10]}"
            + (f" and {len(unknown) - 10} more" if len(unknown) > 10 else "")
        )
    planned = []
    for key, path in sorted(files.items()):
        cls = cfg.object_class(key)
        planned.append(PlannedObject(
            key=key, path=path, content_type=cls.content_type, cache_control=cls.cache_control,
            mutable=cls.mutable, sha256=_sha256(path), size=path.stat().st_size,
        ))
    return planned


def publish(
    library: Library | Path | str,
    bucket: str,
    *,
    extra_files: dict[str, Path] | None = None,
    cdn_url: str | None = None,
    distribution_id: str | None = None,
    invalidate: Callable[[list[str]], None] | None = None,
    warm_top: int = 0,
    warm_limits: WarmLimits | None = None,
    invalidation_wait: float = 300.0,
    dry_run: bool = False,
    prune: bool = False,
    progress: bool | None = None,
    workers: int = 8,
    probe: bool = True,
    s3=None,
    cloudfront=None,
    transfer_config: TransferConfig | None = None,
    edge_config: EdgeConfig | None = None,
    log: Callable[[str], None] | None = None,
) -> PublishReport:
    """Publish a library (plus `extra_files`, key -> path) to `bucket`.

    Checks the library first (ffprobe unless `probe=False`) and uploads nothing
    if it is damaged. Then uploads what changed, invalidates the mutable
    objects it replaced (CloudFront when `distribution_id` is given, and/or the
    `invalidate` callback), and warms the edge for the `warm_top` most popular
    titles through `cdn_url` (after waiting up to `invalidation_wait` seconds for
    CloudFront to finish invalidating). With `prune`, also deletes what
    `stale_keys()` finds (a delete marker in a versioned bucket) and invalidates
    it as `prune_paths()` coalesces it. `progress=None` shows a bar only on a TTY.
    """
    library = library if isinstance(library, Library) else Library.open(library)
    with tempfile.TemporaryDirectory(prefix="edgeflix-publish-") as scratch:
        try:
            files = published_files(library, Path(scratch))
        except LayoutError as exc:
            check_library(library, None)  # names the damaged file when it can
            raise PublishError(str(exc)) from exc
        return _publish(
            library, files, bucket,
            extra_files=extra_files, cdn_url=cdn_url, distribution_id=distribution_id,
            invalidate=invalidate, warm_top=warm_top, warm_limits=warm_limits,
            invalidation_wait=invalidation_wait, dry_run=dry_run, prune=prune,
            progress=progress, workers=workers, probe=probe, s3=s3, cloudfront=cloudfront,
            transfer_config=transfer_config, edge_config=edge_config, log=log)


def _publish(
    library: Library,
    files: dict[str, Path],
    bucket: str,
    *,
    extra_files: dict[str, Path] | None,
    cdn_url: str | None,
    distribution_id: str | None,
    invalidate: Callable[[list[str]], None] | None,
    warm_top: int,
    warm_limits: WarmLimits | None,
    invalidation_wait: float,
    dry_run: bool,
    prune: bool,
    progress: bool | None,
    workers: int,
    probe: bool,
    s3,
    cloudfront,
    transfer_config: TransferConfig | None,
    edge_config: EdgeConfig | None,
    log: Callable[[str], None] | None,
) -> PublishReport:
    started = time.monotonic()
    log = log or (lambda _msg: None)
    cfg = edge_config or load_edge_config()

    for key, path in (extra_files or {}).items():
        key = key.lstrip("/")
        if key in files:
            raise PublishError(f"extra file {key!r} collides with a library file")
        if not Path(path).is_file():
            raise PublishError(f"extra file {key!r}: {path} is not a file")
        files[key] = Path(path)
    planned = plan_objects(files, cfg)
    # The probe memo is keyed by the library's own (generated) keys.
    root = library.root.resolve()
    check_library(library, find_ffmpeg() if probe else None,
                  digests={o.path.resolve().relative_to(root).as_posix(): o.sha256
                           for o in planned if o.path.resolve().is_relative_to(root)})

    s3 = s3 or _client("s3")
    report = PublishReport(bucket=bucket, dry_run=dry_run)
    planned_keys = {o.key for o in planned}
    listed = _list_keys(s3, bucket, lambda key: key in planned_keys or is_prunable(key))
    existing = _remote_state(s3, bucket, planned, listed, workers)
    changed = []
    for obj in planned:
        remote = existing.get(obj.key)
        if remote == (obj.sha256, obj.content_type, obj.cache_control):
            report.skipped.append(obj.key)
        else:
            changed.append(obj)
    report.uploaded = [o.key for o in changed]
    report.bytes_uploaded = sum(o.size for o in changed)
    # Only objects that were there before can be cached at the edge.
    report.invalidated = [invalidation_path(o.key) for o in changed
                          if o.mutable and o.key in existing]
    if prune:
        published = set(files)
        report.pruned = stale_keys(listed, published)
        report.invalidated += prune_paths(report.pruned, published)

    if not dry_run and changed:
        _upload(s3, bucket, changed, workers, transfer_config or DEFAULT_TRANSFER,
                _show_progress(progress), log)
    if report.pruned and not _versioned(s3, bucket):
        log(f"bucket {bucket!r} is not versioned: pruned objects cannot be restored")
    if not dry_run and report.pruned:
        delete_keys(s3, bucket, report.pruned)
        log(f"deleted {len(report.pruned)} object(s) no longer in the library")
    if not dry_run and report.invalidated:
        if distribution_id:
            cloudfront = cloudfront or _client("cloudfront")
            report.invalidation_ids = invalidate_cloudfront(
                cloudfront, distribution_id, report.invalidated)
            log(f"invalidation(s) {', '.join(report.invalidation_ids)} for "
                f"{len(report.invalidated)} path(s)")
        if invalidate is not None:
            invalidate(list(report.invalidated))
    if not dry_run and warm_top > 0 and not cdn_url:
        log("no CDN URL given: edge warming skipped")
    if not dry_run and cdn_url and warm_top > 0:
        if report.invalidation_ids:
            _wait_for_invalidations(cloudfront, distribution_id, report.invalidation_ids, log,
                                    invalidation_wait)
        report.warmed = warm_edge(cdn_url, library.catalog, warm_top, warm_limits or WarmLimits())
    report.seconds = time.monotonic() - started
    return report


def is_prunable(key: str) -> bool:
    """Keys the publisher owns outright: video, posters and the catalog, nothing else."""
    return key == CATALOG_KEY or any(
        key.startswith(prefix) and len(key) > len(prefix) for prefix in PRUNE_PREFIXES)


def stale_keys(listed: Iterable[str], published: set[str]) -> list[str]:
    """Listed keys under the publisher's own prefixes that are not being published."""
    return sorted(k for k in listed if is_prunable(k) and k not in published)


def prune_paths(stale: list[str], published: set[str]) -> list[str]:
    """Invalidation paths for deleted keys: a wildcard per folder nothing published is in.

    Paths are encoded as CloudFront requires (`edge.invalidation`). A removed title
    becomes `/video/{id}/*`, a removed rendition of a kept title
    `/video/{id}/{name}/*`; a lone key in a kept folder stays an exact path, so
    a wildcard never covers an object that is still published.
    """
    kept_folders = {key.rsplit("/", depth)[0]
                    for key in published for depth in range(1, key.count("/") + 1)}
    paths: list[str] = []
    for key in stale:
        parts = key.split("/")
        path = invalidation_path(key)
        for depth in range(2, len(parts)):   # video/{id} first, then deeper
            folder = "/".join(parts[:depth])
            if folder not in kept_folders:
                path = invalidation_path(folder + "/", wildcard=True)
                break
        if path not in paths:
            paths.append(path)
    return paths


def delete_keys(s3, bucket: str, keys: list[str]) -> None:
    """DeleteObjects in batches of DELETE_BATCH; PublishError naming the first failure."""
    for start in range(0, len(keys), DELETE_BATCH):
        batch = keys[start:start + DELETE_BATCH]
        try:
            answer = s3.delete_objects(Bucket=bucket, Delete={
                "Objects": [{"Key": key} for key in batch], "Quiet": True})
        except ClientError as exc:
            raise PublishError(f"cannot delete from bucket {bucket!r}: {exc}") from exc
        errors = answer.get("Errors", [])
        if errors:
            first = errors[0]
            raise PublishError(
                f"{len(errors)} object(s) could not be deleted, e.g. {first.get('Key')!r}: "
                f"{first.get('Code')} {first.get('Message', '')}".rstrip()
                + "; rerun with --prune to retry"
            )


def invalidate_cloudfront(cloudfront, distribution_id: str, paths: list[str]) -> list[str]:
    """CreateInvalidation for `paths` in batches; returns the invalidation ids."""
    ids = []
    for start in range(0, len(paths), INVALIDATION_BATCH):
        batch = paths[start:start + INVALIDATION_BATCH]
        reference = hashlib.sha256("\n".join(batch).encode()).hexdigest()[:16]
        answer = cloudfront.create_invalidation(
            DistributionId=distribution_id,
            InvalidationBatch={
                "Paths": {"Quantity": len(batch), "Items": batch},
                "CallerReference": f"edgeflix-{time.time_ns()}-{reference}",
            },
        )
        ids.append(answer["Invalidation"]["Id"])
    return ids


def _list_keys(s3, bucket: str, keep: Callable[[str], bool]) -> set[str]:
    """The bucket's current keys that `keep` accepts (delete markers are not listed)."""
    keys: set[str] = set()
    try:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            keys.update(o["Key"] for o in page.get("Contents", []) if keep(o["Key"]))
    except ClientError as exc:
        raise PublishError(f"cannot list bucket {bucket!r}: {exc}") from exc
    return keys


def _remote_state(s3, bucket: str, planned: list[PlannedObject], listed: set[str],
                  workers: int) -> dict[str, tuple[str, str, str]]:
    """(sha256, Content-Type, Cache-Control) of each planned key already in the bucket."""
    present = {o.key for o in planned} & listed

    def head(key: str) -> tuple[str, tuple[str, str, str]]:
        meta = s3.head_object(Bucket=bucket, Key=key)
        return key, (meta.get("Metadata", {}).get(SHA256_META, ""),
                     meta.get("ContentType", ""), meta.get("CacheControl", ""))

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return dict(pool.map(head, sorted(present)))


def _versioned(s3, bucket: str) -> bool:
    """True when versioning is on, or when the caller may not ask (do not cry wolf)."""
    try:
        return s3.get_bucket_versioning(Bucket=bucket).get("Status") == "Enabled"
    except ClientError:
        return True


def _upload(s3, bucket: str, objects: list[PlannedObject], workers: int,
            transfer: TransferConfig, show: bool, log: Callable[[str], None]) -> None:
    total = sum(o.size for o in objects)
    lock = threading.Lock()
    with tqdm(total=total, unit="B", unit_scale=True, desc="publish", file=sys.stderr,
              disable=not show, leave=False) as bar:

        def advance(n: int) -> None:
            with lock:
                bar.update(n)

        def put(obj: PlannedObject) -> None:
            s3.upload_file(
                str(obj.path), bucket, obj.key, Config=transfer, Callback=advance,
                ExtraArgs={"ContentType": obj.content_type, "CacheControl": obj.cache_control,
                           "Metadata": {SHA256_META: obj.sha256}},
            )

        with ThreadPoolExecutor(max_workers=workers) as pool:
            for phase, name in enumerate(PHASES):
                batch = [o for o in objects if o.phase == phase]
                if not batch:
                    continue
                futures = [pool.submit(put, o) for o in batch]
                done, pending = wait(futures, return_when=FIRST_EXCEPTION)
                for future in pending:
                    future.cancel()
                wait(pending)
                failed = [f for f in futures if f.done() and not f.cancelled() and f.exception()]
                if failed:
                    raise PublishError(
                        f"upload failed while publishing {name}: {failed[0].exception()}; "
                        "later phases were not started, rerun to complete"
                    ) from failed[0].exception()
                log(f"published {len(batch)} {name}")


def _wait_for_invalidations(cloudfront, distribution_id: str | None, ids: Iterable[str],
                            log: Callable[[str], None], timeout: float) -> None:
    """Warming before an invalidation completes could re-cache the old object.

    Polls GetInvalidation itself: botocore's waiter expects "Completed", which
    moto spells "COMPLETED".
    """
    deadline = time.monotonic() + timeout
    for inv_id in ids:
        while True:
            status = cloudfront.get_invalidation(DistributionId=distribution_id, Id=inv_id)
            if status["Invalidation"]["Status"].lower() == "completed":
                break
            if time.monotonic() >= deadline:
                log(f"invalidation {inv_id} still in progress after {timeout:.0f} s; "
                    "warming anyway")
                return
            time.sleep(min(INVALIDATION_POLL, max(0.0, deadline - time.monotonic())))


def _client(service: str):
    """A boto3 client; honours AWS_ENDPOINT_URL (moto server, LocalStack) like any boto3."""
    session = boto3.session.Session()
    return session.client(service, region_name=session.region_name or "us-east-1")


def _show_progress(progress: bool | None) -> bool:
    return sys.stderr.isatty() if progress is None else progress


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(MiB), b""):
            digest.update(chunk)
    return digest.hexdigest()
