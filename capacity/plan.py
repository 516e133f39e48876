"""One capacity plan: the inputs, every figure the model derives from them, the quotas
those figures meet first, and the fixed last line `make capacity` prints."""

from __future__ import annotations

from dataclasses import dataclass

from app.plays import PlayRecorder
from capacity.model import (
    AbrOutcome,
    DynamoDbLoad,
    Fleet,
    Traffic,
    ViewerModel,
    abr_outcome,
    dynamodb_load,
    fleet,
    gunicorn_workers,
    monthly_cost,
    traffic,
    viewer_model,
)
from capacity.prices import PriceTable
from infra.config import StackConfig
from infra.waf import MANAGED_RULE_GROUPS
from loadtest import viewer

# Default quotas, each with the AWS page that states it (read 2026-12-01).
CLOUDFRONT_QUOTAS = "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html"
CLOUDFRONT_RPS_PER_DISTRIBUTION = 250_000
CLOUDFRONT_GBPS_PER_DISTRIBUTION = 150
DYNAMODB_QUOTAS = "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html"
DYNAMODB_TABLE_ON_DEMAND_UNITS = 40_000  # per table, reads and writes each (adjustable)
DYNAMODB_PARTITIONS = "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-partition-key-design.html"
DYNAMODB_PARTITION_WCU, DYNAMODB_PARTITION_RCU = 1_000, 3_000
ALB_QUOTAS = "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-limits.html"
ALB_TARGETS = 1_000  # targets per Application Load Balancer and per target group
S3_PREFIX_RATES = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/optimizing-performance.html"
S3_GET_PER_PREFIX = 5_500  # GET/HEAD per second per partitioned prefix
WAF_RATE_RULES = "https://docs.aws.amazon.com/waf/latest/developerguide/waf-rule-statement-type-rate-based-high-level-settings.html"


@dataclass(frozen=True)
class Inputs:
    """What a plan is computed from; each `*_source` says where a figure came from."""

    viewers: int
    bitrate_bps: float
    bitrate_source: str
    hit_ratio: float
    hit_ratio_source: str
    api_rps_per_instance: float
    api_rps_source: str
    catalog_titles: int
    # The rendition ladder (BANDWIDTH, bit/s) adaptive bitrate runs on: how many media
    # playlists a play loads (model.abr_outcome); `ladder_source` says where it came from.
    ladder_bps: tuple[int, ...] = ()
    ladder_source: str = "none: one media playlist a play"
    hot_share: float | None = None  # None: the Zipf rank-1 share over catalog_titles
    max_segments: int | None = None
    api_bytes_per_request: float = 2048.0  # ALB processed bytes, request + response
    hours: float | None = None

    def __post_init__(self) -> None:
        if self.viewers < 0:
            raise ValueError(f"VIEWERS must be >= 0, got {self.viewers}")
        if not 0.0 <= self.hit_ratio <= 1.0:
            raise ValueError(f"HIT_RATIO must be within 0..1, got {self.hit_ratio}")
        if self.bitrate_bps <= 0:
            raise ValueError(f"BITRATE must be > 0, got {self.bitrate_bps / 1e6:g} Mbps")
        if self.api_bytes_per_request < 0:
            raise ValueError(f"API bytes must be >= 0, got {self.api_bytes_per_request}")
        if self.hot_share is not None and not 0.0 <= self.hot_share <= 1.0:
            raise ValueError(f"hot title share must be within 0..1, got {self.hot_share}")


@dataclass(frozen=True)
class Limit:
    """A quota the plan meets: the load on it, the quota, and the page that states it."""

    name: str
    load: float
    quota: float
    unit: str
    source: str
    note: str = ""

    @property
    def used(self) -> float:
        """Load as a share of the quota (above 1 it breaks)."""
        return self.load / self.quota if self.quota else float("inf")


@dataclass(frozen=True)
class CapacityPlan:
    """Everything `make capacity` prints."""

    inputs: Inputs
    stack: StackConfig
    model: ViewerModel
    abr: AbrOutcome | None  # adaptive bitrate on inputs.ladder_bps; None without a ladder
    traffic: Traffic
    fleet: Fleet
    workers: int  # gunicorn worker processes over the whole fleet
    vcpus: int  # over the whole fleet
    dynamodb: DynamoDbLoad
    hot_share: float
    hours: float
    cost: dict[str, float]
    limits: list[Limit]
    waf_viewers_per_ip: float | None
    prices_read_on: str

    @property
    def monthly_usd(self) -> float:
        """The sum of the cost by service."""
        return sum(self.cost.values())

    def last_line(self) -> str:
        """`capacity: edge_gbps=<n> origin_rps=<n> api_instances=<n> monthly_usd=<n>`."""
        return (
            f"capacity: edge_gbps={self.traffic.edge_gbps:.2f} "
            f"origin_rps={self.traffic.origin_rps:.0f} "
            f"api_instances={self.fleet.needed} "
            f"monthly_usd={self.monthly_usd:.0f}"
        )


def zipf_top_share(titles: int, s: float | None = None) -> float:
    """The most popular title's share of plays under the viewer model's Zipf picker
    (exponent `s`, default the viewer model's --zipf-s default)."""
    ranked = [{"id": str(i), "popularity": titles - i} for i in range(titles)]
    exponent = viewer.ZIPF_S_DEFAULT if s is None else s
    return viewer.ZipfPicker(ranked, exponent).probability(1)


