"""One place that decides how responses may be cached, and ETags for cached documents."""

from __future__ import annotations

import hashlib

from flask import Request

NO_STORE = "private, no-store"
# Catalog documents: browsers keep them a minute, the CDN five (edge-config caps the
# api cache policy at 300 s), and both revalidate with the ETag.
CATALOG = "public, max-age=60, s-maxage=300"
# Trending (GET /api/v1/trending): the same for every viewer and moving slowly (the
# plays it ranks by are cached per process for trending_cache_seconds), so browsers and
# the CDN share it briefly; a degraded list (ranked by popularity alone) only for
# seconds, so the real one is back soon after DynamoDB is.
TRENDING = "public, max-age=30, s-maxage=30"
TRENDING_DEGRADED = "public, max-age=5, s-maxage=5"
HEALTH = "no-store"


def strong_etag(body: bytes) -> str:
    """A strong ETag for a byte-exact representation."""
    return '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'


def not_modified(request: Request, etag: str) -> bool:
    """True when If-None-Match names this representation (weak comparison, RFC 9110)."""
    header = request.headers.get("If-None-Match")
    if not header:
        return False
    if header.strip() == "*":
        return True
    opaque = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == opaque for tag in header.split(","))
