"""`python -m capacity --viewers N [--bitrate MBPS] [--hit-ratio R] ...`: capacity and
monthly cost on paper for N concurrent viewers. Prints a table, what breaks first, and as
the last line exactly `capacity: edge_gbps=<n> origin_rps=<n> api_instances=<n>
monthly_usd=<n>`. Exit status 2 on a bad input, with a message naming it."""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from dataclasses import asdict
from pathlib import Path

from app.catalog import Catalog, CatalogError, load_catalog
from capacity.model import ladder_bitrate
from capacity.plan import CapacityPlan, Inputs, build_plan
from capacity.prices import PriceError, load_prices
from infra.config import REPO_ROOT, ConfigError, load_stack
from media.generate import MAXRATE_FACTOR
from media.sample import PROFILES, plan_titles

BENCH_RESULT = REPO_ROOT / "reports" / "bench-api.json"
DEFAULT_HIT_RATIO = 0.95
DEMO = PROFILES["demo"]
# Measured on this kind of machine (2 vCPUs, gunicorn gthread, a 325-byte JSON endpoint,
# 2026-11): the fallback when neither a figure nor a bench-api result is given.
DEFAULT_API_RPS = 2600.0


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m capacity", description=__doc__.splitlines()[0])
    p.add_argument("--viewers", type=int, required=True, help="concurrent viewers")
    p.add_argument("--bitrate", type=float,
                   help="Mbps per viewer (default: adaptive bitrate on the ladder)")
    p.add_argument("--hit-ratio", type=float, help=f"edge hit ratio 0..1 ({DEFAULT_HIT_RATIO})")
    p.add_argument("--api-rps-per-instance", type=float,
                   help="API req/s one instance serves at 100%% CPU (default: bench-api result)")
    p.add_argument("--bench-result", type=Path, default=BENCH_RESULT,
                   help="the JSON `make bench-api` writes")
    p.add_argument("--catalog", type=Path,
                   help="catalog.json whose ladder and titles to use (default: the demo library's)")
    p.add_argument("--titles", type=int,
                   help="titles in the catalog (default: --catalog's, else the sample plan's)")
    p.add_argument("--hot-share", type=float,
                   help="share of plays on the most-watched title (default: Zipf rank 1)")
    p.add_argument("--max-segments", type=int, help="the viewer model's --max-segments")
    p.add_argument("--hours", type=float, help="hours a month the load is held (default 730)")
    p.add_argument("--api-bytes", type=float, default=2048.0,
                   help="bytes an API request and response take at the ALB (LCU pricing)")
    p.add_argument("--stack", default="dev", help="stack whose Pulumi.<stack>.yaml to read")
    p.add_argument("--json", action="store_true", help="print the plan as JSON before the line")
    return p


def demo_ladder() -> tuple[int, ...]:
    """The demo library's ladder as its master playlist would state it, from the profile:
    each rung's peak (video target x MAXRATE_FACTOR, media/generate.py) plus audio, bit/s."""
    return tuple(sorted(int(r.video_bitrate * MAXRATE_FACTOR) + DEMO.audio_bitrate
                        for r in DEMO.ladder))


def bench_throughput(path: Path) -> tuple[float, str] | None:
    """The slowest API endpoint's req/s in a bench-api result, with its provenance."""
    try:
        document = json.loads(path.read_text())
        endpoints = {k: v["rps"] for k, v in document["endpoints"].items() if k != "bare"}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    if not endpoints:
        return None
    name = min(endpoints, key=endpoints.get)
    return float(endpoints[name]), (
        f"bench-api {document.get('measured_at', '?')}: {name}, the slowest endpoint, "
        f"on {document.get('cpus', '?')} CPUs shared with the load clients"
    )


def _catalog(path: Path) -> Catalog:
    """A bucket's catalog.json (published layout) or a generated library's (media/tiers.py):
    only the ladders and titles are read, which both layouts share."""
    try:
        return load_catalog(path)
    except CatalogError:
        return load_catalog(path, generated=True)


