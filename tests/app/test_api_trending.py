"""GET /api/v1/trending: the catalog service's ranking by recent plays, shared by every
viewer, degraded to catalog popularity (and saying so) when the plays table is not there."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import EndpointConnectionError
from flask import Flask

from app.http_caching import TRENDING, TRENDING_DEGRADED
from app.plays import PlayTable

BY_POPULARITY = ["t01-ocean-deep", "t04-laugh-track", "t03-city-lights"]


def play(client: Any, title_id: str) -> None:
    assert client.post(f"/api/v1/titles/{title_id}/playback").status_code == 200


@pytest.fixture
def catalog_service(seeded: None, make_app: Callable[..., Flask]) -> Flask:
    return make_app(service="catalog")


def test_trending_ranks_titles_by_recent_plays(catalog_service: Flask) -> None:
    client = catalog_service.test_client()
    for _ in range(3):
        play(client, "t05-night-city")
    response = client.get("/api/v1/trending?limit=3")
    assert response.status_code == 200
    assert response.headers["X-Trending-Source"] == "plays"
    assert "X-Trending-Degraded" not in response.headers
    body = response.get_json()
    assert body["source"] == "plays" and body["degraded"] is False
    assert len(body["items"]) == 3
    first = body["items"][0]
    assert first["id"] == "t05-night-city" and first["reason"] == "trending"
    assert first["poster_url"].startswith("https://cdn.example.test/")


def test_trending_is_briefly_cacheable_by_everyone_with_an_etag(catalog_service: Flask) -> None:
    client = catalog_service.test_client()
    response = client.get("/api/v1/trending")
    assert response.headers["Cache-Control"] == TRENDING
    assert "public" in TRENDING and "Set-Cookie" not in response.headers
    again = client.get("/api/v1/trending", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""


def test_without_the_plays_table_trending_falls_back_to_popularity_and_says_so(
    catalog_service: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unreachable(*_: Any, **__: Any) -> Any:
        raise EndpointConnectionError(endpoint_url="http://dynamodb.invalid")

    monkeypatch.setattr(PlayTable, "daily_plays", unreachable)
    response = catalog_service.test_client().get("/api/v1/trending?limit=3")
    assert response.status_code == 200
    assert response.headers["X-Trending-Source"] == "popularity"
    assert response.headers["X-Trending-Degraded"] == "dynamodb-error"
    assert response.headers["Cache-Control"] == TRENDING_DEGRADED
    body = response.get_json()
    assert body["source"] == "popularity" and body["degraded"] is True
    assert [item["id"] for item in body["items"]] == BY_POPULARITY


def test_malformed_trending_limits_are_400_problems(catalog_service: Flask) -> None:
    for query in ("limit=0", "limit=51", "limit=x"):
        response = catalog_service.test_client().get(f"/api/v1/trending?{query}")
        assert response.status_code == 400, query
        assert response.mimetype == "application/problem+json"


def test_the_edge_keeps_trending_for_the_seconds_the_api_says() -> None:
    from edge.config import load_edge_config

    policy = load_edge_config().cache_policy_for("/api/v1/trending")
    assert policy.effective_ttl(TRENDING) == 30
    assert policy.effective_ttl(TRENDING_DEGRADED) == 5
