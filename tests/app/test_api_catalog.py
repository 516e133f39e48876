"""Catalog endpoints: listing, paging, genre filter, detail, cache headers, ETag/304, refresh."""

from __future__ import annotations

import json
from typing import Any

from app.catalog import CATALOG_KEY

CATALOG_CACHE = "public, max-age=60, s-maxage=300"


def test_titles_lists_the_catalog_in_publisher_order(client: Any) -> None:
    response = client.get("/api/v1/titles")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    page = response.get_json()
    assert [t["id"] for t in page["items"]] == [
        "t01-ocean-deep",
        "t02-reef-life",
        "t03-city-lights",
        "t04-laugh-track",
        "t05-night-city",
    ]
    assert page["total"] == 5 and page["next_offset"] is None
    first = page["items"][0]
    assert first["poster_url"] == "https://cdn.example.test/posters/t01-ocean-deep.jpg"
    assert set(first) == {"id", "title", "year", "genres", "duration", "popularity", "poster_url"}


def test_titles_pages_with_limit_and_offset(client: Any) -> None:
    first = client.get("/api/v1/titles?limit=2").get_json()
    assert [t["id"] for t in first["items"]] == ["t01-ocean-deep", "t02-reef-life"]
    assert first["next_offset"] == 2
    last = client.get("/api/v1/titles?limit=2&offset=4").get_json()
    assert [t["id"] for t in last["items"]] == ["t05-night-city"]
    assert last["next_offset"] is None
    beyond = client.get("/api/v1/titles?offset=50").get_json()
    assert beyond["items"] == [] and beyond["total"] == 5


def test_titles_filter_by_genre_ignores_case(client: Any) -> None:
    page = client.get("/api/v1/titles?genre=drama").get_json()
    assert [t["id"] for t in page["items"]] == ["t03-city-lights", "t05-night-city"]
    assert client.get("/api/v1/titles?genre=Western").get_json()["items"] == []


def test_malformed_paging_parameters_are_400_problems(client: Any) -> None:
    for query in ("limit=0", "limit=101", "limit=ten", "offset=-1", "limit=", "genre=%00x"):
        response = client.get(f"/api/v1/titles?{query}")
        assert response.status_code == 400, query
        assert response.mimetype == "application/problem+json"
        problem = response.get_json()
        assert problem["status"] == 400 and problem["title"] == "Bad Request"


def test_title_detail_has_renditions_and_playback_link(client: Any) -> None:
    response = client.get("/api/v1/titles/t03-city-lights")
    assert response.status_code == 200
    title = response.get_json()
    assert title["synopsis"] == "The story of city-lights."
    assert title["tags"] == ["night", "city"]
    assert [r["name"] for r in title["renditions"]] == ["240p", "720p"]
    assert title["renditions"][1] == {
        "name": "720p",
        "width": 1280,
        "height": 720,
        "bandwidth": 2_800_000,
    }
    assert title["playback_url"] == "/api/v1/titles/t03-city-lights/playback"


def test_unknown_or_malformed_title_id_is_404_problem(client: Any) -> None:
    for title_id in ("t99-missing", "UPPER", "a" * 65, "%E2%9C%93"):
        response = client.get(f"/api/v1/titles/{title_id}")
        assert response.status_code == 404, title_id
        assert response.mimetype == "application/problem+json"


def test_catalog_responses_are_publicly_cacheable_with_etag(client: Any) -> None:
    for path in ("/api/v1/titles", "/api/v1/titles/t01-ocean-deep"):
        response = client.get(path)
        assert response.headers["Cache-Control"] == CATALOG_CACHE
        etag = response.headers["ETag"]
        assert etag.startswith('"') and etag.endswith('"')


def test_if_none_match_gets_304_without_body(client: Any) -> None:
    for path in ("/api/v1/titles?limit=3", "/api/v1/titles/t02-reef-life"):
        etag = client.get(path).headers["ETag"]
        for condition in (etag, f"W/{etag}", f'"other", {etag}', "*"):
            response = client.get(path, headers={"If-None-Match": condition})
            assert response.status_code == 304, (path, condition)
            assert response.data == b""
            assert response.headers["ETag"] == etag
            assert response.headers["Cache-Control"] == CATALOG_CACHE
        stale = client.get(path, headers={"If-None-Match": '"stale"'})
        assert stale.status_code == 200 and stale.data


def test_repeat_requests_are_byte_identical_and_head_has_no_body(client: Any) -> None:
    first = client.get("/api/v1/titles?genre=Nature")
    second = client.get("/api/v1/titles?genre=Nature")
    assert first.data == second.data
    assert first.headers["ETag"] == second.headers["ETag"]
    head = client.head("/api/v1/titles?genre=Nature")
    assert head.status_code == 200 and head.data == b""
    assert head.headers["ETag"] == first.headers["ETag"]


def test_refresh_picks_up_a_new_catalog_version_and_new_etags(
    app: Any, client: Any, publish_catalog: Any, catalog_document: dict
) -> None:
    before = client.get("/api/v1/titles")
    store = app.extensions["edgeflix"].catalog
    assert store.refresh() is False  # unchanged: conditional GET says 304
    catalog_document["titles"][0]["title"] = "Ocean Deeper"
    publish_catalog(catalog_document)
    assert store.refresh() is True
    after = client.get("/api/v1/titles")
    assert after.get_json()["items"][0]["title"] == "Ocean Deeper"
    assert after.headers["ETag"] != before.headers["ETag"]
    assert (
        client.get("/api/v1/titles", headers={"If-None-Match": before.headers["ETag"]}).status_code
        == 200
    )


def test_a_broken_catalog_keeps_the_one_in_force(app: Any, client: Any, s3: Any) -> None:
    s3.put_object(Bucket="edgeflix-media", Key=CATALOG_KEY, Body=b"{not json")
    assert app.extensions["edgeflix"].catalog.refresh() is False
    assert client.get("/api/v1/titles").get_json()["total"] == 5


def test_invalid_catalog_entries_are_skipped(
    make_app: Any, seeded: None, publish_catalog: Any, catalog_document: dict
) -> None:
    catalog_document["titles"].append({"id": "Bad Id!", "title": "x"})
    catalog_document["titles"].append({**catalog_document["titles"][0], "year": "soon"})
    publish_catalog(catalog_document)
    client = make_app().test_client()
    assert client.get("/api/v1/titles").get_json()["total"] == 5


def test_catalog_endpoints_are_503_until_the_catalog_loads(
    make_app: Any, dynamodb: Any, s3: Any
) -> None:
    response = make_app().test_client().get("/api/v1/titles")
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert response.headers["Retry-After"] == "2"
    assert json.loads(response.data)["status"] == 503
