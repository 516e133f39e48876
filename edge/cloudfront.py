"""CloudFront's own rules, as plain tables and functions: what CloudFront does, whatever we
configure. `edge.config` (the edge-config schema) builds on them; the CloudFront component
(`infra/distribution.py`), the twin's nginx and Varnish renderers, the publisher (through
`edge.config`) and the tests import them from here. Standard library only: no Pulumi, Flask
or pydantic.

Sources, Amazon CloudFront Developer Guide unless said otherwise:
- "Cache behavior settings" (distribution-web-values-specify.html): path patterns ('*' any
  run of characters, '/' included; '?' exactly one; case-sensitive; first match in order)
  and the three allowed-methods sets.
- "Quotas" (cloudfront-limits.html), CloudFront Functions: at most 10 KB of function code.
- "Origin settings" (distribution-web-values-specify.html, Protocol): the origin protocol policies.
- "Use managed cache policies" (using-managed-cache-policies.html) and "Use managed origin
  request policies" (using-managed-origin-request-policies.html): the managed ids, TTLs and
  what each forwards.
- "Manage how long content stays in the cache (expiration)" (Expiration.html): without
  Cache-Control max-age/s-maxage or Expires an object lives the default TTL; with one, its
  value clamped to [minimum TTL, maximum TTL]; s-maxage beats max-age; with both max-age and
  Expires, CloudFront uses only max-age; no-store, no-cache and private are honoured when the
  minimum TTL is 0, else the object lives the minimum TTL.
- "Control how long CloudFront caches errors" (custom-error-pages-expiration.html) and "HTTP
  4xx and 5xx status codes that CloudFront caches" (HTTPStatusCodes.html): the cached codes
  (416 may be customised but is never cached), the 10 s default Error Caching Minimum TTL, an
  origin's max-age, s-maxage or Expires counting when longer than that minimum (capped at the
  behaviour's maximum TTL), and no-store/no-cache/private honoured only for 404, 410, 414, 501.

Where the guide is silent, HTTP's caching standard decides (CloudFront is a shared cache):
- Several Cache-Control field lines are one comma-separated list, in order (RFC 9110 §5.3).
- A directive given twice counts at its first occurrence (RFC 9111 §4.2.1 allows the first
  occurrence or treating the response as stale; the twin's Varnish reads the first too).
- A directive's argument is delta-seconds, in token or quoted form (RFC 9111 §1.2.2, §5.2);
  larger than 2**31 counts as 2**31 (§1.2.2).
- TTL precedence, decided once here (`origin_ttl`) for the object TTL and the error TTL alike:
  s-maxage, else max-age, else Expires. A present s-maxage or max-age decides even when its
  argument is not delta-seconds (`max-age=abc`): it still hides what ranks below it (RFC 9111
  §5.3: with max-age, and for a shared cache with s-maxage, Expires is ignored; §5.2.2.10:
  s-maxage overrides max-age), and such invalid freshness information makes the response stale
  on arrival, 0 s (§4.2.1), which CloudFront's clamps then raise to the minimum TTL (objects)
  or the Error Caching Minimum TTL (errors). An Expires in the past, or unreadable, is stale
  too (§5.3). So `Cache-Control: max-age=abc` beside an Expires 700 s ahead is neither the
  default TTL nor 700 s, but the minimum. This settles a drift between two former copies of
  the precedence, which gave the default TTL (objects) and 700 s (errors). The guide says
  nothing of malformed values, so this follows the standard, not an observed distribution.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import cache
from typing import Literal

ONE_YEAR = 31_536_000

# ---- behaviours ----------------------------------------------------------------------

# The allowed-methods sets a cache behaviour may take, in CloudFront's order.
METHOD_SETS = (
    ("GET", "HEAD"),
    ("GET", "HEAD", "OPTIONS"),
    ("GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"),
)


def path_pattern_regex(pattern: str) -> str:
    """A CloudFront path pattern as an anchored regular expression, the same text valid for
    Python's `re` and for PCRE (nginx): '*' is any run of characters, '/' included, '?'
    exactly one character, anything else literal and case-sensitive."""
    parts = []
    for c in pattern:
        if c == "*":
            parts.append(".*")
        elif c == "?":
            parts.append(".")
        elif c.isalnum() or c in "/_-":
            parts.append(c)
        else:
            parts.append("\\" + c)  # a backslash before punctuation is literal in both
    return "^" + "".join(parts) + "$"


@cache
def _compiled_path_pattern(pattern: str) -> re.Pattern[str]:
    return re.compile(path_pattern_regex(pattern))


def path_matches(pattern: str, path: str) -> bool:
    """Whether a URL path (no query string) matches a behaviour's path pattern."""
    return _compiled_path_pattern(pattern).fullmatch(path) is not None


# ---- origins and functions ----------------------------------------------------------

# CloudFront's origin protocol policies for a custom origin.
OriginProtocol = Literal["http-only", "https-only", "match-viewer"]
FUNCTION_CODE_MAX_BYTES = 10_240


# ---- managed policies ----------------------------------------------------------------

