"""Invalidation paths are encoded as CloudFront requires, and the twin's bans match them."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest

from edge.invalidation import check_invalidation_path, invalidation_path
from media.publisher import prune_paths
from twin.edge.varnish import ban_expression

# key, wildcard, path CloudFront matches
CASES = [
    ("video/t01/720p/seg-00001.ts", False, "/video/t01/720p/seg-00001.ts"),
    ("player/app v2.js", False, "/player/app%20v2.js"),
    ("posters/t01-été.jpg", False, "/posters/t01-%C3%A9t%C3%A9.jpg"),
    ("posters/日本.jpg", False, "/posters/%E6%97%A5%E6%9C%AC.jpg"),
    ("docs/a#b?c%d.txt", False, "/docs/a%23b%3Fc%25d.txt"),
    ('docs/<x>{y}|z\\^[w]`"~.txt', False,
     "/docs/%3Cx%3E%7By%7D%7Cz%5C%5E%5Bw%5D%60%22%7E.txt"),
    ("docs/kept$&'()+,;=:@!.txt", False, "/docs/kept$&'()+,;=:@!.txt"),
    ("docs/star*.txt", False, "/docs/star%2A.txt"),
    ("video/a b/", True, "/video/a%20b/*"),
    ("video/été/", True, "/video/%C3%A9t%C3%A9/*"),
]


@pytest.mark.parametrize(("key", "wildcard", "path"), CASES, ids=[c[0] for c in CASES])
def test_keys_become_the_paths_cloudfront_matches(key: str, wildcard: bool, path: str) -> None:
    assert invalidation_path(key, wildcard) == path
    assert check_invalidation_path(path) == path


@pytest.mark.parametrize("path", [
    "player/app.js",            # no leading slash
    "/player/app v2.js",        # raw space
    "/posters/été.jpg",         # raw non-ASCII
    "/video/*/seg.ts",          # wildcard inside the path
    "/video/**",                # two wildcards
    "/docs/100%.txt",           # a lone percent sign
    '/x"; ban req.url ~ .',     # quote and space: would break out of the ban
])
def test_paths_cloudfront_refuses_are_refused(path: str) -> None:
    with pytest.raises(ValueError, match="invalidation path"):
        check_invalidation_path(path)
    with pytest.raises(ValueError):
        ban_expression(path)


def test_prune_wildcards_and_exact_paths_are_encoded() -> None:
    stale = ["video/a b/720p/seg 1.ts", "posters/été.jpg"]
    published = {"posters/kept.jpg", "video/other/master.m3u8"}
    assert prune_paths(stale, published) == ["/video/a%20b/*", "/posters/%C3%A9t%C3%A9.jpg"]


def _ban_regex(path: str) -> re.Pattern[str]:
    match = re.fullmatch(r'obj\.http\.X-Edge-Path ~ "(.*)"', ban_expression(path))
    assert match is not None
    return re.compile(match.group(1))


# The URL a viewer (browser, hls.js, requests) sends for a key.
@pytest.mark.parametrize(("key", "wildcard", "path"), CASES, ids=[c[0] for c in CASES])
def test_the_twins_ban_matches_what_viewers_send(key: str, wildcard: bool, path: str) -> None:
    regex = _ban_regex(path)
    sent = "/" + quote(key, safe="/$&'()+,;=:@!*~")
    if wildcard:
        assert regex.match(sent + "index.m3u8")
    else:
        assert regex.match(sent)
        assert regex.match(sent.lower() if "%" in sent and sent.isascii() else sent)
        assert not regex.match(sent + "x")
    assert not regex.match("/other" + sent)


def test_encoded_octets_match_in_either_hex_case_and_tilde_raw_or_encoded() -> None:
    regex = _ban_regex(invalidation_path("posters/t01-été~1.jpg"))
    for sent in ("/posters/t01-%C3%A9t%C3%A9~1.jpg", "/posters/t01-%c3%a9t%c3%a9%7e1.jpg"):
        assert regex.match(sent)
    assert not regex.match("/posters/t01-%C3%A8t%C3%A9~1.jpg")
