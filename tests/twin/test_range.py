"""Range GETs through the twin's edge follow CloudFront's documented rules (Developer Guide,
"How CloudFront processes partial requests for an object (range GETs)")."""

from __future__ import annotations

import re
import uuid
from email.parser import BytesParser
from email.policy import HTTP

import pytest
import requests
from twin_origin import put_object

BODY = bytes(range(100))
SIZE = len(BODY)

# Range header -> expected status and, for 206, the byte ranges served (first, last).
CASES = {
    "single": ("bytes=0-9", 206, [(0, 9)]),
    "single-past-the-end": ("bytes=95-200", 206, [(95, 99)]),
    "suffix": ("bytes=-10", 206, [(90, 99)]),
    "open-ended": ("bytes=90-", 206, [(90, 99)]),
    "multi-ascending": ("bytes=0-0,5-9", 206, [(0, 0), (5, 9)]),
    "multi-ascending-three": ("bytes=0-1,10-19,50-", 206, [(0, 1), (10, 19), (50, 99)]),
    "multi-overlapping": ("bytes=0-5,3-8", 200, None),
    "multi-descending": ("bytes=5-9,0-0", 200, None),
    "malformed-first-after-last": ("bytes=5-1", 200, None),
    "malformed-letters": ("bytes=a-b", 200, None),
    "malformed-empty-spec": ("bytes=-", 200, None),
    "malformed-negative": ("bytes=--5", 200, None),
    "other-unit": ("items=0-1", 200, None),
    "unsatisfiable": ("bytes=1000-2000", 416, None),
    "unsatisfiable-multi": ("bytes=200-300,400-500", 416, None),
}


@pytest.fixture(scope="module")
def object_url(twin, cdn) -> str:
    key = f"range-{uuid.uuid4().hex[:8]}/data.bin"
    put_object(twin, key, "max-age=3600", body=BODY, content_type="application/octet-stream")
    return f"{cdn}/{key}"


def parts(response: requests.Response) -> list[tuple[int, int, bytes]]:
    """(first, last, bytes) of each part of a 206 answer, single or multipart/byteranges."""
    content_type = response.headers["Content-Type"]
    if not content_type.startswith("multipart/byteranges"):
        first, last, size = map(int, re.fullmatch(
            r"bytes (\d+)-(\d+)/(\d+)", response.headers["Content-Range"]).groups())
        assert size == SIZE
        return [(first, last, response.content)]
    message = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + response.content)
    found = []
    for part in message.iter_parts():
        first, last, size = map(int, re.fullmatch(
            r"bytes (\d+)-(\d+)/(\d+)", part["Content-Range"]).groups())
        assert size == SIZE
        found.append((first, last, part.get_payload(decode=True)))
    return found


@pytest.mark.parametrize("kind", CASES)
@pytest.mark.parametrize("cache", ["miss-then-hit"])
def test_range_requests_follow_cloudfront(object_url: str, kind: str, cache: str) -> None:
    header, status, ranges = CASES[kind]
    for _ in range(2):  # the first may be a miss, the second is a hit: both answer alike
        response = requests.get(object_url, timeout=5, headers={
            "Range": header, "Accept-Encoding": "identity"})
        assert response.status_code == status, response.headers
        if status == 200:
            assert response.content == BODY
        elif status == 416:
            assert response.headers["Content-Range"] == f"bytes */{SIZE}"
            assert response.headers["Content-Type"] == "application/problem+json"
            assert response.json()["status"] == 416
        else:
            assert [(f, la) for f, la, _ in parts(response)] == ranges
            for first, last, data in parts(response):
                assert data == BODY[first:last + 1]
