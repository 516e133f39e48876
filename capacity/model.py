"""Capacity on paper: from concurrent viewers to request rates, bytes, fleet size and cost.

Pure arithmetic, no I/O. Units: rates are per second unless the name says otherwise, sizes
in bytes, bitrates in bits per second, money in USD per month of `hours_per_month` hours.

What each viewer asks for comes from the Locust viewer model (`loadtest/viewer.py`: think
time, browse share, pages, recommendations share, playlists per play, watch length), read
at call time so a change there changes the figures here; which renditions a play fetches,
and so the delivered bitrate and the media playlists a play loads, from its adaptive
bitrate (`loadtest/abr.py`), run here over a population of modelled links. What the API
does with a play in DynamoDB comes from the app's own code and constants (`app/plays.py`,
`app/play_reads.py`, `app/recommendations.py`, `app/streams.py`, `app/plan_lookup.py`,
`app/playback_api.py`, `app/settings.py`), checked against the calls `python -m
bench.dynamodb_calls` counts; the fleet rules from the stack config (`infra/config.py`).
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from app.play_reads import COPLAY_LIMIT
from app.plays import RECENT_SLACK, PlayRecorder
from app.recommendations import COPLAY_SEEDS, TRENDING_DAYS
from app.settings import Settings
from capacity.prices import GIB, PriceTable, tiered_cost
from infra.config import StackConfig
from loadtest import viewer
from loadtest.abr import LINK_MBPS_DEFAULT, AdaptivePlayer, LinkModel
from media.sample import SEGMENT_SECONDS

# Request kinds: (origin behind CloudFront, whether the edge may cache the response).
# Catalog documents carry `s-maxage` (app/http_caching.py CATALOG); playback grants and
# recommendations are `no-store`; playlists and segments are S3 objects (edge-config/).
KINDS: dict[str, tuple[str, bool]] = {
    "titles": ("api", True),  # GET /api/v1/titles (one page)
    "title": ("api", True),  # GET /api/v1/titles/{id}
    "recommendations": ("api", False),  # GET /api/v1/recommendations
    "playback": ("api", False),  # POST /api/v1/titles/{id}/playback
    "playlist": ("media", True),  # master and media playlists
    "segment": ("media", True),  # HLS segments
}

# DynamoDB item sizes, estimated from the key layout in app/plays.py: a co-play item
# (TITLE#, COPLAY#, plays) is ~100 bytes. A Query is charged on the summed size rounded up
# to 4 KB. Every item the API writes is under 1 KB (one write unit a write, a failed
# conditional write included): a profile's RECENT list of at most RECENT_KEPT +
# RECENT_SLACK short ids (app/plays.py), an account's STREAMS item of a few screens
# (app/streams.py), a counter.
COPLAY_ITEM_BYTES = 100
READ_UNIT_BYTES = 4096  # one read request unit covers 4 KB (DynamoDB developer guide)
EVENTUAL_READ_UNITS = 0.5  # an eventually consistent read costs half a unit (boto3 default)
# Stream releases a play ends with: the browser player POSTs .../playback/release when the
# video ends or the page is hidden (player/app.js releaseStream), once a grant. The Locust
# viewer sends none (nor does bench.dynamodb_calls).
RELEASES_PER_PLAY = 1.0


@dataclass(frozen=True)
class ViewerModel:
    """The Locust viewer's requests per viewer-minute by kind, and what they rest on.

    A play cycle is think time, an optional browse, the play's API calls and playlists, then
    `segments_per_play` segments watched at real-time pace (the player fetches each segment
    as the previous one plays out, PlayerBuffer).
    """

    per_minute: dict[str, float]
    segments_per_play: float
    cycle_seconds: float
    plays_per_minute: float
    watching_share: float  # share of a viewer's time spent streaming segments


def viewer_model(
    *,
    catalog_titles: int,
    grant_ttl_seconds: float,
    segment_seconds: float = SEGMENT_SECONDS,
    max_segments: int | None = None,
    extra_media_playlists: float = 0.0,
) -> ViewerModel:
    """Requests per viewer-minute by kind, from loadtest/viewer.py's parameters.

    A play loads PLAYLISTS_PER_PLAY playlists (the master and the first rendition's
    media playlist) plus `extra_media_playlists` on average, one for each further
    rendition adaptive bitrate moves to (`AbrOutcome.extra_media_playlists`).

    `catalog_titles` sets the pages a browse reads (PAGE_LIMIT per page, at most
    MAX_PAGES); titles are assumed at least `max_segments` long (a real catalog's are).
    A play renews its grant once per `grant_ttl_seconds` of watching (signed cookies
    expire, DESIGN.md "A play"), at least one grant per play. ValueError on a bad input.
    """
    if catalog_titles < 1:
        raise ValueError(f"catalog_titles must be >= 1, got {catalog_titles}")
    if grant_ttl_seconds <= 0 or segment_seconds <= 0:
        raise ValueError("grant_ttl_seconds and segment_seconds must be > 0")
    max_segments = viewer.MAX_SEGMENTS_DEFAULT if max_segments is None else max_segments
    if max_segments < 1:
        raise ValueError(f"max_segments must be >= 1, got {max_segments}")
    if extra_media_playlists < 0:
        raise ValueError(f"extra_media_playlists must be >= 0, got {extra_media_playlists}")
    segments = viewer.mean_watch_length(max_segments, max_segments)
    watch_seconds = segments * segment_seconds
    think_seconds = sum(viewer.THINK_TIME_S) / 2  # mean of a uniform draw
    cycle = think_seconds + watch_seconds
    pages = max(1, min(viewer.MAX_PAGES, math.ceil(catalog_titles / viewer.PAGE_LIMIT)))
    per_play = {
        "titles": viewer.BROWSE_SHARE * pages,
        "title": 1.0,
        "recommendations": viewer.BROWSE_SHARE * viewer.RECOMMENDATIONS_SHARE,
        "playback": float(max(1, math.ceil(watch_seconds / grant_ttl_seconds))),
        "playlist": viewer.PLAYLISTS_PER_PLAY + extra_media_playlists,
        "segment": segments,
    }
    plays_per_minute = 60.0 / cycle
    return ViewerModel(
        per_minute={kind: n * plays_per_minute for kind, n in per_play.items()},
        segments_per_play=segments,
        cycle_seconds=cycle,
        plays_per_minute=plays_per_minute,
        watching_share=watch_seconds / cycle,
    )


@dataclass(frozen=True)
class AbrOutcome:
    """What the viewer model's adaptive bitrate does over many plays of one ladder.

    `segment_shares` and `byte_shares` are by rendition, ascending bandwidth; the
    delivered bitrate is bits per second of media time; `extra_media_playlists` is the
    mean number of renditions a play moves to after its first (each needs its media
    playlist once); `switches_per_play` counts every change, back and forth.
    """

    segment_shares: tuple[float, ...]
    byte_shares: tuple[float, ...]
    mean_bitrate_bps: float
    extra_media_playlists: float
    switches_per_play: float


def abr_outcome(
    bandwidths: Sequence[int],
    *,
    max_segments: int | None = None,
    segment_seconds: float = SEGMENT_SECONDS,
    link_mbps: float = LINK_MBPS_DEFAULT,
    plays: int = 2000,
    seed: int = 1,
) -> AbrOutcome:
    """Run the Locust viewer's adaptive bitrate over `plays` modelled viewers, each with its
    own link (loadtest/abr.py LinkModel around `link_mbps`) and a watch length drawn as the
    viewer model draws it; a segment of a rendition is its BANDWIDTH x `segment_seconds`,
    fetched as fast as the link allows (a cached segment). Deterministic for a `seed`.

    ValueError for an empty ladder, a bandwidth <= 0, or plays < 1.
    """
    ladder = sorted(bandwidths)
    if not ladder or ladder[0] <= 0:
        raise ValueError("a ladder needs at least one bandwidth > 0")
    if plays < 1:
        raise ValueError(f"plays must be >= 1, got {plays}")
    limit = viewer.MAX_SEGMENTS_DEFAULT if max_segments is None else max_segments
    rng = random.Random(seed)
    segments = [0] * len(ladder)
    extra_playlists = switches = 0
    for _ in range(plays):
        link = LinkModel(link_mbps, rng=rng)
        player = AdaptivePlayer(ladder)
        visited = set()
        for _segment in range(viewer.watch_length(limit, limit, rng)):
            rendition = player.next_rendition()
            visited.add(rendition)
            size = int(ladder[rendition] * segment_seconds / 8)
            segments[rendition] += 1
            player.segment_loaded(link.download_s(size, 0.0), size)
        extra_playlists += len(visited) - 1
        switches += sum(player.switches.values())
    total = sum(segments)
    bits = [n * b * segment_seconds for n, b in zip(segments, ladder, strict=True)]
    return AbrOutcome(
        segment_shares=tuple(n / total for n in segments),
        byte_shares=tuple(b / sum(bits) for b in bits),
        mean_bitrate_bps=sum(bits) / (total * segment_seconds),
        extra_media_playlists=extra_playlists / plays,
        switches_per_play=switches / plays,
    )


def ladder_bitrate(bandwidths: Sequence[int], max_segments: int | None = None) -> float:
    """Mean delivered bitrate (bit/s) of a rendition ladder (the catalog's peak BANDWIDTH
    values) under the viewer model's adaptive bitrate (`abr_outcome`)."""
    return abr_outcome(bandwidths, max_segments=max_segments).mean_bitrate_bps


@dataclass(frozen=True)
class Traffic:
    """Edge and origin load for a number of concurrent viewers."""

    rps_by_kind: dict[str, float]
    edge_rps: float
    edge_bytes_per_s: float
    api_origin_rps: float
    media_origin_rps: float
    media_origin_bytes_per_s: float
    plays_per_s: float

    @property
    def origin_rps(self) -> float:
        """Every request CloudFront forwards to an origin (ALB and S3)."""
        return self.api_origin_rps + self.media_origin_rps

    @property
    def edge_gbps(self) -> float:
        """Edge egress in Gbit/s (10^9 bits)."""
        return self.edge_bytes_per_s * 8 / 1e9


def traffic(
    viewers: int,
    model: ViewerModel,
    bitrate_bps: float,
    hit_ratio: float,
    segment_seconds: float = SEGMENT_SECONDS,
) -> Traffic:
    """Request rates by kind, edge bytes and what misses reach the origins.

    Edge bytes count segments only (playlists and API documents are a few KB per play);
    a segment is `bitrate_bps * segment_seconds / 8` bytes. `hit_ratio` (0..1) applies to
    every edge-cacheable kind. ValueError on a negative count or a ratio outside 0..1.
    """
    if viewers < 0:
        raise ValueError(f"viewers must be >= 0, got {viewers}")
    if not 0.0 <= hit_ratio <= 1.0:
        raise ValueError(f"hit ratio must be within 0..1, got {hit_ratio}")
    if bitrate_bps <= 0:
        raise ValueError(f"bitrate must be > 0 bit/s, got {bitrate_bps}")
    rps = {kind: viewers * per_min / 60 for kind, per_min in model.per_minute.items()}
    miss = 1.0 - hit_ratio
    reaching = {k: r * (miss if KINDS[k][1] else 1.0) for k, r in rps.items()}
    segment_bytes = bitrate_bps * segment_seconds / 8
    return Traffic(
        rps_by_kind=rps,
        edge_rps=sum(rps.values()),
        edge_bytes_per_s=rps["segment"] * segment_bytes,
        api_origin_rps=sum(r for k, r in reaching.items() if KINDS[k][0] == "api"),
        media_origin_rps=sum(r for k, r in reaching.items() if KINDS[k][0] == "media"),
        media_origin_bytes_per_s=reaching["segment"] * segment_bytes,
        plays_per_s=viewers * model.plays_per_minute / 60,
    )


@dataclass(frozen=True)
class Fleet:
    """API instances the ASG's two target-tracking policies would run."""

    by_requests: int  # ALBRequestCountPerTarget at targetRequestsPerTarget per minute
    by_cpu: int  # ASGAverageCPUUtilization at targetCpuPercent
    needed: int
    min_size: int
    max_size: int

    @property
    def covered(self) -> bool:
        """Whether maxSize lets the ASG reach the fleet it needs."""
        return self.needed <= self.max_size


def fleet(api_rps: float, rps_per_instance: float, cfg: StackConfig) -> Fleet:
    """Instances each policy holds its metric at target with, and the larger of the two.

    With several target-tracking policies the ASG scales out when any policy asks and in
    only when all agree (EC2 Auto Scaling user guide, "Target tracking scaling policies"),
    so it runs the larger count, never below minSize. CPU is taken as linear in requests,
    `rps_per_instance` being the throughput at 100% CPU.
    """
    if rps_per_instance <= 0:
        raise ValueError(f"per-instance throughput must be > 0 req/s, got {rps_per_instance}")
    by_requests = math.ceil(api_rps * 60 / cfg.target_requests_per_target)
    by_cpu = math.ceil(api_rps / (rps_per_instance * cfg.target_cpu_percent / 100))
    return Fleet(
        by_requests=by_requests,
        by_cpu=by_cpu,
        needed=max(cfg.min_size, by_requests, by_cpu),
        min_size=cfg.min_size,
        max_size=cfg.max_size,
    )


def gunicorn_workers(vcpus: int) -> int:
    """Worker processes per instance: app/gunicorn.conf.py's max(2, CPU count)."""
    return max(2, vcpus)


def _query_units(items: int, item_bytes: int) -> float:
    return math.ceil(items * item_bytes / READ_UNIT_BYTES) * EVENTUAL_READ_UNITS


@dataclass(frozen=True)
class DynamoDbLoad:
    """Request units per second on the plays table, and on the hottest title's partition."""

    write_units: float
    read_units: float
    hot_title_write_units: float  # on the partition key TITLE#<most-watched id>
    hot_counter_item_writes: float  # on its one item TITLE#<id>/STATS
    detail: dict[str, float] = field(default_factory=dict)


def _per_interval(events_per_s: float, distinct: float, workers: int, seconds: float) -> float:
    """Writes per second when each of `workers` sums its events over `seconds` and writes
    one ADD per distinct key seen (at most `distinct` keys, as many as events otherwise)."""
    if events_per_s <= 0 or seconds <= 0:
        return events_per_s
    workers = max(workers, 1)
    return workers * min(distinct, events_per_s * seconds / workers) / seconds


def dynamodb_load(
    plays_per_s: float,
    recommendations_per_s: float,
    workers: int,
    catalog_titles: int,
    hot_share: float,
    *,
    renewals_per_s: float = 0.0,
    releases_per_play: float = RELEASES_PER_PLAY,
) -> DynamoDbLoad:
    """The plays table's load from the API's own code paths, every profile having enough
    history to fill its co-play seeds, each profile playing at most once per writer flush
    (Settings.play_flush_seconds, 1 s; the viewer model's play cycle is longer). Items are
    under 1 KB (1 WRU a write). Per second:

    - history (app/plays.py PlayTable.prepend_recent): one UpdateItem (list_append) of the
      profile's PROFILE#p/RECENT item per play, and a conditional trim UpdateItem
      (PlayTable.trim_recent) once a list passes RECENT_KEPT + RECENT_SLACK entries, i.e.
      every RECENT_SLACK + 1 plays: 1 + 1/11 WRU a play. The prepend's answer gives the
      co-play seeds: no read a play;
    - play counters (PlayRecorder, COUNTER_FLUSH_SECONDS): each worker sums its plays and
      ADDs once per title played to its STATS and its DAY# item every 15 s;
    - co-play counts (PlayRecorder, COPLAY_FLUSH_SECONDS): a play adds 2 x
      PlayRecorder.COPLAY_SEEDS pair increments, each worker ADDs once per distinct pair
      (at most titles x (titles - 1)) every 120 s;
    - concurrent streams (app/streams.py Streams, called by app/playback_api.py): one
      conditional UpdateItem on the account's ACCOUNT#<sub>/PLAN item per grant (claim; a
      second on an account's first claim, not counted), one per renewal
      (`renewals_per_s`: one every cookie TTL of watching) and one per release
      (`releases_per_play`). The claim's answer (ReturnValues ALL_NEW) is also the
      grant's plan of record, so a grant reads no plan: the plan lookup
      (app/plan_lookup.py) runs only when the table errs;
    - recommendations (app/recommendations.py through app/play_reads.py): one GetItem of
      the profile's RECENT item (0.5 RRU; an upper bound, the per-worker cache seldom
      meets the same profile twice) and COPLAY_SEEDS co-play Queries, each worker asking
      at most once per title every Settings.coplay_cache_seconds; per worker every
      Settings.trending_cache_seconds a BatchGetItem of every title's last TRENDING_DAYS
      counters.

    `hot_share` is the share of plays on the most-watched title: its partition key
    TITLE#<id> takes its STATS and DAY# ADDs (one each per worker and 15 s that saw a play
    of it) and the co-play ADDs of its pairs (TITLE#<id>/COPLAY#<other>: COPLAY_SEEDS from
    each of its plays, at most one from each other play; one per worker, pair and 120 s).
    """
    settings = Settings()
    seeds = PlayRecorder.COPLAY_SEEDS
    counter_seconds = PlayRecorder.COUNTER_FLUSH_SECONDS
    coplay_seconds = PlayRecorder.COPLAY_FLUSH_SECONDS
    pairs = catalog_titles * (catalog_titles - 1)
    coplay_queries = min(
        recommendations_per_s * COPLAY_SEEDS,
        max(workers, 1) * catalog_titles / settings.coplay_cache_seconds
        if settings.coplay_cache_seconds > 0 else float("inf"),
    )
    detail = {
        "history writes": plays_per_s * (1 + 1 / (RECENT_SLACK + 1)),
        "co-play writes": _per_interval(2 * seeds * plays_per_s, pairs, workers,
                                        coplay_seconds),
        "counter writes": 2 * _per_interval(plays_per_s, catalog_titles, workers,
                                            counter_seconds),
        "stream claim writes": plays_per_s,
        "stream renewal writes": renewals_per_s,
        "stream release writes": releases_per_play * plays_per_s,
        "history reads (recommendations)": recommendations_per_s * EVENTUAL_READ_UNITS,
        "co-play reads": coplay_queries
        * _query_units(min(COPLAY_LIMIT, max(catalog_titles - 1, 1)), COPLAY_ITEM_BYTES),
        "trending reads": workers
        * catalog_titles
        * TRENDING_DAYS
        * EVENTUAL_READ_UNITS
        / settings.trending_cache_seconds,
    }
    hot_plays = hot_share * plays_per_s
    hot_item = _per_interval(hot_plays, 1, workers, counter_seconds)
    hot_pair_increments = hot_plays * seeds + (plays_per_s - hot_plays)
    hot_coplays = _per_interval(hot_pair_increments, max(catalog_titles - 1, 0), workers,
                                coplay_seconds)
    return DynamoDbLoad(
        write_units=sum(v for k, v in detail.items() if k.endswith("writes")),
        read_units=sum(v for k, v in detail.items() if "reads" in k),
        hot_title_write_units=hot_coplays + 2 * hot_item,
        hot_counter_item_writes=hot_item,
        detail=detail,
    )


def monthly_cost(
    prices: PriceTable,
    flow: Traffic,
    instances: int,
    instance_type: str,
    db: DynamoDbLoad,
    waf_rules: int | None,
    api_bytes_per_request: float,
    hours: float | None = None,
) -> dict[str, float]:
    """USD per month by service for load held for `hours` (default: the table's month).

    CloudFront: tiered data transfer out plus HTTPS requests; S3: GETs on edge misses
    (transfer to CloudFront is free); EC2: on-demand instance-hours; ALB: hours plus LCUs
    from processed bytes (`api_bytes_per_request` each way together); DynamoDB: on-demand
    request units; WAF (when `waf_rules` is not None): web ACL, rules, inspected requests.
    """
    hours = prices.hours_per_month if hours is None else hours
    if hours <= 0:
        raise ValueError(f"hours must be > 0, got {hours}")
    seconds = hours * 3600
    usd_per_hour, _ = prices.instance(instance_type)
    alb_gb_per_hour = flow.api_origin_rps * api_bytes_per_request * 3600 / GIB
    cost = {
        "CloudFront": tiered_cost(
            flow.edge_bytes_per_s * seconds / GIB, prices.cloudfront_data_transfer_out.tiers
        )
        + flow.edge_rps * seconds / 10_000 * prices.cloudfront_https_requests.usd,
        "S3": flow.media_origin_rps * seconds / 1000 * prices.s3_get_requests.usd,
        "EC2": instances * usd_per_hour * hours,
        "ALB": hours * (prices.alb_hour.usd + alb_gb_per_hour * prices.alb_lcu_hour.usd),
        "DynamoDB": seconds
        / 1e6
        * (
            db.write_units * prices.dynamodb_write_request_units.usd
            + db.read_units * prices.dynamodb_read_request_units.usd
        ),
    }
    if waf_rules is not None:
        month_share = hours / prices.hours_per_month  # monthly fees are prorated hourly
        cost["WAF"] = (
            month_share
            * (prices.waf_web_acl_month.usd + waf_rules * prices.waf_rule_month.usd)
            + flow.edge_rps * seconds / 1e6 * prices.waf_requests.usd
        )
    return cost
