"""Grant renewal: renew_after, fresh cookies for the same play, no play counted, limits."""

from __future__ import annotations

import time
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from test_api_playback import bad_token
from tests_app_support import KEY_PAIR_ID, SECRET_ID, UserPool, private_key_pem, set_cookies

from app.playback_renewal import RenewalTokens, renewal_margin
from app.problems import Problem
from app.signing import SigningKey

TITLE = "t03-city-lights"
PLAYBACK = f"/api/v1/titles/{TITLE}/playback"
RENEWAL = f"{PLAYBACK}/renewal"


def play_count(dynamodb: Any, title_id: str = TITLE) -> int:
    item = dynamodb.get_item(
        TableName="edgeflix-plays", Key={"pk": {"S": f"TITLE#{title_id}"}, "sk": {"S": "STATS"}}
    ).get("Item")
    return int(item["plays"]["N"]) if item else 0


def later(app: Any, monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    """Move the signer's clock `seconds` ahead, as if the viewer had watched that long."""
    monkeypatch.setattr(app.extensions["edgeflix"].signer, "_clock", lambda: time.time() + seconds)


@pytest.mark.parametrize(("ttl", "margin"), [(60, 15), (300, 75), (600, 120), (3600, 120)])
def test_renewal_margin_is_a_quarter_of_the_ttl_capped_at_two_minutes(
    ttl: int, margin: int
) -> None:
    assert renewal_margin(ttl) == margin


def test_a_grant_says_when_to_renew_and_carries_a_renewal_token(client: Any) -> None:
    body = client.post(PLAYBACK).get_json()
    assert body["renew_after"] == body["expires_at"] - 120
    assert body["renew_after"] > time.time()
    assert isinstance(body["renewal_token"], str) and "." in body["renewal_token"]


def test_renewal_reissues_later_cookies_for_the_same_title(
    app: Any, client: Any, monkeypatch: pytest.MonkeyPatch, verify_cloudfront: Any
) -> None:
    grant = client.post(PLAYBACK).get_json()
    later(app, monkeypatch, 500)
    response = client.post(RENEWAL, json={"renewal_token": grant["renewal_token"]})
    assert response.status_code == 200
    renewed = response.get_json()
    assert renewed["title_id"] == TITLE
    assert renewed["manifest_url"] == grant["manifest_url"]
    assert renewed["expires_at"] >= grant["expires_at"] + 500 - 60
    assert renewed["renew_after"] == renewed["expires_at"] - 120
    assert renewed["renewal_token"] == grant["renewal_token"]
    policy = verify_cloudfront(renewed["cookies"])
    condition = policy["Statement"][0]["Condition"]["DateLessThan"]["AWS:EpochTime"]
    assert condition == renewed["expires_at"]
    assert response.headers["Cache-Control"] == "private, no-store"
    assert set(set_cookies(response)) == set(renewed["cookies"])


def test_renewal_records_no_play(client: Any, dynamodb: Any) -> None:
    token = client.post(PLAYBACK, json={"profile": "ann"}).get_json()["renewal_token"]
    assert play_count(dynamodb) == 1
    for _ in range(3):
        response = client.post(RENEWAL, json={"renewal_token": token, "profile": "ann"})
        assert response.status_code == 200
    assert play_count(dynamodb) == 1
    history = dynamodb.query(
        TableName="edgeflix-plays",
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": "PROFILE#ann"}},
    )["Items"]
    assert len(history) == 1


def test_renewals_are_limited_per_profile_apart_from_plays(seeded: None, make_app: Any) -> None:
    client = make_app(renewals_per_minute=2, plays_per_minute=1).test_client()
    token = client.post(PLAYBACK, json={"profile": "eve"}).get_json()["renewal_token"]
    statuses = [
        client.post(RENEWAL, json={"renewal_token": token, "profile": "eve"}).status_code
        for _ in range(3)
    ]
    assert statuses == [200, 200, 429]
    limited = client.post(RENEWAL, json={"renewal_token": token, "profile": "eve"})
    assert limited.mimetype == "application/problem+json"
    assert int(limited.headers["Retry-After"]) >= 1
    assert client.post(RENEWAL, json={"renewal_token": token, "profile": "bob"}).status_code == 200


def test_a_token_older_than_the_renewal_window_is_403(
    app: Any, client: Any, user_pool: UserPool
) -> None:
    tokens = app.extensions["edgeflix"].renewals
    sub, now = user_pool.sub(), int(time.time())
    stale = tokens.issue(TITLE, now - tokens.window - 5, sub, "basic", "-")
    fresh = tokens.issue(TITLE, now - tokens.window + 60, sub, "basic", "-")
    response = client.post(RENEWAL, json={"renewal_token": stale})
    assert response.status_code == 403
    assert response.mimetype == "application/problem+json"
    assert "start a new play" in response.get_json()["detail"]
    assert client.post(RENEWAL, json={"renewal_token": fresh}).status_code == 200


def test_a_token_for_another_title_is_403(client: Any) -> None:
    token = client.post("/api/v1/titles/t01-ocean-deep/playback").get_json()["renewal_token"]
    response = client.post(RENEWAL, json={"renewal_token": token})
    assert response.status_code == 403
    assert "another title" in response.get_json()["detail"]


def test_a_token_under_another_signing_key_is_403(
    client: Any, secrets: Any, user_pool: UserPool
) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    secrets.create_secret(Name="other-key", SecretString=private_key_pem(other))
    key = SigningKey(secrets, "other-key", KEY_PAIR_ID, refresh_seconds=60)
    forged = RenewalTokens(key, 21600).issue(TITLE, int(time.time()), user_pool.sub(), "basic", "-")
    assert forged is not None
    assert client.post(RENEWAL, json={"renewal_token": forged}).status_code == 403


def test_a_tampered_token_is_403(client: Any) -> None:
    token = client.post(PLAYBACK).get_json()["renewal_token"]
    payload, tag = token.split(".")
    flipped = tag[:-2] + ("A" if tag[-2] != "A" else "B") + tag[-1]
    assert client.post(RENEWAL, json={"renewal_token": f"{payload}.{flipped}"}).status_code == 403


def test_renewal_of_an_unknown_title_is_404(client: Any) -> None:
    token = client.post(PLAYBACK).get_json()["renewal_token"]
    response = client.post(
        "/api/v1/titles/t99-nothing/playback/renewal", json={"renewal_token": token}
    )
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize(
    ("data", "content_type", "status"),
    [
        (b"", "application/json", 400),
        (b"{}", "application/json", 400),
        (b'{"renewal_token": 7}', "application/json", 400),
        (b'{"renewal_token": "no-dot"}', "application/json", 400),
        (b'{"renewal_token": "a.b", "admin": true}', "application/json", 400),
        (b"renewal_token=x", "application/x-www-form-urlencoded", 415),
    ],
)
def test_malformed_renewal_bodies_are_problems(
    client: Any, data: bytes, content_type: str, status: int
) -> None:
    response = client.post(RENEWAL, data=data, content_type=content_type)
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"


def test_renewal_is_503_while_the_signing_key_is_missing(
    make_app: Any, publish_catalog: Any, dynamodb: Any, catalog_document: dict, secrets: Any,
    private_key: rsa.RSAPrivateKey, user_pool: UserPool,
) -> None:
    publish_catalog(catalog_document)
    tokens = RenewalTokens(_loaded_key(secrets, private_key), 21600)
    token = tokens.issue(TITLE, int(time.time()), user_pool.sub(), "basic", "-")
    secrets.delete_secret(SecretId=SECRET_ID, ForceDeleteWithoutRecovery=True)
    response = make_app().test_client().post(RENEWAL, json={"renewal_token": token})
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"


def _loaded_key(secrets: Any, private_key: rsa.RSAPrivateKey) -> SigningKey:
    secrets.create_secret(Name=SECRET_ID, SecretString=private_key_pem(private_key))
    key = SigningKey(secrets, SECRET_ID, KEY_PAIR_ID, refresh_seconds=60)
    assert key.load()
    return key


# --- the renewal needs the signed-in viewer the play was granted to --------------------


def _refused(response: Any, *, challenge: str = 'Bearer realm="edgeflix"') -> None:
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.headers["WWW-Authenticate"].startswith(challenge)
    assert "Set-Cookie" not in response.headers


def test_renewal_without_a_bearer_token_is_401(client: Any, anonymous: Any) -> None:
    token = client.post(PLAYBACK).get_json()["renewal_token"]
    response = anonymous.post(RENEWAL, json={"renewal_token": token})
    _refused(response)
    assert "error=" not in response.headers["WWW-Authenticate"], "bare challenge (RFC 6750 3.1)"


@pytest.mark.parametrize("kind", ["forged", "other pool", "expired"])
def test_renewal_with_a_bad_bearer_token_is_401(
    client: Any, anonymous: Any, user_pool: UserPool, boto_clients: Any, kind: str
) -> None:
    token = client.post(PLAYBACK).get_json()["renewal_token"]
    headers = {"Authorization": f"Bearer {bad_token(kind, user_pool, boto_clients)}"}
    response = anonymous.post(RENEWAL, json={"renewal_token": token}, headers=headers)
    _refused(response, challenge='Bearer realm="edgeflix", error="invalid_token"')


def test_another_accounts_renewal_token_is_403(
    client: Any, anonymous: Any, user_pool: UserPool
) -> None:
    token = client.post(PLAYBACK).get_json()["renewal_token"]
    other = user_pool.bearer("someone-else@example.com")
    response = anonymous.post(RENEWAL, json={"renewal_token": token}, headers=other)
    assert response.status_code == 403
    assert response.mimetype == "application/problem+json"
    assert "for this account" in response.get_json()["detail"]
    assert "Set-Cookie" not in response.headers
    # The same token still renews for the account it was issued to.
    own = anonymous.post(RENEWAL, json={"renewal_token": token}, headers=user_pool.bearer())
    assert own.status_code == 200


def test_each_account_gets_its_own_renewal_token_for_the_same_window(
    client: Any, anonymous: Any, user_pool: UserPool
) -> None:
    mine = client.post(PLAYBACK).get_json()
    theirs = anonymous.post(PLAYBACK, headers=user_pool.bearer("other@example.com")).get_json()
    assert mine["cookies"] == theirs["cookies"], "cookies are per title and window"
    assert mine["renewal_token"] != theirs["renewal_token"]


def test_a_token_is_checked_against_the_account_it_names(app: Any) -> None:
    tokens = app.extensions["edgeflix"].renewals
    now = int(time.time())
    token = tokens.issue(TITLE, now, "11111111-1111-4111-8111-111111111111", "basic", "-")
    assert tokens.check(token, TITLE, "11111111-1111-4111-8111-111111111111", now) == (
        now, "basic", "-")
    with pytest.raises(Problem) as refused:
        tokens.check(token, TITLE, "22222222-2222-4222-8222-222222222222", now)
    assert refused.value.code == 403
