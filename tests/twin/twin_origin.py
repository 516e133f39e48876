"""The twin's media origin from the test's side: put objects, read what it was asked."""

from __future__ import annotations

import re

from twin.seed import client


def put_object(twin, key: str, cache_control: str | None, body: bytes = b"x" * 64,
               content_type: str = "text/plain") -> None:
    """An object straight into the S3 stand-in, with the headers the test chooses."""
    extra = {"CacheControl": cache_control} if cache_control else {}
    client("s3", twin.state.moto_url).put_object(
        Bucket=twin.state.bucket, Key=key, Body=body, ContentType=content_type, **extra)


def origin_gets(twin, key: str) -> int:
    """GETs of one key the S3 stand-in has answered, from its request log (moto's werkzeug
    access log): the edge's requests as the origin saw them."""
    log = (twin.logs / "moto.log").read_text(errors="replace")
    log = re.sub(r"\x1b\[[0-9;]*m", "", log)  # werkzeug colours the lines of errors
    return log.count(f'"GET /{twin.state.bucket}/{key} HTTP/')
