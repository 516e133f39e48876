"""Playback: manifest URL, renditions, CloudFront signed cookies, validation, play records."""

from __future__ import annotations

import calendar
import time
from typing import Any

import jwt
import pytest
from cryptography.exceptions import InvalidSignature
from tests_app_support import (
    UserPool,
    cookie_attributes,
    create_plays_table,
    moto_private_jwk,
    set_cookies,
)
from token_issuer import new_rsa_key

from app.plays import RECENT_KEPT, RECENT_SLACK

PLAYBACK = "/api/v1/titles/t03-city-lights/playback"
CDN = "https://cdn.example.test"


def test_playback_returns_manifest_renditions_and_expiry(client: Any) -> None:
    before = int(time.time())
    response = client.post(PLAYBACK)
    assert response.status_code == 200
    body = response.get_json()
    assert body["title_id"] == "t03-city-lights"
    # A new account is on basic: its plan's master and renditions (app/plans.py).
    assert body["plan"] == "basic"
    assert body["manifest_url"] == f"{CDN}/video/t03-city-lights/standard/basic/master.m3u8"
    assert body["renditions"] == [{
        "name": "240p",
        "width": 426,
        "height": 240,
        "bandwidth": 400_000,
        "playlist_url": f"{CDN}/video/t03-city-lights/standard/basic/240p/index.m3u8",
    }]
    # Short expiry: the TTL, rounded up to a window of a tenth of it.
    assert before + 600 <= body["expires_at"] <= before + 600 + 60 + 1


def test_playback_is_never_cached(client: Any) -> None:
    assert client.post(PLAYBACK).headers["Cache-Control"] == "private, no-store"


def test_cookies_are_scoped_to_the_plans_folder_and_locked_down(client: Any) -> None:
    response = client.post(PLAYBACK)
    cookies = set_cookies(response)
    assert set(cookies) == {"CloudFront-Policy", "CloudFront-Signature", "CloudFront-Key-Pair-Id"}
    for header in cookies.values():
        attributes = cookie_attributes(header)
        assert attributes["path"] == "/video/t03-city-lights/standard/basic/"
        assert "httponly" in attributes and "secure" in attributes
        assert attributes["samesite"] == "Strict"
        assert "domain" not in attributes
        expires = calendar.timegm(time.strptime(attributes["expires"], "%a, %d %b %Y %H:%M:%S GMT"))
        assert expires == response.get_json()["expires_at"]


def test_cookies_omit_secure_when_the_twin_turns_it_off(seeded: None, make_app: Any) -> None:
    response = make_app(cookie_secure=False).test_client().post(PLAYBACK)
    for header in set_cookies(response).values():
        assert "secure" not in cookie_attributes(header)


def test_body_carries_the_same_cookie_values_as_set_cookie(client: Any) -> None:
    response = client.post(PLAYBACK)
    values = {
        name: header.split(";")[0].split("=", 1)[1]
        for name, header in set_cookies(response).items()
    }
    assert response.get_json()["cookies"] == values
    assert values["CloudFront-Key-Pair-Id"] == "KTESTKEYPAIR01"


def test_signature_verifies_with_the_public_key_as_cloudfront_does(
    client: Any, verify_cloudfront: Any
) -> None:
    body = client.post(PLAYBACK).get_json()
    policy = verify_cloudfront(body["cookies"])
    assert policy == {
        "Statement": [
            {
                "Resource": f"{CDN}/video/t03-city-lights/standard/basic/*",
                "Condition": {"DateLessThan": {"AWS:EpochTime": body["expires_at"]}},
            }
        ]
    }
    for value in body["cookies"].values():
        assert not set(value) & set("+=/"), "CloudFront base64 uses - _ ~"


def test_a_policy_for_another_title_does_not_verify_with_this_signature(
    client: Any, verify_cloudfront: Any
) -> None:
    mine = client.post(PLAYBACK).get_json()["cookies"]
    other = client.post("/api/v1/titles/t01-ocean-deep/playback").get_json()["cookies"]
    with pytest.raises(InvalidSignature):
        verify_cloudfront({**other, "CloudFront-Signature": mine["CloudFront-Signature"]})


def test_plays_of_a_title_in_one_window_share_one_signature(client: Any) -> None:
    first = client.post(PLAYBACK, json={"profile": "ann"}).get_json()
    second = client.post(PLAYBACK, json={"profile": "ann"}).get_json()
    assert first["cookies"] == second["cookies"]
    assert first["expires_at"] == second["expires_at"]


