"""Runtime settings of the playback API, read from the environment in one place."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


@dataclass(frozen=True)
class Settings:
    """Every knob of the API; defaults suit the local twin on loopback."""

    bucket: str = "edgeflix-media"
    catalog_key: str = "catalog.json"
    signing_secret_id: str = "edgeflix/cloudfront-signing-key"
    table: str = "edgeflix-plays"
    key_pair_id: str = "K2JCJMDEHXQW5F"
    cdn_url: str = "http://127.0.0.1:8080"
    cookie_ttl: int = 600
    cookie_secure: bool = True
    region: str = "us-east-1"
    endpoint_url: str | None = None
    # How often the catalog is re-fetched with a conditional GET; 0 disables the
    # background refresher (tests call CatalogStore.refresh() themselves).
    catalog_refresh_seconds: float = 30.0
    # Plays are batched and written by a background writer this often; 0 writes
    # them synchronously on the request path (used by tests that read them back).
    play_flush_seconds: float = 1.0
    # Budget for the DynamoDB part of a recommendation before falling back.
    recommendation_deadline_seconds: float = 0.25
    # Per-profile playback authorisations per minute in one worker; 0 disables.
    plays_per_minute: int = 60
    max_body_bytes: int = 4096

    @property
    def cdn_base(self) -> str:
        """The CDN base URL without a trailing slash."""
        return self.cdn_url.rstrip("/")

    def with_overrides(self, overrides: Mapping[str, Any]) -> Settings:
        """A copy with the given fields replaced (tests pass plain dicts)."""
        known = {f.name for f in fields(self)}
        unknown = set(overrides) - known
        if unknown:
            raise ValueError(f"unknown settings: {sorted(unknown)}")
        return replace(self, **dict(overrides))


def _flag(name: str, value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(f"{name}={value!r}: expected true or false")


def _number(name: str, value: str, kind: type, minimum: float) -> Any:
    try:
        parsed = kind(value)
    except ValueError:
        raise ValueError(f"{name}={value!r}: expected a {kind.__name__}") from None
    if parsed < minimum:
        raise ValueError(f"{name}={value!r}: must be >= {minimum}")
    return parsed


def settings_from_environment(env: Mapping[str, str] | None = None) -> Settings:
    """Build Settings from EDGEFLIX_* and the standard AWS variables."""
    env = os.environ if env is None else env
    defaults = Settings()
    get = env.get
    ttl = _number("EDGEFLIX_COOKIE_TTL", get("EDGEFLIX_COOKIE_TTL", "600"), int, 60)
    return Settings(
        bucket=get("EDGEFLIX_BUCKET", defaults.bucket),
        catalog_key=get("EDGEFLIX_CATALOG_KEY", defaults.catalog_key),
        signing_secret_id=get("EDGEFLIX_SIGNING_SECRET_ID", defaults.signing_secret_id),
        table=get("EDGEFLIX_TABLE", defaults.table),
        key_pair_id=get("EDGEFLIX_KEY_PAIR_ID", defaults.key_pair_id),
        cdn_url=get("EDGEFLIX_CDN_URL", defaults.cdn_url),
        cookie_ttl=ttl,
        cookie_secure=_flag("EDGEFLIX_COOKIE_SECURE", get("EDGEFLIX_COOKIE_SECURE", "true")),
        region=get("AWS_REGION") or get("AWS_DEFAULT_REGION") or defaults.region,
        endpoint_url=get("AWS_ENDPOINT_URL") or None,
        catalog_refresh_seconds=_number(
            "EDGEFLIX_CATALOG_REFRESH_SECONDS",
            get("EDGEFLIX_CATALOG_REFRESH_SECONDS", "30"),
            float,
            0,
        ),
        play_flush_seconds=_number(
            "EDGEFLIX_PLAY_FLUSH_SECONDS", get("EDGEFLIX_PLAY_FLUSH_SECONDS", "1"), float, 0
        ),
        recommendation_deadline_seconds=_number(
            "EDGEFLIX_RECOMMENDATION_DEADLINE_SECONDS",
            get("EDGEFLIX_RECOMMENDATION_DEADLINE_SECONDS", "0.25"),
            float,
            0.01,
        ),
        plays_per_minute=_number(
            "EDGEFLIX_PLAYS_PER_MINUTE", get("EDGEFLIX_PLAYS_PER_MINUTE", "60"), int, 0
        ),
    )
