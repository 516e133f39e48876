"""Signing-key rotation under load: viewers see no error while the API switches keys."""

from __future__ import annotations

import threading
import time

import requests
from twin_viewer import master_url, play, segment_urls

VIEWERS = 4
SWITCH_DEADLINE = 30.0  # s: well above the twin's 2 s secret refresh, for a busy machine


def _viewer(cdn: str, title: str, stop: threading.Event, errors: list[str],
            key_ids: set[str], grants: list[tuple[str, dict[str, str]]]) -> None:
    """Play, fetch the playlist and a few segments, repeat; note every failure."""
    with requests.Session() as session:
        while not stop.is_set():
            try:
                cookies = play(cdn, title)
                key_ids.add(cookies["CloudFront-Key-Pair-Id"])
                grants.append((title, cookies))
                for url in segment_urls(cdn, title, cookies)[:3]:
                    status = session.get(url, cookies=cookies, timeout=5).status_code
                    if status != 200:
                        errors.append(f"{status} {url}")
            except (AssertionError, requests.RequestException) as exc:
                errors.append(repr(exc))


def test_rotation_under_load_has_no_viewer_errors(twin, cdn, titles):
    old_id = twin.state.key_pair_id
    stop = threading.Event()
    errors: list[str] = []
    key_ids: set[str] = set()
    grants: list[tuple[str, dict[str, str]]] = []
    threads = [threading.Thread(target=_viewer, daemon=True,
                                args=(cdn, titles[i % len(titles)], stop, errors, key_ids, grants))
               for i in range(VIEWERS)]
    for t in threads:
        t.start()
    try:
        time.sleep(2)
        assert key_ids == {old_id}, key_ids
        new_id = twin.rotate_signing_key()
        assert new_id != old_id
        deadline = time.monotonic() + SWITCH_DEADLINE
        while new_id not in key_ids and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(2)  # keep playing under the new key
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=15)
    assert errors == []
    assert {old_id, new_id} <= key_ids
    # A grant from before the switch still opens its title: the old key is still trusted.
    title, old_grant = next((t, g) for t, g in grants if g["CloudFront-Key-Pair-Id"] == old_id)
    assert requests.get(master_url(cdn, title), cookies=old_grant,
                        timeout=5).status_code == 200
