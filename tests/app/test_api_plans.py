"""Plans and entitlements: the plan record, idempotent plan changes, titles above a plan."""

from __future__ import annotations

from typing import Any

import pytest
from tests_app_support import FIXTURE_TITLES, UserPool

from app.catalog import Catalog, CatalogError, load_catalog, read_titles
from app.plans import DEFAULT_PLAN, PLANS

PLAN = "/api/v1/account/plan"
PREMIUM_TITLE, STANDARD_TITLE, OPEN_TITLE = "t01-ocean-deep", "t02-reef-life", "t03-city-lights"


def playback(title_id: str) -> str:
    return f"/api/v1/titles/{title_id}/playback"


@pytest.fixture
def catalog_document() -> dict[str, Any]:
    """The fixture catalog with one premium-only and one standard-and-up title."""
    titles = [dict(t) for t in FIXTURE_TITLES]
    titles[0]["required_plan"] = "premium"
    titles[1]["required_plan"] = "standard"
    return {"version": 1, "titles": titles}


def change(client: Any, plan: str, key: str, **kwargs: Any) -> Any:
    return client.put(PLAN, json={"plan": plan}, headers={"Idempotency-Key": key}, **kwargs)


def plan_items(dynamodb: Any, sub: str) -> dict[str, dict[str, Any]]:
    items = dynamodb.query(
        TableName="edgeflix-plays", KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"ACCOUNT#{sub}"}},
    )["Items"]
    return {i["sk"]["S"]: i for i in items if i["sk"]["S"].startswith("PLAN")}


def test_the_plans_on_offer() -> None:
    assert [(p.name, p.max_height, p.streams) for p in PLANS.values()] == [
        ("basic", 480, 1), ("standard", 720, 2), ("premium", None, 4)
    ]
    assert DEFAULT_PLAN == "basic"


def test_plans_are_listed_with_the_default(client: Any) -> None:
    body = client.get("/api/v1/plans").get_json()
    assert body["default"] == "basic"
    assert [p["name"] for p in body["items"]] == ["basic", "standard", "premium"]
    assert body["items"][1] == {"name": "standard", "max_height": 720, "streams": 2}


def test_a_new_account_is_on_the_default_plan(client: Any) -> None:
    response = client.get(PLAN)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.get_json() == {
        "name": "basic", "max_height": 480, "streams": 1, "changed_at": None
    }


@pytest.mark.parametrize("method", ["get", "put"])
def test_the_account_plan_needs_a_signed_in_viewer(anonymous: Any, method: str) -> None:
    response = getattr(anonymous, method)(
        PLAN, json={"plan": "premium"}, headers={"Idempotency-Key": "k1"}
    )
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.headers["WWW-Authenticate"].startswith('Bearer realm="edgeflix"')


def test_a_plan_change_is_recorded_durably(
    client: Any, dynamodb: Any, user_pool: UserPool
) -> None:
    response = change(client, "premium", "order-1")
    assert response.status_code == 200
    assert "Idempotent-Replayed" not in response.headers
    body = response.get_json()
    assert (body["name"], body["streams"]) == ("premium", 4)
    assert client.get(PLAN).get_json() == body
    items = plan_items(dynamodb, user_pool.sub())
    assert items["PLAN"]["plan"] == {"S": "premium"}
    assert items["PLAN"]["idempotency_key"] == {"S": "order-1"}
    assert items["PLANCHANGE#order-1"]["plan"] == {"S": "premium"}


def test_the_same_key_and_body_replay_the_first_answer(client: Any) -> None:
    first = change(client, "premium", "order-1")
    assert change(client, "standard", "order-2").status_code == 200
    again = change(client, "premium", "order-1")
    assert again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()
    # A replay changes nothing: the later change stands.
    assert client.get(PLAN).get_json()["name"] == "standard"


def test_the_same_key_with_another_body_is_422(client: Any) -> None:
    change(client, "premium", "order-1")
    response = change(client, "standard", "order-1")
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert "Idempotency-Key" in response.get_json()["detail"]
    assert client.get(PLAN).get_json()["name"] == "premium"


