"""Pass/fail gates over the viewers' figures, summary.json and the printed summary."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from loadtest.metrics import edge_gbps

# Loopback has no network to speak of; a real viewer is ~50-200 ms from an edge.
DEFAULT_P95_STARTUP_MS = {"loopback": 500.0, "remote": 2000.0}


@dataclass
class Gates:
    """Limits a run must meet; None switches a gate off."""

    error_ratio: float | None = 0.01
    p95_startup_ms: float | None = DEFAULT_P95_STARTUP_MS["loopback"]
    segment_hit_ratio: float | None = 0.9
    stalls: float | None = None

    @classmethod
    def for_target(cls, loopback: bool) -> Gates:
        return cls(p95_startup_ms=DEFAULT_P95_STARTUP_MS["loopback" if loopback else "remote"])

    def override(self, specs: list[str]) -> Gates:
        """Apply `name=value` specs ("off" disables a gate); ValueError names a bad one."""
        values = asdict(self)
        for spec in specs:
            name, sep, raw = spec.partition("=")
            name = name.strip().replace("-", "_")
            if not sep or name not in values:
                raise ValueError(
                    f"bad gate {spec!r}: expected NAME=VALUE or NAME=off, "
                    f"NAME one of {sorted(values)}"
                )
            raw = raw.strip().lower()
            try:
                values[name] = None if raw in ("off", "none", "") else float(raw)
            except ValueError:
                raise ValueError(f"bad gate {spec!r}: {raw!r} is not a number or 'off'") from None
        return Gates(**values)


@dataclass
class GateResult:
    name: str
    passed: bool
    actual: float | None
    limit: float
    reason: str


def evaluate(stream: dict, gates: Gates) -> list[GateResult]:
    """Each enabled gate checked against the viewers' figures (StreamStats.as_dict())."""
    results = []

    def gate(
        name: str, actual: float | None, limit: float, ok_when_at_most: bool, what: str
    ) -> None:
        if actual is None:
            results.append(GateResult(name, False, None, limit, f"no data: {what}"))
            return
        passed = actual <= limit if ok_when_at_most else actual >= limit
        op = "<=" if ok_when_at_most else ">="
        verdict = "meets" if passed else "misses"
        results.append(
            GateResult(name, passed, actual, limit, f"{actual:g} {verdict} {op} {limit:g}")
        )

    if gates.error_ratio is not None:
        gate(
            "error_ratio",
            stream.get("error_ratio"),
            gates.error_ratio,
            True,
            "no requests were made",
        )
    if gates.p95_startup_ms is not None:
        gate(
            "p95_startup_ms",
            stream["startup_ms"]["p95"],
            gates.p95_startup_ms,
            True,
            "no play reached its first segment",
        )
    if gates.segment_hit_ratio is not None:
        gate(
            "segment_hit_ratio",
            stream["cache"]["after_warmup"].get("segment", {}).get("ratio"),
            gates.segment_hit_ratio,
            False,
            "no segment fetch after warm-up carried an X-Cache Hit/Miss header",
        )
    if gates.stalls is not None:
        gate("stalls", float(stream["stalls"]["count"]), gates.stalls, True, "")
    return results


def locust_totals(entries: list[dict] | None, errors: list[dict] | None = None) -> dict | None:
    """Locust's HTTP request totals, leaving out the viewer metric rows.

    `by_name` is keyed "<method> <request name>"; `by_action` adds up each request name (a
    viewer action, loadtest/viewer.py) over its methods: requests, failures, and failures
    by reason from Locust's error rows (`errors`, each type, name, error, occurrences).
    """
    if entries is None:
        return None
    http = [e for e in entries if e.get("type") != "VIEWER"]
    by_action: dict[str, dict] = {}
    for e in sorted(http, key=lambda e: e["name"]):
        action = by_action.setdefault(e["name"], {"requests": 0, "failures": 0, "errors": {}})
        action["requests"] += e["requests"]
        action["failures"] += e["failures"]
    for err in errors or []:
        if err.get("name") in by_action:
            reasons = by_action[err["name"]]["errors"]
            reasons[err["error"]] = reasons.get(err["error"], 0) + err["occurrences"]
    return {
        "by_action": by_action,
        "requests": sum(e["requests"] for e in http),
        "failures": sum(e["failures"] for e in http),
        "requests_per_s": round(sum(e.get("rps") or 0 for e in http), 2),
        "by_name": {
            f"{e['type']} {e['name']}": {
                k: e.get(k) for k in ("requests", "failures", "p50_ms", "p95_ms")
            }
            for e in sorted(http, key=lambda e: e["name"])
        },
    }