def test_traditional_pem_keys_are_accepted(
    make_app: Any,
    publish_catalog: Any,
    dynamodb: Any,
    secrets: Any,
    catalog_document: dict,
    private_key: Any,
    verify_cloudfront: Any,
) -> None:
    from tests_app_support import SECRET_ID, private_key_pem

    publish_catalog(catalog_document)
    secrets.create_secret(Name=SECRET_ID, SecretString=private_key_pem(private_key, True))
    body = make_app().test_client().post(PLAYBACK).get_json()
    assert verify_cloudfront(body["cookies"])


def test_playback_is_503_while_the_signing_key_is_missing(
    make_app: Any, publish_catalog: Any, dynamodb: Any, catalog_document: dict
) -> None:
    publish_catalog(catalog_document)
    response = make_app().test_client().post(PLAYBACK)
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"


def test_unknown_title_is_404(client: Any) -> None:
    response = client.post("/api/v1/titles/t99-nothing/playback")
    assert response.status_code == 404
    assert response.get_json()["status"] == 404


@pytest.mark.parametrize(
    ("data", "content_type", "status"),
    [
        (b"{", "application/json", 400),
        (b"[]", "application/json", 400),
        (b'{"profile": 7}', "application/json", 400),
        (b'{"profile": "has space"}', "application/json", 400),
        (b'{"profile": "ann", "admin": true}', "application/json", 400),
        (b"\xff\xfe", "application/json", 400),
        (b"profile=ann", "application/x-www-form-urlencoded", 415),
        (b"ann", "text/plain", 415),
        (b'{"profile": "' + b"a" * 5000 + b'"}', "application/json", 413),
    ],
)
def test_malformed_bodies_are_problems_not_errors(
    client: Any, data: bytes, content_type: str, status: int
) -> None:
    response = client.post(PLAYBACK, data=data, content_type=content_type)
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["status"] == status


def test_empty_body_and_null_profile_are_anonymous_plays(client: Any) -> None:
    assert client.post(PLAYBACK, data=b"", content_type="application/json").status_code == 200
    assert client.post(PLAYBACK, json={}).status_code == 200
    assert client.post(PLAYBACK, json={"profile": None}).status_code == 200


def test_get_on_playback_is_405_with_allow(client: Any) -> None:
    response = client.get(PLAYBACK)
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]
    assert response.mimetype == "application/problem+json"


def test_a_play_increments_the_title_counter(client: Any, dynamodb: Any) -> None:
    for _ in range(3):
        client.post(PLAYBACK)
    item = dynamodb.get_item(
        TableName="edgeflix-plays", Key={"pk": {"S": "TITLE#t03-city-lights"}, "sk": {"S": "STATS"}}
    )["Item"]
    assert item["plays"] == {"N": "3"}


def test_a_profile_play_lands_in_its_recent_titles(client: Any, dynamodb: Any) -> None:
    client.post(PLAYBACK, json={"profile": "ann"})
    client.post("/api/v1/titles/t01-ocean-deep/playback", json={"profile": "ann"})
    items = dynamodb.query(
        TableName="edgeflix-plays",
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": "PROFILE#ann"}},
    )["Items"]
    assert [item["sk"] for item in items] == [{"S": "RECENT"}], "one item, not one per play"
    assert items[0]["titles"] == {"L": [{"S": "t01-ocean-deep"}, {"S": "t03-city-lights"}]}


def test_a_profile_keeps_its_newest_plays_only(
    seeded: None, make_app: Any, dynamodb: Any
) -> None:
    client = make_app(plays_per_minute=0).test_client()
    for _ in range(RECENT_KEPT + RECENT_SLACK + 1):
        assert client.post(PLAYBACK, json={"profile": "ann"}).status_code == 200
    item = dynamodb.get_item(
        TableName="edgeflix-plays", Key={"pk": {"S": "PROFILE#ann"}, "sk": {"S": "RECENT"}}
    )["Item"]
    assert len(item["titles"]["L"]) == RECENT_KEPT, "trimmed once past the slack"


