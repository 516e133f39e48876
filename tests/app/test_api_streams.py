"""Concurrent streams per account (app/streams.py): one screen per profile, at most the plan's."""

from __future__ import annotations

from typing import Any

import pytest
from tests_app_support import UserPool

from app.plan_store import PlanStore
from app.plans import DEFAULT_PLAN, PLANS, Plan
from app.problems import Problem
from app.streams import SK, Streams

TABLE = "edgeflix-plays"
ALL_PLANS = [PLANS["basic"], PLANS["standard"], PLANS["premium"]]
CITY, OCEAN = "t03-city-lights", "t01-ocean-deep"


def play(client: Any, title: str, profile: str | None = None) -> Any:
    body = {"profile": profile} if profile else None
    return client.post(f"/api/v1/titles/{title}/playback", json=body)


def renew(client: Any, title: str, token: str) -> Any:
    return client.post(f"/api/v1/titles/{title}/playback/renewal", json={"renewal_token": token})


def release(client: Any, title: str, token: str) -> Any:
    return client.post(f"/api/v1/titles/{title}/playback/release", json={"renewal_token": token})


def put_plan(client: Any, plan: str) -> None:
    answer = client.put("/api/v1/account/plan", json={"plan": plan},
                        headers={"Idempotency-Key": f"to-{plan}"})
    assert answer.status_code == 200


def screens(dynamodb: Any, sub: str) -> dict[str, tuple[str, int]]:
    item = dynamodb.get_item(TableName=TABLE, Key={"pk": {"S": f"ACCOUNT#{sub}"},
                                                   "sk": {"S": SK}}).get("Item", {})
    return {p: (e["M"]["title"]["S"], int(e["M"]["until"]["N"]))
            for p, e in item.get("screens", {}).get("M", {}).items()}


def test_a_second_profile_on_basic_is_409_problem_json_naming_the_limit(client: Any) -> None:
    assert play(client, CITY, "ann").status_code == 200

    refused = play(client, OCEAN, "bob")

    assert refused.status_code == 409
    assert refused.mimetype == "application/problem+json"
    problem = refused.get_json()
    assert problem["streams"] == 1 and problem["plan"] == "basic"
    assert "1 stream(s) at a time" in problem["detail"]
    assert 1 <= int(refused.headers["Retry-After"]) <= 600 + 60
    assert "Set-Cookie" not in refused.headers


def test_the_same_profile_plays_again_and_switches_titles_at_once(
    client: Any, dynamodb: Any, user_pool: UserPool
) -> None:
    assert play(client, CITY, "ann").status_code == 200
    assert play(client, CITY, "ann").status_code == 200
    assert play(client, OCEAN, "ann").status_code == 200
    assert set(screens(dynamodb, user_pool.sub())) == {"ann"}
    assert screens(dynamodb, user_pool.sub())["ann"][0] == OCEAN


def test_plays_without_a_profile_share_one_screen(client: Any) -> None:
    assert play(client, CITY).status_code == 200
    assert play(client, OCEAN).status_code == 200  # the fast lane: no body
    assert play(client, CITY, "ann").status_code == 409


def test_standard_plays_two_profiles_and_refuses_a_third(client: Any) -> None:
    put_plan(client, "standard")
    assert play(client, CITY, "ann").status_code == 200
    assert play(client, OCEAN, "bob").status_code == 200
    third = play(client, CITY, "cy")
    assert third.status_code == 409 and third.get_json()["streams"] == 2


def test_the_fast_lane_refuses_like_the_flask_view(client: Any, anonymous: Any,
                                                   user_pool: UserPool) -> None:
    assert play(client, CITY, "ann").status_code == 200
    lane = anonymous.post(f"/api/v1/titles/{OCEAN}/playback", headers=user_pool.bearer())
    assert lane.status_code == 409 and lane.mimetype == "application/problem+json"


