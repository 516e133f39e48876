"""At the twin's edge, a grant opens what the account's plan plays, and nothing above it."""

from __future__ import annotations

import m3u8
import requests
from twin_viewer import bearer, rendition_base


def grant(cdn: str, title: str, plan: str) -> dict:
    answer = requests.post(f"{cdn}/api/v1/titles/{title}/playback", headers=bearer(cdn, plan),
                           timeout=5)
    assert answer.status_code == 200, answer.text
    return answer.json()


def get(url: str, cookies: dict[str, str]) -> requests.Response:
    return requests.get(url, cookies=cookies, timeout=5)


def first_segment(cdn: str, title: str, rendition: str, cookies: dict[str, str]) -> str:
    base = rendition_base(cdn, title, rendition)
    playlist = get(base + "index.m3u8", cookies)
    assert playlist.status_code == 200
    return base + m3u8.loads(playlist.text).segments[0].uri


def test_a_basic_viewer_gets_a_master_of_480p_and_below(cdn, titles):
    body = grant(cdn, titles[0], "basic")
    master = get(body["manifest_url"], body["cookies"])

    assert master.status_code == 200
    heights = [p.stream_info.resolution[1] for p in m3u8.loads(master.text).playlists]
    assert heights and max(heights) <= 480
    assert [r["height"] for r in body["renditions"]] == sorted(heights)
    for variant in m3u8.loads(master.text, uri=body["manifest_url"]).playlists:
        assert get(variant.absolute_uri, body["cookies"]).status_code == 200


def test_a_basic_viewers_cookies_do_not_open_720p(cdn, titles):
    premium = grant(cdn, titles[0], "premium")["cookies"]
    segment_720p = first_segment(cdn, titles[0], "720p", premium)
    assert get(segment_720p, premium).status_code == 200  # the segment exists

    basic = grant(cdn, titles[0], "basic")["cookies"]

    assert get(segment_720p, basic).status_code == 403
    assert get(rendition_base(cdn, titles[0], "720p") + "index.m3u8", basic).status_code == 403
    assert get(f"{cdn}/video/{titles[0]}/master.m3u8", basic).status_code == 403
    assert get(first_segment(cdn, titles[0], "240p", basic), basic).status_code == 200


def test_a_premium_viewers_master_lists_720p(cdn, titles):
    body = grant(cdn, titles[0], "premium")
    master = get(body["manifest_url"], body["cookies"])
    assert master.status_code == 200
    heights = [p.stream_info.resolution[1] for p in m3u8.loads(master.text).playlists]
    assert 720 in heights