def test_a_profile_over_its_rate_gets_429_with_retry_after(seeded: None, make_app: Any) -> None:
    client = make_app(plays_per_minute=2).test_client()
    # Two streams, so bob's play is not refused for eve's screen.
    client.put("/api/v1/account/plan", json={"plan": "standard"},
               headers={"Idempotency-Key": "to-standard"})
    statuses = [client.post(PLAYBACK, json={"profile": "eve"}).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    limited = client.post(PLAYBACK, json={"profile": "eve"})
    assert limited.mimetype == "application/problem+json"
    assert int(limited.headers["Retry-After"]) >= 1
    assert client.post(PLAYBACK, json={"profile": "bob"}).status_code == 200


def test_playback_works_while_dynamodb_is_down(seeded: None, make_app: Any, dynamodb: Any) -> None:
    app = make_app(play_flush_seconds=60)  # writes are batched: table gone does not matter
    dynamodb.delete_table(TableName="edgeflix-plays")
    client = app.test_client()
    assert client.post(PLAYBACK, json={"profile": "ann"}).status_code == 200
    recorder = app.extensions["edgeflix"].recorder
    assert recorder.pending == 1
    assert recorder.flush() is False and recorder.pending == 1  # kept for the retry
    create_plays_table(dynamodb)
    assert recorder.flush() is True and recorder.pending == 0


def test_the_fast_lane_answers_exactly_like_the_flask_view(
    client: Any, dynamodb: Any
) -> None:
    lane = client.post(PLAYBACK)  # no body: served without Flask
    view = client.post(PLAYBACK, json={})  # a body: through the Flask view
    assert lane.data == view.data
    ignore = {"X-Request-Id"}
    assert sorted((k, v) for k, v in lane.headers.items() if k not in ignore) == sorted(
        (k, v) for k, v in view.headers.items() if k not in ignore
    )
    item = dynamodb.get_item(
        TableName="edgeflix-plays",
        Key={"pk": {"S": "TITLE#t03-city-lights"}, "sk": {"S": "STATS"}},
    )["Item"]
    assert item["plays"] == {"N": "2"}, "both lanes count the play"


def _refused(response: Any) -> None:
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.headers["WWW-Authenticate"].startswith('Bearer realm="edgeflix"')
    assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize("body", [None, {}], ids=["fast lane", "flask view"])
def test_playback_without_a_bearer_token_is_401(anonymous: Any, body: Any) -> None:
    _refused(anonymous.post(PLAYBACK, json=body) if body is not None
             else anonymous.post(PLAYBACK))


def _moto_shaped_token(user_pool: Any, **overrides: Any) -> str:
    """A token with moto's kid and claims' shape, signed by a key the pool never had."""
    now = int(time.time())
    claims = {
        "iss": f"https://cognito-idp.us-east-1.amazonaws.com/{user_pool.pool_id}",
        "sub": "00000000-0000-4000-8000-000000000000", "client_id": user_pool.client_id,
        "token_use": "access", "iat": now, "exp": now + 3600, "username": "x", **overrides,
    }
    return jwt.encode(claims, new_rsa_key(), algorithm="RS256", headers={"kid": "dummy"})


def bad_token(kind: str, user_pool: Any, boto_clients: Any) -> str:
    """An access token the API must refuse: "forged", "other pool" or "expired"."""
    if kind == "forged":
        return _moto_shaped_token(user_pool)
    if kind == "other pool":  # genuinely signed by moto, for another pool and client
        other = UserPool.create(boto_clients["cognito-idp"], user_pool.jwks_url)
        return other.access_token()
    real = user_pool.access_token()
    # moto signs with its one key: re-sign the real claims as expired with it.
    claims = jwt.decode(real, options={"verify_signature": False})
    claims["exp"] = int(time.time()) - 3600
    return jwt.encode(claims, moto_private_jwk(), algorithm="RS256", headers={"kid": "dummy"})


@pytest.mark.parametrize("kind", ["forged", "other pool", "expired"])
def test_playback_with_a_bad_token_is_401(
    anonymous: Any, user_pool: Any, boto_clients: Any, kind: str
) -> None:
    token = bad_token(kind, user_pool, boto_clients)
    for body in ({}, None):
        headers = {"Authorization": f"Bearer {token}"}
        response = (anonymous.post(PLAYBACK, json=body, headers=headers) if body is not None
                    else anonymous.post(PLAYBACK, headers=headers))
        _refused(response)
        assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_a_signed_in_viewer_plays_through_the_fast_lane(anonymous: Any, user_pool: Any) -> None:
    response = anonymous.post(PLAYBACK, headers=user_pool.bearer())
    assert response.status_code == 200 and response.get_json()["cookies"]


def test_a_key_switch_reaches_the_next_grant_within_the_same_expiry_window(
    app: Any, client: Any
) -> None:
    from app.plans import PLANS
    from app.playback_api import PlaybackGrants
    from app.signing import SignedCookies

    client.post(PLAYBACK)  # loads the catalog
    svc = app.extensions["edgeflix"]
    title = svc.catalog.catalog.by_id["t03-city-lights"]
    grants = PlaybackGrants()
    old = SignedCookies("cG9saWN5", "b2xk", "KOLD", 2_000_000_000)
    new = SignedCookies("cG9saWN5", "bmV3", "KNEW", 2_000_000_000)
    basic = PLANS["basic"]
    assert b'"KOLD"' in grants.grant(svc.settings, title, basic, old).render("a.b")[0]
    body, _ = grants.grant(svc.settings, title, basic, new).render("a.b")
    assert b'"KNEW"' in body and b"KOLD" not in body
