"""A stand-in Cognito user pool for token tests: an RSA key, its JWKS on loopback, tokens.

The JWKS is served by a real HTTP server on 127.0.0.1 so PyJWKClient's fetching
and caching run as in production; `fetches` counts its requests.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

REGION = "us-east-1"
POOL_ID = "us-east-1_TestPool1"
CLIENT_ID = "testclient0123456789abcdef"
ISSUER = f"https://cognito-idp.{REGION}.amazonaws.com/{POOL_ID}"


def new_rsa_key() -> rsa.RSAPrivateKey:
    """A fresh 2048-bit RSA key (Cognito signs with RS256)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_jwk(key: rsa.RSAPrivateKey, kid: str) -> dict[str, Any]:
    """The public half of `key` as a JWK with `kid`, as Cognito publishes it."""
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    return {**jwk, "kid": kid, "alg": "RS256", "use": "sig"}


class JwksServer:
    """Serves `document()` as JSON on 127.0.0.1 at `url`; `fetches` counts the requests."""

    def __init__(self, document: Callable[[], dict[str, Any]]) -> None:
        self.fetches = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                server.fetches += 1
                body = json.dumps(document()).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{port}/{POOL_ID}/.well-known/jwks.json"

    def close(self) -> None:
        """Stop serving."""
        self._server.shutdown()
        self._server.server_close()


class LocalUserPool:
    """Signs Cognito-shaped tokens and serves their JWKS at `jwks_url`."""

    def __init__(self, key: rsa.RSAPrivateKey, kid: str = "key-1") -> None:
        self.keys: dict[str, rsa.RSAPrivateKey] = {kid: key}
        self.kid = kid
        self._jwks = JwksServer(self.jwks)
        self.jwks_url = self._jwks.url

    @property
    def fetches(self) -> int:
        """How often the JWKS was fetched."""
        return self._jwks.fetches

    def jwks(self) -> dict[str, Any]:
        """The published key set."""
        return {"keys": [public_jwk(key, kid) for kid, key in self.keys.items()]}

    def rotate(self, key: rsa.RSAPrivateKey, kid: str) -> None:
        """Publish another key and sign with it from now on."""
        self.keys[kid] = key
        self.kid = kid

    def claims(self, token_use: str = "access", **overrides: Any) -> dict[str, Any]:
        """A valid access (or id) token's payload, one hour long; None values drop a claim."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "sub": "2f1c1e6a-0000-4000-8000-000000000001",
            "iss": ISSUER,
            "token_use": token_use,
            "iat": now,
            "auth_time": now,
            "exp": now + 3600,
            "jti": "c6a5b1d2-0000-4000-8000-000000000002",
        }
        if token_use == "access":
            claims.update(client_id=CLIENT_ID, username="viewer@example.com")
        else:
            claims.update(aud=CLIENT_ID, email="viewer@example.com")
        claims.update(overrides)
        return {k: v for k, v in claims.items() if v is not None}

    def token(self, claims: dict[str, Any] | None = None, *, kid: str | None = None,
              key: rsa.RSAPrivateKey | None = None) -> str:
        """An RS256 token over `claims` (default: a valid access token)."""
        kid = kid or self.kid
        signing_key = key or self.keys[self.kid if kid not in self.keys else kid]
        payload = self.claims() if claims is None else claims
        return jwt.encode(payload, signing_key, algorithm="RS256", headers={"kid": kid})

    def close(self) -> None:
        """Stop the JWKS server."""
        self._jwks.close()