def test_release_frees_the_screen_for_another_profile(client: Any) -> None:
    token = play(client, CITY, "ann").get_json()["renewal_token"]
    assert play(client, OCEAN, "bob").status_code == 409

    released = release(client, CITY, token)

    assert released.status_code == 204 and released.data == b""
    assert play(client, OCEAN, "bob").status_code == 200
    assert release(client, CITY, token).status_code == 204  # idempotent


def test_releasing_an_earlier_play_keeps_the_profiles_current_one(
    client: Any, dynamodb: Any, user_pool: UserPool
) -> None:
    first = play(client, CITY, "ann").get_json()["renewal_token"]
    assert play(client, OCEAN, "ann").status_code == 200

    assert release(client, CITY, first).status_code == 204

    assert screens(dynamodb, user_pool.sub())["ann"][0] == OCEAN
    assert play(client, CITY, "bob").status_code == 409


def test_release_needs_this_accounts_token(client: Any) -> None:
    token = play(client, CITY, "ann").get_json()["renewal_token"]
    assert release(client, OCEAN, token).status_code == 403  # another title's play
    bad = release(client, CITY, "not-a-token")
    assert bad.status_code == 400 and bad.mimetype == "application/problem+json"


def test_renewal_extends_the_screen(client: Any, dynamodb: Any, user_pool: UserPool) -> None:
    granted = play(client, CITY, "ann").get_json()
    sub = user_pool.sub()
    key = {"pk": {"S": f"ACCOUNT#{sub}"}, "sk": {"S": SK}}
    dynamodb.update_item(TableName=TABLE, Key=key, UpdateExpression="SET screens.ann.#u = :u",
                         ExpressionAttributeNames={"#u": "until"},
                         ExpressionAttributeValues={":u": {"N": "1000"}})  # an old grant's

    renewed = renew(client, CITY, granted["renewal_token"])

    assert renewed.status_code == 200
    assert screens(dynamodb, sub)["ann"] == (CITY, renewed.get_json()["expires_at"])


def test_a_play_taken_over_by_its_profile_cannot_renew(client: Any) -> None:
    first = play(client, CITY, "ann").get_json()["renewal_token"]
    assert play(client, OCEAN, "ann").status_code == 200  # the same profile, another screen

    refused = renew(client, CITY, first)

    assert refused.status_code == 409
    assert "started another play" in refused.get_json()["detail"]


def test_a_released_play_renews_by_claiming_a_free_screen_again(
    client: Any, dynamodb: Any, user_pool: UserPool
) -> None:
    token = play(client, CITY, "ann").get_json()["renewal_token"]
    assert release(client, CITY, token).status_code == 204  # the page was hidden

    assert renew(client, CITY, token).status_code == 200  # and shown again
    assert set(screens(dynamodb, user_pool.sub())) == {"ann"}


def test_a_granted_play_costs_one_dynamodb_write_for_its_screen(app: Any, client: Any) -> None:
    """A play by a profile holding a screen is one UpdateItem, which also reads the
    plan of record (no GetItem of the plan); a new profile claiming a free screen two
    (the failed take-over returns the item, so no read)."""
    calls: list[str] = []

    def count(params: dict, model: Any, **_: Any) -> None:
        key = params.get("Key") or params.get("Item") or {}
        if key.get("sk") == {"S": SK}:
            calls.append(model.name)

    app.extensions["edgeflix"].streams._db.meta.events.register(
        "before-parameter-build.dynamodb.*", count)
    assert play(client, CITY, "ann").status_code == 200
    first = list(calls)
    calls.clear()
    assert play(client, OCEAN, "ann").status_code == 200
    print(f"screen calls: first play {first}, the profile's next play {calls}")
    assert first == ["UpdateItem", "UpdateItem"]
    assert calls == ["UpdateItem"]


# --- Streams itself, with a clock ------------------------------------------------------


@pytest.fixture
def streams(dynamodb: Any) -> tuple[Streams, list[float]]:
    now = [1_000_000.0]
    return Streams(dynamodb, TABLE, clock=lambda: now[0]), now


