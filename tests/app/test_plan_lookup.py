"""The catalog service's plan lookup (app/plan_lookup.py) against a real plans service:
the plans API served over HTTP on loopback, read through a cache with bounded staleness."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from loopback_server import LoopbackServer
from tests_app_support import UserPool

from app.auth import Viewer
from app.plan_lookup import PlanLookup, PlansServiceSource, PlanStoreSource, PlansUnavailable
from app.plan_store import PlanStore
from app.problems import Problem

FRESH = 30.0
STALE = 300.0
PREMIUM_TITLE = "t01-ocean-deep"


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def plans_app(seeded: None, make_app: Callable[..., Flask]) -> Flask:
    """The plans service alone, as one gunicorn group would run it."""
    return make_app(service="plans")


@pytest.fixture
def plans_service(plans_app: Flask) -> Iterator[LoopbackServer]:
    """The plans service on a loopback port."""
    server = LoopbackServer(plans_app)
    yield server
    server.stop()


@pytest.fixture
def viewer(user_pool: UserPool) -> tuple[Viewer, str]:
    """A signed-in viewer and the Authorization header their requests carry."""
    return Viewer(user_pool.sub(), "viewer@example.com", 0), user_pool.bearer()["Authorization"]


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def lookup(plans_service: LoopbackServer, clock: Clock) -> Iterator[PlanLookup]:
    """A lookup through the plans service: fresh 30 s, stale up to 300 s, 2 s backoff."""
    source = PlansServiceSource(plans_service.url, timeout=(0.5, 0.5))
    built = PlanLookup(source, FRESH, STALE, backoff_seconds=2.0, timer=clock)
    yield built
    built.close()


def change_plan(plans_app: Flask, plan: str, key: str) -> None:
    """PUT /api/v1/account/plan on the plans service (the one writer)."""
    response = plans_app.test_client().put(
        "/api/v1/account/plan", json={"plan": plan}, headers={"Idempotency-Key": key})
    assert response.status_code == 200, response.get_json()


def plans_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    """The plans service's table fails: it answers 503 problem+json."""

    def unavailable(self: PlanStore, account: str) -> Any:
        raise Problem(503, "Plans are unavailable right now.", retry_after=2)

    monkeypatch.setattr(PlanStore, "get", unavailable)


def test_a_plan_is_read_from_the_plans_service_with_the_viewers_token(
    lookup: PlanLookup, plans_service: LoopbackServer, viewer: tuple[Viewer, str]
) -> None:
    assert lookup.plan_for(*viewer).name == "basic"
    assert plans_service.paths == ["/api/v1/account/plan"]
    assert lookup.stats.fetched == 1


def test_a_fresh_plan_is_reused_without_asking_again(
    lookup: PlanLookup, plans_service: LoopbackServer, viewer: tuple[Viewer, str], clock: Clock
) -> None:
    lookup.plan_for(*viewer)
    clock.advance(FRESH - 1)
    assert lookup.plan_for(*viewer).name == "basic"
    assert plans_service.requests == 1


def test_past_its_freshness_a_plan_is_read_again_and_a_change_shows(
    lookup: PlanLookup, plans_app: Flask, plans_service: LoopbackServer,
    viewer: tuple[Viewer, str], clock: Clock,
) -> None:
    lookup.plan_for(*viewer)
    change_plan(plans_app, "standard", "to-standard")
    assert lookup.plan_for(*viewer).name == "basic", "fresh: not asked again yet"
    clock.advance(FRESH)
    assert lookup.plan_for(*viewer).name == "standard"
    assert plans_service.requests == 2


def test_a_plan_short_of_what_is_needed_is_confirmed_at_once(
    lookup: PlanLookup, plans_app: Flask, viewer: tuple[Viewer, str]
) -> None:
    assert lookup.plan_for(*viewer).name == "basic"
    change_plan(plans_app, "premium", "upgrade")
    assert lookup.plan_for(*viewer, covering="premium").name == "premium"


