"""The title catalog: parsed from catalog.json in the media bucket, refreshed by ETag."""

from __future__ import annotations

import json
import logging
import re
import threading
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

log = logging.getLogger(__name__)

TITLE_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


class CatalogError(ValueError):
    """catalog.json is not in the shape the media publisher promises."""


@dataclass(frozen=True)
class Rendition:
    """One HLS variant of a title."""

    name: str
    width: int
    height: int
    bandwidth: int
    playlist: str


@dataclass(frozen=True)
class Title:
    """One title of the catalog, as the media publisher wrote it."""

    id: str
    title: str
    synopsis: str
    genres: tuple[str, ...]
    tags: tuple[str, ...]
    year: int
    duration: float
    popularity: float
    poster: str
    master: str
    renditions: tuple[Rendition, ...]

    @property
    def genre_keys(self) -> frozenset[str]:
        """Genres lower-cased, for filtering."""
        return frozenset(g.lower() for g in self.genres)


@dataclass
class Catalog:
    """An immutable set of titles plus caches derived from it (built once per version)."""

    titles: tuple[Title, ...]
    etag: str = ""
    by_id: dict[str, Title] = field(init=False)
    derived: dict[str, Any] = field(default_factory=dict, repr=False)
    _derive_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        self.by_id = {t.id: t for t in self.titles}

    def derive(self, name: str, build: Any) -> Any:
        """Return `build(self)` computed once for this catalog version."""
        try:
            return self.derived[name]
        except KeyError:
            with self._derive_lock:
                if name not in self.derived:
                    self.derived[name] = build(self)
                return self.derived[name]


def _text(entry: dict[str, Any], key: str, default: str | None = None) -> str:
    value = entry.get(key, default)
    if not isinstance(value, str):
        raise CatalogError(f"title {entry.get('id')!r}: {key} must be a string")
    return value


def _number(entry: dict[str, Any], key: str, kind: type) -> Any:
    value = entry.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise CatalogError(f"title {entry.get('id')!r}: {key} must be a number")
    return kind(value)


def _strings(entry: dict[str, Any], key: str) -> tuple[str, ...]:
    value = entry.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise CatalogError(f"title {entry.get('id')!r}: {key} must be a list of strings")
    return tuple(value)


def _rendition(title_id: str, entry: Any) -> Rendition:
    if not isinstance(entry, dict):
        raise CatalogError(f"title {title_id!r}: a rendition must be an object")
    ctx = {"id": title_id, **entry}
    return Rendition(
        name=_text(ctx, "name"),
        width=_number(ctx, "width", int),
        height=_number(ctx, "height", int),
        bandwidth=_number(ctx, "bandwidth", int),
        playlist=_text(ctx, "playlist"),
    )


def parse_title(entry: Any) -> Title:
    """One catalog entry to a Title; raises CatalogError naming the field."""
    if not isinstance(entry, dict):
        raise CatalogError("a title must be an object")
    title_id = entry.get("id")
    if not isinstance(title_id, str) or not TITLE_ID.match(title_id):
        raise CatalogError(f"title id {title_id!r} does not match {TITLE_ID.pattern}")
    renditions = entry.get("renditions", [])
    if not isinstance(renditions, list):
        raise CatalogError(f"title {title_id!r}: renditions must be a list")
    popularity = _number(entry, "popularity", float) if "popularity" in entry else 0.0
    return Title(
        id=title_id,
        title=_text(entry, "title"),
        synopsis=_text(entry, "synopsis", ""),
        genres=_strings(entry, "genres"),
        tags=_strings(entry, "tags"),
        year=_number(entry, "year", int),
        duration=_number(entry, "duration", float),
        popularity=min(1.0, max(0.0, popularity)),
        poster=_text(entry, "poster", f"posters/{title_id}.jpg"),
        master=_text(entry, "master", f"video/{title_id}/master.m3u8"),
        renditions=tuple(_rendition(title_id, r) for r in renditions),
    )


def parse_catalog(document: bytes, etag: str = "") -> Catalog:
    """Parse catalog.json; a bad entry is skipped and logged, a bad document raises."""
    try:
        data = json.loads(document)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CatalogError(f"catalog.json is not JSON: {exc}") from None
    if not isinstance(data, dict) or data.get("version") != 1:
        raise CatalogError("catalog.json must be an object with version 1")
    entries = data.get("titles")
    if not isinstance(entries, list):
        raise CatalogError("catalog.json: titles must be a list")
    titles: list[Title] = []
    seen: set[str] = set()
    for entry in entries:
        try:
            title = parse_title(entry)
        except CatalogError as exc:
            log.warning("skipping catalog entry: %s", exc)
            continue
        if title.id in seen:
            log.warning("skipping duplicate catalog entry %s", title.id)
            continue
        seen.add(title.id)
        titles.append(title)
    return Catalog(titles=tuple(titles), etag=etag)


class CatalogStore:
    """Holds the current Catalog; refresh() re-reads S3 only when its ETag changed."""

    def __init__(self, s3: Any, bucket: str, key: str) -> None:
        self._s3 = s3
        self._bucket = bucket
        self._key = key
        self._catalog: Catalog | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def catalog(self) -> Catalog | None:
        """The catalog in force, or None until the first successful load."""
        return self._catalog

    def refresh(self) -> bool:
        """Conditional GET of catalog.json; True when a new version was loaded.

        Failures keep the catalog in force (stale beats empty) and are logged.
        """
        with self._lock:
            current = self._catalog
            request = {"Bucket": self._bucket, "Key": self._key}
            if current is not None and current.etag:
                request["IfNoneMatch"] = current.etag
            try:
                response = self._s3.get_object(**request)
                body = response["Body"].read()
            except ClientError as exc:
                code = str(exc.response.get("Error", {}).get("Code", ""))
                status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
                if code in {"304", "NotModified"} or status == 304:
                    return False
                log.error("catalog s3://%s/%s unavailable: %s", self._bucket, self._key, code)
                return False
            except BotoCoreError as exc:
                log.error("catalog s3://%s/%s unavailable: %s", self._bucket, self._key, exc)
                return False
            try:
                self._catalog = parse_catalog(body, etag=response.get("ETag", ""))
            except CatalogError as exc:
                log.error("catalog s3://%s/%s rejected: %s", self._bucket, self._key, exc)
                return False
            log.info("catalog loaded: %d titles", len(self._catalog.titles))
            return True

    def start(self, interval: float) -> None:
        """Refresh in a daemon thread every `interval` seconds (faster until loaded)."""
        if interval <= 0 or self._thread is not None:
            return

        def run() -> None:
            while not self._stop.wait(interval if self._catalog is not None else 2.0):
                self.refresh()

        self._thread = threading.Thread(target=run, name="catalog-refresh", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the background refresher."""
        self._stop.set()
