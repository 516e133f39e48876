"""Constants and plain helpers shared by the app tests (fixtures live in conftest.py)."""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
import moto.cognitoidp
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from twin import seed as twin_seed

REGION = "us-east-1"
BUCKET = "edgeflix-media"
SECRET_ID = "edgeflix/cloudfront-signing-key"
TABLE = "edgeflix-plays"
CDN = "https://cdn.example.test"
KEY_PAIR_ID = "KTESTKEYPAIR01"


def private_key_pem(key: rsa.RSAPrivateKey, traditional: bool = False) -> str:
    """PEM text of the key, PKCS#8 by default or the traditional (PKCS#1) form."""
    form = (
        serialization.PrivateFormat.TraditionalOpenSSL
        if traditional
        else serialization.PrivateFormat.PKCS8
    )
    return key.private_bytes(
        serialization.Encoding.PEM, form, serialization.NoEncryption()
    ).decode()


def create_plays_table(dynamodb: Any) -> None:
    """The plays table as infra creates it: pk/sk strings, on-demand."""
    twin_seed.create_plays_table(dynamodb, TABLE)


def set_cookies(response: Any) -> dict[str, str]:
    """Cookie name to its full Set-Cookie header."""
    return {h.split("=", 1)[0]: h for h in response.headers.getlist("Set-Cookie")}


def cookie_attributes(header: str) -> dict[str, str]:
    """Attributes of one Set-Cookie header, names lower-cased (flags map to "")."""
    attributes: dict[str, str] = {}
    for part in header.split(";")[1:]:
        name, _, value = part.strip().partition("=")
        attributes[name.lower()] = value
    return attributes


def make_title(
    index: int, slug: str, genres: list[str], tags: list[str], popularity: float
) -> dict[str, Any]:
    """A catalog entry in the media publisher's format (the published layout: renditions
    nested per plan, app/catalog.py)."""
    title_id = f"t{index:02d}-{slug}"
    return {
        "id": title_id,
        "title": slug.replace("-", " ").title(),
        "synopsis": f"The story of {slug}.",
        "genres": genres,
        "tags": tags,
        "year": 2000 + index,
        "duration": 120.0 + index,
        "popularity": popularity,
        "poster": f"posters/{title_id}.jpg",
        "master": f"video/{title_id}/master.m3u8",
        "renditions": [
            {
                "name": "240p",
                "width": 426,
                "height": 240,
                "bandwidth": 400_000,
                "playlist": f"video/{title_id}/standard/basic/240p/index.m3u8",
            },
            {
                "name": "720p",
                "width": 1280,
                "height": 720,
                "bandwidth": 2_800_000,
                "playlist": f"video/{title_id}/standard/720p/index.m3u8",
            },
        ],
    }


def _moto_public_jwks() -> dict[str, Any]:
    resources = Path(moto.cognitoidp.__file__).parent / "resources"
    return json.loads(gzip.decompress((resources / "jwks-public.json.gz").read_bytes()))


moto_public_jwks = _moto_public_jwks()


def moto_private_jwk() -> Any:
    """The RSA key moto signs every pool's tokens with (to forge otherwise-real tokens)."""
    resources = Path(moto.cognitoidp.__file__).parent / "resources"
    jwk = json.loads(gzip.decompress((resources / "jwks-private.json.gz").read_bytes()))
    return jwt.algorithms.RSAAlgorithm.from_jwk(json.dumps(jwk))


PASSWORD = "Correct-Horse-9-battery"


@dataclass
class UserPool:
    """A moto user pool and public app client; signs viewers up and in through boto3."""

    idp: Any
    pool_id: str
    client_id: str
    jwks_url: str

    @classmethod
    def create(cls, idp: Any, jwks_url: str) -> UserPool:
        ids = twin_seed.create_user_pool(idp, "edgeflix-viewers")
        return cls(idp, ids.pool_id, ids.client_id, jwks_url)

    @property
    def settings(self) -> dict[str, str]:
        """Settings overrides that point the API at this pool."""
        return {
            "user_pool_id": self.pool_id,
            "user_pool_client_id": self.client_id,
            "jwks_url": self.jwks_url,
        }

    def access_token(self, email: str = "viewer@example.com") -> str:
        """A confirmed viewer's access token (signs the viewer up on first use)."""
        try:
            self.idp.sign_up(ClientId=self.client_id, Username=email, Password=PASSWORD)
            self.idp.admin_confirm_sign_up(UserPoolId=self.pool_id, Username=email)
        except self.idp.exceptions.UsernameExistsException:
            pass
        result = self.idp.initiate_auth(
            ClientId=self.client_id, AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD},
        )
        return result["AuthenticationResult"]["AccessToken"]

    def bearer(self, email: str = "viewer@example.com") -> dict[str, str]:
        """The Authorization header for that viewer."""
        return {"Authorization": f"Bearer {self.access_token(email)}"}

    def sub(self, email: str = "viewer@example.com") -> str:
        """That viewer's account id (Cognito `sub`), signing the viewer up on first use."""
        token = self.access_token(email)
        return str(jwt.decode(token, options={"verify_signature": False})["sub"])


# The fixture catalog's five titles over a few genres and tags (conftest's catalog_document).
FIXTURE_TITLES = [
    make_title(1, "ocean-deep", ["Documentary", "Nature"], ["ocean", "wildlife"], 0.9),
    make_title(2, "reef-life", ["Documentary", "Nature"], ["ocean", "coral"], 0.4),
    make_title(3, "city-lights", ["Drama"], ["night", "city"], 0.7),
    make_title(4, "laugh-track", ["Comedy"], ["sitcom"], 0.8),
    make_title(5, "night-city", ["Drama", "Thriller"], ["night", "city"], 0.3),
]

