"""The twin's moto call counts (twin/moto_server.py CallCounter) and a run's share of them
(loadtest/target_calls.py), on a real HTTP server on loopback."""

from __future__ import annotations

import json
import threading

import pytest
import requests
from werkzeug.serving import make_server

from loadtest.report import _moto_calls_line
from loadtest.target_calls import TargetCalls, moto_calls
from twin.moto_server import CallCounter

DYNAMODB = "application/x-amz-json-1.0"


@pytest.fixture
def counted_server():
    """A WSGI app that echoes the request body, behind CallCounter, on 127.0.0.1."""
    seen: list[bytes] = []

    def echo(environ, start_response):
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        seen.append(body)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [body]

    server = make_server("127.0.0.1", 0, CallCounter(echo), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", seen
    finally:
        server.shutdown()
        thread.join(timeout=5)


def _dynamodb(url: str, action: str, body: dict | str) -> requests.Response:
    data = body if isinstance(body, str) else json.dumps(body)
    return requests.post(url, data=data, timeout=5, headers={
        "Content-Type": DYNAMODB, "X-Amz-Target": f"DynamoDB_20120810.{action}"})


def test_calls_are_counted_by_operation_and_item_kind(counted_server):
    url, seen = counted_server
    key = {"pk": {"S": "ACCOUNT#a"}, "sk": {"S": "STREAMS"}}
    for _ in range(3):
        _dynamodb(url, "UpdateItem", {"TableName": "plays", "Key": key})
    answer = _dynamodb(url, "GetItem", {"TableName": "plays",
                                        "Key": {"pk": {"S": "TITLE#t"}, "sk": {"S": "DAY#2026"}}})
    assert json.loads(answer.content)["Key"]["sk"]["S"] == "DAY#2026"  # body passed on whole
    _dynamodb(url, "Query", {"TableName": "plays"})
    _dynamodb(url, "PutItem", "not json")
    requests.post(url, timeout=5, headers={
        "X-Amz-Target": "AWSCognitoIdentityProviderService.InitiateAuth"})
    requests.get(url + "/media/video/master.m3u8", timeout=5)
    assert moto_calls(url) == {"UpdateItem STREAMS": 3, "GetItem DAY": 1, "Query": 1,
                               "PutItem": 1, "InitiateAuth": 1, "GET (REST)": 1}
    assert len(seen) == 8  # the counts' own GET is answered by the counter


def test_a_run_gets_the_calls_made_between_its_reads(counted_server):
    url, _ = counted_server
    _dynamodb(url, "GetItem", {"Key": {"sk": {"S": "PLAN"}}})  # before the run
    run = TargetCalls(url)
    for _ in range(4):
        _dynamodb(url, "GetItem", {"Key": {"sk": {"S": "PLAN"}}})
    _dynamodb(url, "UpdateItem", {"Key": {"sk": {"S": "RECENT"}}})
    calls = run.finish()
    assert calls == {"GetItem PLAN": 4, "UpdateItem RECENT": 1}
    assert list(calls) == ["GetItem PLAN", "UpdateItem RECENT"]  # most first
    line = _moto_calls_line(calls, plays=2)
    assert line.split() == ["moto", "calls", "5", "(2.50", "a", "play):", "GetItem", "PLAN",
                            "2.00,", "UpdateItem", "RECENT", "0.50"]


def test_no_counts_without_a_counting_moto():
    assert TargetCalls(None).finish() is None
    closed = make_server("127.0.0.1", 0, lambda e, s: [])
    url = f"http://127.0.0.1:{closed.server_port}"
    closed.server_close()
    assert moto_calls(url) is None and TargetCalls(url).finish() is None


def test_counts_that_went_down_mean_a_restart_and_give_none(counted_server, monkeypatch):
    url, _ = counted_server
    _dynamodb(url, "Query", {})
    run = TargetCalls(url)
    monkeypatch.setattr("loadtest.target_calls.moto_calls", lambda _url: {})
    assert run.finish() is None

