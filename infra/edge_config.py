"""The edge-config format: one loader, one typed model, validated.

`edge-config/edge.yaml` is data only. Everything that needs edge rules (the
CloudFront component, the local twin's edge, the media publisher and the TTL
tests) reads it through `load_edge_config()`, so no rule is written twice.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

REPO_ROOT = Path(__file__).resolve().parent.parent
EDGE_CONFIG_DIR = REPO_ROOT / "edge-config"
EDGE_CONFIG_FILE = EDGE_CONFIG_DIR / "edge.yaml"

# CloudFront managed policies, referenced from edge-config as "managed:<Name>".
MANAGED_CACHE_POLICIES = {
    "CachingOptimized": "658327ea-f89d-4fab-a63d-7e88639e58f6",
    "CachingDisabled": "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
}
MANAGED_ORIGIN_REQUEST_POLICIES = {
    "CORS-S3Origin": "88a5eaf4-2fd4-4709-b370-b4c650ea3fcf",
    "AllViewerExceptHostHeader": "b689b0a8-53d0-40ab-baf2-68738e2966ac",
    "AllViewer": "216adef6-5c7f-47e4-b989-5492eafa07d3",
    "CORS-CustomOrigin": "59781a5b-3903-41f3-afcb-af62929ccde1",
}
# What a managed origin-request policy forwards, so the twin can mimic it.
MANAGED_ORIGIN_REQUEST_FORWARDS = {
    "CORS-S3Origin": ("Origin", "Access-Control-Request-Headers", "Access-Control-Request-Method"),
    "CORS-CustomOrigin": ("Origin",),
    "AllViewer": ("*",),
    "AllViewerExceptHostHeader": ("*",),
}

ONE_YEAR = 31_536_000
TTL = Annotated[int, Field(ge=0, le=ONE_YEAR)]
Key = Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{0,62}$")]
HEADER_NAME = r"^[A-Za-z0-9-]{1,64}$"
# CloudFront's error caching: the codes a CustomErrorResponse may name, the ones it caches
# (416 may be customised but is never cached), its default Error Caching Minimum TTL, and the
# codes for which an origin's no-store/no-cache/private is honoured (ignored for the others).
ErrorCode = Literal[400, 403, 404, 405, 414, 416, 500, 501, 502, 503, 504]
CACHED_ERROR_CODES = frozenset({400, 403, 404, 405, 414, 500, 501, 502, 503, 504})
DEFAULT_ERROR_CACHING_MIN_TTL = 10
NO_STORE_HONOURED_ERROR_CODES = frozenset({404, 410, 414, 501})
METHOD_SETS = (
    ("GET", "HEAD"),
    ("GET", "HEAD", "OPTIONS"),
    ("GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"),
)


class EdgeConfigError(ValueError):
    """edge-config is invalid; the message names the file and the key."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


OriginProtocol = Literal["http-only", "https-only", "match-viewer"]


class Origin(_Model):
    """An origin. For an ALB, `protocol` is CloudFront's origin protocol policy when the
    stack has a certificate for the ALB's own name (origin.<domainName>); otherwise
    `fallback_protocol` applies, as the ALB's default DNS name has no certificate of ours."""

    kind: Literal["s3", "alb"]
    protocol: OriginProtocol = "https-only"
    fallback_protocol: Literal["http-only"] | None = None
    read_timeout: int = Field(30, ge=1, le=180)
    keepalive_timeout: int = Field(5, ge=1, le=180)

    @model_validator(mode="after")
    def _fallback_only_where_needed(self) -> Origin:
        if self.kind == "s3" and self.fallback_protocol is not None:
            raise ValueError("fallback_protocol: only alb origins take one "
                             "(S3 origins are always reached over HTTPS with OAC)")
        if self.kind == "alb" and self.protocol != "http-only" and self.fallback_protocol is None:
            raise ValueError(
                f"fallback_protocol: required with protocol {self.protocol!r}: a stack "
                "without hostedZoneId has no certificate for the ALB (use 'http-only')")
        return self

    def protocol_for(self, origin_certificate: bool) -> OriginProtocol:
        """CloudFront's origin protocol policy, given whether the stack holds a certificate
        for this origin's name."""
        if origin_certificate or self.fallback_protocol is None:
            return self.protocol
        return self.fallback_protocol


