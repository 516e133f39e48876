"""The edge twin caches as CloudFront would with edge-config's behaviours and policies."""

from __future__ import annotations

import time
import uuid

import pytest
import requests
from twin_origin import put_object
from twin_viewer import bearer, master_url, play, segment_urls

from edge.config import load_edge_config

EDGE = load_edge_config()
HIT, MISS = "Hit from cloudfront", "Miss from cloudfront"


def get(url: str, **kwargs) -> requests.Response:
    return requests.get(url, timeout=5, **kwargs)


def test_segment_miss_then_hit_with_age(cdn, titles):
    cookies = play(cdn, titles[0])
    url = segment_urls(cdn, titles[0], cookies)[1]
    first = get(url, cookies=cookies)
    assert first.status_code == 200
    assert first.headers["X-Cache"] == MISS
    assert "Age" not in first.headers
    assert first.headers["Content-Type"] == "video/mp2t"
    time.sleep(1.1)
    second = get(url, cookies=cookies)
    assert second.headers["X-Cache"] == HIT
    assert int(second.headers["Age"]) >= 1
    assert second.content == first.content


@pytest.mark.parametrize("path", ["/index.html", "/player/app.js", "/catalog.json"])
def test_static_objects_cached_by_the_default_behaviour(cdn, path):
    assert EDGE.behavior_for(path).is_default
    assert get(cdn + path).status_code == 200
    assert get(cdn + path).headers["X-Cache"] == HIT


def test_titles_api_cached_per_its_own_cache_control(cdn):
    url = f"{cdn}/api/v1/titles?limit=5"
    first = get(url)
    assert first.status_code == 200
    assert "s-maxage" in first.headers["Cache-Control"]
    assert get(url).headers["X-Cache"] == HIT


def test_playback_is_never_cached(cdn, titles):
    answers = [requests.post(f"{cdn}/api/v1/titles/{titles[0]}/playback",
                             headers=bearer(cdn), timeout=5)
               for _ in range(2)]
    assert [a.headers["X-Cache"] for a in answers] == [MISS, MISS]
    assert "no-store" in answers[1].headers["Cache-Control"]


def test_viewer_request_function_drops_media_query_strings(cdn, titles):
    cookies = play(cdn, titles[0])
    url = segment_urls(cdn, titles[0], cookies)[0]
    get(url, cookies=cookies)
    busted = get(url + "?cb=" + uuid.uuid4().hex, cookies=cookies)
    assert busted.status_code == 200
    assert busted.headers["X-Cache"] == HIT


def test_viewer_request_function_normalises_api_query(cdn):
    marker = uuid.uuid4().hex[:6]
    get(f"{cdn}/api/v1/titles?limit=3&genre=Drama&utm={marker}")
    # Same parameters in another order, other case, other junk: one cache entry.
    again = get(f"{cdn}/api/v1/titles?genre=DRAMA&junk={marker}&limit=3")
    assert again.status_code == 200
    assert again.headers["X-Cache"] == HIT


def test_root_serves_the_player_page(cdn):
    page = get(cdn + "/")
    assert page.status_code == 200
    assert "hls.min.js" in page.text
    assert page.headers["Content-Type"].startswith("text/html")


def test_response_headers_policy_on_every_behaviour(cdn, titles):
    cookies = play(cdn, titles[0])
    for path, kwargs in (("/api/v1/titles", {}), ("/healthz", {}), ("/index.html", {}),
                         (f"/video/{titles[0]}/master.m3u8", {"cookies": cookies})):
        answer = get(cdn + path, **kwargs)
        policy = EDGE.response_headers_policies[EDGE.behavior_for(path).response_headers_policy]
        for name, value in policy.headers().items():
            assert answer.headers.get(name) == value, (path, name)


def test_cors_only_for_viewers_that_send_an_origin(cdn, titles):
    cookies = play(cdn, titles[0])
    url = master_url(cdn, titles[0])
    cors = EDGE.response_headers_policies["secure-cors"].cors
    with_origin = get(url, cookies=cookies, headers={"Origin": "https://example.org"})
    assert with_origin.headers["Access-Control-Allow-Origin"] == "*"
    assert with_origin.headers["Access-Control-Expose-Headers"] == ", ".join(
        cors.expose_headers)
    assert "Access-Control-Allow-Origin" not in get(url, cookies=cookies).headers
    preflight = requests.options(url, timeout=5, headers={
        "Origin": "https://example.org", "Access-Control-Request-Method": "GET"})
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Max-Age"] == str(cors.max_age)


