"""Access-token verification (app/auth.py): what is accepted, and every kind of refusal."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask
from token_issuer import CLIENT_ID, ISSUER, POOL_ID, LocalUserPool, new_rsa_key

import app.auth as auth
from app.auth import InvalidToken, SignInUnavailable, TokenVerifier, signed_in_viewer
from app.problems import errors


@pytest.fixture(scope="module")
def signing_key() -> rsa.RSAPrivateKey:
    return new_rsa_key()


@pytest.fixture(scope="module")
def stranger_key() -> rsa.RSAPrivateKey:
    """A key the pool never published."""
    return new_rsa_key()


@pytest.fixture
def pool(signing_key: rsa.RSAPrivateKey) -> Iterator[LocalUserPool]:
    pool = LocalUserPool(signing_key)
    yield pool
    pool.close()


@pytest.fixture
def verifier(pool: LocalUserPool) -> TokenVerifier:
    return TokenVerifier(pool.jwks_url, ISSUER, CLIENT_ID, refresh_cooldown_seconds=0)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _segments(header: dict[str, Any], claims: dict[str, Any]) -> str:
    return f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"


def _expired(pool: LocalUserPool, _: rsa.RSAPrivateKey) -> str:
    now = int(time.time())
    return pool.token(pool.claims(iat=now - 7200, auth_time=now - 7200, exp=now - 3600))


def _wrong_issuer(pool: LocalUserPool, _: rsa.RSAPrivateKey) -> str:
    return pool.token(pool.claims(iss=ISSUER.replace(POOL_ID, "us-east-1_OtherPool")))


def _wrong_client(pool: LocalUserPool, _: rsa.RSAPrivateKey) -> str:
    return pool.token(pool.claims(client_id="anotherclient0123456789ab"))


def _id_token(pool: LocalUserPool, _: rsa.RSAPrivateKey) -> str:
    return pool.token(pool.claims("id"))


def _id_token_use_on_access_claims(pool: LocalUserPool, _: rsa.RSAPrivateKey) -> str:
    return pool.token(pool.claims(token_use="id"))


def _alg_none(pool: LocalUserPool, _: rsa.RSAPrivateKey) -> str:
    return _segments({"alg": "none", "typ": "JWT", "kid": pool.kid}, pool.claims()) + "."


def _hs256_with_public_key(pool: LocalUserPool, _: rsa.RSAPrivateKey) -> str:
    """Algorithm confusion: HMAC keyed with the pool's public key PEM."""
    secret = pool.keys[pool.kid].public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    signing_input = _segments({"alg": "HS256", "typ": "JWT", "kid": pool.kid}, pool.claims())
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(mac)}"


def _unknown_kid(pool: LocalUserPool, stranger: rsa.RSAPrivateKey) -> str:
    return pool.token(kid="not-in-the-jwks", key=stranger)


def _forged_with_known_kid(pool: LocalUserPool, stranger: rsa.RSAPrivateKey) -> str:
    return pool.token(kid=pool.kid, key=stranger)


def _tampered_payload(pool: LocalUserPool, _: rsa.RSAPrivateKey) -> str:
    header, _payload, signature = pool.token().split(".")
    forged = pool.claims(sub="2f1c1e6a-0000-4000-8000-0000000000ff")
    return f"{header}.{_b64(json.dumps(forged).encode())}.{signature}"


def _no_expiry(pool: LocalUserPool, _: rsa.RSAPrivateKey) -> str:
    return pool.token(pool.claims(exp=None))


def _not_a_jwt(pool: LocalUserPool, _: rsa.RSAPrivateKey) -> str:
    return "not-a-token"


REFUSALS: dict[str, tuple[Callable[[LocalUserPool, rsa.RSAPrivateKey], str], str]] = {
    "expired": (_expired, "expired"),
    "wrong issuer": (_wrong_issuer, "another user pool"),
    "wrong client": (_wrong_client, "another app client"),
    "id token": (_id_token, "token_use"),
    "token_use id": (_id_token_use_on_access_claims, "token_use"),
    "alg none": (_alg_none, "algorithm"),
    "HS256 keyed with the public key": (_hs256_with_public_key, "algorithm"),
    "unknown key id": (_unknown_kid, "not signed by a key of the user pool"),
    "forged signature": (_forged_with_known_kid, "Signature verification failed"),
    "tampered payload": (_tampered_payload, "Signature verification failed"),
    "no exp": (_no_expiry, '"exp"'),
    "not a JWT": (_not_a_jwt, "not a JWT"),
}


def test_a_valid_access_token_names_its_viewer(
    pool: LocalUserPool, verifier: TokenVerifier
) -> None:
    claims = pool.claims()
    viewer = verifier.verify(pool.token(claims))
    assert (viewer.sub, viewer.username, viewer.expires_at) == (
        claims["sub"], "viewer@example.com", claims["exp"]
    )


@pytest.mark.parametrize("kind", list(REFUSALS))
def test_a_bad_token_is_refused(
    kind: str, pool: LocalUserPool, verifier: TokenVerifier, stranger_key: rsa.RSAPrivateKey
) -> None:
    make, reason = REFUSALS[kind]
    with pytest.raises(InvalidToken) as refused:
        verifier.verify(make(pool, stranger_key))
    assert refused.value.code == 401
    assert reason in (refused.value.description or "")
    challenge = refused.value.response_headers["WWW-Authenticate"]
    assert challenge.startswith('Bearer realm="edgeflix", error="invalid_token"')


