"""CloudFront's own rules (`edge.cloudfront`): path patterns, Cache-Control, the one TTL
precedence behind the object TTL and the error TTL, and the managed-policy tables."""

from __future__ import annotations

import pytest

from edge.cloudfront import (
    MANAGED_CACHE_POLICIES,
    MANAGED_CACHE_POLICY_TTLS,
    MANAGED_ORIGIN_REQUEST_FORWARDS,
    MANAGED_ORIGIN_REQUEST_POLICIES,
    error_ttl,
    object_ttl,
    origin_ttl,
    parse_cache_control,
    path_matches,
    path_pattern_regex,
)

# A cache policy (min 10, default 100, max 1000) and one with min 0.
POLICY = {"min_ttl": 10, "default_ttl": 100, "max_ttl": 1000}
ZERO_MIN = {"min_ttl": 0, "default_ttl": 100, "max_ttl": 1000}
# A 404 whose Error Caching Minimum TTL is 10, under a behaviour whose max TTL is 1000.
ERROR_404 = {"error_min_ttl": 10, "max_ttl": 1000}


def test_path_patterns_are_anchored_and_literal():
    assert path_pattern_regex("/video/*.m3u8") == r"^/video/.*\.m3u8$"
    assert path_pattern_regex("/a?c") == "^/a.c$"


@pytest.mark.parametrize(("pattern", "path", "matches"), [
    ("/video/*.m3u8", "/video/t01/720p/index.m3u8", True),   # '*' spans '/'
    ("/video/*.m3u8", "/video/t01/seg.ts", False),
    ("/video/*.m3u8", "/video/t01/indexXm3u8", False),       # '.' is literal
    ("/a?c", "/abc", True),
    ("/a?c", "/ac", False),                                  # '?' is exactly one
    ("/API/*", "/api/v1", False),                            # case-sensitive
    ("/healthz", "/healthz/x", False),                       # anchored at the end
    ("*", "/anything?at=all", True),
    ("/a+b(c)/*", "/a+b(c)/x", True),                        # regex characters are literal
    ("/a+b(c)/*", "/aab(c)/x", False),
])
def test_path_pattern_matching(pattern, path, matches):
    assert path_matches(pattern, path) is matches


def test_parse_cache_control_reads_numbers_and_flags():
    assert parse_cache_control('public, max-age=60, s-maxage="300", immutable') == {
        "public": None,
        "max-age": 60,
        "s-maxage": 300,
        "immutable": None,
    }


def test_parse_cache_control_marks_invalid_arguments_as_none():
    assert parse_cache_control("max-age=abc, s-maxage=-5, stale-if-error") == {
        "max-age": None, "s-maxage": None, "stale-if-error": None}
    assert parse_cache_control(" MAX-AGE = 7 ") == {"max-age": 7}


def test_several_field_lines_are_one_list_and_the_first_occurrence_counts():
    assert parse_cache_control(["public", "max-age=120"]) == {"public": None, "max-age": 120}
    assert parse_cache_control(["max-age=120", "max-age=30"])["max-age"] == 120
    assert parse_cache_control("max-age=abc, max-age=30")["max-age"] is None
    assert parse_cache_control([]) == parse_cache_control(None) == {}


def test_delta_seconds_past_2_31_count_as_2_31():
    assert parse_cache_control("max-age=99999999999999")["max-age"] == 2**31


class TestOriginTtl:
    """The one precedence: s-maxage, else max-age, else Expires; invalid is stale."""

    def test_no_lifetime_without_the_headers(self):
        assert origin_ttl(parse_cache_control("public")) is None
        assert origin_ttl({}, None) is None

    def test_s_maxage_beats_max_age_beats_expires(self):
        assert origin_ttl(parse_cache_control("max-age=50, s-maxage=200"), 700) == 200
        assert origin_ttl(parse_cache_control("max-age=50"), 700) == 50
        assert origin_ttl({}, 700) == 700

    def test_an_invalid_max_age_is_stale_and_hides_expires(self):
        assert origin_ttl(parse_cache_control("max-age=abc"), 700) == 0

    def test_an_invalid_s_maxage_is_stale_and_hides_max_age(self):
        assert origin_ttl(parse_cache_control("s-maxage=abc, max-age=120")) == 0

    def test_a_valid_s_maxage_beside_an_invalid_max_age_decides(self):
        assert origin_ttl(parse_cache_control("s-maxage=120, max-age=abc"), 700) == 120

    def test_a_max_age_without_argument_is_invalid(self):
        assert origin_ttl(parse_cache_control("max-age"), 700) == 0

    def test_expires_in_the_past_is_stale(self):
        assert origin_ttl({}, -30) == 0


