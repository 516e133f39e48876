"""Chaos on the twin: an API instance dies under load, the media origin goes away."""

from __future__ import annotations

import threading
import time
from collections import Counter

import requests
from twin_viewer import play, segment_urls

from twin.processes import http_ok, wait_until

VIEWERS = 100
LOAD_SECONDS = 6.0
KILL_AFTER = 1.5


def viewer(cdn: str, title: str, stop: threading.Event, outcomes: Counter,
           lock: threading.Lock) -> None:
    """Browse, play, then fetch playlists and segments until told to stop."""
    http = requests.Session()

    def fetch(method: str, url: str, **kwargs) -> requests.Response | None:
        try:
            answer = http.request(method, url, timeout=10, **kwargs)
            key = "ok" if answer.status_code == 200 else f"HTTP {answer.status_code} {url}"
        except requests.RequestException as exc:
            answer, key = None, f"{type(exc).__name__} {url}"
        with lock:
            outcomes[key] += 1
        return answer

    i = 0
    while not stop.is_set():
        fetch("GET", f"{cdn}/api/v1/titles")
        grant = fetch("POST", f"{cdn}/api/v1/titles/{title}/playback")
        if grant is None or grant.status_code != 200:
            continue
        with lock:
            outcomes["plays"] += 1
        cookies = grant.json()["cookies"]
        fetch("GET", f"{cdn}/video/{title}/master.m3u8", cookies=cookies)
        playlist = fetch("GET", f"{cdn}/video/{title}/240p/index.m3u8", cookies=cookies)
        if playlist is None or playlist.status_code != 200:
            continue
        segments = [s for s in playlist.text.splitlines() if s and not s.startswith("#")]
        fetch("GET", f"{cdn}/video/{title}/240p/{segments[i % len(segments)]}",
              cookies=cookies)
        i += 1


def test_killing_an_api_instance_under_load_fails_no_viewer(twin, cdn, titles):
    stop, lock, outcomes = threading.Event(), threading.Lock(), Counter()
    threads = [threading.Thread(target=viewer, args=(cdn, titles[i % len(titles)], stop,
                                                    outcomes, lock), daemon=True)
               for i in range(VIEWERS)]
    for t in threads:
        t.start()
    try:
        time.sleep(KILL_AFTER)
        with lock:
            plays_before_kill = outcomes["plays"]
        twin.kill_api(1)
        time.sleep(LOAD_SECONDS - KILL_AFTER)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=15)
    assert not any(t.is_alive() for t in threads)
    failures = {k: v for k, v in outcomes.items() if k not in ("ok", "plays")}
    print(f"\n{VIEWERS} viewers, {LOAD_SECONDS:.0f} s, instance killed after {KILL_AFTER} s: "
          f"{outcomes['ok'] + sum(failures.values())} requests, {sum(failures.values())} failed, "
          f"{outcomes['plays'] - plays_before_kill} plays granted after the kill")
    assert plays_before_kill > 0
    # On average every viewer started another play on the surviving instance.
    assert outcomes["plays"] - plays_before_kill >= VIEWERS
    assert failures == {}, failures
    # The ASG would replace the instance; the twin does the same.
    twin.start_api(1)
    port = twin.ports.api[0]
    wait_until(http_ok(f"http://127.0.0.1:{port}/readyz"), "replaced API instance", 30)


def test_cached_segments_survive_an_origin_outage_and_the_twin_recovers(twin, cdn, titles):
    title = titles[1]
    cookies = play(cdn, title)
    cached = segment_urls(cdn, title, cookies, "240p")[0]
    assert requests.get(cached, cookies=cookies, timeout=5).status_code == 200
    uncached = segment_urls(cdn, title, cookies, "720p")[-1]

    twin.stop_origin()
    try:
        during = requests.get(cached, cookies=cookies, timeout=5)
        assert during.status_code == 200
        assert during.headers["X-Cache"] == "Hit from cloudfront"
        missing = requests.get(uncached, cookies=cookies, timeout=15)
        assert missing.status_code >= 500
        assert missing.headers["X-Cache"] == "Error from cloudfront"
    finally:
        twin.start_origin()

    recovered = requests.get(uncached, cookies=cookies, timeout=5)
    assert recovered.status_code == 200
    assert recovered.headers["X-Cache"] == "Miss from cloudfront"
    assert requests.get(f"{cdn}/video/{titles[0]}/master.m3u8",
                        cookies=play(cdn, titles[0]), timeout=5).status_code == 200