def resolve_inputs(args: argparse.Namespace) -> Inputs:
    """Fill every input from the flags, else the repo's measurements, else labelled defaults."""
    catalog = _catalog(args.catalog) if args.catalog is not None else None
    ladders = Counter(tuple(sorted(r.bandwidth for r in t.renditions))
                      for t in (catalog.titles if catalog is not None else ()))
    if ladders:
        ladder = ladders.most_common(1)[0][0]
        ladder_source = f"{args.catalog}'s most common ladder (peak BANDWIDTH)"
    else:
        ladders = Counter({demo_ladder(): 1})
        ladder = demo_ladder()
        ladder_source = "the demo library's ladder, from media/sample.py"
    if args.bitrate is not None:
        bitrate, bitrate_source = args.bitrate * 1e6, "given (BITRATE)"
    else:
        rates = {lad: ladder_bitrate(lad, args.max_segments) for lad in ladders}
        bitrate = sum(rates[lad] * n for lad, n in ladders.items()) / ladders.total()
        bitrate_source = f"{ladder_source} under the viewer model's adaptive bitrate"
    if args.titles is not None:
        titles = args.titles
    elif catalog is not None:
        titles = len(catalog.titles)
    else:
        titles = len(plan_titles())
    if args.api_rps_per_instance is not None:
        api_rps, api_source = args.api_rps_per_instance, "given (--api-rps-per-instance)"
    else:
        api_rps, api_source = bench_throughput(args.bench_result) or (
            DEFAULT_API_RPS, "default: gthread on 2 vCPUs, 325-byte JSON (2026-11); "
            "run `make bench-api` to measure")
    if args.hit_ratio is not None:
        hit, hit_source = args.hit_ratio, "given (HIT_RATIO)"
    else:
        hit, hit_source = DEFAULT_HIT_RATIO, "assumed; pass HIT_RATIO"
    return Inputs(
        viewers=args.viewers, bitrate_bps=bitrate, bitrate_source=bitrate_source,
        hit_ratio=hit, hit_ratio_source=hit_source, api_rps_per_instance=api_rps,
        api_rps_source=api_source, catalog_titles=titles, ladder_bps=ladder,
        ladder_source=ladder_source, hot_share=args.hot_share,
        max_segments=args.max_segments, hours=args.hours, api_bytes_per_request=args.api_bytes,
    )


def _n(value: float) -> str:
    whole = abs(value) >= 100 or float(value).is_integer()
    return f"{value:,.0f}" if whole else f"{value:,.2f}"


