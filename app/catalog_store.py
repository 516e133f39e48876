"""The catalog in force: read from the media bucket, refreshed by ETag, with derived caches."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from urllib3.exceptions import HTTPError as TransportError

from app.catalog import CatalogError, Title, read_titles

log = logging.getLogger(__name__)


@dataclass
class CatalogVersion:
    """One version (ETag) of catalog.json plus caches derived from it (built once each)."""

    titles: tuple[Title, ...]
    etag: str = ""
    by_id: dict[str, Title] = field(init=False)
    derived: dict[str, Any] = field(default_factory=dict, repr=False)
    _derive_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        self.by_id = {t.id: t for t in self.titles}

    def derive(self, name: str, build: Callable[[CatalogVersion], Any]) -> Any:
        """Return `build(self)` computed once for this catalog version."""
        try:
            return self.derived[name]
        except KeyError:
            with self._derive_lock:
                if name not in self.derived:
                    self.derived[name] = build(self)
                return self.derived[name]


class CatalogStore:
    """Holds the current CatalogVersion; refresh() re-reads S3 only when its ETag changed."""

    def __init__(self, s3: Any, bucket: str, key: str) -> None:
        self._s3 = s3
        self._bucket = bucket
        self._key = key
        self._catalog: CatalogVersion | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def catalog(self) -> CatalogVersion | None:
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
            except (BotoCoreError, TransportError, OSError) as exc:
                # Reading the body can time out after the headers came (urllib3's
                # ReadTimeoutError is not botocore's): the same outage, not a crash.
                log.error("catalog s3://%s/%s unavailable: %s", self._bucket, self._key, exc)
                return False
            try:
                self._catalog = CatalogVersion(read_titles(body), etag=response.get("ETag", ""))
            except CatalogError as exc:
                log.error("catalog s3://%s/%s rejected: %s", self._bucket, self._key, exc)
                return False
            log.info("catalog loaded: %d titles", len(self._catalog.titles))
            return True

    def start(self, interval: float) -> None:
        """Refresh in a daemon thread every `interval` seconds (every 2 s until loaded);
        a failed refresh, whatever raised, is logged and tried again (a dead refresher
        left a twin's service unready for good: its body read timed out once)."""
        if interval <= 0 or self._thread is not None:
            return

        def run() -> None:
            while not self._stop.wait(interval if self._catalog is not None else 2.0):
                try:
                    self.refresh()
                except Exception:  # the refresher outlives any one failure
                    log.exception("catalog refresh failed; retrying")

        self._thread = threading.Thread(target=run, name="catalog-refresh", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the background refresher."""
        self._stop.set()