# Managed cache policies by name (edge-config says "managed: <Name>"): id, and TTLs as
# (minimum, default, maximum) seconds. Their cache keys hold no query string, cookie or header.
MANAGED_CACHE_POLICIES = {
    "CachingOptimized": "658327ea-f89d-4fab-a63d-7e88639e58f6",
    "CachingDisabled": "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
}
MANAGED_CACHE_POLICY_TTLS = {
    "CachingOptimized": (1, 86_400, ONE_YEAR),
    "CachingDisabled": (0, 0, 0),
}
MANAGED_ORIGIN_REQUEST_POLICIES = {
    "CORS-S3Origin": "88a5eaf4-2fd4-4709-b370-b4c650ea3fcf",
    "AllViewerExceptHostHeader": "b689b0a8-53d0-40ab-baf2-68738e2966ac",
    "AllViewer": "216adef6-5c7f-47e4-b989-5492eafa07d3",
    "CORS-CustomOrigin": "59781a5b-3903-41f3-afcb-af62929ccde1",
}
# The viewer headers each managed origin-request policy forwards ("*": all of them).
MANAGED_ORIGIN_REQUEST_FORWARDS = {
    "CORS-S3Origin": ("Origin", "Access-Control-Request-Headers", "Access-Control-Request-Method"),
    "CORS-CustomOrigin": ("Origin",),
    "AllViewer": ("*",),
    "AllViewerExceptHostHeader": ("*",),
}

# Every managed policy AWS publishes, by kind and id: any distribution may reference these
# without declaring them ("Use managed cache policies", "Use managed origin request
# policies", "Use managed response headers policies"). edge-config may name only the
# subsets above, whose behaviour the twin mimics; the replay accepts all of them.
AWS_MANAGED_POLICY_IDS = {
    "cache": frozenset({
        *MANAGED_CACHE_POLICIES.values(),
        "b2884449-e4de-46a7-ac36-70bc7f1ddd6d",  # CachingOptimizedForUncompressedObjects
        "08627262-05a9-4f76-9ded-b50ca2e3a84f",  # Elemental-MediaPackage
    }),
    "origin-request": frozenset({
        *MANAGED_ORIGIN_REQUEST_POLICIES.values(),
        "acba4595-bd28-49b8-b9fe-13317c0390fa",  # UserAgentRefererHeaders
    }),
    "response-headers": frozenset({
        "67f7725c-6f97-4210-82d7-5512b31e9d03",  # SecurityHeadersPolicy
        "5cc3b908-e619-4b99-88e5-2cf7f45965bd",  # CORS-With-Preflight
        "60669652-455b-4ae9-85a4-c4c02393f86c",  # SimpleCORS
        "e61eb60c-9c35-4d20-a928-2b84e02af89c",  # CORS-and-SecurityHeadersPolicy
        "eaab4381-ed33-4a86-88ca-d9558dc6cd63",  # CORS-with-preflight-and-SecurityHeadersPolicy
    }),
}

# ---- Cache-Control and the TTL precedence ----------------------------------------------

# A directive's argument as delta-seconds, token or quoted form, with the whitespace around
# it. The twin's VCL matches arguments with this same expression.
DELTA_SECONDS = r'\s*"?([0-9]+)"?\s*'
DELTA_SECONDS_CAP = 2**31
# Freshness directives in a shared cache's order of precedence; Expires comes after them.
FRESHNESS_DIRECTIVES = ("s-maxage", "max-age")
# Directives CloudFront may honour by not caching (objects: when the minimum TTL is 0;
# errors: only for NO_STORE_HONOURED_ERROR_CODES).
REFUSING_DIRECTIVES = frozenset({"no-store", "no-cache", "private"})

CacheControl = str | Iterable[str] | None
"""One Cache-Control field value, or the field lines of a response in order, or None."""

Directives = Mapping[str, int | None]


def parse_cache_control(value: CacheControl) -> dict[str, int | None]:
    """Cache-Control directives by lower-case name, at their first occurrence: the argument
    as whole seconds when it is delta-seconds (at most 2**31), else None (a flag such as
    `public`, or an invalid argument such as `max-age=abc`).

    `value` is one field value or several field lines, which combine as one list.
    """
    lines = [value] if isinstance(value, str) else list(value or ())
    directives: dict[str, int | None] = {}
    for part in ",".join(lines).split(","):
        name, equals, argument = part.partition("=")
        name = name.strip().lower()
        if not name or name in directives:
            continue
        seconds = re.fullmatch(DELTA_SECONDS, argument) if equals else None
        directives[name] = min(int(seconds[1]), DELTA_SECONDS_CAP) if seconds else None
    return directives


def origin_ttl(directives: Directives, expires_in: int | None = None) -> int | None:
    """Seconds the origin's own headers let CloudFront keep a response, before CloudFront's
    clamps; None when they give no lifetime (the default TTL, or for errors the Error Caching
    Minimum TTL, then applies).

    s-maxage, else max-age, else Expires (`expires_in`: seconds from now to its date, negative
    when past, None without one). A present s-maxage or max-age with an invalid argument
    gives 0 (stale) and hides what ranks below it; see the module docstring for the sources.
    """
    for name in FRESHNESS_DIRECTIVES:
        if name in directives:
            seconds = directives[name]
            return 0 if seconds is None else seconds
    if expires_in is None:
        return None
    return max(0, expires_in)


