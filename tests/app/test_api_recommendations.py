"""Recommendations: because-you-watched, trending, and degradation when DynamoDB misbehaves."""

from __future__ import annotations

import time
from typing import Any

import pytest
from botocore.exceptions import EndpointConnectionError

from app.plays import PlayTable


def play(client: Any, title_id: str, profile: str | None = None) -> None:
    body = {"profile": profile} if profile else None
    granted = client.post(f"/api/v1/titles/{title_id}/playback", json=body)
    assert granted.status_code == 200
    # The viewing ends: its stream is free for the account's next profile (app/streams.py).
    token = granted.get_json()["renewal_token"]
    released = client.post(f"/api/v1/titles/{title_id}/playback/release",
                           json={"renewal_token": token})
    assert released.status_code == 204


def test_because_you_watched_ranks_similar_titles_first(client: Any) -> None:
    play(client, "t01-ocean-deep", "ann")
    response = client.get("/api/v1/recommendations?profile=ann&limit=3")
    assert response.status_code == 200
    assert response.headers["X-Recommendations-Source"] == "personalized"
    assert "X-Recommendations-Degraded" not in response.headers
    assert response.headers["Cache-Control"] == "private, no-store"
    body = response.get_json()
    assert body["source"] == "personalized" and body["degraded"] is False
    ids = [item["id"] for item in body["items"]]
    assert ids[0] == "t02-reef-life"
    assert body["items"][0]["reason"] == "because you watched Ocean Deep"
    assert "t01-ocean-deep" not in ids, "watched titles are not recommended"


def test_co_plays_of_other_profiles_lift_a_title(client: Any) -> None:
    for profile in ("bob", "cy", "dee"):
        play(client, "t03-city-lights", profile)
        play(client, "t04-laugh-track", profile)
    play(client, "t03-city-lights", "ann")
    items = client.get("/api/v1/recommendations?profile=ann&limit=2").get_json()["items"]
    assert {i["id"] for i in items} == {"t05-night-city", "t04-laugh-track"}


def test_without_a_profile_recommendations_are_trending(client: Any) -> None:
    for _ in range(3):
        play(client, "t05-night-city")
    response = client.get("/api/v1/recommendations?limit=2")
    body = response.get_json()
    assert body["source"] == "trending" and body["profile"] is None
    assert body["items"][0]["id"] == "t05-night-city"
    assert body["items"][0]["reason"] == "trending"


def test_invalid_recommendation_parameters_are_400(client: Any) -> None:
    for query in ("limit=0", "limit=51", "profile=", "profile=a%20b", "limit=x"):
        response = client.get(f"/api/v1/recommendations?{query}")
        assert response.status_code == 400, query
        assert response.mimetype == "application/problem+json"


def _failing(*_: Any, **__: Any) -> Any:
    raise EndpointConnectionError(endpoint_url="http://dynamodb.invalid")


def _slow(*_: Any, **__: Any) -> Any:
    time.sleep(1.0)
    return []


@pytest.mark.parametrize(
    ("broken", "reason"), [(_failing, "dynamodb-error"), (_slow, "dynamodb-timeout")]
)
def test_dynamodb_trouble_degrades_to_popularity_and_says_so(
    client: Any, monkeypatch: pytest.MonkeyPatch, broken: Any, reason: str
) -> None:
    monkeypatch.setattr(PlayTable, "recent_titles", broken)
    started = time.monotonic()
    response = client.get("/api/v1/recommendations?profile=ann&limit=3")
    assert time.monotonic() - started < 0.8, "answers within the deadline"
    assert response.status_code == 200
    assert response.headers["X-Recommendations-Degraded"] == reason
    assert response.headers["X-Recommendations-Source"] == "popularity"
    body = response.get_json()
    assert body["degraded"] is True
    assert [i["id"] for i in body["items"]] == [
        "t01-ocean-deep",
        "t04-laugh-track",
        "t03-city-lights",
    ]


def test_after_a_failure_the_circuit_keeps_requests_off_dynamodb(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []

    def failing(self: Any, profile: str, limit: int = 20) -> list[str]:
        calls.append(profile)
        _failing()
        return []

    monkeypatch.setattr(PlayTable, "recent_titles", failing)
    client.get("/api/v1/recommendations?profile=ann")
    second = client.get("/api/v1/recommendations?profile=ann")
    assert second.headers["X-Recommendations-Degraded"] == "circuit-open"
    assert calls == ["ann"]


def test_playback_still_works_when_recommendations_degrade(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(PlayTable, "recent_titles", _failing)
    client.get("/api/v1/recommendations?profile=ann")
    play(client, "t02-reef-life", "zed")
