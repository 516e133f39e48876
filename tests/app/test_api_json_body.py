"""JSON request bodies: every parser-level failure on every POST endpoint is a 400 problem."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pytest
from gunicorn.http.errors import InvalidChunkSize

from app.json_body import MAX_DEPTH, nesting_depth
from app.openapi import SPEC

KNOWN_TITLE = "t03-city-lights"
POST_PATHS = [path for path, item in SPEC["paths"].items() if "post" in item]


def concrete(path: str) -> str:
    """The spec path with its parameters filled with values the fixture catalog knows."""
    filled = path.replace("{title_id}", KNOWN_TITLE)
    assert not re.search(r"[{}]", filled), f"no fixture value for a parameter of {path}"
    return filled


def arrays(levels: int) -> bytes:
    return b"[" * levels + b"]" * levels


def objects(levels: int) -> bytes:
    return b'{"a":' * levels + b"1" + b"}" * levels


def mixed(levels: int) -> bytes:
    half = levels // 2
    return b'{"a":[' * half + b"1" + b"]}" * half


def strings_do_not_count() -> bytes:
    return json.dumps({"profile": "[" * 2000}).encode()


NESTED = {
    "arrays-2000": arrays(2000),  # ~4,000 bytes: under the body cap
    "objects-600": objects(600),
    "mixed-1000": mixed(1000),
    "arrays-just-over": arrays(MAX_DEPTH + 1),
    "object-of-arrays-just-over": b'{"profile":' + arrays(MAX_DEPTH) + b"}",
    "unbalanced": b"[" * 3000,
}


@pytest.fixture
def bearer(user_pool: Any) -> dict[str, str]:
    """A signed-in viewer's header: endpoints that need one check the body after it."""
    return {"Authorization": f"Bearer {user_pool.access_token('nested@example.com')}"}


def test_post_endpoints_are_found_in_the_spec() -> None:
    assert "/api/v1/titles/{title_id}/playback" in POST_PATHS


@pytest.mark.parametrize("path", POST_PATHS)
@pytest.mark.parametrize("shape", NESTED)
def test_deeply_nested_bodies_are_400_problems(client: Any, bearer: dict[str, str], path: str,
                                               shape: str) -> None:
    body = NESTED[shape]
    assert len(body) < 4096, "the body stays under the API's body cap"
    response = client.post(concrete(path), data=body, content_type="application/json",
                           headers=bearer)
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["status"] == 400


@pytest.mark.parametrize("path", POST_PATHS)
@pytest.mark.parametrize(
    "body",
    [b'{"profile": "ann"', b"\xff\xfe{}", b'{"profile": NaN', b"", b" \n"],
    ids=["truncated", "not-utf8", "bad-literal", "empty", "whitespace"],
)
def test_parser_failures_are_400_problems(client: Any, bearer: dict[str, str], path: str,
                                         body: bytes) -> None:
    response = client.post(concrete(path), data=body, content_type="application/json",
                           headers=bearer)
    if not body and not SPEC["paths"][path]["post"]["requestBody"].get("required"):
        assert response.status_code < 400  # no body at all is allowed where it is optional
        return
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize(
    ("raw", "depth"),
    [
        (b"1", 0),
        (b"[]", 1),
        (b'{"a":[{"b":[]}]}', 4),
        (strings_do_not_count(), 1),
        (b'{"a":"\\"[[["}', 1),
        (arrays(2000), 2000),
    ],
)
def test_nesting_depth_counts_structure_not_string_content(raw: bytes, depth: int) -> None:
    assert nesting_depth(raw) == depth


def test_a_body_at_the_depth_limit_still_reaches_validation(client: Any) -> None:
    body = b'{"profile":' + arrays(MAX_DEPTH - 1) + b"}"
    response = client.post(concrete(POST_PATHS[0]), data=body, content_type="application/json")
    assert response.status_code == 400
    assert "profile must match" in response.get_json()["detail"]


class UnreadableBody(io.RawIOBase):
    """wsgi.input as gunicorn's reader leaves it on a malformed chunk: reading raises."""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        raise InvalidChunkSize(b"ZZ")


@pytest.mark.parametrize("path", POST_PATHS)
def test_a_body_the_server_cannot_read_is_a_400_problem(client: Any, bearer: dict[str, str],
                                                        path: str) -> None:
    response = client.post(
        concrete(path), data=b"{}", content_type="application/json", headers=bearer,
        environ_overrides={"wsgi.input": UnreadableBody()},
    )
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
