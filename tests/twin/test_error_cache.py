"""The twin's edge caches origin errors as CloudFront does, and only origin errors."""

from __future__ import annotations

import time
import uuid

import requests
from twin_origin import origin_gets, put_object
from twin_viewer import bearer, master_url, play

from edge.config import load_edge_config

EDGE = load_edge_config()
ERROR, MISS = "Error from cloudfront", "Miss from cloudfront"
MARGIN = 3.0  # seconds past the TTL a re-fetch may take on a busy machine


def get(url: str, **kwargs) -> requests.Response:
    return requests.get(url, timeout=5, **kwargs)


def test_a_missing_segment_is_cached_as_an_error_until_its_ttl_then_fetched_again(
        twin, cdn, titles):
    """A segment asked for before its upload lands (a publish in flight): the edge answers
    the origin's 404/403 from its error cache, the origin sees one request per TTL, and the
    uploaded segment appears once the error TTL has run out."""
    title = titles[0]
    cookies = play(cdn, title)
    key = f"video/{title}/240p/late-{uuid.uuid4().hex[:8]}.ts"
    url = f"{cdn}/{key}"

    first = get(url, cookies=cookies)
    cached_at = time.monotonic()
    assert first.status_code in (403, 404)  # moto says 404; S3 under OAC says 403
    assert first.headers["X-Cache"] == ERROR and "Age" not in first.headers
    ttl = EDGE.error_ttl(first.status_code, first.headers.get("Cache-Control"),
                         behavior=EDGE.behavior_for("/" + key))
    assert ttl == EDGE.error_caching_min_ttl(first.status_code) == 10
    assert origin_gets(twin, key) == 1

    second = get(url, cookies=cookies)
    assert second.status_code == first.status_code
    assert second.headers["X-Cache"] == ERROR
    assert 0 <= int(second.headers["Age"]) <= ttl
    assert origin_gets(twin, key) == 1  # served by the edge alone

    put_object(twin, key, "public, max-age=31536000, immutable", content_type="video/mp2t")
    while (answer := get(url, cookies=cookies)).status_code != 200:
        assert answer.status_code == first.status_code and answer.headers["X-Cache"] == ERROR
        assert time.monotonic() - cached_at < ttl + MARGIN, "the error outlived its TTL"
        time.sleep(0.2)
    waited = time.monotonic() - cached_at
    assert answer.headers["X-Cache"] == MISS
    assert waited >= ttl - 1, f"the cached error was dropped after {waited:.1f} s"
    # Every answer in between came from the error cache: one more origin request, not dozens.
    assert origin_gets(twin, key) == 2


def test_the_edges_own_403_for_a_missing_cookie_is_not_cached(cdn, titles):
    """nginx refuses a viewer without signed cookies before the cache: no error object, so a
    viewer with cookies right after gets the playlist."""
    url = master_url(cdn, titles[1])
    refused = [get(url) for _ in range(2)]
    assert [r.status_code for r in refused] == [403, 403]
    assert all("Age" not in r.headers for r in refused)
    assert get(url, cookies=play(cdn, titles[1])).status_code == 200


def test_api_errors_follow_cloudfronts_per_code_rules(cdn):
    """The API marks every error `private, no-store`: CloudFront honours that for a 404 but
    ignores it for a 400, which it caches for its error TTL."""
    missing = f"{cdn}/api/v1/titles/no-such-{uuid.uuid4().hex[:8]}"
    answers = [get(missing) for _ in range(2)]
    assert [a.status_code for a in answers] == [404, 404]
    assert "no-store" in answers[1].headers["Cache-Control"]
    assert EDGE.error_ttl(404, answers[1].headers["Cache-Control"],
                          behavior=EDGE.behavior_for("/api/v1/titles/x")) == 0
    assert "Age" not in answers[1].headers  # asked the API again

    bad = f"{cdn}/api/v1/titles?limit=-{uuid.uuid4().int % 1000 + 1}"
    answers = [get(bad) for _ in range(2)]
    assert [a.status_code for a in answers] == [400, 400]
    assert EDGE.error_ttl(400, answers[1].headers["Cache-Control"],
                          behavior=EDGE.behavior_for("/api/v1/titles")) == 10
    assert "Age" not in answers[0].headers
    assert answers[1].headers["X-Cache"] == ERROR and int(answers[1].headers["Age"]) >= 0


def test_errors_on_post_are_never_cached(cdn, titles):
    url = f"{cdn}/api/v1/titles/no-such-{uuid.uuid4().hex[:8]}/playback"
    answers = [requests.post(url, headers=bearer(cdn), timeout=5) for _ in range(2)]
    assert [a.status_code for a in answers] == [404, 404]
    assert all(a.headers["X-Cache"] == ERROR and "Age" not in a.headers for a in answers)