class CacheKey(_Model):
    query_strings: Literal["none", "all"] | list[str] = "none"
    cookies: Literal["none", "all"] | list[str] = "none"
    headers: list[Annotated[str, Field(pattern=HEADER_NAME)]] = []


class CachePolicy(_Model):
    """A cache policy: either a CloudFront managed one, or TTLs and a cache key."""

    managed: str | None = None
    comment: str = ""
    min_ttl: TTL = 0
    default_ttl: TTL = 0
    max_ttl: TTL = 0
    key: CacheKey = CacheKey()
    compress: bool = True

    @model_validator(mode="after")
    def _ttls_ordered(self) -> CachePolicy:
        if self.managed is not None:
            if self.managed not in MANAGED_CACHE_POLICIES:
                raise ValueError(
                    f"managed: unknown policy {self.managed!r}; "
                    f"allowed: {sorted(MANAGED_CACHE_POLICIES)}"
                )
            return self
        if not self.min_ttl <= self.default_ttl <= self.max_ttl:
            raise ValueError(
                f"TTLs must satisfy min_ttl <= default_ttl <= max_ttl "
                f"(got {self.min_ttl} <= {self.default_ttl} <= {self.max_ttl})"
            )
        return self

    @property
    def caches(self) -> bool:
        """False for a policy that never stores anything (CachingDisabled)."""
        return self.managed != "CachingDisabled" and (self.managed is not None or self.max_ttl > 0)

    def effective(self) -> CachePolicy:
        """The TTLs CloudFront applies: managed policies resolved to their values."""
        if self.managed == "CachingDisabled":
            return CachePolicy(min_ttl=0, default_ttl=0, max_ttl=0)
        if self.managed == "CachingOptimized":
            return CachePolicy(min_ttl=1, default_ttl=86400, max_ttl=ONE_YEAR)
        return self

    def effective_ttl(self, cache_control: str | None, expires_in: int | None = None) -> int:
        """Seconds CloudFront keeps an object with these origin headers.

        CloudFront's rules: no Cache-Control/Expires gives the default TTL;
        s-maxage beats max-age beats Expires, clamped to [min, max];
        no-store, no-cache and private are honoured only when min TTL is 0.
        """
        policy = self.effective()
        directives = parse_cache_control(cache_control)
        if directives.keys() & {"no-store", "no-cache", "private"}:
            return 0 if policy.min_ttl == 0 else policy.min_ttl
        for name in ("s-maxage", "max-age"):
            if name in directives:
                seconds = directives[name]
                break
        else:
            seconds = expires_in
        if seconds is None:
            return policy.default_ttl
        return max(policy.min_ttl, min(policy.max_ttl, seconds))


class OriginRequestPolicy(_Model):
    managed: str | None = None
    comment: str = ""
    headers: list[Annotated[str, Field(pattern=HEADER_NAME)]] = []
    cookies: Literal["none", "all"] = "none"
    query_strings: Literal["none", "all"] = "none"

    @model_validator(mode="after")
    def _known_managed(self) -> OriginRequestPolicy:
        if self.managed is not None and self.managed not in MANAGED_ORIGIN_REQUEST_POLICIES:
            raise ValueError(
                f"managed: unknown policy {self.managed!r}; "
                f"allowed: {sorted(MANAGED_ORIGIN_REQUEST_POLICIES)}"
            )
        return self

    @property
    def forwarded_headers(self) -> tuple[str, ...]:
        """Viewer headers sent to the origin ("*" means all of them)."""
        if self.managed is not None:
            return MANAGED_ORIGIN_REQUEST_FORWARDS[self.managed]
        return tuple(self.headers)


