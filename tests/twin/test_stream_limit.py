"""Through the twin's edge: a basic account plays one profile at a time (app/streams.py)."""

from __future__ import annotations

import requests

from loadtest.accounts import ViewerCredentials, sign_up_and_sign_in


def test_a_second_profile_is_409_until_the_first_releases(cdn, titles):
    token = sign_up_and_sign_in(cdn, ViewerCredentials.generated("streams"))
    signed_in = {"Authorization": f"Bearer {token}"}
    playback = f"{cdn}/api/v1/titles/{titles[0]}/playback"

    first = requests.post(playback, json={"profile": "ann"}, headers=signed_in, timeout=5)
    assert first.status_code == 200
    refused = requests.post(playback, json={"profile": "bob"}, headers=signed_in, timeout=5)
    assert refused.status_code == 409
    assert refused.headers["Content-Type"].startswith("application/problem+json")
    assert refused.json()["streams"] == 1 and "Retry-After" in refused.headers

    released = requests.post(f"{playback}/release", headers=signed_in, timeout=5,
                             json={"renewal_token": first.json()["renewal_token"]})
    assert released.status_code == 204
    assert requests.post(playback, json={"profile": "bob"}, headers=signed_in,
                         timeout=5).status_code == 200
