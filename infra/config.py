"""The stack configuration: every setting in one typed, validated object.

`Pulumi.<stack>.yaml` -> `StackConfig` -> components. A bad value raises
`ConfigError` naming the key and the allowed values before any resource is
declared. The pure part (`StackConfig.from_mapping`, `load_stack_file`) does
not need the Pulumi engine, so the local twin and the replay engine read the
same stack files through it.

One module past 450 lines: it is the one schema of a stack file (every key, its range, the
rules across keys, the README table drawn from it); split, that one contract would have
two owners.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from edge.cloudfront import ISO_3166_ALPHA2, ORIGIN_SHIELD_REGIONS, origin_shield_advice
from infra.stack_settings import StackSettings

NAMESPACE = "edgeflix"
ORIGIN_SUBDOMAIN = "origin"  # origin.<domainName>: the ALB's name when it has TLS
REPO_ROOT = Path(__file__).resolve().parent.parent

# Mirrors of the API's gunicorn settings (app/gunicorn.conf.py); a test keeps
# them in step. The ALB idle timeout must stay below the keep-alive (else the
# ALB reuses connections gunicorn already closed: sporadic 502s), and the
# deregistration delay must exceed the graceful timeout (else in-flight
# requests are cut during scale-in and instance refresh).
API_KEEPALIVE_SECONDS = 75
API_GRACEFUL_TIMEOUT_SECONDS = 25

# The target group's health check (Elastic Load Balancing User Guide, "Health checks for
# Application Load Balancer target groups"): seconds between checks, seconds a check may
# take, and consecutive results to turn a target healthy or unhealthy. The twin's ALB keeps
# the timeout and thresholds but checks more often (a compressed interval).
HEALTH_CHECK_INTERVAL_SECONDS = 10
HEALTH_CHECK_TIMEOUT_SECONDS = 5
HEALTHY_THRESHOLD = UNHEALTHY_THRESHOLD = 2

# Instance families whose AMI architecture we know; the app bundle's wheels
# and the Amazon Linux 2023 SSM parameter follow the architecture.
INSTANCE_FAMILIES: dict[str, str] = {
    **dict.fromkeys(
        ("t3", "t3a", "m5", "m5a", "m6i", "m6a", "m7i", "m7a",
         "c5", "c5a", "c6i", "c6a", "c7i", "c7a", "r5", "r6i", "r7i"),
        "x86_64",
    ),
    **dict.fromkeys(("t4g", "m6g", "m7g", "c6g", "c7g", "r6g", "r7g"), "arm64"),
}
INSTANCE_SIZE = re.compile(r"^(nano|micro|small|medium|large|[1-9][0-9]?xlarge|metal)$")
REGION = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-[1-9]$")
CERTIFICATE_ARN = re.compile(r"^arn:aws:acm:us-east-1:\d{12}:certificate/[0-9a-f-]{36}$")
# AWS WAF rate-based rules: limit bounds (botocore's RateLimit) and evaluation windows.
WAF_RATE_LIMIT_MIN, WAF_RATE_LIMIT_MAX = 10, 2_000_000_000
WAF_RATE_WINDOWS = (60, 120, 300, 600)
# The only retention periods CloudWatch Logs accepts (CloudWatch Logs API Reference,
# PutRetentionPolicy, retentionInDays).
LOG_GROUP_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
                            1096, 1827, 2192, 2557, 2922, 3288, 3653)
DOMAIN = re.compile(r"^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


class ConfigError(ValueError):
    """The stack configuration is invalid; the message names the key and the allowed values."""


def _allowed(text: str) -> Any:
    return Field(description=text)


class StackConfig(BaseModel):
    """Every setting of one stack. Python names are snake_case; stack keys camelCase."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, alias_generator=to_camel, populate_by_name=True
    )

    environment: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{1,15}$",
                                      description="2-16 chars: a-z, 0-9, '-'")] = "dev"
    region: Annotated[str, _allowed("an AWS region name, e.g. us-east-1")] = "us-east-1"

    # Network
    vpc_cidr: Annotated[ipaddress.IPv4Network, _allowed("an IPv4 CIDR from /16 to /24")] = (
        ipaddress.IPv4Network("10.20.0.0/16")
    )
    az_count: Annotated[int, Field(ge=2, le=6, description="2..6")] = 2
    public_subnet_cidrs: Annotated[
        list[ipaddress.IPv4Network],
        _allowed("azCount CIDRs inside vpcCidr, /16../28, not overlapping"),
    ] = [ipaddress.IPv4Network("10.20.0.0/24"), ipaddress.IPv4Network("10.20.1.0/24")]
    private_subnet_cidrs: Annotated[
        list[ipaddress.IPv4Network],
        _allowed("azCount CIDRs inside vpcCidr, /16../28, not overlapping"),
    ] = [ipaddress.IPv4Network("10.20.10.0/24"), ipaddress.IPv4Network("10.20.11.0/24")]
    nat_mode: Annotated[Literal["none", "single", "per-az"],
                        _allowed("none | single | per-az")] = "single"

    # API fleet
    instance_type: Annotated[str, _allowed(
        "<family>.<size>, family one of " + ", ".join(INSTANCE_FAMILIES))] = "t3.small"
    min_size: Annotated[int, Field(ge=1, le=100, description="1..100, <= maxSize")] = 2
    max_size: Annotated[int, Field(ge=1, le=100, description="1..100, >= minSize")] = 6
    desired_capacity: Annotated[int, Field(ge=1, le=100,
                                           description="minSize..maxSize")] = 2
    target_requests_per_target: Annotated[int, Field(
        ge=10, le=100_000, description="10..100000 requests per target per minute")] = 1000
    target_cpu_percent: Annotated[int, Field(ge=10, le=90, description="10..90")] = 50
    api_port: Annotated[int, Field(ge=1024, le=65535, description="1024..65535")] = 8080
    health_check_path: Annotated[str, Field(pattern=r"^/[A-Za-z0-9/_.-]{0,1023}$",
                                            description="an absolute path")] = "/healthz"
    health_check_grace_period: Annotated[int, Field(ge=0, le=7200,
                                                    description="0..7200 s")] = 300
    instance_warmup: Annotated[int, Field(ge=0, le=3600, description="0..3600 s")] = 180
    instance_refresh_min_healthy: Annotated[int, Field(ge=90, le=100,
                                                       description="90..100 %")] = 90
    root_volume_size: Annotated[int, Field(ge=8, le=200, description="8..200 GiB")] = 20
    # Where the four API services (app/service_map.py) run: README "Service layout".
    service_layout: Annotated[Literal["shared", "dedicated"], _allowed(
        "shared | dedicated (shared: every instance of one ASG runs the four services as "
        "four systemd units; dedicated: one ASG per service, each sized minSize..maxSize. "
        "Changing it replaces the fleet)")] = "shared"

    # Load balancer
    alb_idle_timeout: Annotated[int, Field(
        ge=1, le=API_KEEPALIVE_SECONDS - 1,
        description=f"1..{API_KEEPALIVE_SECONDS - 1} s (below the API keep-alive "
                    f"{API_KEEPALIVE_SECONDS} s)")] = 60
    deregistration_delay: Annotated[int, Field(
        ge=API_GRACEFUL_TIMEOUT_SECONDS + 1, le=3600,
        description=f"{API_GRACEFUL_TIMEOUT_SECONDS + 1}..3600 s (above the API graceful "
                    f"timeout {API_GRACEFUL_TIMEOUT_SECONDS} s)")] = 30

    api_origin: Annotated[Literal["public", "vpc"], _allowed(
        "public | vpc (vpc: an internal ALB in the private subnets that CloudFront reaches "
        "through a VPC origin; public: an internet-facing ALB in the public subnets. "
        "Changing it replaces the ALB)")] = "public"
    vpc_origin_security_group_id: Annotated[str | None, Field(
        pattern=r"^sg-[0-9a-f]{8,17}$",
        description="the id of CloudFront-VPCOrigins-Service-SG, optional, with apiOrigin "
                    "vpc: CloudFront creates that group in the VPC with its first VPC "
                    "origin; once set, the ALB admits only it instead of the origin-facing "
                    "prefix list")] = None

    # Edge
    signed_cookie_ttl: Annotated[int, Field(ge=60, le=86_400, description="60..86400 s")] = 600
    # Signing-key rotation (infra/rotation.py): two key slots, both trusted by the key
    # group; the API signs with the current one. Bumping a slot's generation replaces
    # its key (retire the old key, stage a fresh next one).
    signing_key_current: Annotated[Literal["a", "b"], _allowed("a | b")] = "a"
    signing_key_generation_a: Annotated[int, Field(ge=1, le=10_000,
                                                   description="1..10000")] = 1
    signing_key_generation_b: Annotated[int, Field(ge=1, le=10_000,
                                                   description="1..10000")] = 1
    price_class: Annotated[Literal["PriceClass_100", "PriceClass_200", "PriceClass_All"],
                           _allowed("PriceClass_100 | PriceClass_200 | PriceClass_All")] = (
        "PriceClass_100"
    )
    wait_for_deployment: Annotated[bool, _allowed("true | false")] = True
    domain_name: Annotated[str | None, _allowed("a DNS name, optional")] = None
    hosted_zone_id: Annotated[str | None, Field(
        pattern=r"^Z[A-Z0-9]{4,32}$",
        description="a Route 53 zone id (Z...), optional; with domainName it validates "
                    "new ACM certificates (viewers, and origin.<domainName> for TLS from "
                    "CloudFront to the ALB) and adds the alias records")] = None
    certificate_arn: Annotated[str | None, Field(
        description="an ACM certificate ARN in us-east-1, optional (instead of "
                    "hostedZoneId; viewers only: without hostedZoneId CloudFront reaches "
                    "the ALB over HTTP)")] = None
    replica_region: Annotated[str | None, _allowed(
        "an AWS region other than aws:region, optional (origin failover)")] = None
    origin_shield_enabled: Annotated[bool, _allowed(
        "true | false (Origin Shield: one more cache layer in front of the media origins, in "
        "originShieldRegion)")] = False
    origin_shield_region: Annotated[str | None, _allowed(
        "an Origin Shield region (" + ", ".join(sorted(ORIGIN_SHIELD_REGIONS)) + "), "
        "optional; unset: aws:region, which must then be one")] = None
    geo_restriction_type: Annotated[Literal["none", "allow", "deny"], _allowed(
        "none | allow | deny (viewers only from, or never from, "
        "geoRestrictionLocations)")] = "none"
    geo_restriction_locations: Annotated[list[str], _allowed(
        "ISO 3166-1 alpha-2 country codes, e.g. [US, CA]; required with an allow or deny "
        "geoRestrictionType, empty with none")] = []

    # Staged edge deployments (CloudFront continuous deployment): a staging distribution
    # takes the rendered edge-config first, a policy sends it test or sample traffic, and
    # promotion copies it onto the primary (CloudFront Developer Guide, "Use CloudFront
    # continuous deployment to safely test CDN configuration changes" and "Quotas and other
    # considerations for continuous deployment").
    http_version: Annotated[Literal["http1.1", "http2", "http2and3", "http3"], _allowed(
        "http1.1 | http2 | http2and3 | http3 (viewer protocols; continuous deployment "
        "needs one without HTTP/3)")] = "http2and3"
    staging_mode: Annotated[Literal["off", "header", "weight"], _allowed(
        "off | header | weight (a staging distribution and a continuous-deployment "
        "policy: requests with stagingHeader, or a stagingWeight share of viewers, go to "
        "staging. While it is on, wafEnabled cannot change: CloudFront neither associates "
        "nor disassociates a web ACL while a policy exists)")] = "off"
    staging_header: Annotated[str, Field(
        pattern=r"^aws-cf-cd-[a-z0-9-]{1,64}$",
        description="aws-cf-cd-<name> (CloudFront requires the prefix), with stagingMode "
                    "header")] = "aws-cf-cd-staging"
    staging_header_value: Annotated[str, Field(
        pattern=r"^[A-Za-z0-9._~-]{1,128}$",
        description="1-128 characters A-Z a-z 0-9 . _ ~ -, with stagingMode header")] = "1"
    staging_weight: Annotated[float, Field(
        gt=0, le=0.15, description="0..0.15 (share of viewers, at most 15 %), with "
                                   "stagingMode weight")] = 0.05
    staging_session_idle_ttl: Annotated[int, Field(
        ge=300, le=3600, description="300..3600 s, <= stagingSessionMaxTtl, with "
                                     "stagingMode weight (a viewer stays on one side)")] = 300
    staging_session_max_ttl: Annotated[int, Field(
        ge=300, le=3600, description="300..3600 s, with stagingMode weight")] = 600

    # Edge firewall (AWS WAF). Bounds are the WAF API's: a rate-based rule's limit is
    # 10..2e9 requests per client IP per evaluation window of 60, 120, 300 or 600 s.
    waf_enabled: Annotated[bool, _allowed(
        "true | false (an AWS WAF web ACL on the distribution: playback rate limit, "
        "AWS managed rules)")] = True
    playback_rate_limit: Annotated[int, Field(
        ge=WAF_RATE_LIMIT_MIN, le=WAF_RATE_LIMIT_MAX,
        description=f"{WAF_RATE_LIMIT_MIN}..{WAF_RATE_LIMIT_MAX} POSTs to "
                    "/api/v1/titles/{id}/playback per client IP per playbackRateWindow; "
                    "more are answered 429 at the edge")] = 1000
    playback_rate_window: Annotated[int, _allowed(
        " | ".join(str(s) for s in WAF_RATE_WINDOWS) + " s")] = 300

    # Operations
    log_retention_days: Annotated[int, Field(ge=1, le=3650, description="1..3650 days")] = 30
    alarm_email: Annotated[str | None, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
                                             description="an e-mail address, optional")] = None
    alb_5xx_threshold: Annotated[int, Field(
        ge=1, le=100_000, alias="alb5xxThreshold",
        description="1..100000 target 5xx per minute")] = 10
    cdn_5xx_rate_threshold: Annotated[float, Field(
        gt=0, le=100, alias="cdn5xxRateThreshold", description="0..100 %")] = 5.0
    additional_metrics_enabled: Annotated[bool, _allowed(
        "true | false (CloudFront's additional metrics: cache hit rate, origin latency, "
        "error rate per status; billed as CloudWatch metrics; the two alarms below need "
        "them)")] = False
    cache_hit_rate_floor: Annotated[float, Field(
        ge=0, le=100, description="0..100 %: alarm when CloudFront's CacheHitRate stays "
                                  "below it")] = 80.0
    origin_latency_threshold: Annotated[int, Field(
        ge=10, le=180_000, description="10..180000 ms: alarm when CloudFront's p90 "
                                       "OriginLatency stays above it")] = 3000
    standard_logging_v2_enabled: Annotated[bool, _allowed(
        "true | false (CloudFront standard logging v2: access logs as JSON, delivered by "
        "CloudWatch Logs to the log bucket, instead of the legacy ACL-based S3 "
        "logging)")] = False
    flow_logs_enabled: Annotated[bool, _allowed(
        "true | false (VPC flow logs, all traffic, to CloudWatch Logs for "
        "logRetentionDays)")] = False
    force_destroy: Annotated[bool, _allowed("true | false (buckets deletable when "
                                            "not empty; sandbox stacks only)")] = False

    @model_validator(mode="before")
    @classmethod
    def _decode_strings(cls, data: Any) -> Any:
        """`pulumi config set` stores every value as a string; lists arrive as JSON."""
        if not isinstance(data, Mapping):
            return data
        decoded = dict(data)
        for name, field in cls.model_fields.items():
            for key in {name, field.alias}:
                value = decoded.get(key)
                if isinstance(value, str) and value.lstrip().startswith("["):
                    with contextlib.suppress(json.JSONDecodeError):
                        decoded[key] = json.loads(value)
        return decoded

    @field_validator("region", "replica_region")
    @classmethod
    def _region_name(cls, value: str | None) -> str | None:
        if value is not None and not REGION.match(value):
            raise ValueError(f"{value!r} is not an AWS region name")
        return value

    @field_validator("origin_shield_region")
    @classmethod
    def _origin_shield_region(cls, value: str | None) -> str | None:
        if value is not None and value not in ORIGIN_SHIELD_REGIONS:
            raise ValueError(f"{value!r} is not a region CloudFront offers Origin Shield in; "
                             + origin_shield_advice(value))
        return value

    @field_validator("geo_restriction_locations")
    @classmethod
    def _country_codes(cls, value: list[str]) -> list[str]:
        unknown = [code for code in value if code not in ISO_3166_ALPHA2]
        if unknown:
            raise ValueError(f"{', '.join(map(repr, unknown))} not ISO 3166-1 alpha-2 "
                             "country codes (two upper-case letters, e.g. US, DE)")
        duplicates = sorted({code for code in value if value.count(code) > 1})
        if duplicates:
            raise ValueError(f"{', '.join(duplicates)} listed more than once")
        return value

    @field_validator("vpc_cidr")
    @classmethod
    def _vpc_size(cls, value: ipaddress.IPv4Network) -> ipaddress.IPv4Network:
        if not 16 <= value.prefixlen <= 24:
            raise ValueError(f"{value} must be between /16 and /24")
        return value

    @field_validator("public_subnet_cidrs", "private_subnet_cidrs")
    @classmethod
    def _subnet_size(cls, value: list[ipaddress.IPv4Network]) -> list[ipaddress.IPv4Network]:
        for cidr in value:
            if not 16 <= cidr.prefixlen <= 28:
                raise ValueError(f"{cidr} must be between /16 and /28")
        return value

    @field_validator("instance_type")
    @classmethod
    def _instance_type(cls, value: str) -> str:
        family, _, size = value.partition(".")
        if family not in INSTANCE_FAMILIES:
            raise ValueError(f"unknown instance family {family!r}")
        if not INSTANCE_SIZE.match(size):
            raise ValueError(f"{value!r} is not <family>.<size> (e.g. t3.small)")
        return value

    @field_validator("domain_name")
    @classmethod
    def _domain(cls, value: str | None) -> str | None:
        if value is not None and not DOMAIN.match(value):
            raise ValueError(f"{value!r} is not a lower-case DNS name")
        return value

    @field_validator("certificate_arn")
    @classmethod
    def _certificate(cls, value: str | None) -> str | None:
        if value is not None and not CERTIFICATE_ARN.match(value):
            raise ValueError(
                "CloudFront only uses ACM certificates from us-east-1: "
                "arn:aws:acm:us-east-1:<account>:certificate/<id>"
            )
        return value

    @field_validator("playback_rate_window")
    @classmethod
    def _rate_window(cls, value: int) -> int:
        if value not in WAF_RATE_WINDOWS:
            raise ValueError(f"{value} s is not a WAF evaluation window")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> StackConfig:
        if self.min_size > self.max_size:
            raise ValueError(
                f"{_key('min_size')}: must be <= {_key('max_size')} "
                f"(got {self.min_size} > {self.max_size})"
            )
        if not self.min_size <= self.desired_capacity <= self.max_size:
            raise ValueError(
                f"{_key('desired_capacity')}: must be within [{_key('min_size')}, "
                f"{_key('max_size')}] = [{self.min_size}, {self.max_size}] "
                f"(got {self.desired_capacity})"
            )
        for name in ("public_subnet_cidrs", "private_subnet_cidrs"):
            cidrs = getattr(self, name)
            if len(cidrs) != self.az_count:
                raise ValueError(
                    f"{_key(name)}: needs exactly {_key('az_count')} = {self.az_count} "
                    f"CIDRs, one per AZ (got {len(cidrs)})"
                )
            for cidr in cidrs:
                if not cidr.subnet_of(self.vpc_cidr):
                    raise ValueError(
                        f"{_key(name)}: {cidr} is outside {_key('vpc_cidr')} {self.vpc_cidr}"
                    )
        every = [(c, "public") for c in self.public_subnet_cidrs] + [
            (c, "private") for c in self.private_subnet_cidrs
        ]
        for i, (a, kind_a) in enumerate(every):
            for b, kind_b in every[i + 1:]:
                if a.overlaps(b):
                    raise ValueError(
                        f"{_key(f'{kind_b}_subnet_cidrs')}: {b} ({kind_b}) overlaps "
                        f"{a} ({kind_a}); subnets must not overlap"
                    )
        if self.replica_region is not None and self.replica_region == self.region:
            raise ValueError(
                f"{_key('replica_region')}: must differ from aws:region ({self.region})"
            )
        if (self.origin_shield_enabled and self.origin_shield_region is None
                and self.region not in ORIGIN_SHIELD_REGIONS):
            raise ValueError(
                f"{_key('origin_shield_region')}: required with "
                f"{_key('origin_shield_enabled')}, because aws:region {self.region} has no "
                f"Origin Shield; {origin_shield_advice(self.region)}"
            )
        if self.geo_restriction_type == "none" and self.geo_restriction_locations:
            raise ValueError(
                f"{_key('geo_restriction_type')}: must be allow or deny when "
                f"{_key('geo_restriction_locations')} is set (got none)"
            )
        if self.geo_restriction_type != "none" and not self.geo_restriction_locations:
            raise ValueError(
                f"{_key('geo_restriction_locations')}: an {self.geo_restriction_type} "
                f"restriction needs at least one country code"
            )
        for name in ("cache_hit_rate_floor", "origin_latency_threshold"):
            if name in self.model_fields_set and not self.additional_metrics_enabled:
                raise ValueError(
                    f"{_key(name)}: its alarm reads an additional metric; set "
                    f"{_key('additional_metrics_enabled')} to true or drop the key"
                )
        self._staging_consistent()
        if self.vpc_origin_security_group_id and self.api_origin != "vpc":
            raise ValueError(
                f"{_key('vpc_origin_security_group_id')}: CloudFront's VPC-origin group "
                f"only reaches an internal ALB; set {_key('api_origin')} to vpc or drop the key"
            )
        if (self.hosted_zone_id or self.certificate_arn) and not self.domain_name:
            raise ValueError(
                f"{_key('domain_name')}: required when hostedZoneId or certificateArn is set"
            )
        if self.domain_name and not (self.hosted_zone_id or self.certificate_arn):
            raise ValueError(
                f"{_key('domain_name')}: needs {_key('hosted_zone_id')} (to issue and "
                f"validate a certificate) or {_key('certificate_arn')} (us-east-1)"
            )
        return self

    def _staging_consistent(self) -> None:
        """Continuous deployment's limits (CloudFront Developer Guide, "Quotas and other
        considerations for continuous deployment"), and no key of the mode not chosen."""
        mode_keys = {"header": ("staging_header", "staging_header_value"),
                     "weight": ("staging_weight", "staging_session_idle_ttl",
                                "staging_session_max_ttl")}
        for mode, names in mode_keys.items():
            for name in names:
                if name in self.model_fields_set and self.staging_mode != mode:
                    raise ValueError(
                        f"{_key(name)}: applies to {_key('staging_mode')} {mode} only "
                        f"(got {self.staging_mode}); set the mode or drop the key")
        if self.staging_mode == "off":
            return
        if "3" in self.http_version:
            raise ValueError(
                f"{_key('http_version')}: CloudFront refuses continuous deployment on a "
                f"distribution with HTTP/3 ({self.http_version}); set http2 (or http1.1) "
                f"while {_key('staging_mode')} is {self.staging_mode}, or turn staging off")
        if self.staging_session_idle_ttl > self.staging_session_max_ttl:
            raise ValueError(
                f"{_key('staging_session_idle_ttl')}: must be <= "
                f"{_key('staging_session_max_ttl')} (got {self.staging_session_idle_ttl} > "
                f"{self.staging_session_max_ttl})")
        if self.standard_logging_v2_enabled:
            raise ValueError(
                f"{_key('staging_mode')}: the staging distribution's access logs are wired "
                f"for legacy logging only; turn {_key('standard_logging_v2_enabled')} off or "
                "staging off")

    # ---- derived values -------------------------------------------------

    @property
    def architecture(self) -> str:
        """x86_64 or arm64, from the instance family."""
        return INSTANCE_FAMILIES[self.instance_type.partition(".")[0]]

    @property
    def ami_parameter(self) -> str:
        """The SSM parameter holding the latest Amazon Linux 2023 AMI for the architecture."""
        return f"/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-{self.architecture}"

    @property
    def nat_gateway_count(self) -> int:
        return {"none": 0, "single": 1, "per-az": self.az_count}[self.nat_mode]

    @property
    def custom_domain(self) -> bool:
        return self.domain_name is not None

    @property
    def origin_domain_name(self) -> str | None:
        """The ALB's own TLS name, `origin.<domainName>`, or None when the stack cannot
        certify one: that needs hostedZoneId (a regional ACM certificate, DNS-validated, and
        the alias record). A certificateArn alone is a us-east-1 certificate for CloudFront's
        viewers; an ALB only takes certificates from its own region."""
        if self.domain_name and self.hosted_zone_id:
            return f"{ORIGIN_SUBDOMAIN}.{self.domain_name}"
        return None

    @property
    def shield_region(self) -> str | None:
        """The Origin Shield region when Origin Shield is on (originShieldRegion, else
        aws:region), else None."""
        if not self.origin_shield_enabled:
            return None
        return self.origin_shield_region or self.region

    @property
    def log_group_retention_days(self) -> int:
        """logRetentionDays as a CloudWatch Logs retention: the shortest allowed period
        that keeps logs at least that long."""
        return next(d for d in LOG_GROUP_RETENTION_DAYS if d >= self.log_retention_days)

    @property
    def cdn_log_source_name(self) -> str:
        """The CloudWatch Logs delivery source of the distribution's access logs (logging v2);
        the log bucket's policy names it before it exists."""
        return self.name("cdn-access-logs")

    def name(self, suffix: str) -> str:
        """A resource name scoped to the environment: `edgeflix-dev-<suffix>`."""
        return f"{NAMESPACE}-{self.environment}-{suffix}"

    # ---- constructors -----------------------------------------------------

    @classmethod
    def from_mapping(
        cls, values: Mapping[str, object], source: str = "stack config"
    ) -> StackConfig:
        """Validate a mapping of stack keys (camelCase, no namespace; `region` for aws:region)."""
        return SETTINGS.validate(values, source)


# The settings files of this project (edgeflix): Pulumi.<stack>.yaml at the repository root.
SETTINGS = StackSettings(NAMESPACE, StackConfig, ConfigError, REPO_ROOT, no_secrets=True)
_key = SETTINGS.key
stack_file = SETTINGS.stack_file
load_stack = SETTINGS.load_stack
load_stack_file = SETTINGS.load_stack_file
from_pulumi = SETTINGS.from_pulumi
config_table = SETTINGS.config_table
