"""The short-grant twin's figures, shared by its fixture (conftest.py) and its tests."""

# A grant of the minimum signedCookieTtl, and a title long enough to outlive two of them.
SHORT_GRANT_TTL, LONG_TITLE_SECONDS = 60, 140
