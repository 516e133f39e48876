"""Signing-key rotation: the API follows the secret's current key without a restart."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from tests_app_support import SECRET_ID, private_key_pem

from app.signing import PlaybackCookieSigner, SigningKey, parse_signing_secret

_FROM_CLOUDFRONT = bytes.maketrans(b"-_~", b"+=/")


def _decode(value: str) -> bytes:
    return base64.b64decode(value.encode().translate(_FROM_CLOUDFRONT))


def _verify(public_key: rsa.RSAPublicKey, cookies: dict[str, str]) -> None:
    """Raise InvalidSignature unless the cookies verify as CloudFront checks them."""
    public_key.verify(_decode(cookies["CloudFront-Signature"]),
                      _decode(cookies["CloudFront-Policy"]), padding.PKCS1v15(), hashes.SHA1())


def _document(current: tuple[str, rsa.RSAPrivateKey],
              upcoming: tuple[str, rsa.RSAPrivateKey] | None = None) -> str:
    doc: dict[str, Any] = {"current": {"key_pair_id": current[0],
                                       "private_key_pem": private_key_pem(current[1])}}
    if upcoming is not None:
        doc["next"] = {"key_pair_id": upcoming[0], "private_key_pem": private_key_pem(upcoming[1])}
    return json.dumps(doc)


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def second_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def test_switch_reaches_new_grants_after_the_refresh_interval(
        secrets: Any, private_key: rsa.RSAPrivateKey, second_key: rsa.RSAPrivateKey) -> None:
    secrets.create_secret(Name=SECRET_ID,
                          SecretString=_document(("KOLD", private_key), ("KNEW", second_key)))
    clock = _Clock()
    key = SigningKey(secrets, SECRET_ID, "KUNUSED", refresh_seconds=30, clock=clock)
    signer = PlaybackCookieSigner(key, "https://cdn.example.test", ttl=600)
    assert key.load()
    old = signer.cookies_for("t1", "premium").as_dict()
    assert old["CloudFront-Key-Pair-Id"] == "KOLD"
    _verify(private_key.public_key(), old)

    secrets.put_secret_value(SecretId=SECRET_ID, SecretString=_document(("KNEW", second_key)))
    clock.now += 29
    assert signer.cookies_for("t1", "premium").as_dict() == old  # not yet due: same key, same grant
    clock.now += 1
    new = signer.cookies_for("t1", "premium").as_dict()
    assert new["CloudFront-Key-Pair-Id"] == "KNEW"
    _verify(second_key.public_key(), new)
    with pytest.raises(InvalidSignature):
        _verify(private_key.public_key(), new)
    # A grant issued before the switch still verifies under the old public key,
    # which stays in the key group until it is retired.
    _verify(private_key.public_key(), old)


def test_bare_pem_secret_signs_under_the_configured_key_id(
        secrets: Any, private_key: rsa.RSAPrivateKey) -> None:
    secrets.create_secret(Name=SECRET_ID, SecretString=private_key_pem(private_key))
    key = SigningKey(secrets, SECRET_ID, "KLEGACY", refresh_seconds=60)
    signer = PlaybackCookieSigner(key, "https://cdn.example.test", ttl=600)
    cookies = signer.cookies_for("t1", "premium")
    assert cookies is not None and cookies.key_pair_id == "KLEGACY"
    _verify(private_key.public_key(), cookies.as_dict())


def test_an_unreadable_rotation_keeps_the_last_good_key(
        secrets: Any, private_key: rsa.RSAPrivateKey) -> None:
    secrets.create_secret(Name=SECRET_ID, SecretString=_document(("KOLD", private_key)))
    clock = _Clock()
    key = SigningKey(secrets, SECRET_ID, "K", refresh_seconds=10, clock=clock)
    assert key.load()
    secrets.put_secret_value(SecretId=SECRET_ID, SecretString='{"next": {}}')
    clock.now += 10
    active = key.get()
    assert active is not None and active.key_pair_id == "KOLD"
    assert not key.load()


def test_parse_refuses_documents_without_a_current_key_and_non_rsa_keys(
        private_key: rsa.RSAPrivateKey) -> None:
    with pytest.raises(ValueError, match="current"):
        parse_signing_secret('{"next": {"key_pair_id": "K"}}', "K")
    with pytest.raises(ValueError, match="key pair id"):
        parse_signing_secret(private_key_pem(private_key), "")
    ec_pem = private_key_pem(ec.generate_private_key(ec.SECP256R1()))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="RSA"):
        parse_signing_secret(ec_pem, "K")
    parsed = parse_signing_secret(_document(("KA", private_key)), "KIGNORED")
    assert parsed.key_pair_id == "KA"
