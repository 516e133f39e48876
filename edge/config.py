"""The edge-config schema and its loader: one typed, validated model of `edge-config/`.

`edge-config/edge.yaml` is data only. Everything that needs edge rules reads it through
`load_edge_config()`: the CloudFront component (`infra/distribution.py`, composed in
`infra/__main__.py`), the local twin's edge (`twin/topology.py`, `twin/edge/`), the media
publisher (`media/publisher.py`) and the tests. CloudFront's own rules (path patterns,
managed policies, TTL precedence, error caching) live in `edge.cloudfront`; the models here
apply them to what edge-config declares. Errors raise `EdgeConfigError` naming the file and
the key.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from edge import cloudfront
from edge.cloudfront import (
    CACHED_ERROR_CODES,
    DEFAULT_ERROR_CACHING_MIN_TTL,
    FUNCTION_CODE_MAX_BYTES,
    MANAGED_CACHE_POLICIES,
    MANAGED_CACHE_POLICY_TTLS,
    MANAGED_ORIGIN_REQUEST_FORWARDS,
    MANAGED_ORIGIN_REQUEST_POLICIES,
    METHOD_SETS,
    ONE_YEAR,
    CacheControl,
    ErrorCode,
    OriginProtocol,
    path_matches,
)

REPO_ROOT = Path(__file__).resolve().parent.parent
EDGE_CONFIG_DIR = REPO_ROOT / "edge-config"
EDGE_CONFIG_FILE = EDGE_CONFIG_DIR / "edge.yaml"

TTL = Annotated[int, Field(ge=0, le=ONE_YEAR)]
Key = Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{0,62}$")]
HEADER_NAME = r"^[A-Za-z0-9-]{1,64}$"


class EdgeConfigError(ValueError):
    """edge-config is invalid; the message names the file and the key."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


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
        if self.managed is None:
            return self
        min_ttl, default_ttl, max_ttl = MANAGED_CACHE_POLICY_TTLS[self.managed]
        return CachePolicy(min_ttl=min_ttl, default_ttl=default_ttl, max_ttl=max_ttl)

    def effective_ttl(self, cache_control: CacheControl, expires_in: int | None = None) -> int:
        """Seconds CloudFront keeps an object with these origin headers under this policy
        (`edge.cloudfront.object_ttl`); `expires_in` is seconds to the Expires date."""
        p = self.effective()
        return cloudfront.object_ttl(cache_control, expires_in, min_ttl=p.min_ttl,
                                     default_ttl=p.default_ttl, max_ttl=p.max_ttl)


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
        """Whether CloudFront's path-pattern matching sends `path` to this behaviour."""
        return path_matches(self.path, path)


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
            elif fn.path.stat().st_size > FUNCTION_CODE_MAX_BYTES:
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

    def error_ttl(self, status: int, cache_control: CacheControl,
                  expires_in: int | None = None, *, behavior: Behavior,
                  method: str = "GET") -> int:
        """Seconds CloudFront keeps an origin's error response to a request on `behavior`.

        Only cacheable requests (the behaviour's cached methods) are cached; then
        `edge.cloudfront.error_ttl` with this code's Error Caching Minimum TTL and the
        behaviour's maximum TTL. Errors CloudFront makes itself (a refused signed cookie) are
        no origin response and never cached; this covers origin answers only. Behaviours
        whose policy caches nothing (CachingDisabled) are assumed to cache errors all the
        same: the error TTL is the distribution's minimum, not the policy's.
        """
        if method.upper() not in behavior.cached_methods:
            return 0
        return cloudfront.error_ttl(
            status, cache_control, expires_in,
            error_min_ttl=self.error_caching_min_ttl(status),
            max_ttl=self.cache_policies[behavior.cache_policy].effective().max_ttl)


@cache
def _glob_regex(pattern: str) -> re.Pattern[str]:
    """Key globs: '**/' spans folders (or none), '*' stays within one folder."""
    regex = re.escape(pattern).replace(r"\*\*/", "(?:.*/)?").replace(r"\*", "[^/]*")
    return re.compile(regex)


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