class PlayUnder:
    """Plays as the API grants them (`claim_under_plan_of_record`) with the account's plan
    of record set to `plan` first (PlanStore, as the plans service changes it), checking
    the claim read that plan."""

    def __init__(self, slots: Streams, dynamodb: Any) -> None:
        self._slots, self._store = slots, PlanStore(dynamodb, TABLE)
        self._plan_of: dict[str, str] = {}
        self._changes = 0

    def __call__(self, account: str, profile: str, title: str, plan: Plan, until: int) -> None:
        if self._plan_of.get(account, DEFAULT_PLAN) != plan.name:
            self._changes += 1
            self._store.change(account, plan.name, f"change-{self._changes}")
            self._plan_of[account] = plan.name
        granted = self._slots.claim_under_plan_of_record(account, profile, title, ALL_PLANS,
                                                         until)
        assert granted is not None and granted.name == plan.name


@pytest.fixture
def play_under(streams: tuple[Streams, list[float]], dynamodb: Any) -> PlayUnder:
    return PlayUnder(streams[0], dynamodb)


def test_a_screen_lapses_with_its_grant(
    streams: tuple[Streams, list[float]], play_under: PlayUnder
) -> None:
    slots, now = streams
    basic = PLANS["basic"]
    play_under("acct", "ann", CITY, basic, until=1_000_600)
    with pytest.raises(Problem) as refused:
        play_under("acct", "bob", CITY, basic, until=1_000_600)
    assert refused.value.code == 409 and refused.value.retry_after == 600

    now[0] = 1_000_600.0  # ann's cookies expired and nobody renewed
    play_under("acct", "bob", CITY, basic, until=1_001_200)


def test_a_downgrade_counts_the_screens_beyond_the_new_plan(
    streams: tuple[Streams, list[float]], dynamodb: Any, play_under: PlayUnder
) -> None:
    slots, _ = streams
    for profile in ("ann", "bob", "cy"):
        play_under("acct", profile, CITY, PLANS["premium"], until=1_000_600)
    with pytest.raises(Problem) as refused:  # now on basic: the others hold its one stream
        play_under("acct", "ann", OCEAN, PLANS["basic"], until=1_000_600)
    assert refused.value.code == 409
    assert set(screens(dynamodb, "acct")) == {"ann", "bob", "cy"}


def test_concurrent_claims_of_the_last_screen_admit_one(
    streams: tuple[Streams, list[float]], dynamodb: Any, play_under: PlayUnder
) -> None:
    """Two profiles claim standard's second screen from the same read: the version
    condition lets one write win; the other is counted again and refused."""
    slots, _ = streams
    standard = PLANS["standard"]
    play_under("acct", "ann", CITY, standard, until=1_000_600)
    stale = dynamodb.get_item(TableName=TABLE, Key={"pk": {"S": "ACCOUNT#acct"},
                                                    "sk": {"S": SK}})["Item"]
    play_under("acct", "bob", CITY, standard, until=1_000_600)

    with pytest.raises(Problem) as refused:
        slots._claim_free("acct", "cy", CITY, standard, 1_000_600, stale)
    assert refused.value.code == 409
    assert set(screens(dynamodb, "acct")) == {"ann", "bob"}


def _count_screen_writes(streams: Streams) -> list[str]:
    calls: list[str] = []

    def count(params: dict, model: Any, **_: Any) -> None:
        key = params.get("Key") or params.get("Item") or {}
        if key.get("sk") == {"S": SK}:
            calls.append(model.name)

    streams._db.meta.events.register("before-parameter-build.dynamodb.*", count)
    return calls


