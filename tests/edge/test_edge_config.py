"""The edge-config format: the shipped file is valid, and bad files fail naming the key."""

from __future__ import annotations

import copy
import re

import pytest
import yaml

from app.openapi import SPEC
from edge.cloudfront import CACHED_ERROR_CODES, DEFAULT_ERROR_CACHING_MIN_TTL
from edge.config import (
    EDGE_CONFIG_FILE,
    Behavior,
    CachePolicy,
    EdgeConfigError,
    load_edge_config,
    parse_edge_config,
)


@pytest.fixture(scope="module")
def raw() -> dict:
    return yaml.safe_load(EDGE_CONFIG_FILE.read_text())


@pytest.fixture(scope="module")
def edge():
    return load_edge_config()


def broken(raw: dict, mutate) -> str:
    data = copy.deepcopy(raw)
    mutate(data)
    with pytest.raises(EdgeConfigError) as info:
        parse_edge_config(data)
    return str(info.value)


def test_shipped_edge_config_loads(edge):
    assert edge.behaviors[-1].path == "*"
    assert {"media", "api"} <= set(edge.origins)


@pytest.mark.parametrize(
    ("path", "behavior", "policy"),
    [
        ("/api/v1/titles", "/api/*", "api"),
        ("/healthz", "/healthz", "no-cache"),
        ("/video/t01-x/master.m3u8", "/video/*.m3u8", "video-playlists"),
        ("/video/t01-x/720p/index.m3u8", "/video/*.m3u8", "video-playlists"),
        ("/video/t01-x/720p/seg_00001.ts", "/video/*", "video-segments"),
        ("/index.html", "*", "static"),
        ("/posters/t01-x.jpg", "*", "static"),
    ],
)
def test_behaviour_matching_follows_cloudfront_first_match(edge, path, behavior, policy):
    chosen = edge.behavior_for(path)
    assert (chosen.path, chosen.cache_policy) == (behavior, policy)


def test_video_behaviours_and_only_they_are_signed(edge):
    signed = {b.path for b in edge.behaviors if b.signed}
    assert signed == {"/video/*.m3u8", "/video/*"}


def test_every_behaviour_redirects_to_https_with_security_headers(edge):
    for b in edge.behaviors:
        assert b.viewer_protocol in ("redirect-to-https", "https-only")
        headers = edge.response_headers_policies[b.response_headers_policy].headers()
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Strict-Transport-Security"].startswith("max-age=")


@pytest.mark.parametrize(
    ("key", "cls"),
    [
        ("video/t01-x/240p/seg_00000.ts", "segment"),
        ("video/t01-x/master.m3u8", "playlist"),
        ("video/t01-x/480p/index.m3u8", "playlist"),
        ("catalog.json", "catalog"),
        ("posters/t01-x.jpg", "poster"),
        ("index.html", "page"),
        ("player/hls.min.js", "script"),
    ],
)
def test_object_classes_cover_the_library(edge, key, cls):
    assert edge.object_class(key).name == cls


def test_unknown_object_key_has_no_class(edge):
    assert edge.object_class("video/t01-x/notes.txt") is None
    assert edge.object_class("posters/nested/x.jpg") is None