class TestObjectTtl:
    """Objects: CloudFront's clamps around the origin's lifetime ("expiration")."""

    def test_no_header_gives_default(self):
        assert object_ttl(None, **POLICY) == 100
        assert object_ttl("public", **POLICY) == 100

    def test_the_disputed_case_invalid_max_age_beside_expires_is_the_minimum(self):
        # Neither the default TTL (100) nor the Expires date (700): stale, clamped up.
        assert object_ttl("max-age=abc", 700, **POLICY) == 10
        assert object_ttl("max-age=abc", 700, **ZERO_MIN) == 0

    def test_an_invalid_max_age_alone_is_the_minimum(self):
        assert object_ttl("max-age=abc", **POLICY) == 10

    def test_s_maxage_beside_an_invalid_max_age(self):
        assert object_ttl("s-maxage=500, max-age=abc", 700, **POLICY) == 500
        assert object_ttl("s-maxage=abc, max-age=500", 700, **POLICY) == 10

    def test_expires_ahead_and_in_the_past(self):
        assert object_ttl(None, 700, **POLICY) == 700
        assert object_ttl(None, -30, **POLICY) == 10
        assert object_ttl(None, -30, **ZERO_MIN) == 0

    def test_several_cache_control_lines(self):
        assert object_ttl(["public", "max-age=500"], 700, **POLICY) == 500
        assert object_ttl(["max-age=500", "max-age=50"], **POLICY) == 500
        assert object_ttl(["max-age=500", "no-store"], **ZERO_MIN) == 0

    def test_refusals_are_honoured_only_with_min_ttl_zero(self):
        assert object_ttl("private, max-age=500", **ZERO_MIN) == 0
        assert object_ttl("private, max-age=500", **POLICY) == 10


class TestErrorTtlPrecedence:
    """Errors read the origin's lifetime through the same function as objects."""

    def test_the_disputed_case_invalid_max_age_beside_expires_is_the_minimum(self):
        assert error_ttl(404, "max-age=abc", 700, **ERROR_404) == 10

    def test_an_invalid_max_age_alone_is_the_minimum(self):
        assert error_ttl(503, "max-age=abc", error_min_ttl=5, max_ttl=1000) == 5

    def test_s_maxage_beside_an_invalid_max_age(self):
        assert error_ttl(404, "s-maxage=500, max-age=abc", 700, **ERROR_404) == 500
        assert error_ttl(404, "s-maxage=abc, max-age=500", 700, **ERROR_404) == 10

    def test_expires_ahead_and_in_the_past(self):
        assert error_ttl(404, None, 700, **ERROR_404) == 700
        assert error_ttl(404, None, -30, **ERROR_404) == 10

    def test_several_cache_control_lines(self):
        assert error_ttl(404, ["public", "max-age=500"], 700, **ERROR_404) == 500
        assert error_ttl(404, ["max-age=500", "max-age=50"], **ERROR_404) == 500
        assert error_ttl(404, ["max-age=500", "no-store"], **ERROR_404) == 0   # honoured
        assert error_ttl(503, ["max-age=500", "no-store"], **ERROR_404) == 500  # ignored

    @pytest.mark.parametrize(("cache_control", "expires_in"), [
        ("max-age=abc", 700), ("max-age=abc", None), ("s-maxage=500, max-age=abc", 700),
        ("s-maxage=abc, max-age=500", None), (None, -30), (None, 700),
        (["public", "max-age=500"], None), (["max-age=500", "max-age=50"], 700),
        ("max-age=2000", None), (None, None),
    ])
    def test_object_and_error_ttls_read_the_same_lifetime(self, cache_control, expires_in):
        """Clamped the same way, the two TTLs agree: there is one precedence."""
        lifetime = origin_ttl(parse_cache_control(cache_control), expires_in)
        obj = object_ttl(cache_control, expires_in, min_ttl=0, default_ttl=0, max_ttl=1000)
        err = error_ttl(404, cache_control, expires_in, error_min_ttl=0, max_ttl=1000)
        assert obj == err == min(lifetime or 0, 1000)


def test_managed_tables_name_the_same_policies():
    assert MANAGED_CACHE_POLICY_TTLS.keys() == MANAGED_CACHE_POLICIES.keys()
    assert MANAGED_ORIGIN_REQUEST_FORWARDS.keys() == MANAGED_ORIGIN_REQUEST_POLICIES.keys()
    for min_ttl, default_ttl, max_ttl in MANAGED_CACHE_POLICY_TTLS.values():
        assert 0 <= min_ttl <= default_ttl <= max_ttl
