"""Playback authorisation: manifest URL plus CloudFront signed cookies for one title and plan.

A play is granted what the account's plan plays (app/plans.py): the plan's master
playlist, its renditions and cookies whose policy covers only the plan's folder
of the title (app/catalog.py, `plan_prefix`), and a screen among the plan's
concurrent streams (app/streams.py). A renewal keeps the play's plan and screen;
a release frees the screen.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Iterable
from email.utils import formatdate
from typing import Any

from flask import Blueprint, Response, request

from app.auth import Viewer, bearer_token, signed_in_viewer
from app.catalog import TITLE_ID, Title, master_key, plan_prefix
from app.catalog_store import CatalogVersion
from app.http_caching import NO_STORE
from app.json_body import request_json_object
from app.plans import DEFAULT_PLAN, PLANS, Plan
from app.playback_limits import PlaybackRateLimiter
from app.playback_renewal import RENEWAL_TOKEN, renewal_margin
from app.problems import Problem
from app.request_ids import StartResponse, WsgiApp
from app.services import Services, current_catalog, services
from app.settings import Settings
from app.signing import SignedCookies
from app.streams import NO_PROFILE

log = logging.getLogger(__name__)

playback_api = Blueprint("playback", __name__, url_prefix="/api/v1")

PROFILE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
# Strict: the player page, playlists and segments share the CDN's site, and no
# top-level navigation from another site ever needs these cookies.
SAME_SITE = "Strict"


def set_cookie_headers(
    cookies: SignedCookies, title_id: str, plan: str, secure: bool
) -> list[str]:
    """Set-Cookie values scoped to the plan's folder of the title (the policy's Resource),
    expiring with the policy."""
    expires = formatdate(cookies.expires_at, usegmt=True)
    path = f"/{plan_prefix(title_id, plan)}"
    attributes = f"Expires={expires}; Path={path}; HttpOnly; SameSite={SAME_SITE}"
    if secure:
        attributes += "; Secure"
    return [f"{name}={value}; {attributes}" for name, value in cookies.as_dict().items()]


def playback_document(
    title: Title, plan: Plan, cookies: SignedCookies, settings: Settings, renewal_token: str
) -> dict[str, Any]:
    """The JSON answer: what to play, until when, when and how to renew, and the cookies.

    `manifest_url` is the plan's master playlist and `renditions` the ones it lists
    (no taller than the plan's `max_height`); `renew_after` is `expires_at` less
    `renewal_margin(cookie_ttl)`, both epoch seconds.
    """
    cdn_base = settings.cdn_base
    return {
        "title_id": title.id,
        "plan": plan.name,
        "manifest_url": f"{cdn_base}/{master_key(title.id, plan.name)}",
        "renditions": [
            {
                "name": r.name,
                "width": r.width,
                "height": r.height,
                "bandwidth": r.bandwidth,
                "playlist_url": f"{cdn_base}/{r.playlist}",
            }
            for r in title.renditions_for(plan)
        ],
        "expires_at": cookies.expires_at,
        "renew_after": cookies.expires_at - renewal_margin(settings.cookie_ttl),
        "renewal_token": renewal_token,
        "cookies": cookies.as_dict(),
    }


Grant = tuple[bytes, list[tuple[str, str]]]
# WSGI environ key: the Problem the fast lane met for this request, for Flask to answer.
LANE_REFUSAL = "edgeflix.playback.refusal"

# Stands in for the renewal token in a serialised grant; the token is the one
# per-viewer part of the answer (it is bound to the account, app/playback_renewal.py).
_TOKEN_SLOT = "renewal-token-slot"


class GrantTemplate:
    """One title's grant for one plan in one expiry window, serialised once, with a slot
    for the token.

    Every play of a title on a plan within one expiry window gets the same signed
    cookies; only the renewal token differs per account, so the body is two fixed
    byte strings around it.
    """

    def __init__(
        self, settings: Settings, title: Title, plan: Plan, cookies: SignedCookies
    ) -> None:
        body = json.dumps(
            playback_document(title, plan, cookies, settings, _TOKEN_SLOT),
            separators=(",", ":"),
        ).encode()
        self._head, self._tail = body.split(json.dumps(_TOKEN_SLOT).encode())
        self._cookie_headers = [
            ("Set-Cookie", value)
            for value in set_cookie_headers(cookies, title.id, plan.name, settings.cookie_secure)
        ]

    def render(self, renewal_token: str) -> Grant:
        """The body and headers (JSON, never cached, Set-Cookie) carrying `renewal_token`.

        `renewal_token` matches RENEWAL_TOKEN (base64url and "."), so it needs no JSON escape.
        """
        body = b"".join((self._head, b'"', renewal_token.encode("ascii"), b'"', self._tail))
        headers = [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(body))),
            ("Cache-Control", NO_STORE),
            *self._cookie_headers,
        ]
        return body, headers


class PlaybackGrants:
    """Grant templates per title, plan, expiry window and signing key, built once (see
    GrantTemplate); a key switch (app/signing.py) reaches the next grant, not the next
    window."""

    def __init__(self) -> None:
        self._grants: dict[tuple[str, str, int, str], GrantTemplate] = {}
        self._lock = threading.Lock()

    def grant(
        self, settings: Settings, title: Title, plan: Plan, cookies: SignedCookies
    ) -> GrantTemplate:
        """The template for this title, plan and cookie set."""
        key = (title.id, plan.name, cookies.expires_at, cookies.key_pair_id)
        cached = self._grants.get(key)
        if cached is not None:
            return cached
        built = GrantTemplate(settings, title, plan, cookies)
        with self._lock:
            for stale in [
                k for k in self._grants
                if k[2] < cookies.expires_at or k[3] != cookies.key_pair_id
            ]:
                del self._grants[stale]
            self._grants[key] = built
        return built


def grant_response(
    settings: Settings, title: Title, plan: Plan, cookies: SignedCookies, renewal_token: str
) -> Grant:
    """The serialised grant document and its headers: JSON, never cached, Set-Cookie."""
    return GrantTemplate(settings, title, plan, cookies).render(renewal_token)


def json_body(members: set[str]) -> dict[str, Any]:
    """The request's JSON object ({} when there is no body) with only `members`.

    415 for a body that is not application/json, 400 for invalid JSON, a non-object or
    an unknown member, 413 past MAX_CONTENT_LENGTH.
    """
    body = request_json_object()
    if body is None:
        return {}
    unknown = set(body) - members
    if unknown:
        raise Problem(400, f"Unknown body members: {sorted(unknown)}.")
    return body


def body_profile(body: dict[str, Any]) -> str | None:
    """The body's optional profile; 400 unless it matches PROFILE."""
    profile = body.get("profile")
    if profile is None:
        return None
    if not isinstance(profile, str) or not PROFILE.fullmatch(profile):
        raise Problem(400, f"profile must match {PROFILE.pattern}.")
    return profile


def requested_profile() -> str | None:
    """The optional {"profile": ...} body; 415 for non-JSON, 400 for anything malformed."""
    return body_profile(json_body({"profile"}))


def requested_title(title_id: str) -> tuple[CatalogVersion, Title]:
    """The catalog in force and the title the path names; 404 when there is none."""
    catalog = current_catalog()
    title = catalog.by_id.get(title_id) if TITLE_ID.fullmatch(title_id) else None
    if title is None:
        raise Problem(404, f"No title with id {title_id[:80]!r}.")
    return catalog, title


def account_plan(
    svc: Services, viewer: Viewer, title: Title, authorization: str | None
) -> Plan:
    """The plan a play of `title` is granted under when the screen claim could not read
    the plan of record (a table error): the account's, from app/plan_lookup.py
    (cached, bounded staleness; `authorization` is the request's header, which a split
    fleet's plans service checks again).

    While no recent plan is known (503), a title every plan plays is granted under the
    default plan, so viewers keep watching (at its renditions) through an outage of
    the plans service or table; a title that needs more is the 503. A 401 from the
    plans service reaches the viewer.
    """
    assert svc.plan_lookup is not None  # built wherever playback is served
    try:
        return svc.plan_lookup.plan_for(viewer, authorization, covering=title.required_plan)
    except Problem as exc:
        if exc.code != 503 or not PLANS[DEFAULT_PLAN].covers(title.required_plan):
            raise
        log.warning("plans unavailable: %s granted under %s", title.id, DEFAULT_PLAN)
        return PLANS[DEFAULT_PLAN]


def entitled_plans(title: Title) -> list[Plan]:
    """The plans `check_entitlement` lets play `title`, lowest first."""
    return [plan for plan in sorted(PLANS.values(), key=lambda p: p.rank)
            if plan.covers(title.required_plan) and title.renditions_for(plan)]


def check_entitlement(title: Title, plan: Plan) -> None:
    """Raise Problem 403 unless `plan` covers the plan `title` requires and plays at least
    one of its renditions."""
    if not plan.covers(title.required_plan):
        raise Problem(
            403,
            f"This title needs the {title.required_plan} plan; the account is on "
            f"{plan.name} (PUT /api/v1/account/plan).",
        )
    if not title.renditions_for(plan):
        raise Problem(
            403,
            f"This title has no rendition the {plan.name} plan plays (up to "
            f"{plan.max_height}p; PUT /api/v1/account/plan).",
        )


def _rate_limit(limiter: PlaybackRateLimiter, profile: str | None, what: str) -> None:
    if profile is not None:
        wait = limiter.retry_after(profile)
        if wait:
            raise Problem(429, f"Too many {what} for this profile.", retry_after=wait)


def authorise(
    svc: Services,
    catalog: CatalogVersion,
    title: Title,
    profile: str | None,
    viewer: Viewer,
    authorization: str | None,
) -> Grant | None:
    """Grant `viewer` a play: rate limit, a screen and the account's plan of record (one
    conditional write, app/streams.py), entitlement, cookies, response, play record.
    None without a signing key.

    Raises Problem 429 past the profile's rate, 403 for a title above the plan, 409
    when the plan's streams are all taken by other profiles (app/streams.py). Shared
    by the Flask view and the fast lane, so both answer alike.
    """
    _rate_limit(svc.limiter, profile, "playback requests")
    if not svc.signer.ready:
        return None
    screen = profile or NO_PROFILE
    assert svc.streams is not None  # built wherever playback is served
    # The screen and the plan of record in one write; the plan lookup (the plans service,
    # cached) only when the table could not say, and then the play goes unlimited.
    plan = svc.streams.claim_under_plan_of_record(
        viewer.sub, screen, title.id, entitled_plans(title), svc.signer.expiry_now())
    if plan is None:
        plan = account_plan(svc, viewer, title, authorization)
    check_entitlement(title, plan)
    cookies = svc.signer.cookies_for(title.id, plan.name)
    if cookies is None:
        return None
    # The play's nominal grant time is its expiry less the TTL (the end of the signing
    # window), so the token, like the cookies, is the same for the account's every play
    # of the title in the window.
    granted_at = cookies.expires_at - svc.settings.cookie_ttl
    token = svc.renewals.issue(title.id, granted_at, viewer.sub, plan.name, screen)
    if token is None:
        return None
    grants = catalog.derive("playback-grants", _new_grants)
    grant = grants.grant(svc.settings, title, plan, cookies).render(token)
    svc.recorder.record(title.id, profile, time.time())
    return grant


@playback_api.post("/titles/<title_id>/playback")
def authorise_playback(title_id: str) -> Response:
    """Authorise a play for a signed-in viewer: manifest URL, renditions, expiry, cookies,
    all for the account's plan.

    401 without a valid bearer token, 404 for an unknown title, 403 when the title
    needs a plan above the account's, 409 when the plan's streams are taken by other
    profiles.
    """
    viewer = signed_in_viewer(services().verifier)
    catalog, title = requested_title(title_id)
    profile = requested_profile()
    refusal = request.environ.get(LANE_REFUSAL)
    if refusal is not None:
        raise refusal
    grant = authorise(services(), catalog, title, profile, viewer,
                      request.headers.get("Authorization"))
    if grant is None:
        raise Problem(503, "The signing key is not available yet.", retry_after=5)
    body, headers = grant
    return Response(body, headers=headers)


def _renewal_token(body: dict[str, Any]) -> str:
    token = body.get("renewal_token")
    if not isinstance(token, str) or not RENEWAL_TOKEN.fullmatch(token):
        raise Problem(400, f"renewal_token must match {RENEWAL_TOKEN.pattern}.")
    return token


@playback_api.post("/titles/<title_id>/playback/renewal")
def renew_playback(title_id: str) -> Response:
    """Renew a signed-in viewer's grant: fresh signed cookies for the same title and plan,
    the play's screen extended, no new play recorded.

    Body {"renewal_token": ..., "profile"?: ...}. 401 without a valid bearer token (as
    playback); 403 when the renewal token is invalid, was issued to another account,
    names another title, or is older than the renewal window (the player starts a new
    play); 409 when the play's profile has since started another play, or its screen
    lapsed and the plan's streams are now taken; 429 past the profile's renewal rate;
    503 without a signing key.
    """
    svc = services()
    viewer = signed_in_viewer(svc.verifier)
    _, title = requested_title(title_id)
    body = json_body({"renewal_token", "profile"})
    token = _renewal_token(body)
    profile = body_profile(body)
    play = svc.renewals.check(token, title.id, viewer.sub, time.time())
    plan = PLANS[play.plan] if play is not None else None
    cookies = svc.signer.cookies_for(title.id, plan.name) if plan is not None else None
    if plan is None or cookies is None:
        raise Problem(503, "The signing key is not available yet.", retry_after=5)
    _rate_limit(svc.renewal_limiter, profile, "grant renewals")
    assert svc.streams is not None
    svc.streams.renew(viewer.sub, play.screen, title.id, plan, cookies.expires_at)
    body_bytes, headers = grant_response(svc.settings, title, plan, cookies, token)
    return Response(body_bytes, headers=headers)


@playback_api.post("/titles/<title_id>/playback/release")
def release_playback(title_id: str) -> Response:
    """End a signed-in viewer's play: free its screen for another profile at once.

    Body {"renewal_token": ...} (the play's). 204 whether or not the screen was still
    held (a release is idempotent; the player sends it with `fetch(..., {keepalive:
    true})` when playback ends or the page is hidden). 400 for a malformed token, 401
    without a valid bearer token, 403 for a token that is not this account's play of
    the title (as renewal), 404 for an unknown title, 503 without a signing key.
    """
    svc = services()
    viewer = signed_in_viewer(svc.verifier)
    _, title = requested_title(title_id)
    token = _renewal_token(json_body({"renewal_token"}))
    play = svc.renewals.check(token, title.id, viewer.sub, time.time())
    if play is None:
        raise Problem(503, "The signing key is not available yet.", retry_after=5)
    assert svc.streams is not None
    svc.streams.release(viewer.sub, play.screen, title.id)
    return Response(status=204, headers={"Cache-Control": NO_STORE})


def _new_grants(_: object) -> PlaybackGrants:
    return PlaybackGrants()


class AuthenticatedPlaybackLane:
    """WSGI middleware: a body-less POST .../playback with a valid bearer token for a
    known title skips Flask.

    A play is the hottest request the API gets and its answer is fixed per title, plan
    and expiry window, so Flask's per-request machinery would be most of its cost; the
    token check is a cache lookup once a viewer's token was verified (app/auth.py).
    Anything else (no or a bad token, a body, an unknown title, no key yet) goes to
    Flask, which remains the one place for validation and errors; so does a refusal
    (403 above the plan, 409 no free stream, 503 no plan known), which the lane hands
    over in the WSGI environ (`LANE_REFUSAL`) so the plan is not looked up nor the
    stream claimed twice.
    """

    PREFIX = "/api/v1/titles/"
    SUFFIX = "/playback"

    def __init__(self, app: WsgiApp, svc: Services) -> None:
        self.app = app
        self._svc = svc

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if (
            environ.get("REQUEST_METHOD") == "POST"
            and path.startswith(self.PREFIX)
            and path.endswith(self.SUFFIX)
            and environ.get("CONTENT_LENGTH", "") in ("", "0")
            and "HTTP_TRANSFER_ENCODING" not in environ
            and (viewer := self._signed_in(environ.get("HTTP_AUTHORIZATION"))) is not None
        ):
            catalog = self._svc.catalog.catalog
            title_id = path[len(self.PREFIX) : -len(self.SUFFIX)]
            title = catalog.by_id.get(title_id) if catalog is not None else None
            try:
                grant = (
                    authorise(self._svc, catalog, title, None, viewer,
                              environ.get("HTTP_AUTHORIZATION"))
                    if title is not None
                    else None
                )
            except Problem as refusal:
                environ[LANE_REFUSAL] = refusal  # Flask answers it, without asking again
                grant = None
            if grant is not None:
                body, headers = grant
                start_response("200 OK", list(headers))
                return [body]
        return self.app(environ, start_response)

    def _signed_in(self, authorization: str | None) -> Viewer | None:
        verifier = self._svc.verifier
        if verifier is None or not authorization:
            return None
        try:
            return verifier.verify(bearer_token(authorization))
        except Problem:
            return None
