"""Application log lines: JSON, stamped with the request id the response carries."""

from __future__ import annotations

import io
import json
import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.exceptions import EndpointConnectionError
from tests_app_support import BUCKET

from app.catalog import CATALOG_KEY
from app.json_log import json_log_handler
from app.plays import PlayTable

Lines = Callable[[], list[dict[str, Any]]]


@pytest.fixture
def app_log() -> Iterator[Lines]:
    """lines() -> every `app` log line so far, parsed; the handler production uses."""
    stream = io.StringIO()
    handler = json_log_handler(stream)
    logger = logging.getLogger("app")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    logger.removeHandler(handler)
    logger.setLevel(level)


def _unreachable(*_: Any, **__: Any) -> Any:
    raise EndpointConnectionError(endpoint_url="http://dynamodb.invalid")


def _slow(*_: Any, **__: Any) -> Any:
    time.sleep(1.0)
    return []


def degraded_warnings(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        line
        for line in lines
        if line["level"] == "warning" and line["message"].startswith("recommendations degraded")
    ]


@pytest.mark.parametrize("broken", [_unreachable, _slow], ids=["error", "timeout"])
def test_degraded_recommendations_warning_has_the_responses_request_id(
    client: Any, app_log: Lines, monkeypatch: pytest.MonkeyPatch, broken: Any
) -> None:
    monkeypatch.setattr(PlayTable, "recent_titles", broken)
    response = client.get("/api/v1/recommendations?profile=ann")
    assert "X-Recommendations-Degraded" in response.headers
    [warning] = degraded_warnings(app_log())
    assert warning["request_id"] == response.headers["X-Request-Id"]
    assert warning["logger"] == "app.recommendations"


def test_the_callers_request_id_is_the_one_logged(
    client: Any, app_log: Lines, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(PlayTable, "recent_titles", _unreachable)
    response = client.get(
        "/api/v1/recommendations?profile=ann", headers={"X-Request-Id": "edge-7f3a"}
    )
    assert response.headers["X-Request-Id"] == "edge-7f3a"
    assert [w["request_id"] for w in degraded_warnings(app_log())] == ["edge-7f3a"]


def test_lines_from_the_recommendation_worker_thread_carry_the_request_id(
    client: Any, app_log: Lines, monkeypatch: pytest.MonkeyPatch
) -> None:
    def logs_then_fails(*_: Any, **__: Any) -> Any:
        logging.getLogger("app.plays").warning("history read failed")
        _unreachable()

    monkeypatch.setattr(PlayTable, "recent_titles", logs_then_fails)
    response = client.get("/api/v1/recommendations?profile=ann")
    [line] = [line for line in app_log() if line["message"] == "history read failed"]
    assert line["request_id"] == response.headers["X-Request-Id"]


def test_a_line_outside_a_request_has_the_placeholder(
    app: Any, client: Any, app_log: Lines, s3: Any
) -> None:
    response = client.get("/api/v1/titles", headers={"X-Request-Id": "before-refresh"})
    response.close()  # as every WSGI server does once the body is sent
    s3.delete_object(Bucket=BUCKET, Key=CATALOG_KEY)
    app.extensions["edgeflix"].catalog.refresh()
    [error] = [line for line in app_log() if line["level"] == "error"]
    assert "catalog" in error["message"] and "unavailable" in error["message"]
    assert error["request_id"] == "-", "no id left over from the request this thread served"


def test_the_500_line_has_the_request_id_and_no_secrets(
    client: Any, app_log: Lines, monkeypatch: pytest.MonkeyPatch
) -> None:
    import app.catalog_api as catalog_api

    def explode(*_: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(catalog_api, "title_documents", explode)
    client.set_cookie("CloudFront-Signature", "cookie-secret-value")
    response = client.get(
        "/api/v1/titles/t01-ocean-deep",
        headers={"X-Origin-Verify": "origin-secret-value", "Authorization": "Bearer auth-secret"},
    )
    assert response.status_code == 500
    [error] = [line for line in app_log() if line["level"] == "error"]
    assert error["request_id"] == response.headers["X-Request-Id"]
    assert "RuntimeError: boom" in error["exception"]
    written = json.dumps(app_log())
    for secret in ("cookie-secret-value", "origin-secret-value", "auth-secret"):
        assert secret not in written


def test_lines_are_json_in_the_access_logs_shape(
    client: Any, app_log: Lines, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(PlayTable, "recent_titles", _unreachable)
    client.get("/api/v1/recommendations?profile=ann")
    [warning] = degraded_warnings(app_log())
    assert set(warning) == {"time", "level", "logger", "request_id", "message"}
    assert time.strptime(warning["time"], "%Y-%m-%dT%H:%M:%S%z")
