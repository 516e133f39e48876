"""The twin's load-test viewers, provisioned before the timed run (the runner's side only).

`python -m loadtest` against the twin creates `--users` confirmed accounts (or reuses
them) before Locust starts, so the run measures viewing with one sign-in each. This
talks to the twin's moto server with boto3 and may put accounts on a plan through
app/plan_store.py, so it lives apart from loadtest/accounts.py: the Locust processes
(and the load-generator bundle, loadgen/bundle.py) never import it.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from app.plan_store import PlanStore
from loadtest.accounts import ViewerCredentials, read_users_file
from twin import seed

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


def _cached_viewers(path: Path, pool_id: str, idp: Any) -> list[ViewerCredentials]:
    """The accounts of `path` when it was written for `pool_id` and its last account still
    exists there (moto forgets users when it restarts); [] otherwise."""
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
    idp = seed.client("cognito-idp", moto_url)
    viewers = _cached_viewers(path, pool_id, idp)
    plans = None
    if plan is not None:
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
