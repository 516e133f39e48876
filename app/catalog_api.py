"""Catalog endpoints: title list and title detail, served from pre-serialised documents,
and trending titles."""

from __future__ import annotations

import json
import re
import threading
from typing import Any

from flask import Blueprint, Response, request

from app.catalog import TITLE_ID, Title
from app.catalog_store import CatalogVersion
from app.http_caching import CATALOG, TRENDING, TRENDING_DEGRADED, not_modified, strong_etag
from app.problems import Problem
from app.query_params import integer_param, pattern_param
from app.services import current_catalog, services

catalog_api = Blueprint("catalog", __name__, url_prefix="/api/v1")

GENRE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 &'-]{0,31}$")
MAX_LIMIT = 100
MAX_OFFSET = 100_000
MAX_CACHED_PAGES = 2048

Document = tuple[bytes, str]


def title_summary(title: Title, cdn_base: str) -> dict[str, Any]:
    """The list representation of a title."""
    return {
        "id": title.id,
        "title": title.title,
        "year": title.year,
        "genres": list(title.genres),
        "duration": title.duration,
        "popularity": title.popularity,
        "poster_url": f"{cdn_base}/{title.poster}",
    }


def title_detail(title: Title, cdn_base: str) -> dict[str, Any]:
    """The detail representation of a title: the summary plus synopsis, tags, renditions."""
    return {
        **title_summary(title, cdn_base),
        "synopsis": title.synopsis,
        "tags": list(title.tags),
        "renditions": [
            {"name": r.name, "width": r.width, "height": r.height, "bandwidth": r.bandwidth}
            for r in title.renditions
        ],
        "playback_url": f"/api/v1/titles/{title.id}/playback",
    }


def _serialise(document: dict[str, Any]) -> Document:
    body = json.dumps(document, separators=(",", ":")).encode()
    return body, strong_etag(body)


class TitleDocuments:
    """Serialised JSON and ETags of one catalog version, built once and reused."""

    def __init__(self, catalog: CatalogVersion, cdn_base: str) -> None:
        self._catalog = catalog
        self._cdn_base = cdn_base
        self._details = {t.id: _serialise(title_detail(t, cdn_base)) for t in catalog.titles}
        self._pages: dict[tuple[str | None, int, int], Document] = {}
        self._lock = threading.Lock()

    def detail(self, title_id: str) -> Document | None:
        """The detail document of a title, None when unknown."""
        return self._details.get(title_id)

    def page(self, genre: str | None, offset: int, limit: int) -> Document:
        """One page of the (optionally genre-filtered) list."""
        key = (genre.lower() if genre else None, offset, limit)
        cached = self._pages.get(key)
        if cached is not None:
            return cached
        titles = self._catalog.titles
        if key[0] is not None:
            titles = tuple(t for t in titles if any(g.lower() == key[0] for g in t.genres))
        chosen = titles[offset : offset + limit]
        following = offset + limit
        document = _serialise(
            {
                "items": [title_summary(t, self._cdn_base) for t in chosen],
                "total": len(titles),
                "offset": offset,
                "limit": limit,
                "next_offset": following if following < len(titles) else None,
            }
        )
        with self._lock:
            if len(self._pages) >= MAX_CACHED_PAGES:
                self._pages.clear()
            self._pages[key] = document
        return document


def title_documents() -> TitleDocuments:
    """The documents of the catalog in force."""
    cdn_base = services().settings.cdn_base
    return current_catalog().derive("documents", lambda c: TitleDocuments(c, cdn_base))


def cacheable(document: Document) -> Response:
    """200 with the document, or 304 when the client already holds it."""
    body, etag = document
    if not_modified(request, etag):
        response = Response(status=304)
    else:
        response = Response(body, mimetype="application/json")
    response.headers["ETag"] = etag
    response.headers["Cache-Control"] = CATALOG
    return response


@catalog_api.get("/titles")
def list_titles() -> Response:
    """A page of titles, optionally filtered by genre."""
    limit = integer_param("limit", 20, 1, MAX_LIMIT)
    offset = integer_param("offset", 0, 0, MAX_OFFSET)
    genre = pattern_param("genre", GENRE)
    return cacheable(title_documents().page(genre, offset, limit))


@catalog_api.get("/titles/<title_id>")
def get_title(title_id: str) -> Response:
    """One title with its renditions."""
    document = title_documents().detail(title_id) if TITLE_ID.fullmatch(title_id) else None
    if document is None:
        raise Problem(404, f"No title with id {title_id[:80]!r}.")
    return cacheable(document)


TRENDING_SOURCE_HEADER = "X-Trending-Source"
TRENDING_DEGRADED_HEADER = "X-Trending-Degraded"
MAX_TRENDING = 50
# Recommender sources (app/recommendations.py) as the trending endpoint names them.
TRENDING_SOURCES = {"trending": "plays", "popularity": "popularity"}


@catalog_api.get("/trending")
def trending() -> Response:
    """Titles ranked by recent plays (the last two UTC days' counters, blended with
    catalog popularity), or by catalog popularity alone when the plays table is slow
    or unreachable.

    Body {"source": "plays"|"popularity", "degraded": bool, "items": [summary + score,
    reason]}; `X-Trending-Source` repeats the source, `X-Trending-Degraded` says why
    (dynamodb-timeout, dynamodb-error, circuit-open). The same for every viewer:
    publicly cacheable for seconds (app/http_caching.py TRENDING), with a strong ETag.
    """
    limit = integer_param("limit", 20, 1, MAX_TRENDING)
    catalog = current_catalog()
    svc = services()
    assert svc.recommender is not None  # built wherever this blueprint is registered
    result = svc.recommender.recommend(catalog, None, limit)
    source = TRENDING_SOURCES.get(result.source, "popularity")
    body, etag = _serialise({
        "source": source,
        "degraded": result.degraded is not None,
        "items": [
            {**title_summary(r.title, svc.settings.cdn_base), "score": r.score, "reason": r.reason}
            for r in result.items
        ],
    })
    response = Response(status=304) if not_modified(request, etag) else Response(
        body, mimetype="application/json")
    response.headers["ETag"] = etag
    response.headers["Cache-Control"] = TRENDING_DEGRADED if result.degraded else TRENDING
    response.headers[TRENDING_SOURCE_HEADER] = source
    if result.degraded:
        response.headers[TRENDING_DEGRADED_HEADER] = result.degraded
    return response