class TestEffectiveTtl:
    policy = CachePolicy(min_ttl=10, default_ttl=100, max_ttl=1000)
    zero_min = CachePolicy(min_ttl=0, default_ttl=100, max_ttl=1000)

    def test_no_header_gives_default(self):
        assert self.policy.effective_ttl(None) == 100

    def test_max_age_is_clamped_to_the_range(self):
        assert self.policy.effective_ttl("max-age=5") == 10
        assert self.policy.effective_ttl("max-age=500") == 500
        assert self.policy.effective_ttl("max-age=5000") == 1000

    def test_s_maxage_beats_max_age_beats_expires(self):
        assert self.policy.effective_ttl("max-age=50, s-maxage=200", expires_in=700) == 200
        assert self.policy.effective_ttl("max-age=50", expires_in=700) == 50
        assert self.policy.effective_ttl(None, expires_in=700) == 700

    def test_no_store_is_honoured_only_when_min_ttl_is_zero(self):
        assert self.zero_min.effective_ttl("private, no-store") == 0
        assert self.policy.effective_ttl("private, no-store") == 10

    def test_invalid_max_age_beside_expires_is_stale_not_default(self):
        # The case the two former copies disagreed on (default TTL vs 700 s): edge.cloudfront.
        assert self.policy.effective_ttl("max-age=abc", expires_in=700) == 10
        assert self.zero_min.effective_ttl("max-age=abc", expires_in=700) == 0

    def test_caching_disabled_never_caches(self, edge):
        assert edge.cache_policies["no-cache"].effective_ttl("public, max-age=600") == 0


class TestErrorTtl:
    """CloudFront's error caching ("Control how long CloudFront caches errors"), per behaviour."""

    @pytest.fixture(autouse=True)
    def _edge(self, edge):
        self.edge = edge
        self.segments = edge.behavior_for("/video/t01-x/240p/seg_00001.ts")  # max 1 year
        self.playlists = edge.behavior_for("/video/t01-x/master.m3u8")  # max 86400
        self.api = edge.behavior_for("/api/v1/titles")  # max 300, all methods
        self.healthz = edge.behavior_for("/healthz")  # CachingDisabled

    def ttl(self, status, cache_control=None, expires_in=None, behavior=None, method="GET"):
        return self.edge.error_ttl(status, cache_control, expires_in,
                                   behavior=behavior or self.segments, method=method)

    def test_shipped_config_decides_every_cached_code(self):
        assert {e.code for e in self.edge.error_caching} == CACHED_ERROR_CODES
        assert self.edge.error_caching_min_ttl(404) == self.edge.error_caching_min_ttl(403) == 10
        assert {self.edge.error_caching_min_ttl(c) for c in range(500, 505)} == {5}

    def test_no_header_gives_the_error_caching_min_ttl(self):
        assert self.ttl(404) == 10
        assert self.ttl(503) == 5
        assert self.ttl(403, "public") == 10  # other directives: the same

    def test_a_longer_max_age_s_maxage_or_expires_wins(self):
        assert self.ttl(404, "max-age=60") == 60
        assert self.ttl(503, "max-age=60, s-maxage=120") == 120
        assert self.ttl(500, None, expires_in=90) == 90
        assert self.ttl(500, "max-age=30", expires_in=90) == 30  # max-age beats Expires

    def test_invalid_max_age_beside_expires_gives_the_min_ttl_not_expires(self):
        # The case the two former copies disagreed on (default TTL vs 700 s): edge.cloudfront.
        assert self.ttl(404, "max-age=abc", expires_in=700) == 10
        assert self.ttl(503, ["public", "max-age=abc"], expires_in=700) == 5

    def test_a_shorter_header_value_cannot_shorten_the_min_ttl(self):
        assert self.ttl(404, "max-age=1") == 10
        assert self.ttl(502, "s-maxage=0") == 5
        assert self.ttl(504, None, expires_in=-30) == 5  # Expires in the past

    def test_header_value_is_capped_at_the_behaviours_max_ttl(self):
        assert self.ttl(404, "max-age=100000", behavior=self.segments) == 100000
        assert self.ttl(404, "max-age=100000", behavior=self.playlists) == 86400
        assert self.ttl(404, "max-age=100000", behavior=self.api) == 300
        assert self.ttl(404, None, expires_in=10**6, behavior=self.api) == 300

    def test_the_cap_never_goes_below_the_min_ttl(self):
        # CachingDisabled has max TTL 0: the origin's value counts for nothing, the minimum
        # still applies (assumed: the error TTL is the distribution's, not the policy's).
        assert self.ttl(503, "max-age=600", behavior=self.healthz) == 5
        assert self.ttl(404, None, behavior=self.healthz) == 10

    @pytest.mark.parametrize("directive", ["no-store", "no-cache", "private",
                                           "private, no-store", "max-age=600, no-cache"])
    @pytest.mark.parametrize("status", [404, 414, 501])
    def test_no_store_no_cache_private_are_honoured_for_404_414_501(self, status, directive):
        assert self.ttl(status, directive) == 0

    @pytest.mark.parametrize("status", [400, 403, 405, 500, 502, 503, 504])
    def test_no_store_is_ignored_for_every_other_code(self, edge, status):
        assert self.ttl(status, "private, no-store") == edge.error_caching_min_ttl(status) > 0
        assert self.ttl(status, "no-cache, max-age=60") == 60

    @pytest.mark.parametrize("status", [416, 410, 401, 429, 200, 301, 304])
    def test_codes_cloudfront_does_not_cache_as_errors(self, status):
        assert self.ttl(status) == 0
        assert self.ttl(status, "max-age=600") == 0
        assert self.edge.error_caching_min_ttl(status) == 0

    @pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
    def test_only_cacheable_requests_are_cached(self, method):
        assert self.ttl(500, behavior=self.api, method=method) == 0
        assert self.ttl(500, behavior=self.api, method="GET") == 5
        assert self.ttl(404, behavior=self.api, method="head") == 10

    def test_options_is_cached_only_where_the_behaviour_caches_it(self):
        assert "OPTIONS" in self.api.cached_methods
        assert self.ttl(503, behavior=self.api, method="OPTIONS") == 5
        get_head = Behavior(path="/x/*", origin="media", cache_policy="static",
                            response_headers_policy="secure", allowed_methods=["GET", "HEAD"])
        assert self.ttl(503, behavior=get_head, method="OPTIONS") == 0

    def test_a_code_edge_config_leaves_out_gets_cloudfronts_default(self, raw):
        data = copy.deepcopy(raw)
        data["error_caching"] = [e for e in data["error_caching"] if e["code"] != 502]
        edge = parse_edge_config(data)
        assert edge.error_caching_min_ttl(502) == DEFAULT_ERROR_CACHING_MIN_TTL == 10
        assert edge.error_ttl(502, None, behavior=edge.behaviors[-1]) == 10