def test_idempotency_keys_belong_to_one_account(
    client: Any, anonymous: Any, user_pool: UserPool
) -> None:
    change(client, "premium", "order-1")
    other = user_pool.bearer("other@example.com")
    response = anonymous.put(
        PLAN, json={"plan": "standard"}, headers={"Idempotency-Key": "order-1", **other}
    )
    assert response.status_code == 200 and response.get_json()["name"] == "standard"
    assert "Idempotent-Replayed" not in response.headers
    assert client.get(PLAN).get_json()["name"] == "premium"


@pytest.mark.parametrize(
    ("headers", "body", "detail"),
    [
        ({}, {"plan": "premium"}, "Idempotency-Key"),
        ({"Idempotency-Key": ""}, {"plan": "premium"}, "Idempotency-Key"),
        ({"Idempotency-Key": "x" * 65}, {"plan": "premium"}, "Idempotency-Key"),
        ({"Idempotency-Key": "has space"}, {"plan": "premium"}, "Idempotency-Key"),
        ({"Idempotency-Key": "k"}, {"plan": "gold"}, "plan must be one of"),
        ({"Idempotency-Key": "k"}, {"plan": 3}, "plan must be one of"),
        ({"Idempotency-Key": "k"}, {}, "plan must be one of"),
        ({"Idempotency-Key": "k"}, {"plan": "basic", "card": "4111"}, "Unknown body members"),
    ],
)
def test_malformed_plan_changes_are_400(
    client: Any, headers: dict[str, str], body: dict[str, Any], detail: str
) -> None:
    response = client.put(PLAN, json=body, headers=headers)
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert detail in response.get_json()["detail"]
    assert client.get(PLAN).get_json()["changed_at"] is None


@pytest.mark.parametrize("with_body", [False, True], ids=["fast lane", "flask view"])
def test_a_title_above_the_plan_is_403(client: Any, with_body: bool) -> None:
    kwargs = {"json": {}} if with_body else {}
    response = client.post(playback(PREMIUM_TITLE), **kwargs)
    assert response.status_code == 403
    assert response.mimetype == "application/problem+json"
    assert "premium plan" in response.get_json()["detail"]
    assert "Set-Cookie" not in response.headers
    assert client.post(playback(STANDARD_TITLE), **kwargs).status_code == 403
    assert client.post(playback(OPEN_TITLE), **kwargs).status_code == 200


@pytest.mark.parametrize(
    ("plan", "premium_title", "standard_title"),
    [("basic", 403, 403), ("standard", 403, 200), ("premium", 200, 200)],
)
def test_a_plan_change_is_effective_for_the_next_grant(
    client: Any, plan: str, premium_title: int, standard_title: int
) -> None:
    assert change(client, plan, f"to-{plan}").status_code == 200
    assert client.post(playback(PREMIUM_TITLE)).status_code == premium_title
    assert client.post(playback(STANDARD_TITLE)).status_code == standard_title


def test_a_downgrade_is_effective_for_the_next_grant_too(client: Any) -> None:
    change(client, "premium", "up")
    assert client.post(playback(PREMIUM_TITLE)).status_code == 200
    change(client, "basic", "down")
    assert client.post(playback(PREMIUM_TITLE)).status_code == 403


def test_the_catalog_names_a_titles_plan_or_none(catalog_document: dict[str, Any]) -> None:
    catalog = Catalog.model_validate(catalog_document)
    assert [t.required_plan for t in catalog.titles] == [
        "premium", "standard", None, None, None
    ]


def test_an_unknown_required_plan_is_refused_strictly_and_skipped_tolerantly(
    catalog_document: dict[str, Any], tmp_path: Any
) -> None:
    import json

    catalog_document["titles"][2]["required_plan"] = "gold"
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(catalog_document))
    with pytest.raises(CatalogError, match="required_plan"):
        load_catalog(path)
    ids = [t.id for t in read_titles(path.read_bytes())]
    assert OPEN_TITLE not in ids and len(ids) == 4


def test_the_publisher_writes_required_plan_only_when_set(
    catalog_document: dict[str, Any], tmp_path: Any
) -> None:
    import json

    from app.catalog import dump_catalog

    path = tmp_path / "catalog.json"
    dump_catalog(Catalog.model_validate(catalog_document), path)
    titles = json.loads(path.read_text())["titles"]
    assert [t.get("required_plan", "absent") for t in titles] == [
        "premium", "standard", "absent", "absent", "absent"
    ]
    assert load_catalog(path) == Catalog.model_validate(catalog_document)
