"""The twin's pre-provisioned viewers: created before the timed run, reused from the run dir,
spread over the Locust workers without sharing; `--sign-up` keeps the sign-up burst."""

from __future__ import annotations

import csv
import logging
import stat
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from loadtest_stack import run_loadtest

from app.plan_store import PlanStore
from app.playback_api import PROFILE
from loadtest.accounts import ViewerCredentials, account_index, read_users_file
from loadtest.provision import VIEWERS_FILE, provision_twin_viewers
from loadtest.run import locust_command, parser, provision_viewers
from loadtest.target import Target
from loadtest.viewer import CHOSEN_PLAN, PLAN_CHANGE, SIGN_IN, SIGN_UP
from twin.seed import client, create_plays_table, create_user_pool
from twin.state import TwinState


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def pool(moto_url: str) -> tuple[str, str]:
    # A pool of its own: in-process moto servers share their backends (never reset them,
    # api_stack's server lives in this process too).
    ids = create_user_pool(client("cognito-idp", moto_url), f"viewers-{uuid.uuid4().hex[:8]}")
    return ids.pool_id, ids.client_id


def signs_in(moto_url: str, client_id: str, viewer: ViewerCredentials) -> bool:
    answer = client("cognito-idp", moto_url).initiate_auth(
        ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": viewer.email, "PASSWORD": viewer.password})
    return bool(answer["AuthenticationResult"]["AccessToken"])


def test_viewers_are_created_confirmed_and_listed_privately(
    moto_url: str, pool: tuple[str, str], tmp_path: Path
) -> None:
    pool_id, client_id = pool
    path = tmp_path / VIEWERS_FILE
    result = provision_twin_viewers(moto_url, pool_id, client_id, 5, path)
    assert (result.accounts, result.created, result.path) == (5, 5, path)
    viewers = read_users_file(path)
    assert len({v.email for v in viewers}) == 5
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert signs_in(moto_url, client_id, viewers[0]) and signs_in(moto_url, client_id, viewers[-1])


def test_viewers_can_be_put_on_a_plan(moto_url: str, pool: tuple[str, str], tmp_path: Path) -> None:
    pool_id, client_id = pool
    table = f"plays-{uuid.uuid4().hex[:8]}"
    dynamodb = client("dynamodb", moto_url)
    create_plays_table(dynamodb, table)
    provision_twin_viewers(moto_url, pool_id, client_id, 2, tmp_path / VIEWERS_FILE,
                           plan=(table, CHOSEN_PLAN))
    idp = client("cognito-idp", moto_url)
    for viewer in read_users_file(tmp_path / VIEWERS_FILE):
        attributes = idp.admin_get_user(UserPoolId=pool_id, Username=viewer.email)
        sub = next(a["Value"] for a in attributes["UserAttributes"] if a["Name"] == "sub")
        assert PlanStore(dynamodb, table).get(sub).plan.name == CHOSEN_PLAN


def test_the_next_run_reuses_them_and_creates_only_what_is_missing(
    moto_url: str, pool: tuple[str, str], tmp_path: Path
) -> None:
    pool_id, client_id = pool
    path = tmp_path / VIEWERS_FILE
    first = provision_twin_viewers(moto_url, pool_id, client_id, 3, path)
    before = read_users_file(path)
    again = provision_twin_viewers(moto_url, pool_id, client_id, 3, path)
    assert (first.created, again.created) == (3, 0)
    assert read_users_file(path) == before
    more = provision_twin_viewers(moto_url, pool_id, client_id, 5, path)
    assert (more.accounts, more.created) == (5, 2)
    assert read_users_file(path)[:3] == before


def test_a_restarted_twin_gets_new_accounts(
    moto_url: str, pool: tuple[str, str], tmp_path: Path
) -> None:
    pool_id, client_id = pool
    path = tmp_path / VIEWERS_FILE
    provision_twin_viewers(moto_url, pool_id, client_id, 2, path)
    # Another pool (a new twin) does not know the listed accounts.
    other = create_user_pool(client("cognito-idp", moto_url), "viewers-2")
    result = provision_twin_viewers(moto_url, other.pool_id, other.client_id, 2, path)
    assert result.created == 2
    assert signs_in(moto_url, other.client_id, read_users_file(path)[0])
    # The same pool id, but the account is gone (moto forgot it): created again.
    client("cognito-idp", moto_url).admin_delete_user(
        UserPoolId=other.pool_id, Username=read_users_file(path)[-1].email)
    assert provision_twin_viewers(moto_url, other.pool_id, other.client_id, 2, path).created == 2


def test_workers_take_disjoint_accounts() -> None:
    taken = [account_index(turn, 8, worker, 2) for worker in (0, 1) for turn in range(4)]
    assert sorted(taken) == list(range(8))
    assert account_index(4, 8, 0, 2) == 0, "past the end, round again"
    assert [account_index(t, 3) for t in range(4)] == [0, 1, 2, 0], "one process"


def twin_target(run_dir: Path, moto_url: str, pool: tuple[str, str]) -> Target:
    """A twin's state in `run_dir`: its moto, user pool and plays table, nothing else."""
    table = f"plays-{uuid.uuid4().hex[:8]}"
    create_plays_table(client("dynamodb", moto_url), table)
    TwinState(
        cdn_url="http://127.0.0.1:1", alb_url="http://127.0.0.1:2", moto_url=moto_url,
        bucket="b", table=table, secret_id="s", key_pair_id="k", catalog_key="c", stack="dev",
        run_dir=str(run_dir), ports={}, user_pool_id=pool[0], user_pool_client_id=pool[1],
    ).save(run_dir)
    return Target("http://127.0.0.1:1", source="twin", run_dir=run_dir)


def test_the_twin_gets_provisioned_viewers_by_default(
    moto_url: str, pool: tuple[str, str], tmp_path: Path
) -> None:
    target = twin_target(tmp_path, moto_url, pool)
    args = parser().parse_args(["--users", "4", "--workers", "2"])
    accounts = provision_viewers(args, target)
    assert accounts["mode"] == "provisioned" and accounts["accounts"] == 4
    assert args.users_file == tmp_path / VIEWERS_FILE
    command = locust_command(args, target.cdn_url, tmp_path, 0)
    assert command[command.index("--users-file") + 1] == str(tmp_path / VIEWERS_FILE)
    assert command[command.index("--users-file-workers") + 1] == "2"


def test_the_twin_viewers_plan_can_be_chosen(
    moto_url: str, pool: tuple[str, str], tmp_path: Path
) -> None:
    target = twin_target(tmp_path, moto_url, pool)
    args = parser().parse_args(["--users", "1", "--viewer-plan", CHOSEN_PLAN])
    assert provision_viewers(args, target)["created"] == 1
    viewer = read_users_file(tmp_path / VIEWERS_FILE)[0]
    attributes = client("cognito-idp", moto_url).admin_get_user(
        UserPoolId=pool[0], Username=viewer.email)["UserAttributes"]
    sub = next(a["Value"] for a in attributes if a["Name"] == "sub")
    table = TwinState.load(tmp_path).table  # type: ignore[union-attr]
    assert PlanStore(client("dynamodb", moto_url), table).get(sub).plan.name == CHOSEN_PLAN


def test_sign_up_a_url_or_a_users_file_provision_nothing(
    moto_url: str, pool: tuple[str, str], tmp_path: Path
) -> None:
    target = twin_target(tmp_path, moto_url, pool)
    args = parser().parse_args(["--users", "4", "--sign-up"])
    assert provision_viewers(args, target) == {"mode": "sign-up"}
    assert args.users_file is None
    assert "--users-file" not in locust_command(args, target.cdn_url, tmp_path, 0)
    args = parser().parse_args(["--users", "4"])
    assert provision_viewers(args, Target("http://127.0.0.1:1")) == {"mode": "sign-up"}
    given = tmp_path / "users.csv"
    args = parser().parse_args(["--users", "4", "--users-file", str(given)])
    assert provision_viewers(args, target) == {"mode": "users-file", "path": str(given)}
    assert not (tmp_path / VIEWERS_FILE).exists()


def locust_requests_by_name(out: Path) -> dict[str, int]:
    with (out / "locust_stats.csv").open() as f:
        return {row["Name"]: int(row["Request Count"]) for row in csv.DictReader(f)}


def test_provisioned_viewers_only_sign_in_during_the_run(api_stack, tmp_path: Path) -> None:
    """Locust master and 2 workers on the real API: one sign-in per viewer, no sign-up."""
    idp = client("cognito-idp", api_stack.moto_url)
    pool_id = next(p["Id"] for p in idp.list_user_pools(MaxResults=60)["UserPools"]
                   if p["Name"] == "viewers")  # api_stack's
    client_id = idp.list_user_pool_clients(UserPoolId=pool_id)["UserPoolClients"][0]["ClientId"]
    users = provision_twin_viewers(api_stack.moto_url, pool_id, client_id, 4,
                                   tmp_path / VIEWERS_FILE).path
    code, summary, output = run_loadtest(
        api_stack.api_url, tmp_path / "out",
        "--workers", "2", "--users", "4", "--spawn-rate", "4", "--duration", "8s",
        "--speedup", "8", "--max-segments", "3", "--warmup", "2", "--users-file", str(users),
        "--gates", "segment_hit_ratio=off", "p95_startup_ms=off",
        timeout=150,
    )  # fmt: skip
    assert code == 0, output
    assert summary["run"]["accounts"] == {"mode": "users-file", "path": str(users)}
    requests = locust_requests_by_name(tmp_path / "out")
    assert requests.get(SIGN_IN) == 4, requests
    assert SIGN_UP not in requests and PLAN_CHANGE not in requests
    assert summary["viewers"]["plays"]["started"] >= 4


def test_an_accounts_viewer_plays_as_the_same_valid_profile_in_every_run():
    first = ViewerCredentials("viewer-1@example.com", "Ef-x-9a!")
    again = ViewerCredentials("viewer-1@example.com", "another password")
    other = ViewerCredentials("viewer-2@example.com", "Ef-x-9a!")
    assert first.profile == again.profile != other.profile
    assert PROFILE.fullmatch(first.profile) and first.profile.startswith("loadtest-")
