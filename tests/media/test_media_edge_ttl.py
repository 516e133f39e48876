"""Effective edge TTLs of what we publish, by CloudFront's rules, from edge-config alone."""

from __future__ import annotations

import pytest

from edge.cloudfront import parse_cache_control

ONE_DAY = 86_400

# One published key per object class the publisher writes (or carries for the twin).
SAMPLE_KEYS = {
    "segment": "video/t01-x/240p/seg_00001.ts",
    "playlist": "video/t01-x/240p/index.m3u8",
    "master": "video/t01-x/master.m3u8",
    "catalog": "catalog.json",
    "poster": "posters/t01-x.jpg",
    "page": "index.html",
    "script": "player/hls.min.js",
}


def _edge_ttl(cfg, key: str) -> int:
    cls = cfg.object_class(key)
    assert cls is not None, f"no object class for {key}"
    return cfg.cache_policy_for("/" + key).effective_ttl(cls.cache_control)


@pytest.mark.parametrize("name", sorted(SAMPLE_KEYS))
def test_every_published_key_has_an_object_class(edge_config, name):
    assert edge_config.object_class(SAMPLE_KEYS[name]) is not None


def test_segments_stay_at_the_edge_at_least_a_day(edge_config):
    key = SAMPLE_KEYS["segment"]
    assert _edge_ttl(edge_config, key) >= ONE_DAY
    assert not edge_config.object_class(key).mutable
    assert "immutable" in parse_cache_control(edge_config.object_class(key).cache_control)


@pytest.mark.parametrize("name", ["playlist", "master"])
def test_playlists_live_as_configured_and_are_invalidated_on_change(edge_config, name):
    key = SAMPLE_KEYS[name]
    cls = edge_config.object_class(key)
    policy = edge_config.cache_policy_for("/" + key)
    directives = parse_cache_control(cls.cache_control)
    edge_seconds = directives.get("s-maxage", directives.get("max-age"))

    assert _edge_ttl(edge_config, key) == max(policy.min_ttl, min(policy.max_ttl, edge_seconds))
    assert 0 < _edge_ttl(edge_config, key) <= _edge_ttl(edge_config, SAMPLE_KEYS["segment"])
    assert cls.mutable, "a playlist that caches at the edge must be invalidated on republish"
    assert directives["max-age"] <= _edge_ttl(edge_config, key), \
        "browsers must not keep a playlist longer than the edge does"


def test_catalog_is_short_lived_and_mutable(edge_config):
    ttl = _edge_ttl(edge_config, SAMPLE_KEYS["catalog"])
    assert 0 < ttl < _edge_ttl(edge_config, SAMPLE_KEYS["playlist"])
    assert edge_config.object_class(SAMPLE_KEYS["catalog"]).mutable


def test_api_responses_are_not_cached(edge_config):
    policy = edge_config.cache_policy_for("/api/v1/titles/x/playback")
    assert policy.effective_ttl("private, no-store") == 0
    assert policy.effective_ttl(None) == 0


def test_video_paths_require_signed_cookies(edge_config):
    for name in ("segment", "playlist", "master"):
        assert edge_config.behavior_for("/" + SAMPLE_KEYS[name]).signed, name
    for name in ("catalog", "poster", "page", "script"):
        assert not edge_config.behavior_for("/" + SAMPLE_KEYS[name]).signed, name


def test_published_objects_carry_cacheable_headers(edge_config):
    for name, key in SAMPLE_KEYS.items():
        directives = parse_cache_control(edge_config.object_class(key).cache_control)
        assert "public" in directives, name
        assert not directives.keys() & {"no-store", "private"}, name
