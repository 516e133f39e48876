"""The short-grant twin's figures, shared by its fixture (conftest.py) and its tests."""

from media.sample import FEATURE_SECONDS

# A grant of the minimum signedCookieTtl, and the feature-length title of the `tiny`
# profile (20 minutes, the same library tests/media encodes, so the cache is shared).
SHORT_GRANT_TTL = 60
LONG_TITLE_PROFILE, LONG_TITLE_SECONDS = "tiny", FEATURE_SECONDS