@pytest.mark.parametrize("outage", ["5xx", "connection refused"])
def test_while_the_plans_service_is_down_the_last_plan_serves_within_the_bound(
    lookup: PlanLookup, plans_service: LoopbackServer, viewer: tuple[Viewer, str],
    clock: Clock, monkeypatch: pytest.MonkeyPatch, outage: str,
) -> None:
    lookup.plan_for(*viewer)
    if outage == "5xx":
        plans_fail(monkeypatch)
    else:
        plans_service.stop()
    clock.advance(STALE)
    assert lookup.plan_for(*viewer).name == "basic"
    assert lookup.stats.stale == 1 and lookup.stats.unavailable == 0


def test_beyond_the_staleness_bound_a_plan_lookup_is_a_503_with_retry_after(
    lookup: PlanLookup, plans_service: LoopbackServer, viewer: tuple[Viewer, str],
    clock: Clock, monkeypatch: pytest.MonkeyPatch,
) -> None:
    lookup.plan_for(*viewer)
    plans_fail(monkeypatch)
    clock.advance(STALE + 0.5)
    with pytest.raises(PlansUnavailable) as raised:
        lookup.plan_for(*viewer)
    assert raised.value.code == 503 and raised.value.retry_after
    assert lookup.stats.unavailable == 1 and lookup.stats.stale == 0


def test_a_plan_never_known_is_a_503_while_the_plans_service_is_down(
    lookup: PlanLookup, plans_service: LoopbackServer, viewer: tuple[Viewer, str]
) -> None:
    plans_service.stop()
    with pytest.raises(PlansUnavailable):
        lookup.plan_for(*viewer)


