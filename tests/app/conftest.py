"""Shared fixtures for the playback API: moto-backed AWS, a fixture catalog, a signing key."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from flask import Flask
from flask.testing import FlaskClient
from moto import mock_aws
from tests_app_support import (
    BUCKET,
    CDN,
    FIXTURE_TITLES,
    KEY_PAIR_ID,
    REGION,
    SECRET_ID,
    UserPool,
    create_plays_table,
    moto_public_jwks,
    private_key_pem,
)
from token_issuer import JwksServer

from app.catalog import CATALOG_KEY
from app.factory import create_app


@pytest.fixture
def catalog_document() -> dict[str, Any]:
    """catalog.json content: five titles over a few genres and tags."""
    return {"version": 1, "titles": [dict(t) for t in FIXTURE_TITLES]}


@pytest.fixture(scope="session")
def private_key() -> rsa.RSAPrivateKey:
    """The CloudFront signing key (one per test session: RSA generation is slow)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def moto_session() -> Iterator[Any]:
    """moto in-process for one test module (boto3 clients are slow to build, so
    they are built once per module); no real endpoint, no real keys. Not wider:
    an active mock_aws intercepts every botocore call in the process, including
    other folders' calls to a real moto server."""
    patch = pytest.MonkeyPatch()
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
        patch.delenv(name, raising=False)
    patch.setenv("AWS_ACCESS_KEY_ID", "testing")
    patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    patch.setenv("AWS_DEFAULT_REGION", REGION)
    mock = mock_aws()
    mock.start()
    yield mock
    mock.stop()
    patch.undo()


@pytest.fixture
def aws(moto_session: Any) -> Iterator[None]:
    """Empty moto backends for each test."""
    moto_session.reset()
    yield


@pytest.fixture(scope="module")
def boto_clients(moto_session: Any) -> dict[str, Any]:
    """Test-side boto3 clients, built once."""
    return {
        name: boto3.client(name, region_name=REGION)
        for name in ("s3", "dynamodb", "secretsmanager", "cognito-idp")
    }


@pytest.fixture
def s3(aws: None, boto_clients: dict[str, Any]) -> Any:
    """An S3 client on moto with the media bucket."""
    client = boto_clients["s3"]
    client.create_bucket(Bucket=BUCKET)
    return client


@pytest.fixture
def dynamodb(aws: None, boto_clients: dict[str, Any]) -> Any:
    """A DynamoDB client on moto with the plays table."""
    client = boto_clients["dynamodb"]
    create_plays_table(client)
    return client


@pytest.fixture
def secrets(aws: None, boto_clients: dict[str, Any]) -> Any:
    """A Secrets Manager client on moto."""
    return boto_clients["secretsmanager"]


@pytest.fixture
def publish_catalog(s3: Any) -> Callable[[dict[str, Any]], None]:
    """Write a catalog.json document to the bucket."""

    def publish(document: dict[str, Any]) -> None:
        s3.put_object(Bucket=BUCKET, Key=CATALOG_KEY, Body=json.dumps(document).encode())

    return publish


@pytest.fixture
def seeded(
    publish_catalog: Callable[[dict[str, Any]], None],
    dynamodb: Any,
    secrets: Any,
    catalog_document: dict[str, Any],
    private_key: rsa.RSAPrivateKey,
) -> None:
    """Catalog in the bucket, PEM key in Secrets Manager, plays table in DynamoDB."""
    publish_catalog(catalog_document)
    secrets.create_secret(Name=SECRET_ID, SecretString=private_key_pem(private_key))


@pytest.fixture(scope="module")
def moto_jwks() -> Iterator[JwksServer]:
    """moto's Cognito public keys on a loopback URL (moto signs every pool's tokens
    with one key pair; in-process moto answers botocore, not an HTTP JWKS fetch)."""
    server = JwksServer(lambda: moto_public_jwks)
    yield server
    server.close()


@pytest.fixture
def user_pool(aws: None, boto_clients: dict[str, Any], moto_jwks: JwksServer) -> UserPool:
    """A moto user pool (email usernames) with a public app client, as infra/accounts.py."""
    return UserPool.create(boto_clients["cognito-idp"], moto_jwks.url)


TEST_SETTINGS: dict[str, Any] = {
    "cdn_url": CDN,
    "key_pair_id": KEY_PAIR_ID,
    "catalog_refresh_seconds": 0,
    "play_flush_seconds": 0,
    "cookie_ttl": 600,
}


def _signed_in_client_class(authorization: str) -> type[FlaskClient]:
    class SignedInClient(FlaskClient):
        """A test client that sends a viewer's `Authorization: Bearer` on every request."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.environ_base["HTTP_AUTHORIZATION"] = authorization

    return SignedInClient


@pytest.fixture
def make_app(aws: None, user_pool: UserPool) -> Callable[..., Flask]:
    """Build an app with test settings (sign-in through `user_pool`) plus overrides; its
    test clients are signed in as a viewer (the `anonymous` fixture is not)."""
    built: list[Flask] = []

    def make(**overrides: Any) -> Flask:
        app = create_app({**TEST_SETTINGS, **user_pool.settings, **overrides})
        app.testing = True
        app.test_client_class = _signed_in_client_class(user_pool.bearer()["Authorization"])
        built.append(app)
        return app

    yield make
    for app in built:
        app.extensions["edgeflix"].close()


@pytest.fixture
def app(seeded: None, make_app: Callable[..., Flask]) -> Flask:
    """The API on a seeded moto: synchronous play writes, no background refresh."""
    return make_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client for the seeded app, signed in as a viewer (see make_app)."""
    return app.test_client()


@pytest.fixture
def anonymous(app: Flask) -> FlaskClient:
    """A test client for the seeded app that sends no credentials."""
    return FlaskClient(app, app.response_class, use_cookies=True)


def cloudfront_b64decode(text: str) -> bytes:
    """Undo CloudFront's base64 dialect (- _ ~ for + = /)."""
    return base64.b64decode(text.translate(str.maketrans("-_~", "+=/")))


@pytest.fixture
def verify_cloudfront(private_key: rsa.RSAPrivateKey) -> Callable[[dict[str, str]], dict]:
    """Check cookies as CloudFront does; returns the decoded policy or raises InvalidSignature."""
    public_key = private_key.public_key()

    def verify(cookies: dict[str, str]) -> dict:
        policy = cloudfront_b64decode(cookies["CloudFront-Policy"])
        signature = cloudfront_b64decode(cookies["CloudFront-Signature"])
        public_key.verify(signature, policy, padding.PKCS1v15(), hashes.SHA1())
        return json.loads(policy)

    return verify