class Hsts(_Model):
    max_age: int = Field(ge=86400, le=2 * ONE_YEAR)
    include_subdomains: bool = True
    preload: bool = False


class SecurityHeaders(_Model):
    hsts: Hsts
    content_type_options: bool = True
    frame_options: Literal["DENY", "SAMEORIGIN"] = "DENY"
    referrer_policy: Literal[
        "no-referrer",
        "no-referrer-when-downgrade",
        "origin",
        "origin-when-cross-origin",
        "same-origin",
        "strict-origin",
        "strict-origin-when-cross-origin",
        "unsafe-url",
    ] = "strict-origin-when-cross-origin"


class Cors(_Model):
    allow_origins: list[str] = Field(min_length=1)
    allow_methods: list[Literal["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"]]
    allow_headers: list[str] = []
    expose_headers: list[str] = []
    allow_credentials: bool = False
    max_age: int = Field(600, ge=0, le=86400)

    @property
    def varies_by_origin(self) -> bool:
        return self.allow_origins != ["*"]

    @model_validator(mode="after")
    def _credentials_need_origins(self) -> Cors:
        if self.allow_credentials and "*" in self.allow_origins:
            raise ValueError("allow_credentials needs explicit allow_origins, not '*'")
        return self


class ResponseHeadersPolicy(_Model):
    comment: str = ""
    security: SecurityHeaders
    cors: Cors | None = None

    def headers(self) -> dict[str, str]:
        """The response headers this policy adds, as a viewer sees them."""
        sec = self.security
        hsts = f"max-age={sec.hsts.max_age}"
        if sec.hsts.include_subdomains:
            hsts += "; includeSubDomains"
        if sec.hsts.preload:
            hsts += "; preload"
        headers = {
            "Strict-Transport-Security": hsts,
            "X-Frame-Options": sec.frame_options,
            "Referrer-Policy": sec.referrer_policy,
        }
        if sec.content_type_options:
            headers["X-Content-Type-Options"] = "nosniff"
        return headers


class EdgeFunction(_Model):
    file: str
    event: Literal["viewer-request", "viewer-response"]
    comment: str = ""

    @property
    def path(self) -> Path:
        return EDGE_CONFIG_DIR / self.file


class Behavior(_Model):
    path: str = Field(min_length=1, max_length=255)
    origin: Key
    cache_policy: Key
    origin_request_policy: Key | None = None
    response_headers_policy: Key
    viewer_protocol: Literal["redirect-to-https", "https-only"] = "redirect-to-https"
    allowed_methods: list[str] = ["GET", "HEAD", "OPTIONS"]
    signed: bool = False
    functions: dict[Literal["viewer-request", "viewer-response"], Key] = {}

    @model_validator(mode="after")
    def _method_set(self) -> Behavior:
        if tuple(self.allowed_methods) not in METHOD_SETS:
            raise ValueError(
                f"allowed_methods must be one of CloudFront's sets: "
                f"{[list(s) for s in METHOD_SETS]}"
            )
        return self

    @property
    def is_default(self) -> bool:
        return self.path == "*"

    @property
    def cached_methods(self) -> list[str]:
        return ["GET", "HEAD", "OPTIONS"] if "OPTIONS" in self.allowed_methods else ["GET", "HEAD"]

    def matches(self, path: str) -> bool:
        """CloudFront path-pattern semantics: '*' spans '/', '?' is one character."""
        return _pattern_regex(self.path).fullmatch(path) is not None


class ObjectClass(_Model):
    """Headers the publisher sets on objects whose key matches `match`."""

    class_: str = Field(alias="class", pattern=r"^[a-z][a-z0-9-]*$")
    match: list[str] = Field(min_length=1)
    content_type: str = Field(pattern=r"^[a-z]+/[a-zA-Z0-9.+-]+(; ?charset=[a-z0-9-]+)?$")
    cache_control: str
    mutable: bool = False

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @property
    def name(self) -> str:
        return self.class_

    def matches(self, key: str) -> bool:
        return any(_glob_regex(pattern).fullmatch(key) for pattern in self.match)


