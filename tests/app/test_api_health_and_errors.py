"""Probes, request ids and problem details for errors."""

from __future__ import annotations

from typing import Any

import pytest


def test_healthz_touches_no_dependency(make_app: Any, aws: None) -> None:
    response = make_app().test_client().get("/healthz")  # nothing seeded at all
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    assert response.headers["Cache-Control"] == "no-store"


def test_readyz_is_ready_with_catalog_key_and_table(client: Any) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {
        "status": "ready",
        "checks": {"catalog": True, "signing_key": True, "table": True},
    }


def test_readyz_is_503_and_names_what_is_missing(make_app: Any, s3: Any) -> None:
    response = make_app().test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"] == {
        "catalog": False,
        "signing_key": False,
        "table": False,
    }


def test_request_id_is_echoed_from_the_caller(client: Any) -> None:
    response = client.get("/healthz", headers={"X-Request-Id": "abc-123"})
    assert response.headers["X-Request-Id"] == "abc-123"


def test_request_id_falls_back_to_the_alb_trace_id(client: Any) -> None:
    trace = "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1"
    response = client.get("/api/v1/titles", headers={"X-Amzn-Trace-Id": trace})
    assert response.headers["X-Request-Id"] == trace


def test_request_id_is_generated_when_absent_or_unsafe(client: Any) -> None:
    plain = client.get("/healthz").headers["X-Request-Id"]
    unsafe = client.get("/healthz", headers={"X-Request-Id": 'bad id"{}'}).headers
    assert len(plain) == 32 and plain != unsafe["X-Request-Id"]
    assert len(unsafe["X-Request-Id"]) == 32


def test_unknown_paths_are_404_problems(client: Any) -> None:
    for path in ("/nope", "/api/v2/titles", "/api/v1/titles/", "/api/v1//titles"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.mimetype == "application/problem+json"
        problem = response.get_json()
        assert problem == {
            "type": "about:blank",
            "title": "Not Found",
            "status": 404,
            "detail": problem["detail"],
            "instance": path,
        }


def test_wrong_method_is_405_problem_with_allow(client: Any) -> None:
    response = client.delete("/api/v1/titles")
    assert response.status_code == 405
    assert response.mimetype == "application/problem+json"
    assert response.headers["Allow"] == "GET, HEAD, OPTIONS"


def test_an_unexpected_exception_is_a_bare_500_problem(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import app.catalog_api as catalog_api

    def explode(*_: Any) -> Any:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(catalog_api, "title_documents", explode)
    response = client.get("/api/v1/titles/t01-ocean-deep")
    assert response.status_code == 500
    assert response.mimetype == "application/problem+json"
    assert "secret internals" not in response.get_data(as_text=True)


def test_openapi_document_is_served_as_3_1(client: Any) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"] == "3.1.0"
    assert "/api/v1/titles/{title_id}/playback" in spec["paths"]
