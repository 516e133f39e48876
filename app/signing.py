"""CloudFront signed cookies: a custom policy per title, signed with the key from Secrets Manager.

CloudFront verifies RSA-SHA1 (PKCS#1 v1.5) over the exact policy bytes, both
base64-encoded with `+ = /` replaced by `- _ ~`.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from app.catalog import title_prefix

log = logging.getLogger(__name__)

_CLOUDFRONT_B64 = bytes.maketrans(b"+=/", b"-_~")


def cloudfront_b64(data: bytes) -> str:
    """Base64 in CloudFront's URL-safe dialect."""
    return base64.b64encode(data).translate(_CLOUDFRONT_B64).decode("ascii")


def custom_policy(resource: str, expires_at: int) -> bytes:
    """The custom policy statement, without whitespace, as CloudFront expects."""
    statement = {
        "Statement": [
            {"Resource": resource, "Condition": {"DateLessThan": {"AWS:EpochTime": expires_at}}}
        ]
    }
    return json.dumps(statement, separators=(",", ":")).encode("ascii")


@dataclass(frozen=True)
class SignedCookies:
    """The three CloudFront cookie values and when they stop working."""

    policy: str
    signature: str
    key_pair_id: str
    expires_at: int

    def as_dict(self) -> dict[str, str]:
        """Cookie name to value, as CloudFront names them."""
        return {
            "CloudFront-Policy": self.policy,
            "CloudFront-Signature": self.signature,
            "CloudFront-Key-Pair-Id": self.key_pair_id,
        }


class SigningKey:
    """The RSA private key, loaded from Secrets Manager and retried while missing."""

    RETRY_SECONDS = 5.0

    def __init__(self, secrets: Any, secret_id: str) -> None:
        self._secrets = secrets
        self._secret_id = secret_id
        self._key: rsa.RSAPrivateKey | None = None
        self._last_attempt = float("-inf")
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        """Whether the key is in memory."""
        return self._key is not None

    def load(self) -> bool:
        """Fetch and parse the PEM (PKCS#8 or traditional); False on failure."""
        with self._lock:
            if self._key is not None:
                return True
            self._last_attempt = time.monotonic()
            try:
                pem = self._secrets.get_secret_value(SecretId=self._secret_id)["SecretString"]
                key = serialization.load_pem_private_key(pem.encode("ascii"), password=None)
            except (ClientError, BotoCoreError, KeyError) as exc:
                log.error("signing key %s unavailable: %s", self._secret_id, exc)
                return False
            except (ValueError, TypeError) as exc:
                log.error("signing key %s is not a PEM RSA key: %s", self._secret_id, exc)
                return False
            if not isinstance(key, rsa.RSAPrivateKey):
                log.error("signing key %s is not an RSA key", self._secret_id)
                return False
            self._key = key
            return True

    def get(self) -> rsa.RSAPrivateKey | None:
        """The key, retrying the load at most every RETRY_SECONDS."""
        if self._key is None and time.monotonic() - self._last_attempt >= self.RETRY_SECONDS:
            self.load()
        return self._key


class PlaybackCookieSigner:
    """Signs per-title cookies, reusing one signature per title and expiry window.

    Expiries are rounded up to a window of a tenth of the TTL, so every play of a
    title within that window shares one RSA signature: a cookie lives between
    ttl and ttl + window seconds.
    """

    def __init__(
        self,
        key: SigningKey,
        key_pair_id: str,
        cdn_base: str,
        ttl: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._key = key
        self._key_pair_id = key_pair_id
        self._cdn_base = cdn_base
        self._ttl = ttl
        self._window = max(1, ttl // 10)
        self._clock = clock
        self._cache: dict[tuple[str, int], SignedCookies] = {}
        self._lock = threading.Lock()

    @property
    def ready(self) -> bool:
        """Whether a key is available to sign with."""
        return self._key.get() is not None

    def resource_for(self, title_id: str) -> str:
        """The wildcard the policy grants: every object under the title's folder."""
        return f"{self._cdn_base}/{title_prefix(title_id)}*"

    def expiry_now(self) -> int:
        """The epoch expiry a cookie signed now carries."""
        window = self._window
        return (int(self._clock()) // window + 1) * window + self._ttl

    def cookies_for(self, title_id: str) -> SignedCookies | None:
        """Signed cookies for a title, or None while the key is unavailable."""
        expires_at = self.expiry_now()
        cached = self._cache.get((title_id, expires_at))
        if cached is not None:
            return cached
        key = self._key.get()
        if key is None:
            return None
        policy = custom_policy(self.resource_for(title_id), expires_at)
        signature = key.sign(policy, padding.PKCS1v15(), hashes.SHA1())  # noqa: S303 CloudFront
        cookies = SignedCookies(
            policy=cloudfront_b64(policy),
            signature=cloudfront_b64(signature),
            key_pair_id=self._key_pair_id,
            expires_at=expires_at,
        )
        with self._lock:
            stale = [k for k in self._cache if k[1] < expires_at]
            for k in stale:
                del self._cache[k]
            self._cache[(title_id, expires_at)] = cookies
        return cookies