def build_plan(inputs: Inputs, stack: StackConfig, prices: PriceTable) -> CapacityPlan:
    """Derive every figure of a plan; ValueError or PriceError on a bad input."""
    abr = (abr_outcome(inputs.ladder_bps, max_segments=inputs.max_segments)
           if inputs.ladder_bps else None)
    model = viewer_model(
        catalog_titles=inputs.catalog_titles,
        grant_ttl_seconds=stack.signed_cookie_ttl,
        max_segments=inputs.max_segments,
        extra_media_playlists=abr.extra_media_playlists if abr else 0.0,
    )
    flow = traffic(inputs.viewers, model, inputs.bitrate_bps, inputs.hit_ratio)
    api_fleet = fleet(flow.api_origin_rps, inputs.api_rps_per_instance, stack)
    _, vcpus = prices.instance(stack.instance_type)
    workers = api_fleet.needed * gunicorn_workers(vcpus)
    hot = inputs.hot_share if inputs.hot_share is not None else zipf_top_share(
        inputs.catalog_titles
    )
    # Each Locust viewer signs in to its own account; a grant beyond a play's first is
    # a renewal (viewer_model's "playback": one a play plus one per cookie TTL watched).
    db = dynamodb_load(
        flow.plays_per_s, flow.rps_by_kind["recommendations"], workers, inputs.catalog_titles, hot,
        renewals_per_s=flow.rps_by_kind["playback"] - flow.plays_per_s,
    )
    waf_rules = 1 + len(MANAGED_RULE_GROUPS) if stack.waf_enabled else None
    cost = monthly_cost(
        prices, flow, api_fleet.needed, stack.instance_type, db, waf_rules,
        inputs.api_bytes_per_request, inputs.hours,
    )
    grants_per_window = model.per_minute["playback"] * stack.playback_rate_window / 60
    viewers_per_ip = (
        stack.playback_rate_limit / grants_per_window if stack.waf_enabled else None
    )
    return CapacityPlan(
        inputs=inputs,
        stack=stack,
        model=model,
        abr=abr,
        traffic=flow,
        fleet=api_fleet,
        workers=workers,
        vcpus=api_fleet.needed * vcpus,
        dynamodb=db,
        hot_share=hot,
        hours=inputs.hours if inputs.hours is not None else prices.hours_per_month,
        cost=cost,
        limits=limits(flow, api_fleet, db, hot, stack),
        waf_viewers_per_ip=viewers_per_ip,
        prices_read_on=prices.read_on.isoformat(),
    )


def limits(
    flow: Traffic, api_fleet: Fleet, db: DynamoDbLoad, hot_share: float, stack: StackConfig
) -> list[Limit]:
    """The default quotas the plan's load meets, most used first."""
    max_size_ceiling = max(
        m.le for m in StackConfig.model_fields["max_size"].metadata if hasattr(m, "le")
    )
    found = [
        Limit("CloudFront requests per distribution", flow.edge_rps,
              CLOUDFRONT_RPS_PER_DISTRIBUTION, "req/s", CLOUDFRONT_QUOTAS, "adjustable"),
        Limit("CloudFront data transfer per distribution", flow.edge_gbps,
              CLOUDFRONT_GBPS_PER_DISTRIBUTION, "Gbit/s", CLOUDFRONT_QUOTAS, "adjustable"),
        Limit("DynamoDB writes on the hottest title's partition (TITLE#<id>)",
              db.hot_title_write_units, DYNAMODB_PARTITION_WCU, "WCU/s", DYNAMODB_PARTITIONS,
              f"{hot_share:.0%} of plays on one title; no partition takes more, whatever "
              "the table's capacity (split-for-heat may spread its COPLAY# items)"),
        Limit("DynamoDB writes on one item (TITLE#<id>/STATS, the play counter)",
              db.hot_counter_item_writes, DYNAMODB_PARTITION_WCU, "WCU/s", DYNAMODB_PARTITIONS,
              "each gunicorn worker ADDs its coalesced count once every "
              f"{PlayRecorder.COUNTER_FLUSH_SECONDS:g} s (app/plays.py); one item lives "
              "in one partition"),
        Limit("DynamoDB table writes (on-demand, per table)", db.write_units,
              DYNAMODB_TABLE_ON_DEMAND_UNITS, "WRU/s", DYNAMODB_QUOTAS, "adjustable"),
        Limit("DynamoDB table reads (on-demand, per table)", db.read_units,
              DYNAMODB_TABLE_ON_DEMAND_UNITS, "RRU/s", DYNAMODB_QUOTAS, "adjustable"),
        Limit("ASG maxSize (stack config)", api_fleet.needed, stack.max_size, "instances",
              "Pulumi.<stack>.yaml maxSize", f"infra/config.py caps maxSize at {max_size_ceiling}"),
        Limit("ALB targets per load balancer", api_fleet.needed, ALB_TARGETS, "targets",
              ALB_QUOTAS, "adjustable; also 1,000 per target group"),
        Limit("S3 GETs on the hottest title's prefix (edge misses)",
              flow.media_origin_rps * hot_share, S3_GET_PER_PREFIX, "req/s", S3_PREFIX_RATES,
              "per partitioned prefix; S3 partitions a hot prefix over 30-60 min"),
    ]
    return sorted(found, key=lambda limit: limit.used, reverse=True)