def test_error_caching_for_a_code_cloudfront_cannot_customise_is_refused(raw):
    msg = broken(raw, lambda d: d["error_caching"].append({"code": 410, "min_ttl": 10}))
    assert str(EDGE_CONFIG_FILE) in msg
    assert f"error_caching.{len(raw['error_caching'])}.code" in msg and "416" in msg


def test_error_caching_ttl_out_of_range_is_refused(raw):
    msg = broken(raw, lambda d: d["error_caching"][0].update(min_ttl=31536001))
    assert "error_caching.0.min_ttl" in msg
    msg = broken(raw, lambda d: d["error_caching"][0].update(min_ttl=-1))
    assert "error_caching.0.min_ttl" in msg


def test_duplicate_error_caching_code_is_refused(raw):
    msg = broken(raw, lambda d: d["error_caching"].append({"code": 404, "min_ttl": 60}))
    assert str(EDGE_CONFIG_FILE) in msg
    assert f"error_caching.{len(raw['error_caching'])}.code: duplicate status code 404" in msg


def test_misspelt_error_caching_key_is_named(raw):
    msg = broken(raw, lambda d: d["error_caching"][0].update(min_tll=5))
    assert "error_caching.0.min_tll" in msg


def test_behaviour_to_unknown_origin_names_the_behaviour(raw):
    msg = broken(raw, lambda d: d["behaviors"][0].update(origin="nowhere"))
    assert "behaviors.0 (/api/*).origin: unknown 'nowhere'" in msg