def test_a_timeout_counts_as_an_outage(
    plans_service: LoopbackServer, viewer: tuple[Viewer, str], clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lookup = PlanLookup(PlansServiceSource(plans_service.url, timeout=(0.5, 0.2)), FRESH, STALE,
                        timer=clock)
    lookup.plan_for(*viewer)
    real_get = PlanStore.get

    def slow(self: PlanStore, account: str) -> Any:
        time.sleep(0.6)
        return real_get(self, account)

    monkeypatch.setattr(PlanStore, "get", slow)
    clock.advance(FRESH)
    assert lookup.plan_for(*viewer).name == "basic"
    assert lookup.stats.stale == 1
    lookup.close()


def test_after_a_failure_the_plans_service_is_left_alone_for_the_backoff(
    lookup: PlanLookup, plans_service: LoopbackServer, viewer: tuple[Viewer, str],
    clock: Clock, monkeypatch: pytest.MonkeyPatch,
) -> None:
    lookup.plan_for(*viewer)
    plans_fail(monkeypatch)
    clock.advance(FRESH)
    lookup.plan_for(*viewer)
    asked = plans_service.requests
    clock.advance(1.0)
    lookup.plan_for(*viewer)
    assert plans_service.requests == asked, "no call within the backoff"
    clock.advance(1.5)
    lookup.plan_for(*viewer)
    assert plans_service.requests == asked + 1
    assert lookup.stats.stale == 3


def test_a_401_from_the_plans_service_passes_through_and_is_never_stale(
    lookup: PlanLookup, plans_service: LoopbackServer, viewer: tuple[Viewer, str],
    clock: Clock,
) -> None:
    account, _ = viewer
    lookup.plan_for(*viewer)
    clock.advance(FRESH)
    with pytest.raises(Problem) as raised:
        lookup.plan_for(account, "Bearer not-a-jwt")
    assert raised.value.code == 401
    assert raised.value.response_headers["WWW-Authenticate"].startswith("Bearer")
    assert lookup.stats.stale == 0


def test_a_plans_url_answering_404_is_an_outage_not_the_viewers_error(
    plans_service: LoopbackServer, viewer: tuple[Viewer, str], clock: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    misconfigured = PlanLookup(PlansServiceSource(f"{plans_service.url}/wrong"), FRESH, STALE,
                               timer=clock)
    with pytest.raises(PlansUnavailable):
        misconfigured.plan_for(*viewer)
    assert plans_service.paths == ["/wrong/api/v1/account/plan"]
    assert any("answered 404" in r.getMessage() for r in caplog.records)
    misconfigured.close()


def test_without_a_plans_service_the_table_is_read_with_the_same_bounds(
    plans_app: Flask, viewer: tuple[Viewer, str], clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store = plans_app.extensions["edgeflix"].plans
    lookup = PlanLookup(PlanStoreSource(store), FRESH, STALE, timer=clock)
    assert lookup.plan_for(*viewer).name == "basic"
    plans_fail(monkeypatch)
    clock.advance(STALE)
    assert lookup.plan_for(*viewer).name == "basic"
    clock.advance(0.5)
    with pytest.raises(PlansUnavailable):
        lookup.plan_for(*viewer)


# The catalog service with `plans_url`: plan-gated playback asks the plans service.


@pytest.fixture
def premium_catalog(catalog_document: dict[str, Any]) -> dict[str, Any]:
    """The fixture catalog with its first title on the premium plan only."""
    catalog_document["titles"][0]["required_plan"] = "premium"
    return catalog_document


@pytest.fixture
def catalog_service(
    premium_catalog: dict[str, Any], plans_service: LoopbackServer,
    make_app: Callable[..., Flask],
) -> Flask:
    """The catalog service reading plans from the plans service; a plan read is fresh
    for 0 s, so every plan-gated play asks."""
    return make_app(service="catalog", plans_url=plans_service.url, plan_cache_seconds=0)


def playback(app: Flask, title_id: str = PREMIUM_TITLE) -> Any:
    return app.test_client().post(f"/api/v1/titles/{title_id}/playback")


def test_plan_gated_playback_follows_the_plan_the_plans_service_holds(
    catalog_service: Flask, plans_app: Flask, plans_service: LoopbackServer
) -> None:
    assert playback(catalog_service).status_code == 403
    change_plan(plans_app, "premium", "up")
    assert playback(catalog_service).status_code == 200
    assert plans_service.paths == ["/api/v1/account/plan"] * 2


def test_a_title_open_to_every_plan_plays_on_the_default_plan_while_plans_are_down(
    catalog_service: Flask, plans_service: LoopbackServer
) -> None:
    """Every grant is scoped to the account's plan (app/playback_api.py), so every play
    asks; with no plan known, a title every plan plays is granted under the default."""
    plans_service.stop()
    answer = playback(catalog_service, "t02-reef-life")
    assert answer.status_code == 200
    assert answer.get_json()["plan"] == "basic"


def test_with_the_plans_service_down_playback_uses_the_last_known_plan(
    catalog_service: Flask, plans_app: Flask, plans_service: LoopbackServer
) -> None:
    change_plan(plans_app, "premium", "up")
    assert playback(catalog_service).status_code == 200
    plans_service.stop()
    assert playback(catalog_service).status_code == 200
    assert catalog_service.extensions["edgeflix"].plan_lookup.stats.stale == 1


def test_with_the_plans_service_down_a_plan_never_seen_comes_from_the_table(
    catalog_service: Flask, plans_app: Flask, plans_service: LoopbackServer
) -> None:
    """A catalog worker that never served this account falls back to the plan of record."""
    change_plan(plans_app, "premium", "up")
    plans_service.stop()
    assert playback(catalog_service).status_code == 200
    stats = catalog_service.extensions["edgeflix"].plan_lookup.stats
    assert (stats.fetched, stats.stale, stats.fallback) == (0, 0, 1)
    # The fallback's answer is not remembered as if the plans service had given it.
    assert playback(catalog_service).status_code == 200
    assert stats.fallback == 2


def test_with_the_plans_service_and_the_table_down_and_no_known_plan_playback_is_a_503(
    catalog_service: Flask, plans_service: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    plans_service.stop()
    plans_fail(monkeypatch)
    response = playback(catalog_service)
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert int(response.headers["Retry-After"]) > 0
    assert "plan" in response.get_json()["detail"]
    assert catalog_service.extensions["edgeflix"].plan_lookup.stats.unavailable == 1
