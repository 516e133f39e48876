"""What a viewer does at the twin's edge: get a playback grant, list segments."""

from __future__ import annotations

import requests


def play(cdn: str, title: str) -> dict[str, str]:
    """POST playback through the edge; the signed cookies it grants."""
    grant = requests.post(f"{cdn}/api/v1/titles/{title}/playback", timeout=5)
    assert grant.status_code == 200, grant.text
    return grant.json()["cookies"]


def segment_urls(cdn: str, title: str, cookies: dict[str, str], rendition: str = "240p"
                 ) -> list[str]:
    base = f"{cdn}/video/{title}/{rendition}/"
    playlist = requests.get(base + "index.m3u8", cookies=cookies, timeout=5)
    assert playlist.status_code == 200
    return [base + line for line in playlist.text.splitlines()
            if line and not line.startswith("#")]
