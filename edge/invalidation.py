"""CloudFront invalidation paths: how an object key is written so CloudFront matches it.

Source: Amazon CloudFront Developer Guide, "What you need to know when invalidating
paths" (invalidation-specifying-objects.html): a path starts with '/', is case
sensitive, may end in one '*' wildcard (never inside the path), and non-ASCII
characters or characters RFC 1738 (section 2.2) calls unsafe are URL-encoded, as
UTF-8 octets; other characters are sent as they are, or CloudFront does not match the
cached object. A key's literal '?' (else the start of a query string), '*' (else a
wildcard) and '%' are encoded too, so the path names exactly that key.

Used by the media publisher (`media/publisher.py`) to write paths and by the twin's
Varnish edge (`twin/edge/varnish.py`) to match them. Standard library only.
"""

from __future__ import annotations

import re

WILDCARD = "*"
# RFC 1738 section 2.2 "unsafe" characters, plus '?', '*' and '%' as said above.
_UNSAFE = frozenset(' <>"#%{}|\\^~[]`?*')
_ENCODED = re.compile(r"%[0-9A-Fa-f]{2}")
# A valid path: '/', then safe printable ASCII or %XX octets, then an optional final '*'.
_PATH = re.compile(r"/(?:[!$&'()+,\-./0-9:;=@A-Z_a-z]|%[0-9A-Fa-f]{2})*\*?")


def _encode(text: str) -> str:
    return "".join(
        chr(octet) if 0x20 < octet < 0x7F and chr(octet) not in _UNSAFE else f"%{octet:02X}"
        for octet in text.encode("utf-8")
    )


def invalidation_path(key: str, wildcard: bool = False) -> str:
    """The invalidation path for an S3 object key (e.g. 'posters/t01-été.jpg' ->
    '/posters/t01-%C3%A9t%C3%A9.jpg'); with `wildcard`, the key is a folder or prefix and
    the path ends in '*' ('video/a b/' -> '/video/a%20b/*')."""
    return "/" + _encode(key) + (WILDCARD if wildcard else "")


def check_invalidation_path(path: str) -> str:
    """`path` itself if CloudFront accepts it as written; ValueError naming the path otherwise."""
    if not _PATH.fullmatch(path):
        raise ValueError(
            f"invalidation path {path!r}: must start with '/', encode non-ASCII and RFC 1738 "
            "unsafe characters as %XX, and may end in one '*'"
        )
    return path


def path_tokens(path: str) -> list[str]:
    """A checked path split into single characters, '%XX' octets (hex upper-cased) and a
    final '*': the units a matcher compares one by one."""
    check_invalidation_path(path)
    tokens: list[str] = []
    index = 0
    while index < len(path):
        if path[index] == "%":
            tokens.append(path[index : index + 3].upper())
            index += 3
        else:
            tokens.append(path[index])
            index += 1
    return tokens