def object_ttl(cache_control: CacheControl, expires_in: int | None = None, *,
               min_ttl: int, default_ttl: int, max_ttl: int) -> int:
    """Seconds CloudFront keeps an object (2xx/3xx) under a cache policy with these TTLs;
    0 means not cached. no-store/no-cache/private give the minimum TTL (0: honoured)."""
    directives = parse_cache_control(cache_control)
    if directives.keys() & REFUSING_DIRECTIVES:
        return min_ttl
    seconds = origin_ttl(directives, expires_in)
    if seconds is None:
        return default_ttl
    return max(min_ttl, min(max_ttl, seconds))


# ---- error caching -------------------------------------------------------------------

# The codes a CustomErrorResponse may name; the ones CloudFront caches (not 416); its default
# Error Caching Minimum TTL; the codes for which an origin's no-store/no-cache/private counts.
ErrorCode = Literal[400, 403, 404, 405, 414, 416, 500, 501, 502, 503, 504]
CACHED_ERROR_CODES = frozenset({400, 403, 404, 405, 414, 500, 501, 502, 503, 504})
DEFAULT_ERROR_CACHING_MIN_TTL = 10
NO_STORE_HONOURED_ERROR_CODES = frozenset({404, 410, 414, 501})


def error_ttl(status: int, cache_control: CacheControl, expires_in: int | None = None, *,
              error_min_ttl: int, max_ttl: int) -> int:
    """Seconds CloudFront keeps an origin's error answer to a cacheable request; 0 means not
    cached. `error_min_ttl` is the code's Error Caching Minimum TTL, `max_ttl` the behaviour's
    maximum TTL, which caps the origin's own value (never below the minimum)."""
    if status not in CACHED_ERROR_CODES:
        return 0
    directives = parse_cache_control(cache_control)
    if status in NO_STORE_HONOURED_ERROR_CODES and directives.keys() & REFUSING_DIRECTIVES:
        return 0
    seconds = origin_ttl(directives, expires_in)
    if seconds is None:
        return error_min_ttl
    return max(error_min_ttl, min(seconds, max_ttl))


# ---- Where viewers and shields are -------------------------------------------------
# The AWS Regions offered for Origin Shield, and for an origin elsewhere the Region the
# guide says to enable it in (CloudFront Developer Guide, "Using Origin Shield", section
# "Choosing the AWS Region for Origin Shield": twelve Regions and an eight-row table).
# A Region AWS adds to that list later must be added here before a stack can use it.
ORIGIN_SHIELD_REGIONS: frozenset[str] = frozenset({
    "us-east-1", "us-east-2", "us-west-2",
    "ap-south-1", "ap-northeast-1", "ap-northeast-2", "ap-southeast-1", "ap-southeast-2",
    "eu-central-1", "eu-west-1", "eu-west-2",
    "sa-east-1",
})
ORIGIN_SHIELD_NEAREST: Mapping[str, str] = {
    "us-west-1": "us-west-2",
    "af-south-1": "eu-west-1",
    "ap-east-1": "ap-southeast-1",
    "ca-central-1": "us-east-1",
    "eu-south-1": "eu-central-1",
    "eu-west-3": "eu-west-2",
    "eu-north-1": "eu-west-2",
    "me-south-1": "ap-south-1",
}


def origin_shield_advice(origin_region: str) -> str:
    """Which Origin Shield Region the guide recommends for an origin in `origin_region`.

    A sentence for an error message: the same Region when it offers Origin Shield,
    else the guide's mapping, else the list to pick the lowest-latency one from.
    """
    if origin_region in ORIGIN_SHIELD_REGIONS:
        return f"{origin_region} offers Origin Shield: use it"
    if origin_region in ORIGIN_SHIELD_NEAREST:
        return (f"for an origin in {origin_region} the CloudFront guide recommends "
                f"{ORIGIN_SHIELD_NEAREST[origin_region]}")
    return ("pick the one with the lowest latency to the origin: "
            + ", ".join(sorted(ORIGIN_SHIELD_REGIONS)))

# ISO 3166-1 alpha-2: the 249 officially assigned codes, the form CloudFront's geo
# restriction takes (CloudFront API Reference, GeoRestriction: "Location" elements are
# ISO 3166-1-alpha-2 codes). Same set as the tz database's iso3166.tab; a test compares.
_ISO_3166_ALPHA2_CODES = """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM
    BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX
    CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG
    GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR
    IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV
    LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE
    NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO
    RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF
    TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF
    WS YE YT ZA ZM ZW
    """
ISO_3166_ALPHA2: frozenset[str] = frozenset(_ISO_3166_ALPHA2_CODES.split())

# "Quotas" (cloudfront-limits.html), general quotas: the longest URL CloudFront takes, and the
# longest request line plus headers (query string included, body not), in bytes.
MAX_URL_BYTES = 8192
MAX_REQUEST_BYTES = 20480