class ErrorCaching(_Model):
    """One CustomErrorResponse without a page: how long CloudFront caches an origin's error."""

    code: ErrorCode
    min_ttl: TTL


class EdgeConfig(_Model):
    version: Literal[1]
    origins: dict[Key, Origin]
    cache_policies: dict[Key, CachePolicy]
    origin_request_policies: dict[Key, OriginRequestPolicy] = {}
    response_headers_policies: dict[Key, ResponseHeadersPolicy]
    functions: dict[Key, EdgeFunction] = {}
    behaviors: list[Behavior] = Field(min_length=1)
    objects: list[ObjectClass] = []
    error_caching: list[ErrorCaching] = []

    @model_validator(mode="after")
    def _references_resolve(self) -> EdgeConfig:
        problems: list[str] = []
        if not self.behaviors[-1].is_default or any(b.is_default for b in self.behaviors[:-1]):
            problems.append("behaviors: exactly one default '*' behaviour, and it must be last")
        seen: set[str] = set()
        for i, b in enumerate(self.behaviors):
            where = f"behaviors.{i} ({b.path})"
            if b.path in seen:
                problems.append(f"{where}.path: duplicate path pattern")
            seen.add(b.path)
            refs = (
                ("origin", b.origin, self.origins),
                ("cache_policy", b.cache_policy, self.cache_policies),
                ("response_headers_policy", b.response_headers_policy,
                 self.response_headers_policies),
            )
            for field, key, table in refs:
                if key not in table:
                    problems.append(f"{where}.{field}: unknown {key!r}; defined: {sorted(table)}")
            orp = b.origin_request_policy
            if orp is not None and orp not in self.origin_request_policies:
                problems.append(
                    f"{where}.origin_request_policy: unknown {orp!r}; "
                    f"defined: {sorted(self.origin_request_policies)}"
                )
            for event, fn in b.functions.items():
                if fn not in self.functions:
                    problems.append(f"{where}.functions.{event}: unknown function {fn!r}")
                elif self.functions[fn].event != event:
                    problems.append(f"{where}.functions.{event}: {fn!r} is a "
                                    f"{self.functions[fn].event} function")
            origin = self.origins.get(b.origin)
            if b.signed and origin is not None and origin.kind != "s3":
                problems.append(f"{where}.signed: only media (s3) behaviours carry signed cookies")
            rhp = self.response_headers_policies.get(b.response_headers_policy)
            cp = self.cache_policies.get(b.cache_policy)
            if rhp and rhp.cors and rhp.cors.varies_by_origin and cp and cp.caches:
                key_headers = {h.lower() for h in cp.key.headers}
                if "origin" not in key_headers:
                    problems.append(
                        f"{where}.cache_policy: CORS varies by Origin "
                        f"({b.response_headers_policy}), so 'Origin' must be in the cache key"
                    )
        codes = [e.code for e in self.error_caching]
        for i, code in enumerate(codes):
            if code in codes[:i]:
                problems.append(f"error_caching.{i}.code: duplicate status code {code}")
        for name, fn in self.functions.items():
            if not fn.path.is_file():
                problems.append(f"functions.{name}.file: {fn.file} does not exist")
            elif fn.path.stat().st_size > 10_240:
                problems.append(f"functions.{name}.file: over CloudFront's 10 KB limit")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def alb_origin(self) -> Origin | None:
        """The API's origin (the ALB), if edge-config declares one."""
        return next((o for o in self.origins.values() if o.kind == "alb"), None)

    def behavior_for(self, path: str) -> Behavior:
        """The behaviour CloudFront picks for a URL path (first match wins)."""
        return next(b for b in self.behaviors if b.matches(path))

    def object_class(self, key: str) -> ObjectClass | None:
        """The object class for an S3 key, or None when no rule covers it."""
        return next((o for o in self.objects if o.matches(key)), None)

    def cache_policy_for(self, path: str) -> CachePolicy:
        return self.cache_policies[self.behavior_for(path).cache_policy]

    def error_caching_min_ttl(self, status: int) -> int:
        """CloudFront's Error Caching Minimum TTL for a status code: edge-config's, else
        CloudFront's default 10 s; 0 for a code CloudFront never caches (416, 2xx, 410...)."""
        if status not in CACHED_ERROR_CODES:
            return 0
        return next((e.min_ttl for e in self.error_caching if e.code == status),
                    DEFAULT_ERROR_CACHING_MIN_TTL)

    def error_ttl(self, status: int, cache_control: str | None, expires_in: int | None = None,
                  *, behavior: Behavior, method: str = "GET") -> int:
        """Seconds CloudFront keeps an origin's error response to a request on `behavior`.

        CloudFront's rules ("Control how long CloudFront caches errors"): only cacheable
        requests (the behaviour's cached methods) and only the cached codes; with 404, 410,
        414 or 501 an origin's no-store, no-cache or private is honoured (not cached), other
        codes ignore it; s-maxage, max-age or Expires (capped at the behaviour's max TTL)
        counts when it is longer than the Error Caching Minimum TTL, which applies otherwise.
        Errors CloudFront makes itself (a refused signed cookie) are no origin response and
        never cached; this covers origin answers only. Behaviours whose policy caches nothing
        (CachingDisabled) are assumed to cache errors all the same: the error TTL is the
        distribution's minimum, not the policy's.
        """
        if method.upper() not in behavior.cached_methods or status not in CACHED_ERROR_CODES:
            return 0
        directives = parse_cache_control(cache_control)
        if status in NO_STORE_HONOURED_ERROR_CODES and \
                directives.keys() & {"no-store", "no-cache", "private"}:
            return 0
        min_ttl = self.error_caching_min_ttl(status)
        for name in ("s-maxage", "max-age"):
            if directives.get(name) is not None:
                seconds = directives[name]
                break
        else:
            seconds = expires_in
        if seconds is None:
            return min_ttl
        max_ttl = self.cache_policies[behavior.cache_policy].effective().max_ttl
        return max(min_ttl, min(seconds, max_ttl))


