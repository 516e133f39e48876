"""The CloudFront Function in edge-config/functions/, run under node with real events."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from edge.config import load_edge_config

FUNCTION = load_edge_config().functions["normalize"]
NODE = shutil.which("node")

# Runs the function file as CloudFront does: a top-level `handler(event)`.
HARNESS = r"""
const fs = require('fs');
const vm = require('vm');
const code = fs.readFileSync(process.argv[1], 'utf8');
const context = {};
vm.createContext(context);
vm.runInContext(code, context, {filename: process.argv[1]});
const events = JSON.parse(fs.readFileSync(0, 'utf8'));
const results = events.map((e) => context.handler(e));
process.stdout.write(JSON.stringify(results));
"""

pytestmark = pytest.mark.skipif(NODE is None, reason="node is not installed")


def _event(uri, querystring=None, cookies=None, headers=None):
    return {
        "version": "1.0",
        "context": {"eventType": "viewer-request", "distributionId": "E2QWRUHEXAMPLE"},
        "viewer": {"ip": "198.51.100.7"},
        "request": {
            "method": "GET",
            "uri": uri,
            "querystring": querystring if querystring is not None else {},
            "headers": headers or {"host": {"value": "d111111abcdef8.cloudfront.net"}},
            "cookies": cookies or {},
        },
    }


def _run(*events):
    out = subprocess.run(
        [NODE, "-e", HARNESS, str(FUNCTION.path)],
        input=json.dumps(list(events)), capture_output=True, text=True, timeout=30, check=True,
    )
    return json.loads(out.stdout)


def test_repeated_slashes_collapse_and_media_query_strings_drop():
    (request,) = _run(_event("//video//t1//master.m3u8", {"v": {"value": "123"},
                                                           "token": {"value": "x"}}))
    assert request["uri"] == "/video/t1/master.m3u8"
    assert request["querystring"] == {}


def test_root_is_served_as_index_html():
    a, b = _run(_event("/"), _event("//"))
    assert a["uri"] == b["uri"] == "/index.html"


def test_segments_lose_cache_busters():
    (request,) = _run(_event("/video/t1/720p/seg_00001.ts", {"_": {"value": "1700000000"}}))
    assert request["uri"] == "/video/t1/720p/seg_00001.ts"
    assert request["querystring"] == {}


def test_api_keeps_only_known_parameters_sorted_with_genre_lowercased():
    (request,) = _run(_event("/api/v1/titles", {
        "utm_source": {"value": "mail"},
        "limit": {"value": "10"},
        "genre": {"value": "Drama"},
        "offset": {"value": "20"},
    }))
    assert request["uri"] == "/api/v1/titles"
    assert list(request["querystring"]) == ["genre", "limit", "offset"]
    assert request["querystring"]["genre"] == {"value": "drama"}
    assert request["querystring"]["limit"] == {"value": "10"}


def test_api_multi_value_parameters_keep_the_first():
    (request,) = _run(_event("/api/v1/titles", {"genre": {
        "value": "Comedy", "multiValue": [{"value": "Comedy"}, {"value": "Drama"}]}}))
    assert request["querystring"] == {"genre": {"value": "comedy"}}


def test_equivalent_api_requests_normalise_identically():
    a, b = _run(
        _event("/api//v1/titles", {"limit": {"value": "5"}, "genre": {"value": "SCI-FI"}}),
        _event("/api/v1/titles", {"genre": {"value": "sci-fi"}, "limit": {"value": "5"},
                                  "ref": {"value": "home"}}),
    )
    assert a == b


def test_signed_cookies_and_headers_pass_through_untouched():
    cookies = {
        "CloudFront-Policy": {"value": "eyJTdGF0ZW1lbnQiOltdfQ__"},
        "CloudFront-Signature": {"value": "abc~def"},
        "CloudFront-Key-Pair-Id": {"value": "K2JCJMDEHXQW5F"},
    }
    headers = {"host": {"value": "d111111abcdef8.cloudfront.net"},
               "range": {"value": "bytes=0-1023"}}
    (request,) = _run(_event("/video/t1/master.m3u8", cookies=cookies, headers=headers))
    assert request["cookies"] == cookies
    assert request["headers"] == headers
    assert request["method"] == "GET"


def test_function_fits_cloudfront_limits():
    assert FUNCTION.path.stat().st_size < 10_240
    assert FUNCTION.event == "viewer-request"