def build_summary(stream: dict, gates: Gates, run: dict, locust: dict | None) -> dict:
    """The verdict, the gates, the run, the viewers' figures and the edge throughput.

    `edge_gbps` spreads the video bytes over the run's Locust duration (`duration_s`).
    """
    results = evaluate(stream, gates)
    by_kind = (stream.get("bytes") or {}).get("by_kind") or {}
    return {
        "passed": all(r.passed for r in results),
        "gates": [asdict(r) for r in results],
        "run": run,
        "viewers": stream,
        "edge_gbps": edge_gbps(by_kind, float(run.get("duration_s") or 0)),
        "locust": locust,
    }


def write_summary(summary: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(summary, indent=2, sort_keys=False) + "\n")


def _fmt(value: float | None, unit: str = "", digits: int = 1) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}{unit}"


def _megabytes(value: int | None) -> str:
    return "n/a" if value is None else f"{value / 1e6:.1f} MB"


def _pct(share: float | None) -> float | None:
    return None if share is None else share * 100


MOTO_CALLS_SHOWN = 8  # operations named in the summary line; summary.json has them all


def _moto_calls_line(calls: dict[str, int], plays: int) -> str:
    """`moto calls` line: the run's total and the busiest operations, per play started."""
    total = sum(calls.values())

    def per_play(n: int) -> str:
        return f"{n / plays:.2f}" if plays else f"{n} calls"

    shown = sorted(calls.items(), key=lambda kv: -kv[1])[:MOTO_CALLS_SHOWN]
    return (f"  moto calls      {total} ({per_play(total)} a play): "
            + ", ".join(f"{name} {per_play(n)}" for name, n in shown))