# ---- TTL clamping: objects put straight into the origin with chosen headers ----

def _expect_cached_after(path: str, cache_control: str | None, seconds: float) -> bool:
    """CloudFront's verdict (the reference implementation) for a re-fetch after `seconds`."""
    return EDGE.cache_policy_for(path).effective_ttl(cache_control) > seconds + 1


@pytest.mark.parametrize(("name", "cache_control"), [
    ("short-max-age.txt", "max-age=1"),       # static: min 0 -> expires after 1 s
    ("no-store.txt", "no-store"),             # static: min 0 -> honoured, never cached
    ("no-header.txt", None),                  # static: default TTL 300 s
    ("s-maxage-wins.txt", "max-age=600, s-maxage=1"),  # s-maxage beats max-age
])
def test_ttl_rules_on_the_default_behaviour(twin, cdn, name, cache_control):
    path = f"/ttl-{uuid.uuid4().hex[:8]}/{name}"
    put_object(twin, path[1:], cache_control)
    assert get(cdn + path).headers["X-Cache"] == MISS
    time.sleep(2)
    expected = HIT if _expect_cached_after(path, cache_control, 2) else MISS
    assert get(cdn + path).headers["X-Cache"] == expected


@pytest.mark.parametrize("cache_control", ["max-age=1", "no-store", "private"])
def test_segment_min_ttl_overrides_the_origin(twin, cdn, titles, cache_control):
    """video-segments has min TTL 86400: short or no-store headers cannot shorten it."""
    title = titles[0]
    path = f"/video/{title}/ttl-{uuid.uuid4().hex[:8]}.ts"
    assert _expect_cached_after(path, cache_control, 2)
    put_object(twin, path[1:], cache_control)
    cookies = play(cdn, title)
    assert get(cdn + path, cookies=cookies).headers["X-Cache"] == MISS
    time.sleep(2)
    again = get(cdn + path, cookies=cookies)
    assert again.headers["X-Cache"] == HIT
    assert int(again.headers["Age"]) >= 2


def test_invalidation_bans_a_cached_object(twin, cdn):
    path = f"/inval-{uuid.uuid4().hex[:8]}/page.txt"
    put_object(twin, path[1:], "max-age=3600", body=b"old")
    assert get(cdn + path).text == "old"
    put_object(twin, path[1:], "max-age=3600", body=b"new")
    assert get(cdn + path).text == "old"
    twin.invalidate([path.rsplit("/", 1)[0] + "/*"])
    fresh = get(cdn + path)
    assert fresh.text == "new"
    assert fresh.headers["X-Cache"] == MISS


def test_playlists_follow_their_own_behaviour_not_the_segments(twin, cdn, titles):
    """/video/*.m3u8 comes before /video/*: min TTL 0, so a 1 s max-age expires."""
    title = titles[0]
    path = f"/video/{title}/ttl-{uuid.uuid4().hex[:8]}.m3u8"
    assert not _expect_cached_after(path, "max-age=1", 2)
    put_object(twin, path[1:], "max-age=1")
    cookies = play(cdn, title)
    assert get(cdn + path, cookies=cookies).headers["X-Cache"] == MISS
    time.sleep(2)
    assert get(cdn + path, cookies=cookies).headers["X-Cache"] == MISS


def test_compression_follows_the_cache_policy(cdn):
    """static has compress: true; the player script is served gzipped when asked."""
    assert EDGE.cache_policy_for("/player/hls.min.js").compress
    zipped = get(f"{cdn}/player/hls.min.js", headers={"Accept-Encoding": "gzip"})
    assert zipped.headers.get("Content-Encoding") == "gzip"
    plain = get(f"{cdn}/player/hls.min.js", headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers
    assert plain.content == zipped.content  # requests inflates the gzipped body
