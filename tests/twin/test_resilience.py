"""Chaos on the twin: an API instance dies under load, the media origin goes away."""

from __future__ import annotations

import threading
import time
from collections import Counter
from urllib.parse import urlsplit

import requests
from twin_viewer import bearer, master_url, play, rendition_base, segment_urls

from edge.config import load_edge_config
from twin.processes import http_ok, wait_until

EDGE = load_edge_config()

VIEWERS = 100
LOAD_SECONDS = 6.0
KILL_AFTER = 1.5


class Outcomes:
    """What the viewers saw, shared between their threads.

    `retried` holds the first attempts that failed in transit and when (monotonic
    time); `failed` the requests that still failed after the one retry.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.ok = self.plays = 0
        self.retried: list[tuple[float, str]] = []
        self.failed: Counter[str] = Counter()


def viewer(cdn: str, title: str, stop: threading.Event, seen: Outcomes) -> None:
    """Browse, play, then fetch playlists and segments until told to stop.

    Like a real player (hls.js retries playlists and segments; an API client
    retries a torn response), a request that fails in transit is tried once more.
    A hard kill can tear a response the instance had begun to send: the ALB has
    passed its headers on, so neither it nor the edge can retry it for the viewer.
    """
    http = requests.Session()
    signed_in = bearer(cdn)

    def attempt(method: str, url: str, **kwargs) -> tuple[requests.Response | None, str]:
        try:
            answer = http.request(method, url, timeout=10, **kwargs)
        except requests.RequestException as exc:
            return None, f"{type(exc).__name__} {url}"
        return answer, "" if answer.status_code == 200 else f"HTTP {answer.status_code} {url}"

    def fetch(method: str, url: str, **kwargs) -> requests.Response | None:
        answer, problem = attempt(method, url, **kwargs)
        if problem:
            with seen.lock:
                seen.retried.append((time.monotonic(), problem))
            time.sleep(0.05)
            answer, problem = attempt(method, url, **kwargs)
        with seen.lock:
            if problem:
                seen.failed[problem] += 1
            else:
                seen.ok += 1
        return answer

    i = 0
    while not stop.is_set():
        fetch("GET", f"{cdn}/api/v1/titles")
        grant = fetch("POST", f"{cdn}/api/v1/titles/{title}/playback", headers=signed_in)
        if grant is None or grant.status_code != 200:
            continue
        with seen.lock:
            seen.plays += 1
        cookies = grant.json()["cookies"]
        fetch("GET", master_url(cdn, title), cookies=cookies)
        playlist = fetch("GET", rendition_base(cdn, title, "240p") + "index.m3u8",
                         cookies=cookies)
        if playlist is None or playlist.status_code != 200:
            continue
        segments = [s for s in playlist.text.splitlines() if s and not s.startswith("#")]
        fetch("GET", rendition_base(cdn, title, "240p") + segments[i % len(segments)],
              cookies=cookies)
        i += 1


def test_killing_an_api_instance_under_load_fails_no_viewer(twin, cdn, titles):
    stop, seen = threading.Event(), Outcomes()
    threads = [threading.Thread(target=viewer, args=(cdn, titles[i % len(titles)], stop, seen),
                                daemon=True)
               for i in range(VIEWERS)]
    for t in threads:
        t.start()
    try:
        time.sleep(KILL_AFTER)
        with seen.lock:
            plays_before_kill = seen.plays
        killed_at = time.monotonic()
        twin.kill_api(1)
        time.sleep(LOAD_SECONDS - KILL_AFTER)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=15)
    assert not any(t.is_alive() for t in threads)
    print(f"\n{VIEWERS} viewers, {LOAD_SECONDS:.0f} s, instance killed after {KILL_AFTER} s: "
          f"{seen.ok + seen.failed.total()} requests, {len(seen.retried)} retried, "
          f"{seen.failed.total()} failed, {seen.plays - plays_before_kill} plays granted "
          f"after the kill")
    assert plays_before_kill > 0
    # On average every viewer started another play on the surviving instance.
    assert seen.plays - plays_before_kill >= VIEWERS
    assert seen.failed == Counter(), seen.failed
    # Retry and redispatch at the ALB hide every request the dead instance had not
    # begun to answer. The viewer only retries responses torn by the kill itself:
    # never before it, and no more than the dead instance could be answering at once.
    # Without redispatch, every request routed to it until two health checks
    # failed would land here: hundreds.
    assert all(at >= killed_at for at, _ in seen.retried), seen.retried
    assert len(seen.retried) <= twin.instance_concurrency(), seen.retried
    # The ASG would replace the instance; the twin does the same.
    twin.start_api(1)
    port = twin.ports.api[0]
    wait_until(http_ok(f"http://127.0.0.1:{port}/readyz"), "replaced API instance", 30)


def test_cached_segments_survive_an_origin_outage_and_the_twin_recovers(twin, cdn, titles):
    """During an outage the edge serves what it holds and answers a 5xx for the rest, which it
    caches like CloudFront (an unreachable origin counts as a 5xx from it) for the 5xx's error
    TTL; once the origin is back and that TTL has run out, the segment itself is served."""
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
        failed_at = time.monotonic()
        assert missing.status_code >= 500
        assert missing.headers["X-Cache"] == "Error from cloudfront"
        assert "Age" not in missing.headers
        ttl = EDGE.error_ttl(missing.status_code, None,
                             behavior=EDGE.behavior_for(urlsplit(uncached).path))
        assert 0 < ttl <= 5, "a long 5xx TTL prolongs an outage (and this test)"
        again = requests.get(uncached, cookies=cookies, timeout=5)
        if time.monotonic() - failed_at < ttl:  # the edge answers from its error cache
            assert again.status_code == missing.status_code
            assert again.headers["X-Cache"] == "Error from cloudfront"
            assert "Age" in again.headers
    finally:
        twin.start_origin()

    # Until the TTL runs out the edge answers the cached 5xx, origin back or not; then it
    # asks the origin again (a fresh 5xx while the origin is still starting).
    deadline = time.monotonic() + ttl + 30
    while (answer := requests.get(uncached, cookies=cookies, timeout=5)).status_code != 200:
        assert answer.status_code == missing.status_code, answer.status_code
        assert answer.headers["X-Cache"] == "Error from cloudfront"
        assert time.monotonic() < deadline, "the twin did not recover"
        time.sleep(0.2)
    recovered_after = time.monotonic() - failed_at
    print(f"\norigin back, segment served {recovered_after:.1f} s after the first 5xx "
          f"(5xx TTL {ttl} s)")
    assert recovered_after >= ttl - 0.5, "the cached 5xx was bypassed before its TTL"
    assert answer.headers["X-Cache"] == "Miss from cloudfront"
    assert requests.get(master_url(cdn, titles[0]),
                        cookies=play(cdn, titles[0]), timeout=5).status_code == 200
