"""Signed-in viewers: Amazon Cognito access tokens verified with PyJWT.

A request names its viewer with `Authorization: Bearer <access token>` (RFC 6750
§2.1). `TokenVerifier` checks what AWS's "Verifying a JSON Web Token" page lists
for a user pool token: the RS256 signature against the pool's JWKS (fetched once,
cached, and fetched again when a token names an unknown key id, at most once per
cooldown), `iss` equal to the pool's issuer, `exp` (with a small leeway for clock
skew), `token_use` and the app client (`client_id`).

Only access tokens are accepted (`token_use` = "access"): AWS recommends the
access token for authorising API calls, and an ID token is meant for the client
itself (it carries profile claims and `aud` instead of `client_id`). A verified
token is remembered until its `exp` (a bounded cache), so a viewer's repeated
requests cost a dictionary lookup, not an RSA verification.

Every refusal is `InvalidToken`: a 401 problem+json carrying
`WWW-Authenticate: Bearer error="invalid_token"` (RFC 6750 §3; a request with no
credentials gets the bare `Bearer realm=...` challenge, §3.1).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import jwt
from flask import request

from app.problems import Problem

ALGORITHMS = ["RS256"]
# Claims every user pool token carries (AWS: "access token" payload); `client_id`
# is checked after `token_use` so an ID token is refused for what it is.
REQUIRED_CLAIMS = ["exp", "iat", "iss", "sub", "token_use"]
REALM = "edgeflix"


class InvalidToken(Problem):
    """401: no bearer token, or one that failed verification (RFC 6750 §3)."""

    def __init__(self, detail: str, *, missing: bool = False) -> None:
        challenge = f'Bearer realm="{REALM}"'
        if not missing:
            description = detail.replace("\\", "").replace('"', "'")
            challenge += f', error="invalid_token", error_description="{description}"'
        super().__init__(401, detail, response_headers={"WWW-Authenticate": challenge})


class SignInUnavailable(Problem):
    """503: sign-in is not configured, or the pool's JWKS cannot be fetched."""

    def __init__(self, detail: str) -> None:
        super().__init__(503, detail, retry_after=5)


@dataclass(frozen=True)
class Viewer:
    """A verified access token's subject: Cognito `sub`, `username`, `exp` (epoch seconds)."""

    sub: str
    username: str
    expires_at: int


class TokenVerifier:
    """Verifies Cognito access tokens for one user pool and app client.

    `jwks_url` is configured apart from `issuer`: on AWS it is
    `<issuer>/.well-known/jwks.json`; in the twin the moto server serves it while
    the tokens still name the AWS issuer. Thread-safe.
    """

    def __init__(
        self,
        jwks_url: str,
        issuer: str,
        client_id: str,
        *,
        leeway_seconds: float = 30.0,
        jwks_lifespan_seconds: float = 3600.0,
        refresh_cooldown_seconds: float = 10.0,
        fetch_timeout_seconds: float = 2.0,
        max_cached_tokens: int = 10_000,
    ) -> None:
        self.issuer = issuer
        self.client_id = client_id
        self.leeway = leeway_seconds
        self._jwks = jwt.PyJWKClient(
            jwks_url,
            lifespan=jwks_lifespan_seconds,
            timeout=fetch_timeout_seconds,
            cooldown_duration=refresh_cooldown_seconds,
        )
        self._verified: OrderedDict[str, Viewer] = OrderedDict()
        self._max = max_cached_tokens
        self._lock = threading.Lock()

    def verify(self, token: str) -> Viewer:
        """The token's viewer; raises InvalidToken (401) or SignInUnavailable (503, no JWKS)."""
        now = time.time()
        with self._lock:
            cached = self._verified.get(token)
            if cached is not None:
                if cached.expires_at + self.leeway > now:
                    self._verified.move_to_end(token)
                    return cached
                del self._verified[token]
        viewer = self._verify_uncached(token)
        with self._lock:
            self._verified[token] = viewer
            while len(self._verified) > self._max:
                self._verified.popitem(last=False)
        return viewer

    def _verify_uncached(self, token: str) -> Viewer:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError:
            raise InvalidToken("The bearer token is not a JWT.") from None
        if header.get("alg") not in ALGORITHMS:
            raise InvalidToken(f"The token's algorithm must be one of {ALGORITHMS}.")
        try:
            key = self._jwks.get_signing_key(str(header.get("kid", "")))
        except jwt.PyJWKClientConnectionError:
            raise SignInUnavailable("The user pool's signing keys cannot be fetched.") from None
        except jwt.PyJWKClientError:
            raise InvalidToken("The token is not signed by a key of the user pool.") from None
        try:
            claims = jwt.decode(
                token,
                key.key,
                algorithms=ALGORITHMS,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": REQUIRED_CLAIMS, "verify_aud": False},
            )
        except jwt.ExpiredSignatureError:
            raise InvalidToken("The token has expired.") from None
        except jwt.InvalidIssuerError:
            raise InvalidToken("The token was issued by another user pool.") from None
        except jwt.InvalidTokenError as exc:
            raise InvalidToken(f"The token is invalid: {exc}.") from None
        return self._viewer(claims)

    def _viewer(self, claims: dict[str, Any]) -> Viewer:
        if claims["token_use"] != "access":
            raise InvalidToken("An access token is required (token_use must be 'access').")
        if claims.get("client_id") != self.client_id:
            raise InvalidToken("The token was issued to another app client.")
        return Viewer(
            sub=str(claims["sub"]),
            username=str(claims.get("username", claims["sub"])),
            expires_at=int(claims["exp"]),
        )


def bearer_token(authorization: str | None) -> str:
    """The token of an `Authorization: Bearer <token>` value; InvalidToken if absent or other."""
    if not authorization:
        raise InvalidToken("Sign in first: this request needs a bearer token.", missing=True)
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise InvalidToken("The Authorization header must be 'Bearer <access token>'.")
    return token


def signed_in_viewer(verifier: TokenVerifier | None) -> Viewer:
    """The current request's viewer; 401 without a valid token, 503 without a configured pool."""
    if verifier is None:
        raise SignInUnavailable("Sign-in is not configured on this server.")
    return verifier.verify(bearer_token(request.headers.get("Authorization")))
