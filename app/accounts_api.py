"""The accounts API: sign-up, confirmation, sessions (sign-in, refresh, sign-out), profiles.

Bodies are small JSON objects of strings; every answer is `Cache-Control: private,
no-store` (tokens and account data). Profiles and sign-out need a signed-in viewer
(app/auth.py).
"""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Blueprint, Response, request

from app.accounts import Accounts
from app.auth import Viewer, signed_in_viewer
from app.http_caching import NO_STORE
from app.json_body import request_json_object
from app.problems import Problem
from app.profiles import MAX_PROFILES, PROFILE_ID, PROFILE_NAME
from app.services import services

accounts_api = Blueprint("accounts", __name__, url_prefix="/api/v1")

EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
# Cognito's password policy is the authority; this only bounds the size.
PASSWORD = re.compile(r"^.{1,256}$", re.DOTALL)
CONFIRMATION_CODE = re.compile(r"^[0-9A-Za-z]{1,16}$")
REFRESH_TOKEN = re.compile(r"^[A-Za-z0-9._~+/=-]{1,3072}$")
MAX_EMAIL = 254

FIELDS: dict[str, re.Pattern[str]] = {
    "email": EMAIL,
    "password": PASSWORD,
    "code": CONFIRMATION_CODE,
    "refresh_token": REFRESH_TOKEN,
    "name": PROFILE_NAME,
}


def json_fields(*names: str) -> dict[str, str]:
    """The body's members `names`, all required strings matching FIELDS; 400/415 otherwise."""
    body = request_json_object()
    if body is None:
        raise Problem(400, "The request body must be a JSON object.")
    unknown = set(body) - set(names)
    if unknown:
        raise Problem(400, f"Unknown body members: {sorted(unknown)}.")
    values: dict[str, str] = {}
    for name in names:
        value = body.get(name)
        if not isinstance(value, str) or not FIELDS[name].fullmatch(value):
            raise Problem(400, f"{name} is missing or malformed.")
        if name == "email" and len(value) > MAX_EMAIL:
            raise Problem(400, "email is missing or malformed.")
        values[name] = value
    return values


def _answer(document: Any, status: int = 200) -> Response:
    response = Response(json.dumps(document), status=status, mimetype="application/json")
    response.headers["Cache-Control"] = NO_STORE
    return response


def _no_content() -> Response:
    response = Response(status=204)
    response.headers["Cache-Control"] = NO_STORE
    return response


def _accounts() -> Accounts:
    accounts = services().accounts
    if accounts is None:
        raise Problem(503, "Sign-in is not configured on this server.", retry_after=5)
    return accounts


def _viewer() -> Viewer:
    return signed_in_viewer(services().verifier)


@accounts_api.post("/accounts")
def sign_up() -> Response:
    """Create an account (unconfirmed until /accounts/confirmation)."""
    body = json_fields("email", "password")
    return _answer(_accounts().sign_up(body["email"], body["password"]), 201)


@accounts_api.post("/accounts/confirmation")
def confirm_sign_up() -> Response:
    """Confirm an account with the emailed code."""
    body = json_fields("email", "code")
    _accounts().confirm(body["email"], body["code"])
    return _no_content()


@accounts_api.post("/sessions")
def sign_in() -> Response:
    """Sign in with email and password: access, id and refresh tokens."""
    body = json_fields("email", "password")
    return _answer(_accounts().sign_in(body["email"], body["password"]).as_dict())


@accounts_api.post("/sessions/refresh")
def refresh_session() -> Response:
    """New access and id tokens for a refresh token."""
    body = json_fields("refresh_token")
    return _answer(_accounts().refresh(body["refresh_token"]).as_dict())


@accounts_api.delete("/sessions")
def sign_out() -> Response:
    """Sign out everywhere: revokes the account's refresh tokens (GlobalSignOut)."""
    accounts = _accounts()
    _viewer()
    token = request.headers["Authorization"].strip().partition(" ")[2].strip()
    accounts.sign_out(token)
    return _no_content()


@accounts_api.get("/profiles")
def list_profiles() -> Response:
    """The signed-in account's profiles."""
    viewer = _viewer()
    profiles = services().profiles.list(viewer.sub)
    return _answer({"items": [p.as_dict() for p in profiles], "max": MAX_PROFILES})


@accounts_api.post("/profiles")
def create_profile() -> Response:
    """Add a profile (at most MAX_PROFILES per account)."""
    viewer = _viewer()
    body = json_fields("name")
    return _answer(services().profiles.create(viewer.sub, body["name"]).as_dict(), 201)


@accounts_api.delete("/profiles/<profile_id>")
def delete_profile(profile_id: str) -> Response:
    """Remove one of the account's profiles."""
    viewer = _viewer()
    if not PROFILE_ID.fullmatch(profile_id):
        raise Problem(404, "The account has no such profile.")
    services().profiles.delete(viewer.sub, profile_id)
    return _no_content()
