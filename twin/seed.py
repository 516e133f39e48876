"""What the twin puts into the AWS stand-in before anything reads it.

The same setup the real stack performs: two RSA 2048 signing keys, current and
next, named in the Secrets Manager secret (app/signing.py's rotation document)
and both trusted by the edge under their key pair ids; the plays table (pk/sk,
on demand) and the private media bucket.
"""

from __future__ import annotations

import base64
import os
import secrets
import string
from dataclasses import dataclass
from pathlib import Path

import boto3
from botocore.config import Config
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from app.signing import signing_secret_document
from infra.bucket_policies import cloudfront_read_statement, policy_document

DUMMY_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}
REGION = "us-east-1"
TWIN_DISTRIBUTION_ARN = "arn:aws:cloudfront::123456789012:distribution/ETWIN0000000"


@dataclass(frozen=True)
class SigningKey:
    """A CloudFront public key id with its private PEM (0600 on disk)."""

    key_pair_id: str
    private_pem: str

    @property
    def public_spki_b64(self) -> str:
        """The public key as base64 DER SubjectPublicKeyInfo (what njs imports)."""
        key = serialization.load_pem_private_key(self.private_pem.encode(), password=None)
        der = key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return base64.b64encode(der).decode()


def write_private(path: Path, text: str) -> None:
    """Write a file only its owner can read, without a window where others could."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(path, 0o600)


def new_signing_pem() -> str:
    """A fresh CloudFront signing key (RSA 2048, what CloudFront accepts) as PKCS#8 PEM."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def create_plays_table(dynamodb, table: str) -> None:  # noqa: ANN001 - boto3 clients are untyped
    """The plays table as infra/data.py declares it: pk/sk strings, on-demand."""
    dynamodb.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                   {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                              {"AttributeName": "sk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )


def signing_key(path: Path) -> SigningKey:
    """The twin's signing key: reused from `path` if present, else generated there."""
    if path.exists():
        kid, _, pem = path.read_text().partition("\n")
        return SigningKey(kid, pem)
    pem = new_signing_pem()
    alphabet = string.ascii_uppercase + string.digits
    kid = "K" + "".join(secrets.choice(alphabet) for _ in range(13))
    write_private(path, f"{kid}\n{pem}")
    return SigningKey(kid, pem)


def origin_secret(path: Path) -> str:
    """The X-Origin-Verify value for this run: random, 0600, never printed."""
    if not path.exists():
        write_private(path, secrets.token_urlsafe(32))
    return path.read_text()


def aws_environment(endpoint_url: str) -> dict[str, str]:
    """Environment for any AWS client that must talk to the twin's moto server."""
    return {
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        **DUMMY_CREDENTIALS,
    }


def client(service: str, endpoint_url: str):  # noqa: ANN201 - boto3 clients are untyped
    return boto3.client(
        service,
        endpoint_url=endpoint_url,
        region_name=REGION,
        aws_access_key_id=DUMMY_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=DUMMY_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        config=Config(retries={"max_attempts": 2}, connect_timeout=2, read_timeout=30),
    )


def signing_secret(key: SigningKey, next_key: SigningKey | None) -> str:
    """The secret string the API reads: the rotation document, or a bare PEM without a next key."""
    if next_key is None:
        return key.private_pem
    return signing_secret_document(key.key_pair_id, key.private_pem,
                                   next_key.key_pair_id, next_key.private_pem)


def seed_aws(endpoint_url: str, *, bucket: str, table: str, secret_id: str,
             key: SigningKey, next_key: SigningKey | None = None) -> None:
    """Bucket, secret and table, idempotently (a restarted moto starts empty).

    With `next_key`, the secret is the rotation document naming `key` as current
    (app/signing.py); without, the bare PEM the API signs under its configured key id.
    """
    s3 = client("s3", endpoint_url)
    existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    if bucket not in existing:
        s3.create_bucket(Bucket=bucket)
    s3.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True, "IgnorePublicAcls": True,
            "BlockPublicPolicy": True, "RestrictPublicBuckets": True,
        },
    )
    # The real stack's OAC statement: only the distribution reads objects. (moto grants
    # it to the edge's unsigned GETs, which stand in for OAC's sigv4 ones.)
    s3.put_bucket_policy(Bucket=bucket, Policy=policy_document(
        cloudfront_read_statement(f"arn:aws:s3:::{bucket}", TWIN_DISTRIBUTION_ARN)))
    sm = client("secretsmanager", endpoint_url)
    text = signing_secret(key, next_key)
    try:
        sm.put_secret_value(SecretId=secret_id, SecretString=text)
    except sm.exceptions.ResourceNotFoundException:
        sm.create_secret(Name=secret_id, SecretString=text,
                         Description="CloudFront signing key (local twin)")
    ddb = client("dynamodb", endpoint_url)
    if table not in ddb.list_tables()["TableNames"]:
        create_plays_table(ddb, table)


@dataclass(frozen=True)
class UserPoolIds:
    """A Cognito user pool and its public app client."""

    pool_id: str
    client_id: str


# The pool's shape as infra/accounts.py declares it (email usernames, public client);
# tests/infra/test_accounts.py keeps the two alike (this module does not load Pulumi).
USER_POOL_CLIENT_NAME = "player"
USER_POOL_AUTH_FLOWS = ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH",
                        "ALLOW_USER_SRP_AUTH"]


def create_user_pool(idp, name: str) -> UserPoolIds:  # noqa: ANN001 - boto3 clients are untyped
    """A user pool with email usernames and a public app client (no secret)."""
    pool_id = idp.create_user_pool(
        PoolName=name, UsernameAttributes=["email"], AutoVerifiedAttributes=["email"],
    )["UserPool"]["Id"]
    client_id = idp.create_user_pool_client(
        UserPoolId=pool_id, ClientName=USER_POOL_CLIENT_NAME, GenerateSecret=False,
        ExplicitAuthFlows=USER_POOL_AUTH_FLOWS, PreventUserExistenceErrors="ENABLED",
    )["UserPoolClient"]["ClientId"]
    return UserPoolIds(pool_id, client_id)


def seed_user_pool(endpoint_url: str, name: str) -> UserPoolIds:
    """The twin's user pool, reused by name if moto already has it."""
    idp = client("cognito-idp", endpoint_url)
    for pool in idp.list_user_pools(MaxResults=60)["UserPools"]:
        if pool["Name"] == name:
            clients = idp.list_user_pool_clients(UserPoolId=pool["Id"], MaxResults=60)
            for app_client in clients["UserPoolClients"]:
                if app_client["ClientName"] == USER_POOL_CLIENT_NAME:
                    return UserPoolIds(pool["Id"], app_client["ClientId"])
    return create_user_pool(idp, name)
