"""What a viewer does at the twin's edge: sign in, get a playback grant, list segments."""

from __future__ import annotations

import requests

from app.catalog import master_key, variant_key
from app.plans import DEFAULT_PLAN
from loadtest.accounts import ViewerCredentials, sign_up_and_sign_in

_TOKENS: dict[tuple[str, str], str] = {}


def bearer(cdn: str, plan: str = "premium") -> dict[str, str]:
    """`Authorization` of a test viewer on `plan`, signed up at this edge. Premium by
    default: its grants open every master playlist and rendition of a title
    (app/catalog.py, `plan_prefix`).

    One viewer per twin and plan while the plans service still says it is on `plan`;
    a test that restarts the origin (moto forgets every plan record and user) leaves
    the next test a new viewer: a new account, so no catalog worker holds a plan of
    it in its cache (app/plan_lookup.py)."""
    token = _TOKENS.get((cdn, plan))
    if token is None or _plan_of(cdn, token) != plan:
        token = sign_up_and_sign_in(cdn, ViewerCredentials.generated("test"))
        if plan != DEFAULT_PLAN:  # every account starts on the default plan (app/plans.py)
            changed = requests.put(f"{cdn}/api/v1/account/plan", json={"plan": plan},
                                   headers={"Authorization": f"Bearer {token}",
                                            "Idempotency-Key": f"twin-viewer-{plan}"},
                                   timeout=5)
            assert changed.status_code == 200, changed.text
        _TOKENS[(cdn, plan)] = token
    return {"Authorization": f"Bearer {token}"}


def _plan_of(cdn: str, token: str) -> str | None:
    """The plan the plans service holds for the token's account; None if it cannot say."""
    answer = requests.get(f"{cdn}/api/v1/account/plan",
                          headers={"Authorization": f"Bearer {token}"}, timeout=5)
    return answer.json().get("name") if answer.status_code == 200 else None


def play(cdn: str, title: str) -> dict[str, str]:
    """POST playback through the edge as a signed-in viewer; the signed cookies it grants."""
    grant = requests.post(f"{cdn}/api/v1/titles/{title}/playback", headers=bearer(cdn),
                          timeout=5)
    assert grant.status_code == 200, grant.text
    return grant.json()["cookies"]


def master_url(cdn: str, title: str) -> str:
    """The least plan's master playlist of a title: plans nest, so every grant opens it
    (an account whose plan record is gone, e.g. after the origin restarts, is on it)."""
    return f"{cdn}/{master_key(title, DEFAULT_PLAN)}"


def rendition_base(cdn: str, title: str, rendition: str) -> str:
    """The URL of a rendition's folder in the published layout (nested per plan); the
    twin's renditions are named after their height ("240p")."""
    return f"{cdn}/{variant_key(title, rendition, int(rendition[:-1]))}".rsplit("/", 1)[0] + "/"


def segment_urls(cdn: str, title: str, cookies: dict[str, str], rendition: str = "240p"
                 ) -> list[str]:
    base = rendition_base(cdn, title, rendition)
    playlist = requests.get(base + "index.m3u8", cookies=cookies, timeout=5)
    assert playlist.status_code == 200
    return [base + line for line in playlist.text.splitlines()
            if line and not line.startswith("#")]
