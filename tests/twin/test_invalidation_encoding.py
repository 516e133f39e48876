"""Publish, cache, republish: the publisher's encoded invalidation reaches the twin's cache
for keys with spaces, non-ASCII and reserved characters."""

from __future__ import annotations

import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
import requests

from media.publisher import publish
from twin.seed import client

HIT = "Hit from cloudfront"


@pytest.mark.parametrize("name", ["app v2.js", "t01-été.js", "a+b~c@d.js", "日本 (1).js"])
def test_republished_key_is_invalidated_and_served_fresh(twin, cdn, tmp_path: Path, name: str):
    key = f"player/{uuid.uuid4().hex[:6]}-{name}"
    url = cdn + "/" + quote(key, safe="/+~@()")
    source = tmp_path / "script.js"

    def publish_body(body: bytes) -> list[str]:
        source.write_bytes(body)
        report = publish(
            twin._library, twin.state.bucket, extra_files={key: source},
            invalidate=twin.invalidate, progress=False, probe=False,
            s3=client("s3", twin.state.moto_url), edge_config=twin.edge,
        )
        return report.invalidated

    assert publish_body(b"// old") == []  # a new key: nothing cached to invalidate
    assert requests.get(url, timeout=5).text == "// old"
    cached = requests.get(url, timeout=5)
    assert cached.text == "// old" and cached.headers["X-Cache"] == HIT
    invalidated = publish_body(b"// new")
    assert len(invalidated) == 1 and invalidated[0].isascii() and " " not in invalidated[0]
    fresh = requests.get(url, timeout=5)
    assert fresh.text == "// new"
    assert fresh.headers["X-Cache"] != HIT