def test_expiry_allows_the_configured_leeway(pool: LocalUserPool) -> None:
    now = int(time.time())
    token = pool.token(pool.claims(iat=now - 3610, exp=now - 10))
    lenient = TokenVerifier(pool.jwks_url, ISSUER, CLIENT_ID, leeway_seconds=30)
    strict = TokenVerifier(pool.jwks_url, ISSUER, CLIENT_ID, leeway_seconds=0)
    assert lenient.verify(token).expires_at == now - 10
    with pytest.raises(InvalidToken, match="expired"):
        strict.verify(token)


def test_the_jwks_is_fetched_once_for_many_tokens(
    pool: LocalUserPool, verifier: TokenVerifier
) -> None:
    for n in range(5):
        verifier.verify(pool.token(pool.claims(jti=f"token-{n}")))
    assert pool.fetches == 1


def test_an_unknown_key_id_refreshes_the_jwks_so_a_rotated_key_is_accepted(
    pool: LocalUserPool, verifier: TokenVerifier
) -> None:
    verifier.verify(pool.token())
    pool.rotate(new_rsa_key(), "key-2")
    viewer = verifier.verify(pool.token(pool.claims(jti="after-rotation")))
    assert viewer.sub and pool.fetches == 2


def test_unknown_key_ids_refresh_at_most_once_per_cooldown(
    pool: LocalUserPool, stranger_key: rsa.RSAPrivateKey
) -> None:
    verifier = TokenVerifier(pool.jwks_url, ISSUER, CLIENT_ID, refresh_cooldown_seconds=60)
    verifier.verify(pool.token())
    for n in range(3):
        with pytest.raises(InvalidToken):
            verifier.verify(pool.token(kid=f"made-up-{n}", key=stranger_key))
    assert pool.fetches == 1


def test_a_verified_token_is_not_verified_again_until_it_expires(
    pool: LocalUserPool, verifier: TokenVerifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    decodes: list[str] = []
    real_decode = jwt.decode

    def counting_decode(token: str, *args: Any, **kwargs: Any) -> Any:
        decodes.append(token)
        return real_decode(token, *args, **kwargs)

    monkeypatch.setattr(auth.jwt, "decode", counting_decode)
    claims = pool.claims()
    token = pool.token(claims)
    assert verifier.verify(token) == verifier.verify(token)
    assert len(decodes) == 1

    class Later:
        @staticmethod
        def time() -> float:
            return claims["exp"] + verifier.leeway + 1

    # Past its exp the cache no longer answers: the token is verified afresh
    # (which refuses it on the real clock; here the clock moved only for the cache).
    monkeypatch.setattr(auth, "time", Later)
    verifier.verify(token)
    assert len(decodes) == 2


def test_the_verified_token_cache_is_bounded(pool: LocalUserPool) -> None:
    verifier = TokenVerifier(pool.jwks_url, ISSUER, CLIENT_ID, max_cached_tokens=3)
    for n in range(5):
        verifier.verify(pool.token(pool.claims(jti=f"token-{n}")))
    assert len(verifier._verified) == 3


def test_an_unreachable_jwks_is_unavailability_not_a_bad_token(pool: LocalUserPool) -> None:
    token = pool.token()
    url = pool.jwks_url
    pool.close()
    verifier = TokenVerifier(url, ISSUER, CLIENT_ID, fetch_timeout_seconds=0.5)
    with pytest.raises(SignInUnavailable) as unavailable:
        verifier.verify(token)
    assert unavailable.value.code == 503


@pytest.fixture
def guarded(verifier: TokenVerifier) -> Flask:
    """A one-route app that needs a signed-in viewer, with the API's error handling."""
    app = Flask(__name__)
    app.register_blueprint(errors)

    @app.get("/whoami")
    def whoami() -> dict[str, str]:
        return {"sub": signed_in_viewer(verifier).sub}

    return app


def test_no_credentials_get_a_bare_bearer_challenge(guarded: Flask) -> None:
    response = guarded.test_client().get("/whoami")
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="edgeflix"'
    assert response.json["status"] == 401


@pytest.mark.parametrize("authorization", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer not.a.jwt"])
def test_other_credentials_get_invalid_token(guarded: Flask, authorization: str) -> None:
    response = guarded.test_client().get("/whoami", headers={"Authorization": authorization})
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_a_valid_bearer_token_passes(guarded: Flask, pool: LocalUserPool) -> None:
    token = pool.token()
    response = guarded.test_client().get("/whoami", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.json == {"sub": pool.claims()["sub"]}


def test_without_a_configured_pool_sign_in_is_unavailable() -> None:
    app = Flask(__name__)
    app.register_blueprint(errors)

    @app.get("/whoami")
    def whoami() -> dict[str, str]:
        return {"sub": signed_in_viewer(None).sub}

    response = app.test_client().get("/whoami", headers={"Authorization": "Bearer x"})
    assert response.status_code == 503
