"""CloudFront signed cookies: a custom policy per title and plan, signed with the key from
Secrets Manager.

The policy's one Resource is the folder of what the plan plays of the title
(app/catalog.py, `plan_prefix`) plus `*`: a basic grant opens
`video/{id}/standard/basic/*` and so neither the standard nor the premium
renditions nor their master playlists.

The secret names the key pair id it signs under and is re-read on an interval,
so a key rotation (see infra/rotation.py) reaches the API without a restart.

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

from app.catalog import plan_prefix

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


@dataclass(frozen=True)
class ActiveKey:
    """The key the API signs with now: its CloudFront public key id and private key."""

    key_pair_id: str
    private_key: rsa.RSAPrivateKey


def signing_secret_document(current_id: str, current_pem: str,
                            next_id: str, next_pem: str) -> str:
    """The secret string `parse_signing_secret` reads: the current key and the staged next."""
    return json.dumps({
        "current": {"key_pair_id": current_id, "private_key_pem": current_pem},
        "next": {"key_pair_id": next_id, "private_key_pem": next_pem},
    })


def parse_signing_secret(text: str, default_key_pair_id: str) -> ActiveKey:
    """The signing key a Secrets Manager secret string names.

    Two forms are read: the rotation document
    `{"current": {"key_pair_id": str, "private_key_pem": str}, "next": {...}}`
    (only `current` signs; `next` is staged by `infra.rotation` and ignored here),
    or a bare PEM private key (PKCS#8 or traditional), which signs under
    `default_key_pair_id` (the form stacks wrote before rotation existed).
    Raises ValueError when the text is neither, names no key id, or holds a key
    that is not RSA (CloudFront signed cookies here use RSA-SHA1).
    """
    stripped = text.strip()
    if stripped.startswith("{"):
        try:
            current = json.loads(stripped)["current"]
            key_pair_id = str(current["key_pair_id"])
            pem = str(current["private_key_pem"])
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise ValueError(f"signing secret document lacks current key: {exc}") from exc
    else:
        key_pair_id, pem = default_key_pair_id, stripped
    if not key_pair_id:
        raise ValueError("signing secret names no key pair id")
    try:
        key = serialization.load_pem_private_key(pem.encode("ascii"), password=None)
    except (ValueError, TypeError, UnicodeEncodeError) as exc:
        raise ValueError(f"not a PEM private key: {exc}") from exc
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("the signing key is not an RSA key")
    return ActiveKey(key_pair_id, key)


class SigningKey:
    """The current signing key, read from Secrets Manager and re-read on a fixed interval.

    `get()` re-fetches the secret once `refresh_seconds` have passed since the last
    successful read, so a rotation (a new `current` in the secret) reaches every
    worker within that bound without a restart. While the secret is unreadable the
    last good key keeps signing; while no key was ever read, the load is retried at
    most every RETRY_SECONDS. One thread fetches at a time; the others keep using
    the key they have.
    """

    RETRY_SECONDS = 5.0

    def __init__(
        self,
        secrets: Any,
        secret_id: str,
        default_key_pair_id: str,
        refresh_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._secrets = secrets
        self._secret_id = secret_id
        self._default_key_pair_id = default_key_pair_id
        self._refresh_seconds = refresh_seconds
        self._clock = clock
        self._key: ActiveKey | None = None
        self._last_text: str | None = None
        self._last_attempt = float("-inf")
        self._last_success = float("-inf")
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        """Whether a key is in memory."""
        return self._key is not None

    @property
    def refresh_seconds(self) -> float:
        """The longest a switched secret takes to reach this process, in seconds."""
        return self._refresh_seconds

    def load(self) -> bool:
        """Fetch and parse the secret now; False on failure (the previous key stays)."""
        with self._lock:
            return self._fetch()

    def _fetch(self) -> bool:
        self._last_attempt = self._clock()
        try:
            text = self._secrets.get_secret_value(SecretId=self._secret_id)["SecretString"]
        except (ClientError, BotoCoreError, KeyError) as exc:
            log.error("signing key %s unavailable: %s", self._secret_id, exc)
            return False
        if text != self._last_text or self._key is None:
            try:
                key = parse_signing_secret(text, self._default_key_pair_id)
            except ValueError as exc:
                log.error("signing key %s unusable: %s", self._secret_id, exc)
                return False
            if self._key is not None and key.key_pair_id != self._key.key_pair_id:
                log.info("signing with key pair %s (was %s)", key.key_pair_id,
                         self._key.key_pair_id)
            self._key, self._last_text = key, text
        self._last_success = self._last_attempt
        return True

    def get(self) -> ActiveKey | None:
        """The current key, re-reading the secret when its refresh or retry time is due."""
        now = self._clock()
        due = (now - self._last_success >= self._refresh_seconds
               and now - self._last_attempt >= min(self.RETRY_SECONDS, self._refresh_seconds))
        if due and self._lock.acquire(blocking=False):
            try:
                self._fetch()
            finally:
                self._lock.release()
        return self._key


class PlaybackCookieSigner:
    """Signs per-title, per-plan cookies, reusing one signature per title, plan and expiry
    window.

    Expiries are rounded up to a window of a tenth of the TTL, so every play of a
    title within that window shares one RSA signature: a cookie lives between
    ttl and ttl + window seconds.
    """

    def __init__(
        self,
        key: SigningKey,
        cdn_base: str,
        ttl: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._key = key
        self._cdn_base = cdn_base
        self._ttl = ttl
        self._window = max(1, ttl // 10)
        self._clock = clock
        self._cache: dict[tuple[str, str, int, str], SignedCookies] = {}
        self._lock = threading.Lock()

    @property
    def ready(self) -> bool:
        """Whether a key is available to sign with."""
        return self._key.get() is not None

    def resource_for(self, title_id: str, plan: str) -> str:
        """The wildcard the policy grants: every object under the plan's folder of the
        title, e.g. `{cdn}/video/{id}/standard/basic/*` for basic. KeyError for an
        unknown plan."""
        return f"{self._cdn_base}/{plan_prefix(title_id, plan)}*"

    def expiry_now(self) -> int:
        """The epoch expiry a cookie signed now carries."""
        window = self._window
        return (int(self._clock()) // window + 1) * window + self._ttl

    @property
    def longest_cookie_seconds(self) -> int:
        """The longest a cookie signed now stays valid: the TTL plus one rounding window."""
        return self._ttl + self._window

    def cookies_for(self, title_id: str, plan: str) -> SignedCookies | None:
        """Signed cookies for what `plan` plays of a title under the current key, or None
        while no key is loaded."""
        key = self._key.get()
        if key is None:
            return None
        expires_at = self.expiry_now()
        cache_key = (title_id, plan, expires_at, key.key_pair_id)
        cached = self._cache.get(cache_key)
        if cached is not None:
            return cached
        policy = custom_policy(self.resource_for(title_id, plan), expires_at)
        signature = key.private_key.sign(
            policy, padding.PKCS1v15(), hashes.SHA1())  # noqa: S303 CloudFront
        cookies = SignedCookies(
            policy=cloudfront_b64(policy),
            signature=cloudfront_b64(signature),
            key_pair_id=key.key_pair_id,
            expires_at=expires_at,
        )
        with self._lock:
            stale = [k for k in self._cache if k[2] < expires_at or k[3] != key.key_pair_id]
            for k in stale:
                del self._cache[k]
            self._cache[cache_key] = cookies
        return cookies
