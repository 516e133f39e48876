"""Services that fail alone: EDGEFLIX_SERVICE picks what a process serves and builds.

Each service answers its own routes (the ones app/service_map.py sends it), health
and readiness, and a 404 problem+json for everything else; it builds only the
objects it uses, and its readiness checks only its own dependencies.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import botocore.client
import pytest
from botocore.exceptions import EndpointConnectionError
from flask import Flask

from app.factory import create_app
from app.service_map import SERVICE_NAMES, route

# One request per service that only that service answers (method, path, JSON body).
OWN_REQUESTS: dict[str, tuple[str, str, Any]] = {
    "catalog": ("GET", "/api/v1/titles", None),
    "accounts": ("GET", "/api/v1/profiles", None),
    "plans": ("GET", "/api/v1/plans", None),
    "recommendations": ("GET", "/api/v1/recommendations", None),
}
CATALOG_ONLY = [
    ("GET", "/api/v1/titles/t01-ocean-deep"),
    ("GET", "/api/v1/trending"),
    ("POST", "/api/v1/titles/t01-ocean-deep/playback"),
    ("GET", "/api/v1/openapi.json"),
]


def answer(app: Flask, method: str, path: str, body: Any = None) -> Any:
    return app.test_client().open(path, method=method, json=body)


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_a_service_answers_its_own_routes_and_404s_the_others(
    seeded: None, make_app: Callable[..., Flask], service: str
) -> None:
    app = make_app(service=service)
    for name, (method, path, body) in OWN_REQUESTS.items():
        response = answer(app, method, path, body)
        if name == service:
            assert response.status_code == 200, (service, path, response.get_json())
        else:
            assert response.status_code == 404, (service, path)
            assert response.mimetype == "application/problem+json"
            assert response.get_json()["instance"] == path
    for method, path in CATALOG_ONLY:
        status = answer(app, method, path).status_code
        assert (status == 404) is (service != "catalog"), (service, method, path, status)
    assert answer(app, "GET", "/healthz").status_code == 200
    assert answer(app, "GET", "/nope").status_code == 404


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_every_route_a_service_serves_is_routed_to_it_by_the_service_map(
    seeded: None, make_app: Callable[..., Flask], service: str
) -> None:
    app = make_app(service=service)
    paths = {
        rule.rule.replace("<", "").replace(">", "")
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/")
    }
    assert paths
    for path in paths:
        assert route(path).name == service, (service, path)


def test_all_serves_every_route_in_one_process(
    seeded: None, make_app: Callable[..., Flask]
) -> None:
    app = make_app(service="all")
    for method, path, body in OWN_REQUESTS.values():
        assert answer(app, method, path, body).status_code == 200, path
    for method, path in CATALOG_ONLY:
        assert answer(app, method, path).status_code == 200, path


def test_a_wrong_method_on_a_service_route_is_405_with_allow(
    seeded: None, make_app: Callable[..., Flask]
) -> None:
    response = answer(make_app(service="plans"), "DELETE", "/api/v1/plans")
    assert response.status_code == 405
    assert response.mimetype == "application/problem+json"
    assert "GET" in response.headers["Allow"]


@pytest.mark.parametrize(
    ("service", "absent"),
    [
        ("accounts", ("catalog", "signing_key", "signer", "recorder", "recommender",
                      "plan_lookup", "plans")),
        ("plans", ("catalog", "signing_key", "signer", "recorder", "recommender",
                   "plan_lookup", "profiles", "accounts")),
        ("recommendations", ("signing_key", "signer", "recorder", "plan_lookup", "profiles",
                             "accounts", "plans", "verifier")),
        ("catalog", ("profiles", "accounts", "plans")),
    ],
)
def test_a_service_builds_only_the_objects_it_uses(
    seeded: None, make_app: Callable[..., Flask], service: str, absent: tuple[str, ...]
) -> None:
    built = make_app(service=service).extensions["edgeflix"]
    assert [name for name in absent if getattr(built, name) is not None] == []


def test_the_accounts_service_reads_neither_catalog_nor_signing_key(
    s3: Any, dynamodb: Any, make_app: Callable[..., Flask]
) -> None:
    # Nothing in the bucket and no signing secret: only the table exists.
    response = answer(make_app(service="accounts"), "GET", "/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ready", "checks": {"table": True}}


@pytest.mark.parametrize(
    ("service", "checks"),
    [
        ("catalog", {"catalog", "signing_key", "table"}),
        ("all", {"catalog", "signing_key", "table"}),
        ("accounts", {"table"}),
        ("plans", {"table"}),
        ("recommendations", {"catalog"}),
    ],
)
def test_readiness_checks_only_the_services_own_dependencies(
    seeded: None, make_app: Callable[..., Flask], service: str, checks: set[str]
) -> None:
    response = answer(make_app(service=service), "GET", "/readyz")
    assert response.status_code == 200
    assert set(response.get_json()["checks"]) == checks


def test_recommendations_are_ready_without_the_table_they_degrade_from(
    publish_catalog: Callable[[dict[str, Any]], None], catalog_document: dict[str, Any],
    make_app: Callable[..., Flask],
) -> None:
    publish_catalog(catalog_document)  # no plays table
    app = make_app(service="recommendations")
    assert answer(app, "GET", "/readyz").status_code == 200
    response = answer(app, "GET", "/api/v1/recommendations?profile=ann")
    assert response.status_code == 200
    assert response.headers["X-Recommendations-Source"] == "popularity"


@pytest.mark.parametrize("service", ["accounts", "plans"])
def test_without_the_table_the_accounts_and_plans_services_are_not_ready(
    s3: Any, make_app: Callable[..., Flask], service: str
) -> None:
    response = answer(make_app(service=service), "GET", "/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"] == {"table": False}


def test_an_unknown_service_fails_at_start_naming_the_variable_and_the_choices(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("EDGEFLIX_SERVICE", "playback")
    with pytest.raises(ValueError) as raised:
        create_app()
    message = str(raised.value)
    assert "EDGEFLIX_SERVICE='playback'" in message
    for name in (*SERVICE_NAMES, "all"):
        assert name in message


def test_the_wsgi_entry_point_refuses_an_unknown_service_before_serving() -> None:
    env = {**os.environ, "EDGEFLIX_SERVICE": "recommendation"}
    result = subprocess.run(
        [sys.executable, "-c", "import app.wsgi"], env=env, capture_output=True, text=True,
        timeout=60, cwd=Path(__file__).resolve().parents[2],
    )
    assert result.returncode != 0
    assert "EDGEFLIX_SERVICE='recommendation'" in result.stderr
    assert "recommendations" in result.stderr


@pytest.fixture
def cognito_down(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every Cognito API call fails to connect (the user pool's JWKS URL still answers)."""
    real = botocore.client.BaseClient._make_api_call

    def call(self: Any, operation: str, params: dict[str, Any]) -> Any:
        if self.meta.service_model.service_name == "cognito-idp":
            raise EndpointConnectionError(endpoint_url="https://cognito-idp.invalid")
        return real(self, operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", call)


def test_signed_in_viewers_keep_watching_without_the_accounts_service_or_cognito(
    seeded: None, make_app: Callable[..., Flask], request: pytest.FixtureRequest
) -> None:
    catalog = make_app(service="catalog")
    client = catalog.test_client()  # signed in: its token was issued before the outage
    request.getfixturevalue("cognito_down")
    response = client.post("/api/v1/titles/t02-reef-life/playback")
    assert response.status_code == 200
    assert catalog.extensions["edgeflix"].accounts is None


def test_sign_in_says_clearly_that_it_is_unavailable_when_cognito_is_unreachable(
    seeded: None, make_app: Callable[..., Flask], request: pytest.FixtureRequest
) -> None:
    accounts = make_app(service="accounts")
    request.getfixturevalue("cognito_down")
    response = accounts.test_client().post(
        "/api/v1/sessions", json={"email": "viewer@example.com", "password": "whatever-1A!"})
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["detail"] == "Sign-in is unavailable right now."
    assert int(response.headers["Retry-After"]) > 0