@cache
def _pattern_regex(pattern: str) -> re.Pattern[str]:
    parts = (".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile("".join(parts))


@cache
def _glob_regex(pattern: str) -> re.Pattern[str]:
    """Key globs: '**/' spans folders (or none), '*' stays within one folder."""
    regex = re.escape(pattern).replace(r"\*\*/", "(?:.*/)?").replace(r"\*", "[^/]*")
    return re.compile(regex)


def parse_cache_control(value: str | None) -> dict[str, int | None]:
    """Cache-Control directives, lower-cased; numeric values as ints."""
    directives: dict[str, int | None] = {}
    for part in (value or "").split(","):
        name, _, arg = part.strip().partition("=")
        if not name:
            continue
        arg = arg.strip().strip('"')
        directives[name.lower()] = int(arg) if arg.isdigit() else None
    return directives


def _format_errors(source: Path, exc: ValidationError) -> str:
    lines = [f"{source}: invalid edge-config"]
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "(top level)"
        lines.append(f"  {loc}: {err['msg']}")
    return "\n".join(lines)


def parse_edge_config(data: object, source: Path = EDGE_CONFIG_FILE) -> EdgeConfig:
    """Validate already-parsed edge-config data."""
    try:
        return EdgeConfig.model_validate(data)
    except ValidationError as exc:
        raise EdgeConfigError(_format_errors(source, exc)) from None


def load_edge_config(path: Path | str = EDGE_CONFIG_FILE) -> EdgeConfig:
    """Load and validate edge-config; raise EdgeConfigError naming file and key."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise EdgeConfigError(f"{path}: cannot read edge-config: {exc}") from None
    return parse_edge_config(data, path)

