"""The accounts API on moto's Cognito: sign-up, confirmation, sessions and profiles."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from tests_app_support import PASSWORD, UserPool

from app.profiles import MAX_PROFILES

EMAIL = "new.viewer@example.com"


@pytest.fixture
def client(anonymous: FlaskClient) -> FlaskClient:
    """These tests sign in (or not) themselves."""
    return anonymous


def _signed_up(client: FlaskClient, email: str = EMAIL) -> None:
    assert client.post("/api/v1/accounts", json={"email": email, "password": PASSWORD}
                       ).status_code == 201
    assert client.post("/api/v1/accounts/confirmation", json={"email": email, "code": "123456"}
                       ).status_code == 204


def _session(client: FlaskClient, email: str = EMAIL) -> dict[str, Any]:
    response = client.post("/api/v1/sessions", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.json
    return response.json


def _bearer(session: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {session['access_token']}"}


def test_sign_up_confirm_and_sign_in_give_bearer_tokens(client: FlaskClient) -> None:
    created = client.post("/api/v1/accounts", json={"email": EMAIL, "password": PASSWORD})
    assert created.status_code == 201
    assert created.json["confirmed"] is False and created.json["user_sub"]
    assert created.headers["Cache-Control"] == "private, no-store"
    confirmed = client.post(
        "/api/v1/accounts/confirmation", json={"email": EMAIL, "code": "123456"}
    )
    assert confirmed.status_code == 204
    session = _session(client)
    assert session["token_type"] == "Bearer" and session["expires_in"] > 0
    assert {"access_token", "id_token", "refresh_token"} <= set(session)
    profiles = client.get("/api/v1/profiles", headers=_bearer(session))
    assert profiles.status_code == 200 and profiles.json == {"items": [], "max": MAX_PROFILES}


def test_a_second_sign_up_with_the_same_email_is_a_conflict(client: FlaskClient) -> None:
    _signed_up(client)
    again = client.post("/api/v1/accounts", json={"email": EMAIL, "password": PASSWORD})
    assert again.status_code == 409
    assert again.mimetype == "application/problem+json"


def test_a_wrong_password_is_401_with_a_bearer_challenge(client: FlaskClient) -> None:
    _signed_up(client)
    refused = client.post("/api/v1/sessions", json={"email": EMAIL, "password": "wrong-Pass-1"})
    assert refused.status_code == 401
    assert refused.mimetype == "application/problem+json"
    assert refused.headers["WWW-Authenticate"].startswith("Bearer")


def test_an_unconfirmed_account_cannot_sign_in(client: FlaskClient) -> None:
    client.post("/api/v1/accounts", json={"email": EMAIL, "password": PASSWORD})
    refused = client.post("/api/v1/sessions", json={"email": EMAIL, "password": PASSWORD})
    assert refused.status_code == 403


def test_a_refresh_token_gives_a_new_access_token(client: FlaskClient) -> None:
    _signed_up(client)
    session = _session(client)
    refreshed = client.post(
        "/api/v1/sessions/refresh", json={"refresh_token": session["refresh_token"]}
    )
    assert refreshed.status_code == 200
    assert refreshed.json["access_token"] and "refresh_token" not in refreshed.json
    assert client.get("/api/v1/profiles", headers=_bearer(refreshed.json)).status_code == 200


def test_sign_out_revokes_the_refresh_token(client: FlaskClient) -> None:
    _signed_up(client)
    session = _session(client)
    assert client.delete("/api/v1/sessions", headers=_bearer(session)).status_code == 204
    refused = client.post(
        "/api/v1/sessions/refresh", json={"refresh_token": session["refresh_token"]}
    )
    assert refused.status_code == 401


def test_sign_out_needs_a_bearer_token(client: FlaskClient) -> None:
    refused = client.delete("/api/v1/sessions")
    assert refused.status_code == 401
    assert refused.headers["WWW-Authenticate"] == 'Bearer realm="edgeflix"'


@pytest.mark.parametrize(
    "body",
    [
        {"email": "not-an-email", "password": PASSWORD},
        {"email": EMAIL},
        {"email": EMAIL, "password": PASSWORD, "admin": True},
        {"email": EMAIL, "password": 12345678},
    ],
)
def test_malformed_sign_up_bodies_are_400(client: FlaskClient, body: dict[str, Any]) -> None:
    response = client.post("/api/v1/accounts", json=body)
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"


def test_a_non_json_body_is_415(client: FlaskClient) -> None:
    response = client.post("/api/v1/sessions", data="email=a", content_type="text/plain")
    assert response.status_code == 415


def test_profiles_are_created_listed_and_deleted(client: FlaskClient) -> None:
    _signed_up(client)
    bearer = _bearer(_session(client))
    kids = client.post("/api/v1/profiles", json={"name": "Kids"}, headers=bearer)
    assert kids.status_code == 201 and kids.json["name"] == "Kids"
    client.post("/api/v1/profiles", json={"name": "Ana"}, headers=bearer)
    names = [p["name"] for p in client.get("/api/v1/profiles", headers=bearer).json["items"]]
    assert names == ["Kids", "Ana"]
    gone = client.delete(f"/api/v1/profiles/{kids.json['id']}", headers=bearer)
    assert gone.status_code == 204
    names = [p["name"] for p in client.get("/api/v1/profiles", headers=bearer).json["items"]]
    assert names == ["Ana"]
    again = client.delete(f"/api/v1/profiles/{kids.json['id']}", headers=bearer)
    assert again.status_code == 404


def test_an_account_has_at_most_five_profiles(client: FlaskClient) -> None:
    _signed_up(client)
    bearer = _bearer(_session(client))
    made = [client.post("/api/v1/profiles", json={"name": f"P{n}"}, headers=bearer)
            for n in range(MAX_PROFILES)]
    assert [r.status_code for r in made] == [201] * MAX_PROFILES
    sixth = client.post("/api/v1/profiles", json={"name": "One too many"}, headers=bearer)
    assert sixth.status_code == 409
    client.delete(f"/api/v1/profiles/{made[0].json['id']}", headers=bearer)
    assert client.post("/api/v1/profiles", json={"name": "P5"}, headers=bearer
                       ).status_code == 201


def test_profiles_belong_to_their_account(client: FlaskClient, user_pool: UserPool) -> None:
    mine = {"Authorization": f"Bearer {user_pool.access_token('me@example.com')}"}
    theirs = {"Authorization": f"Bearer {user_pool.access_token('them@example.com')}"}
    created = client.post("/api/v1/profiles", json={"name": "Mine"}, headers=mine).json
    assert client.get("/api/v1/profiles", headers=theirs).json["items"] == []
    stolen = client.delete(f"/api/v1/profiles/{created['id']}", headers=theirs)
    assert stolen.status_code == 404


def test_profiles_need_a_signed_in_viewer(client: FlaskClient) -> None:
    assert client.get("/api/v1/profiles").status_code == 401
    forged = {"Authorization": "Bearer eyJhbGciOiJub25lIn0.e30."}
    assert client.post("/api/v1/profiles", json={"name": "x"}, headers=forged).status_code == 401


def test_without_a_user_pool_sign_in_is_unavailable(make_app: Any, seeded: None) -> None:
    client = make_app(user_pool_id=None, user_pool_client_id=None).test_client()
    response = client.post("/api/v1/sessions", json={"email": EMAIL, "password": PASSWORD})
    assert response.status_code == 503