def test_a_play_repeating_what_this_worker_wrote_skips_the_write(
    streams: tuple[Streams, list[float]], dynamodb: Any, play_under: PlayUnder
) -> None:
    """Same profile, title and expiry (grants of one signing window): written once.
    A later expiry, another title or a release in between is written again."""
    slots, now = streams
    calls = _count_screen_writes(slots)
    basic = PLANS["basic"]
    play_under("acct", "ann", CITY, basic, until=1_000_600)
    play_under("acct", "ann", CITY, basic, until=1_000_600)
    assert len(calls) == 2 and slots.writes_skipped == 1  # take-over, then a free screen; then none
    play_under("acct", "ann", CITY, basic, until=1_000_660)
    play_under("acct", "ann", OCEAN, basic, until=1_000_660)
    assert len(calls) == 4
    assert slots.release("acct", "ann", OCEAN)
    play_under("acct", "ann", OCEAN, basic, until=1_000_660)
    assert screens(dynamodb, "acct") == {"ann": (OCEAN, 1_000_660)}
    assert slots.writes_skipped == 1
    # Past its `until` the remembered screen is gone: the lapsed screen is claimed again.
    now[0] = 1_000_700.0
    before = len(calls)
    play_under("acct", "ann", OCEAN, basic, until=1_000_660)
    assert len(calls) > before and slots.writes_skipped == 1


def test_a_skipped_write_never_lets_another_profile_past_the_limit(
    streams: tuple[Streams, list[float]], play_under: PlayUnder
) -> None:
    slots, _ = streams
    basic = PLANS["basic"]
    play_under("acct", "ann", CITY, basic, until=1_000_600)
    play_under("acct", "ann", CITY, basic, until=1_000_600)
    with pytest.raises(Problem) as refused:
        play_under("acct", "bob", CITY, basic, until=1_000_600)
    assert refused.value.code == 409


# --- the plan of record, read by the claim itself ----------------------------------------


def test_a_claim_reads_the_plan_of_record_and_holds_its_streams(
    streams: tuple[Streams, list[float]], dynamodb: Any
) -> None:
    slots, _ = streams
    # No PLAN item yet: the default plan, one stream.
    assert slots.claim_under_plan_of_record("acct", "ann", CITY, ALL_PLANS, 1_000_600).name \
        == "basic"
    with pytest.raises(Problem) as refused:
        slots.claim_under_plan_of_record("acct", "bob", CITY, ALL_PLANS, 1_000_600)
    assert refused.value.code == 409 and refused.value.extensions["plan"] == "basic"
    # The plans service upgrades the account: the screens stay, four are allowed now.
    PlanStore(dynamodb, TABLE).change("acct", "premium", "k-premium")
    assert set(screens(dynamodb, "acct")) == {"ann"}
    for profile in ("bob", "cy", "dee"):
        plan = slots.claim_under_plan_of_record("acct", profile, CITY, ALL_PLANS, 1_000_600)
        assert plan.name == "premium"
    with pytest.raises(Problem) as refused:
        slots.claim_under_plan_of_record("acct", "eve", CITY, ALL_PLANS, 1_000_600)
    assert refused.value.code == 409 and refused.value.extensions["streams"] == 4
    assert PlanStore(dynamodb, TABLE).get("acct").plan.name == "premium"


def test_a_plan_that_may_not_play_the_title_is_returned_with_nothing_written(
    streams: tuple[Streams, list[float]], dynamodb: Any
) -> None:
    slots, _ = streams
    entitled = [PLANS["standard"], PLANS["premium"]]  # a title that needs standard
    assert slots.claim_under_plan_of_record("acct", "ann", CITY, entitled, 1_000_600).name \
        == "basic"
    assert screens(dynamodb, "acct") == {}
    # A basic account that already holds a screen (an open title) is refused alike.
    slots.claim_under_plan_of_record("acct", "ann", OCEAN, ALL_PLANS, 1_000_600)
    assert slots.claim_under_plan_of_record("acct", "ann", CITY, entitled, 1_000_600).name \
        == "basic"
    assert screens(dynamodb, "acct") == {"ann": (OCEAN, 1_000_600)}


