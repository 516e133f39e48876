"""The short-grant twin's figures, shared by its fixture (conftest.py) and its tests."""

from media.sample import FEATURE_SECONDS

# A grant of the minimum signedCookieTtl, and the feature-length title of the `tiny`
# profile (20 minutes, the same library tests/media encodes, so the cache is shared).
SHORT_GRANT_TTL = 60
LONG_TITLE_PROFILE, LONG_TITLE_SECONDS = "tiny", FEATURE_SECONDS


def short_grant_twin_args(titles: int) -> dict:
    """Twin(...) keyword arguments for a twin of `titles` feature-length titles and
    60 s grants (stack, ports, run_dir and progress are the caller's)."""
    return {"titles": titles, "seconds": LONG_TITLE_SECONDS, "warm_top": 0,
            "profile": LONG_TITLE_PROFILE, "cookie_ttl": SHORT_GRANT_TTL}