def render_summary(summary: dict) -> str:
    """The human summary printed at the end of a run."""
    v = summary["viewers"]
    run = summary["run"]
    load = run.get("loadavg_1m") or {}
    cache = v["cache"]
    seg_warm = cache["after_warmup"].get("segment", {})
    seg_all = cache["overall"].get("segment", {})
    lines = [
        f"edgeflix load test: {run.get('users')} viewers for {run.get('duration')} "
        f"against {run.get('url')} (speed-up x{run.get('speedup')})",
        f"  machine         {run.get('cpus')} CPUs, load average "
        f"{load.get('start')} -> {load.get('end')}" if load else
        f"  machine         {run.get('machine', 'unknown')}",
        f"  requests        {v['requests']['total']} ({v['requests']['failed']} failed, "
        f"error ratio {_fmt(v['error_ratio'], digits=4)})",
        f"  plays           {v['plays']['started']} started, {v['plays']['completed']} watched to "
        f"their end, {v['plays']['with_stall']} with a stall",
        f"  start-up        p50 {_fmt(v['startup_ms']['p50'], ' ms')}, "
        f"p95 {_fmt(v['startup_ms']['p95'], ' ms')}, "
        f"p99 {_fmt(v['startup_ms'].get('p99'), ' ms')}, "
        f"max {_fmt(v['startup_ms']['max'], ' ms')}"
        + "".join(
            f"; {phase} p95 {_fmt(d['p95'], ' ms')}"
            for phase, d in (v.get("startup_phases_ms") or {}).items()
        ),
        f"  segment         p95 download {_fmt(v['segment_download_ms']['p95'], ' ms')}, "
        f"p95 download/duration {_fmt(v['segment_download_over_duration']['p95'], digits=3)}",
        f"  stalls          {v['stalls']['count']} (total {v['stalls']['total_s']} s, "
        f"longest {v['stalls']['max_s']} s)",
        f"  X-Cache         segments after warm-up {_fmt(seg_warm.get('ratio'), digits=4)} "
        f"({seg_warm.get('hits', 0)} hits / {seg_warm.get('misses', 0)} misses), "
        f"overall {_fmt(seg_all.get('ratio'), digits=4)}, all objects after warm-up "
        f"{_fmt(cache['after_warmup']['all']['ratio'], digits=4)}",
    ]
    size = v.get("bytes") or {}
    mix = v.get("renditions") or {}
    renewals = v.get("renewals") or {}
    actions = (summary.get("locust") or {}).get("by_action") or {}
    if actions:
        lines.append("  actions         " + ", ".join(
            f"{name} {a['requests']}" + (f" ({a['failures']} failed)" if a["failures"] else "")
            for name, a in actions.items()))
    fallbacks = v.get("fallbacks") or {}
    if fallbacks:
        lines.append("  fallbacks       " + ", ".join(f"{k} {n}" for k, n in fallbacks.items()))
    lines += [
        f"  bytes served    {_megabytes(size.get('total'))} "
        + "(" + ", ".join(
            f"{kind} {_megabytes(n)}" for kind, n in (size.get("by_kind") or {}).items()
        ) + f"), edge throughput {_fmt(summary.get('edge_gbps'), ' Gbps', digits=4)}",
        "  renditions      "
        + (
            ", ".join(
                f"{name} {m['segments']} segments / {_megabytes(m['bytes'])} "
                f"({_fmt(_pct(m['byte_share']), '%')} of bytes)"
                for name, m in mix.items()
            )
            or "none played"
        )
        + f"; switches {(v.get('switches') or {}).get('up', 0)} up, "
        f"{(v.get('switches') or {}).get('down', 0)} down",
        f"  renewals        {renewals.get('total', 0)} "
        + "(" + (
            ", ".join(f"{cause} {n}" for cause, n in (renewals.get("by_cause") or {}).items())
            or "none due"
        ) + ")",
    ]
    processes = run.get("locust_processes") or []
    if processes:
        lines.append(
            "  Locust CPU      "
            + ", ".join(
                f"{p['role']} {p['cpu_s']:.1f} s ({_fmt(p['cpu_pct_of_core'], '%', digits=0)} "
                "of a core)"
                for p in processes
            )
        )
    target = [p for p in run.get("target_processes") or [] if p["cpu_s"] is not None]
    if target:
        lines.append(
            "  target CPU      "
            + ", ".join(
                f"{p['role']} {p['cpu_s']:.1f} s ({_fmt(p['cpu_pct_of_core'], '%', digits=0)})"
                for p in sorted(target, key=lambda p: -p["cpu_s"])
            )
        )
    moto_calls = run.get("moto_calls")
    if moto_calls:
        lines.append(_moto_calls_line(moto_calls, v["plays"]["started"]))
    workers = run.get("workers")
    if workers:
        lines.append(
            f"  workers         {workers['count']} merged"
            + (
                f"; no final figures from {', '.join(workers['missing_final'])}: INCOMPLETE"
                if workers["missing_final"]
                else ", each sent its final figures"
            )
        )
    peak = max((b.get("viewers") or 0 for b in v.get("timeline") or []), default=0)
    if run.get("shape") == "steady" and isinstance(run.get("users"), int) \
            and peak > run["users"]:
        lines.append(
            f"  viewers         peaked at {peak}, above the {run['users']} asked: the master "
            "counted a worker missing and dispatched its viewers again (loadtest/cluster.py "
            "HEARTBEAT_LIVENESS); figures include the extra viewers")
    fleet = summary.get("fleet")
    if fleet:
        changes = [p for p in fleet["timeline"] if "decision" in p]
        lines.append(
            f"  fleet           {fleet['min']}..{fleet['max']} instances, at most "
            f"{fleet['max_in_service']} in service; "
            + (", ".join(f"{p['decision']['action']} {p['decision']['from']}->"
                         f"{p['decision']['to']} at {p['t_s']:g} s" for p in changes)
               or "no scaling")
            + f" (autoscaler clock x{fleet['time_scale']:g}: a 60 s period is "
            f"{fleet['period_wall_s']:g} s)"
        )
    if v["errors"]:
        lines.append(
            "  errors by type  " + ", ".join(f"{k} x{n}" for k, n in list(v["errors"].items())[:8])
        )
    for g in summary["gates"]:
        lines.append(f"  gate {'PASS' if g['passed'] else 'FAIL'}  {g['name']}: {g['reason']}")
    lines.append(f"RESULT: {'PASS' if summary['passed'] else 'FAIL'}")
    return "\n".join(lines)