def render(plan: CapacityPlan) -> str:
    """The human-readable report, without the last line."""
    i, t, f, db = plan.inputs, plan.traffic, plan.fleet, plan.dynamodb
    lines = [
        f"Capacity for {i.viewers:,} concurrent viewers, stack {plan.stack.environment!r} "
        f"({plan.stack.instance_type}, minSize {f.min_size}, maxSize {f.max_size})",
        f"  bitrate      {i.bitrate_bps / 1e6:.3f} Mbps  ({i.bitrate_source})",
        f"  hit ratio    {i.hit_ratio:.3f}  ({i.hit_ratio_source})",
        f"  API/instance {i.api_rps_per_instance:,.0f} req/s  ({i.api_rps_source})",
        f"  viewer model {plan.model.segments_per_play:g} segments a play, a play every "
        f"{plan.model.cycle_seconds:.2f} s, watching {plan.model.watching_share:.0%} of the time"
        f" (loadtest/viewer.py); {i.catalog_titles} titles",
    ]
    if plan.abr is not None:
        a = plan.abr
        lines.append(
            f"  ABR          {'/'.join(f'{b / 1e6:.2f}' for b in i.ladder_bps)} Mbps ladder "
            f"({i.ladder_source}): segments "
            f"{'/'.join(f'{x:.0%}' for x in a.segment_shares)}, bytes "
            f"{'/'.join(f'{x:.0%}' for x in a.byte_shares)}, {a.switches_per_play:.2f} "
            f"switches and {a.extra_media_playlists:.2f} extra media playlists a play "
            "(loadtest/abr.py over modelled links)")
    lines += [
        "",
        f"{'kind':16s} {'per viewer-min':>14s} {'edge req/s':>14s}",
    ]
    for kind, per_min in plan.model.per_minute.items():
        lines.append(f"{kind:16s} {per_min:14.3f} {_n(t.rps_by_kind[kind]):>14s}")
    lines += [
        f"{'all':16s} {sum(plan.model.per_minute.values()):14.3f} {_n(t.edge_rps):>14s}",
        "",
        f"edge egress        {t.edge_gbps:,.2f} Gbit/s",
        f"origin requests    {_n(t.origin_rps)} req/s  (ALB {_n(t.api_origin_rps)}, "
        f"S3 {_n(t.media_origin_rps)})",
        f"origin bytes (S3)  {t.media_origin_bytes_per_s * 8 / 1e9:,.3f} Gbit/s",
        f"API instances      {f.needed}  (requests policy {f.by_requests}, CPU policy "
        f"{f.by_cpu}); maxSize {f.max_size} "
        + ("covers it" if f.covered else f"does NOT cover it: {f.needed - f.max_size} short"),
        f"DynamoDB           {_n(db.write_units)} WRU/s, {_n(db.read_units)} RRU/s; hottest "
        f"title {_n(db.hot_title_write_units)} WRU/s ({plan.hot_share:.0%} of plays)",
    ]
    lines += [f"  {name:32s} {_n(units):>12s} /s" for name, units in db.detail.items()]
    per_target = plan.stack.target_requests_per_target / 60
    lines.append(
        f"  the requests policy holds {per_target:,.1f} req/s per instance "
        f"(targetRequestsPerTarget {plan.stack.target_requests_per_target}/min), "
        f"{per_target / i.api_rps_per_instance:.1%} of what one serves"
        if f.by_requests >= f.by_cpu else
        f"  the CPU policy ({plan.stack.target_cpu_percent}%) sizes the fleet")
    lines.append(f"  vCPUs           {plan.vcpus:,} on {plan.stack.instance_type}: check the "
                 "account's Running On-Demand Standard instances quota (Service Quotas "
                 "L-1216C47A)")
    lines += ["", f"monthly cost (USD, load held {plan.hours:g} h, on-demand list prices, "
              f"prices read {plan.prices_read_on})"]
    lines += [f"  {service:12s} {usd:>16,.0f}" for service, usd in plan.cost.items()]
    lines += [f"  {'total':12s} {plan.monthly_usd:>16,.0f}",
              f"  ALB LCUs from processed bytes at {i.api_bytes_per_request:,.0f} bytes a request"
              " (assumed, --api-bytes); the connection dimensions are not modelled",
              "  not priced: NAT gateway, CloudWatch, Secrets Manager, S3 storage, Cognito, "
              "the free tier and committed-use discounts",
              "", "what breaks first (default quotas, most used first)"]
    for limit in plan.limits:
        mark = "BREAKS" if limit.used > 1 else "ok"
        lines.append(f"  {mark:6s} {limit.used:8.1%}  {limit.name}: {_n(limit.load)} of "
                     f"{_n(limit.quota)} {limit.unit}")
        lines.append(f"           {limit.note + '; ' if limit.note else ''}{limit.source}")
    if plan.waf_viewers_per_ip is not None:
        s = plan.stack
        lines.append(
            f"  WAF    playback rate rule: {s.playback_rate_limit} POSTs per IP per "
            f"{s.playback_rate_window} s blocks an address shared by more than "
            f"{plan.waf_viewers_per_ip:,.0f} viewers (each sends "
            f"{plan.model.per_minute['playback'] * s.playback_rate_window / 60:.1f}); "
            "carrier-grade NAT and office egress put more behind one IPv4 address")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Print the plan and its last line; 2 with a message on a bad input."""
    args = _parser().parse_args(argv)
    try:
        inputs = resolve_inputs(args)
        plan = build_plan(inputs, load_stack(args.stack), load_prices())
    except (ValueError, ConfigError, PriceError, CatalogError) as exc:
        print(f"capacity: {exc}", file=sys.stderr)
        return 2
    print(render(plan))
    if args.json:
        print(json.dumps({
            "inputs": asdict(plan.inputs),
            "per_viewer_minute": plan.model.per_minute,
            "plays_per_viewer_minute": plan.model.plays_per_minute,
            "abr": asdict(plan.abr) if plan.abr is not None else None,
            "edge_rps_by_kind": plan.traffic.rps_by_kind,
            "edge_gbps": plan.traffic.edge_gbps,
            "origin_rps": plan.traffic.origin_rps,
            "api_instances": plan.fleet.needed,
            "max_size_covers": plan.fleet.covered,
            "dynamodb": {"wru_per_s": plan.dynamodb.write_units,
                         "rru_per_s": plan.dynamodb.read_units},
            "monthly_usd_by_service": plan.cost,
            "limits": [{"name": x.name, "load": x.load, "quota": x.quota, "unit": x.unit,
                        "source": x.source} for x in plan.limits],
        }, indent=2))
    print(plan.last_line())
    return 0


if __name__ == "__main__":
    sys.exit(main())
