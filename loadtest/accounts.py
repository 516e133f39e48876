"""A viewer's account from the client side: sign-up, confirmation and sign-in via the API.

The load test's viewers, `verify`, the twin's readiness check and edge warming all
sign in the way the player does (`POST /api/v1/sessions`), so a bearer token
reaches playback exactly as a viewer's would. Only the twin can confirm an account
without a mailbox: moto's ConfirmSignUp accepts any code (FACTS.md); against AWS,
accounts are provisioned beforehand and only `sign_in` is used. The load test provisions
the twin's viewers the same way before its timed run (`provision_twin_viewers`), unless
asked to sign them up during it.
"""

from __future__ import annotations

import secrets
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


# The twin's pre-provisioned viewers: `python -m loadtest` against the twin creates them
# before the timed run (or reuses them), so the run measures viewing, one sign-in each.
VIEWERS_FILE = "loadtest-viewers.csv"
_POOL_LINE = "# edgeflix twin viewers of user pool "
PROVISION_THREADS = 4


@dataclass(frozen=True)
class Provisioned:
    """A users file of confirmed accounts and how many of them this call created."""

    path: Path
    accounts: int
    created: int


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


def _cached_viewers(path: Path, pool_id: str, idp: Any) -> list[ViewerCredentials]:
    """The accounts of `path` when it was written for `pool_id` and its last account still
    exists there (moto forgets users when it restarts); [] otherwise."""
    from botocore.exceptions import ClientError  # not needed by the Locust processes

    try:
        first = path.read_text().split("\n", 1)[0]
    except FileNotFoundError:
        return []
    if first != _POOL_LINE + pool_id:
        return []
    viewers = read_users_file(path)
    if not viewers:
        return []
    try:
        idp.admin_get_user(UserPoolId=pool_id, Username=viewers[-1].email)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "UserNotFoundException":
            return []
        raise
    return viewers


def provision_twin_viewers(moto_url: str, pool_id: str, client_id: str, count: int,
                           path: Path, plan: tuple[str, str] | None = None) -> Provisioned:
    """At least `count` confirmed accounts of the twin's user pool, listed in `path`.

    Reuses the accounts `path` lists when it was written for this pool and they still
    exist, and creates only the missing ones: SignUp through the pool's app client (as
    POST /api/v1/accounts does) then AdminConfirmSignUp, two Cognito calls each, straight
    to the twin's moto server at `moto_url`, a few at a time. With `plan` (table, plan
    name) each new account is also put on that plan, as a signed-up viewer puts itself
    (loadtest/viewer.py CHOSEN_PLAN), through app/plan_store.py's PlanStore.change, the
    entry a payment processor's webhook would use: one TransactWriteItems each. `path` is
    written 0600 (throwaway twin passwords, but passwords). Raises botocore errors.
    """
    from twin import seed  # boto3: not needed by the Locust processes

    idp = seed.client("cognito-idp", moto_url)
    viewers = _cached_viewers(path, pool_id, idp)
    plans = None
    if plan is not None:
        from app.plan_store import PlanStore

        plans = PlanStore(seed.client("dynamodb", moto_url), plan[0])

    def create(_: int) -> tuple[ViewerCredentials, str]:
        viewer = ViewerCredentials.generated("loadtest")
        sub = idp.sign_up(ClientId=client_id, Username=viewer.email,
                          Password=viewer.password)["UserSub"]
        idp.admin_confirm_sign_up(UserPoolId=pool_id, Username=viewer.email)
        return viewer, sub

    missing = max(0, count - len(viewers))
    if missing:
        with ThreadPoolExecutor(PROVISION_THREADS, thread_name_prefix="provision") as pool:
            created = list(pool.map(create, range(missing)))
        if plans is not None and plan is not None:
            # One at a time: moto's TransactWriteItems is not safe to call concurrently.
            for _, sub in created:
                plans.change(sub, plan[1], f"loadtest-provision-{sub}"[:64])
        viewers += [viewer for viewer, _ in created]
        lines = [_POOL_LINE + pool_id] + [f"{v.email},{v.password}" for v in viewers]
        seed.write_private(path, "\n".join(lines) + "\n")
    return Provisioned(path, len(viewers), missing)