def test_a_plan_change_between_reads_is_claimed_under_the_new_plan(
    streams: tuple[Streams, list[float]], dynamodb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The free-screen write is conditional on the plan it read: a change in between
    makes it read again, and the play goes under the new plan."""
    slots, _ = streams
    store = PlanStore(dynamodb, TABLE)
    store.change("acct", "standard", "k-standard")
    slots.claim_under_plan_of_record("acct", "ann", CITY, ALL_PLANS, 1_000_600)
    original = slots._update
    changed = []

    def change_first(account, profile, expression, condition, values):
        if expression.startswith("SET #s = ") and not changed:
            store.change("acct", "premium", "k-premium")
            changed.append(condition)
        return original(account, profile, expression, condition, values)

    monkeypatch.setattr(slots, "_update", change_first)
    plan = slots.claim_under_plan_of_record("acct", "bob", CITY, ALL_PLANS, 1_000_600)
    assert plan.name == "premium" and "#plan = :plan" in changed[0]
    assert set(screens(dynamodb, "acct")) == {"ann", "bob"}


def test_a_repeated_play_reuses_the_plan_only_while_fresh(dynamodb: Any) -> None:
    now = [1_000_000.0]
    slots = Streams(dynamodb, TABLE, clock=lambda: now[0], plan_fresh_seconds=30)
    assert slots.claim_under_plan_of_record("acct", "ann", CITY, ALL_PLANS, 1_000_600).name \
        == "basic"
    PlanStore(dynamodb, TABLE).change("acct", "premium", "k-premium")
    now[0] += 29  # the same play again: no write, the plan this worker read
    assert slots.claim_under_plan_of_record("acct", "ann", CITY, ALL_PLANS, 1_000_600).name \
        == "basic"
    assert slots.writes_skipped == 1
    now[0] += 1  # past plan_fresh_seconds: written again, the plan read again
    assert slots.claim_under_plan_of_record("acct", "ann", CITY, ALL_PLANS, 1_000_600).name \
        == "premium"
    PlanStore(dynamodb, TABLE).change("acct", "basic", "k-basic")
    slots.forget_account("acct")  # this process changed the plan itself
    assert slots.claim_under_plan_of_record("acct", "ann", CITY, ALL_PLANS, 1_000_600).name \
        == "basic"
    assert slots.writes_skipped == 1


def test_a_table_error_leaves_the_plan_to_the_caller(dynamodb: Any) -> None:
    dynamodb.delete_table(TableName=TABLE)
    assert Streams(dynamodb, TABLE).claim_under_plan_of_record(
        "acct", "ann", CITY, ALL_PLANS, 2_000_000_000) is None



def test_a_play_that_loses_the_race_to_its_own_profile_takes_the_screen_over(
    dynamodb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Plays of one profile starting at once on an account with no screen yet (a
    player's retries, a burst): before each of this play's writes after the first,
    another play of the same profile lands. The rewrite, conditional on the version,
    would lose every time (409 after MAX_ATTEMPTS); seeing its profile's screen, the
    play takes it over instead, which no version condition guards."""
    slots = Streams(dynamodb, TABLE)
    rival = Streams(dynamodb, TABLE, plan_fresh_seconds=0)  # writes every time
    original = slots._update
    writes = []

    def contended(account, profile, expression, condition, values):
        if writes:
            rival.claim_under_plan_of_record("acct", "-", OCEAN, ALL_PLANS, 2_000_000_001)
        writes.append(expression)
        return original(account, profile, expression, condition, values)

    monkeypatch.setattr(slots, "_update", contended)
    plan = slots.claim_under_plan_of_record("acct", "-", CITY, ALL_PLANS, 2_000_000_000)
    assert plan.name == "basic"
    assert screens(dynamodb, "acct") == {"-": (CITY, 2_000_000_000)}
    assert writes == ["SET #s.#p = :entry ADD #v :one", "SET #s = :screens ADD #v :one",
                      "SET #s.#p = :entry ADD #v :one"]
