"""Grant renewal: when a player should renew, and the token that lets it renew without a new play.

A renewal token names one title, the moment its play was granted, the plan it
was granted under and the screen it holds (its profile, app/streams.py), with an
HMAC-SHA256 tag (RFC 2104) under a key derived by HKDF (RFC 5869) from the
CloudFront signing key. The tag also covers the account the
play was granted to (its Cognito `sub`), which the token does not carry: only a
request signed in as that account can renew with it, and another account's token fails the tag check
like a forged one. Every API instance already holds that key, so any of
them can check a token another issued, and nothing new is stored or shared.
A new signing key invalidates outstanding tokens: their players start a new
play, exactly as after the renewal window.

A renewal keeps the play's plan: the player has loaded that plan's master
playlist and cannot switch to another mid-play, so a plan change takes effect at
the account's next play (at the latest after the renewal window).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import re
import threading
from hashlib import sha256
from typing import NamedTuple

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from app.catalog import TITLE_ID
from app.plans import PLANS
from app.problems import Problem
from app.signing import SigningKey

# Two base64url parts (RFC 4648 section 5, unpadded): payload and tag.
RENEWAL_TOKEN = re.compile(r"^[A-Za-z0-9_-]{4,200}\.[A-Za-z0-9_-]{43}$")
# v2: the tag covers the account too; v3: the payload names the plan and the screen.
# Older tokens fail the tag check: a new play.
SCREEN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_INFO = b"edgeflix playback renewal token v3"
# The longest lead a player gets: enough for a renewal retried a few times with
# back-off over a slow link (three 10 s attempts and their pauses fit in 60 s)
# plus a minute of client clock skew.
MAX_RENEWAL_MARGIN = 120


def renewal_margin(cookie_ttl: int) -> int:
    """Seconds before `expires_at` at which a player renews: a quarter of the TTL, at most 120.

    A quarter keeps short test TTLs (60 s -> renew 15 s before expiry) from renewing
    almost continuously; the cap is MAX_RENEWAL_MARGIN's retry and skew budget.
    """
    return min(MAX_RENEWAL_MARGIN, cookie_ttl // 4)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class RenewablePlay(NamedTuple):
    """What a valid renewal token says of its play."""

    granted_at: int  # epoch seconds
    plan: str  # a name in app/plans.py's PLANS
    screen: str  # the profile holding the play's screen (app/streams.py)


def _tag(mac_key: bytes, payload: bytes, account: str) -> bytes:
    # Tagged input "title:granted_at:plan:screen:account": title ids, plan names and
    # screens hold no ":" and the grant time is digits, so no two such tuples give the
    # same input.
    return hmac.new(mac_key, payload + b":" + account.encode("utf-8"), sha256).digest()


class RenewalTokens:
    """Issues and checks renewal tokens for grants no older than `window` seconds.

    `issue` and `check` raise nothing about the key: both return None while the
    signing key is unavailable (the caller answers 503, as playback does).
    """

    def __init__(self, key: SigningKey, window: int) -> None:
        self._key = key
        self.window = window
        self._derived: tuple[rsa.RSAPrivateKey, bytes] | None = None
        self._lock = threading.Lock()

    def _mac_key(self) -> bytes | None:
        active = self._key.get()
        if active is None:
            return None
        private = active.private_key
        derived = self._derived
        if derived is not None and derived[0] is private:
            return derived[1]
        material = private.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        mac_key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(
            material
        )
        with self._lock:
            self._derived = (private, mac_key)
        return mac_key

    def issue(
        self, title_id: str, granted_at: int, account: str, plan: str, screen: str
    ) -> str | None:
        """The token for `account`'s play of `title_id` under `plan` on `screen`, granted
        at epoch second `granted_at`.

        `account` is the viewer's Cognito `sub`; the token is
        `base64url(title:granted_at:plan:screen)` `.`
        `base64url(HMAC-SHA256(key, title:granted_at:plan:screen:account))`.
        """
        mac_key = self._mac_key()
        if mac_key is None:
            return None
        payload = f"{title_id}:{granted_at}:{plan}:{screen}".encode("ascii")
        return f"{_b64(payload)}.{_b64(_tag(mac_key, payload, account))}"

    def check(
        self, token: str, title_id: str, account: str, now: float
    ) -> RenewablePlay | None:
        """What a valid token says of its play; None without a key.

        Raises Problem 403 when the token is forged or damaged, was issued to
        another account, names another title, or its grant is more than `window`
        seconds old.
        """
        mac_key = self._mac_key()
        if mac_key is None:
            return None
        encoded, _, tag = token.partition(".")
        try:
            payload = _unb64(encoded)
            valid = hmac.compare_digest(_tag(mac_key, payload, account), _unb64(tag))
            token_title, granted, plan, screen = payload.decode("ascii").split(":")
            granted_at = int(granted)
        except (binascii.Error, ValueError):
            valid = False
        if (not valid or not TITLE_ID.fullmatch(token_title) or plan not in PLANS
                or not SCREEN.fullmatch(screen)):
            raise Problem(
                403, "The renewal token is not valid for this account; start a new play."
            )
        if token_title != title_id:
            raise Problem(403, "The renewal token was issued for another title.")
        if now > granted_at + self.window:
            raise Problem(
                403,
                f"The grant is older than the {self.window} s renewal window; start a new play.",
            )
        return RenewablePlay(granted_at, plan, screen)
