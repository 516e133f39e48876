"""A viewer's account from the client side: sign-up, confirmation and sign-in via the API.

The load test's viewers, `verify`, the twin's readiness check and edge warming all
sign in the way the player does (`POST /api/v1/sessions`), so a bearer token
reaches playback exactly as a viewer's would. Only the twin can confirm an account
without a mailbox: moto's ConfirmSignUp accepts any code (FACTS.md); against AWS,
accounts are provisioned beforehand and only `sign_in` is used. The load test provisions
the twin's viewers before its timed run (loadtest/provision.py, which the Locust
processes never import), unless asked to sign them up during it.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from pathlib import Path

import requests

ACCOUNTS = "/api/v1/accounts"
SESSIONS = "/api/v1/sessions"
# Any code confirms an account in moto; a real pool mails one.
TWIN_CONFIRMATION_CODE = "000000"


class SignInFailed(RuntimeError):
    """The API refused a sign-up, confirmation or sign-in; the message has its answer."""


@dataclass(frozen=True)
class ViewerCredentials:
    """An account's email and password."""

    email: str
    password: str

    @property
    def profile(self) -> str:
        """The profile this account's viewer plays as: the same in every run, so a viewer
        who comes back (a rerun with the same accounts, within the grants' lifetime) takes
        over its own screen instead of meeting the stream limit as another profile."""
        return "loadtest-" + hashlib.sha256(self.email.encode()).hexdigest()[:12]

    @classmethod
    def generated(cls, prefix: str = "viewer") -> ViewerCredentials:
        """A fresh address under example.com and a password that meets the pool's policy."""
        return cls(f"{prefix}-{secrets.token_hex(6)}@example.com",
                   f"Ef-{secrets.token_urlsafe(12)}-9a!")


def _post(http: requests.Session, url: str, body: dict[str, str], timeout: float,
          ok: tuple[int, ...]) -> requests.Response:
    response = http.post(url, json=body, timeout=timeout)
    if response.status_code not in ok:
        raise SignInFailed(f"POST {url}: HTTP {response.status_code} {response.text[:200]}")
    return response


def sign_in(base_url: str, viewer: ViewerCredentials, *, session: requests.Session | None = None,
            timeout: float = 5.0) -> str:
    """The viewer's access token (USER_PASSWORD_AUTH through the API); SignInFailed if refused."""
    http = session or requests.Session()
    answer = _post(http, base_url.rstrip("/") + SESSIONS,
                   {"email": viewer.email, "password": viewer.password}, timeout, (200,))
    return str(answer.json()["access_token"])


def sign_up_and_sign_in(base_url: str, viewer: ViewerCredentials, *,
                        code: str = TWIN_CONFIRMATION_CODE,
                        session: requests.Session | None = None, timeout: float = 5.0) -> str:
    """Create (or reuse) and confirm the account, then sign in; the access token."""
    http = session or requests.Session()
    base = base_url.rstrip("/")
    body = {"email": viewer.email, "password": viewer.password}
    created = _post(http, base + ACCOUNTS, body, timeout, (201, 409))
    if created.status_code == 201:
        _post(http, base + ACCOUNTS + "/confirmation", {"email": viewer.email, "code": code},
              timeout, (204,))
    return sign_in(base, viewer, session=http, timeout=timeout)


def read_users_file(path: Path) -> list[ViewerCredentials]:
    """The 'email,password' lines of a users file (others, e.g. '#' comments, skipped)."""
    pairs = [line.split(",", 1) for line in path.read_text().splitlines()
             if line.strip() and not line.startswith("#") and "," in line]
    return [ViewerCredentials(email.strip(), password) for email, password in pairs]


def account_index(turn: int, count: int, worker: int = 0, workers: int = 1) -> int:
    """The account (0..count-1) of a worker's `turn`-th viewer: worker `worker` of `workers`
    takes worker, worker + workers, ..., so the workers' viewers share no account until
    they outnumber `count`, then go round again."""
    return (worker + max(workers, 1) * turn) % count