def test_misspelt_key_is_named(raw):
    msg = broken(raw, lambda d: d["cache_policies"]["static"].update(defualt_ttl=5))
    assert "cache_policies.static.defualt_ttl" in msg
    assert str(EDGE_CONFIG_FILE) in msg


def test_ttls_out_of_order_are_refused(raw):
    msg = broken(raw, lambda d: d["cache_policies"]["static"].update(min_ttl=900, max_ttl=600))
    assert "cache_policies.static" in msg and "min_ttl <= default_ttl <= max_ttl" in msg


def test_ttl_above_a_year_is_refused(raw):
    msg = broken(raw, lambda d: d["cache_policies"]["static"].update(max_ttl=10**9))
    assert "cache_policies.static.max_ttl" in msg


def test_default_behaviour_must_be_last(raw):
    msg = broken(raw, lambda d: d["behaviors"].reverse())
    assert "default '*' behaviour" in msg


def test_cors_that_varies_needs_origin_in_the_cache_key(raw):
    def narrow(d):
        d["response_headers_policies"]["secure-cors"]["cors"]["allow_origins"] = [
            "https://player.example.com"
        ]

    msg = broken(raw, narrow)
    assert "'Origin' must be in the cache key" in msg


def test_unknown_managed_policy_lists_the_allowed(raw):
    msg = broken(raw, lambda d: d["cache_policies"]["no-cache"].update(managed="CachingNever"))
    assert "CachingDisabled" in msg and "cache_policies.no-cache" in msg


def test_invalid_method_set_is_refused(raw):
    msg = broken(raw, lambda d: d["behaviors"][0].update(allowed_methods=["GET", "POST"]))
    assert "behaviors.0" in msg and "allowed_methods" in msg


def test_signed_api_behaviour_is_refused(raw):
    msg = broken(raw, lambda d: d["behaviors"][0].update(signed=True))
    assert "only media (s3) behaviours carry signed cookies" in msg


def test_unreadable_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "edge.yaml"
    bad.write_text("behaviors: [\n")
    with pytest.raises(EdgeConfigError, match="cannot read edge-config"):
        load_edge_config(bad)


def test_viewer_function_keeps_exactly_the_api_query_parameters():
    """The CloudFront Function cannot import the spec, so this test ties the two."""
    source = (EDGE_CONFIG_FILE.parent / "functions" / "viewer-request.js").read_text()
    kept = set(re.findall(r"(\w+): 1", re.search(r"var API_PARAMS = \{([^}]*)\}", source)[1]))
    query = {
        p["name"]
        for path in SPEC["paths"].values()
        for op in path.values()
        for p in op.get("parameters", [])
        if p.get("in") == "query"
    }
    assert kept == query


def test_api_origin_is_https_with_an_origin_certificate_else_its_http_fallback(edge):
    api = edge.origins["api"]
    assert edge.alb_origin is api
    assert api.protocol_for(origin_certificate=True) == "https-only"
    assert api.protocol_for(origin_certificate=False) == "http-only"


def test_https_alb_origin_needs_a_fallback_for_stacks_without_a_certificate(raw):
    msg = broken(raw, lambda d: d["origins"]["api"].pop("fallback_protocol"))
    assert str(EDGE_CONFIG_FILE) in msg
    assert "origins.api" in msg and "fallback_protocol: required" in msg


def test_fallback_protocol_must_be_http_only(raw):
    msg = broken(raw, lambda d: d["origins"]["api"].update(fallback_protocol="https-only"))
    assert "origins.api.fallback_protocol" in msg


def test_origin_protocol_is_an_enum(raw):
    msg = broken(raw, lambda d: d["origins"]["api"].update(protocol="https"))
    assert "origins.api.protocol" in msg


def test_s3_origin_takes_no_fallback_protocol(raw):
    msg = broken(raw, lambda d: d["origins"]["media"].update(fallback_protocol="http-only"))
    assert "origins.media" in msg and "only alb origins" in msg
