"""An origin-side cache of the public catalog documents, in front of Flask.

Title lists and details are pure functions of the catalog version and the exact
path and query string, and Flask's per-request machinery costs several times
more than sending them. So the first 200 for a given path and query (built and
validated by the catalog blueprint as usual) is kept, and repeats, including
conditional requests answered with 304, are served from here until the catalog
changes. Only GET responses that are 200, `Cache-Control: public` and carry no
cookie are kept, so an error or anything personal can never be replayed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from app.catalog_store import CatalogStore, CatalogVersion

CACHED_PREFIX = "/api/v1/titles"
MAX_ENTRIES = 4096
REVALIDATION_HEADERS = ("etag", "cache-control")

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


@dataclass(frozen=True)
class CachedDocument:
    """A stored 200: its body, its headers, its ETag and the catalog it came from."""

    catalog: CatalogVersion
    body: bytes
    headers: list[tuple[str, str]]
    etag: str
    not_modified_headers: list[tuple[str, str]]


def etag_matches(if_none_match: str, etag: str) -> bool:
    """Weak comparison of an If-None-Match header against one ETag (RFC 9110)."""
    if if_none_match.strip() == "*":
        return True
    opaque = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == opaque for tag in if_none_match.split(","))


class CatalogDocumentCache:
    """WSGI middleware: serves repeat GET/HEAD of catalog documents without Flask."""

    def __init__(self, app: WsgiApp, store: CatalogStore) -> None:
        self.app = app
        self._store = store
        self._entries: dict[tuple[str, str], CachedDocument] = {}
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD")
        path = environ.get("PATH_INFO", "")
        if method not in ("GET", "HEAD") or not path.startswith(CACHED_PREFIX):
            return self.app(environ, start_response)
        key = (path, environ.get("QUERY_STRING", ""))
        entry = self._entries.get(key)
        if entry is not None and entry.catalog is self._store.catalog:
            return self._serve(entry, environ, start_response)
        if method == "HEAD":
            return self.app(environ, start_response)
        return self._fill(key, environ, start_response)

    @staticmethod
    def _serve(
        entry: CachedDocument, environ: dict[str, Any], start_response: StartResponse
    ) -> Iterable[bytes]:
        condition = environ.get("HTTP_IF_NONE_MATCH")
        if condition and etag_matches(condition, entry.etag):
            start_response("304 NOT MODIFIED", list(entry.not_modified_headers))
            return []
        start_response("200 OK", list(entry.headers))
        return [] if environ["REQUEST_METHOD"] == "HEAD" else [entry.body]

    def _fill(
        self, key: tuple[str, str], environ: dict[str, Any], start_response: StartResponse
    ) -> Iterable[bytes]:
        catalog = self._store.catalog
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            captured["status"] = status
            captured["headers"] = list(headers)
            return start_response(status, headers, exc_info)

        result = self.app(environ, capture)
        try:
            body = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        if catalog is not None and self._storable(captured):
            self._remember(key, catalog, body, captured["headers"])
        return [body]

    @staticmethod
    def _storable(captured: dict[str, Any]) -> bool:
        if not captured.get("status", "").startswith("200"):
            return False
        names = {name.lower(): value for name, value in captured["headers"]}
        return (
            "set-cookie" not in names
            and "etag" in names
            and names.get("cache-control", "").startswith("public")
        )

    def _remember(
        self,
        key: tuple[str, str],
        catalog: CatalogVersion,
        body: bytes,
        headers: list[tuple[str, str]],
    ) -> None:
        names = {name.lower(): value for name, value in headers}
        entry = CachedDocument(
            catalog=catalog,
            body=body,
            headers=headers,
            etag=names["etag"],
            not_modified_headers=[
                (name, value)
                for name, value in headers
                if name.lower() in ("etag", "cache-control")
            ],
        )
        with self._lock:
            if len(self._entries) >= MAX_ENTRIES:
                self._entries.clear()
            self._entries[key] = entry
