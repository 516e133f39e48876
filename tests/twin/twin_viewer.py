"""What a viewer does at the twin's edge: sign in, get a playback grant, list segments."""

from __future__ import annotations

import requests

from loadtest.accounts import ViewerCredentials, sign_up_and_sign_in

_TOKENS: dict[str, str] = {}


def bearer(cdn: str) -> dict[str, str]:
    """`Authorization` of a test viewer signed up at this edge (once per twin; tokens last 1 h)."""
    if cdn not in _TOKENS:
        _TOKENS[cdn] = sign_up_and_sign_in(cdn, ViewerCredentials.generated("test"))
    return {"Authorization": f"Bearer {_TOKENS[cdn]}"}


def play(cdn: str, title: str) -> dict[str, str]:
    """POST playback through the edge as a signed-in viewer; the signed cookies it grants."""
    grant = requests.post(f"{cdn}/api/v1/titles/{title}/playback", headers=bearer(cdn),
                          timeout=5)
    assert grant.status_code == 200, grant.text
    return grant.json()["cookies"]


def segment_urls(cdn: str, title: str, cookies: dict[str, str], rendition: str = "240p"
                 ) -> list[str]:
    base = f"{cdn}/video/{title}/{rendition}/"
    playlist = requests.get(base + "index.m3u8", cookies=cookies, timeout=5)
    assert playlist.status_code == 200
    return [base + line for line in playlist.text.splitlines()
            if line and not line.startswith("#")]
