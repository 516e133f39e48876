"""The run over time as an HTML page of SVG line charts (`timeline.html` beside summary.json).

One chart per figure of `StreamStats.timeline_rows()`: viewers, API requests/s per target
(the ALB's targets see only API requests; divided by the API instances when the run knows how
many there are, else the fleet's total), p95 start-up and failed requests. With the twin's
autoscaler (summary.json's `fleet`), two more: instances in service and the requests per
target the scaling policy tracked, and a table of its scaling decisions. The page is
self-contained (inline SVG, no script), so it opens from a results folder or an S3 bucket.
`timeline_png.py` draws the same series into a PNG.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, replace

WIDTH, HEIGHT = 720, 170  # SVG viewport, px
LEFT, RIGHT, TOP, BOTTOM = 60, 15, 25, 30  # plot margins, px


@dataclass(frozen=True)
class Series:
    """One chart: `points` are (t_s, value or None: no data in that bucket)."""

    title: str
    unit: str
    points: list[tuple[float, float | None]]


def timeline_series(
    rows: Sequence[dict], bucket_s: float, api_instances: int | None
) -> list[Series]:
    """The charted series from timeline rows (see StreamStats.timeline_rows).

    Raises ValueError for `api_instances` < 1.
    """
    if api_instances is not None and api_instances < 1:
        raise ValueError(f"api_instances must be >= 1, got {api_instances}")
    divisor = api_instances or 1
    per_target = (
        f"API requests/s per target ({api_instances} instances)"
        if api_instances
        else "API requests/s (instances unknown: the whole fleet)"
    )
    # Charts plot the bucket's middle: its figures cover [t_s, t_s + bucket_s).
    mid = bucket_s / 2
    return [
        Series("Viewers", "", [(r["t_s"] + mid, r["viewers"]) for r in rows]),
        Series(
            per_target, "/s", [(r["t_s"] + mid, r["api_requests_per_s"] / divisor) for r in rows]
        ),
        Series("p95 start-up", " ms", [(r["t_s"] + mid, r["startup_p95_ms"]) for r in rows]),
        Series("Failed requests", "", [(r["t_s"] + mid, r["failures"]) for r in rows]),
    ]


def fleet_series(fleet: dict) -> list[Series]:
    """The autoscaler's charts from summary.json's `fleet`: instances in service and the
    ALBRequestCountPerTarget datapoints (requests/min per target; None: no requests)."""
    rows = fleet.get("timeline") or []
    target = next((p["target"] for p in fleet.get("policies") or []
                   if p["metric"] == "ALBRequestCountPerTarget"), None)
    return [
        Series(f"Instances in service (min {fleet['min']}, max {fleet['max']})", "",
               [(r["t_s"], r["in_service"]) for r in rows]),
        Series("Requests per target, per minute (ALBRequestCountPerTarget"
               + (f", target {target:g})" if target is not None else ")"), "/min",
               [(r["t_s"], r["requests_per_target"]) for r in rows]),
    ]


def summary_series(summary: dict) -> list[Series]:
    """Every charted series of a summary (summary.json's shape), in page order."""
    viewers = summary["viewers"]
    run = summary.get("run") or {}
    fleet = summary.get("fleet")
    bucket_s = float(viewers.get("timeline_bucket_s") or 5.0)
    series = timeline_series(viewers.get("timeline") or [], bucket_s,
                             None if fleet else run.get("api_instances"))
    if fleet:
        # The instances change during the run: the whole fleet's rate, per target below.
        series[1] = replace(series[1], title="API requests/s (the whole fleet)")
        series += fleet_series(fleet)
    return series


def decisions_table(fleet: dict) -> str:
    """The scaling decisions as an HTML table: when, what, the metrics and the reason."""
    rows = [p for p in fleet.get("timeline") or [] if "decision" in p]
    if not rows:
        return "<p>No scaling decision during the run.</p>"
    body = "".join(
        f"<tr><td>{p['t_s']:g} s</td><td>{html.escape(d['action'])}</td>"
        f"<td>{d['from']} &rarr; {d['to']}</td><td>"
        + html.escape(", ".join(f"{k} {v}" for k, v in d["metrics"].items()))
        + f"</td><td>{html.escape(d['reason'])}</td></tr>"
        for p in rows
        for d in [p["decision"]]
    )
    return ("<table border=1 cellpadding=4><tr><th>at</th><th>action</th><th>instances</th>"
            f"<th>metrics</th><th>reason</th></tr>{body}</table>")


def chart_svg(series: Series, t_end: float) -> str:
    """One line chart, 0..`t_end` s across and 0..the largest value up; gaps where no data."""
    values = [v for _, v in series.points if v is not None]
    top = max(values, default=0.0) or 1.0
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def xy(t: float, v: float) -> str:
        x = LEFT + plot_w * (t / t_end if t_end > 0 else 0.0)
        y = TOP + plot_h * (1 - v / top)
        return f"{x:.1f},{y:.1f}"

    runs: list[list[str]] = [[]]
    for t, v in series.points:
        if v is None:
            runs.append([])
        else:
            runs[-1].append(xy(t, v))
    lines = "".join(
        f'<polyline fill="none" stroke="#1f6feb" stroke-width="2" points="{" ".join(r)}"/>'
        for r in runs
        if r
    )
    dots = "".join(
        f'<circle cx="{p.split(",")[0]}" cy="{p.split(",")[1]}" r="2.5" fill="#1f6feb"/>'
        for r in runs
        for p in r
    )
    bottom = TOP + plot_h
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{html.escape(series.title)}">'
        f'<text x="{LEFT}" y="16" font-size="13" font-weight="bold">'
        f"{html.escape(series.title)}</text>"
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{bottom}" stroke="#888"/>'
        f'<line x1="{LEFT}" y1="{bottom}" x2="{WIDTH - RIGHT}" y2="{bottom}" stroke="#888"/>'
        f'<text x="{LEFT - 6}" y="{TOP + 4}" font-size="11" text-anchor="end">'
        f"{top:g}{html.escape(series.unit)}</text>"
        f'<text x="{LEFT - 6}" y="{bottom}" font-size="11" text-anchor="end">0</text>'
        f'<text x="{LEFT}" y="{bottom + 16}" font-size="11">0 s</text>'
        f'<text x="{WIDTH - RIGHT}" y="{bottom + 16}" font-size="11" text-anchor="end">'
        f"{t_end:g} s</text>"
        f"{lines}{dots}</svg>"
    )


def render_html(summary: dict) -> str:
    """The timeline page of a run's summary (summary.json's shape)."""
    viewers = summary["viewers"]
    run = summary.get("run") or {}
    rows = viewers.get("timeline") or []
    bucket_s = float(viewers.get("timeline_bucket_s") or 5.0)
    t_end = max((r["t_s"] + bucket_s for r in rows), default=bucket_s)
    fleet = summary.get("fleet")
    series = summary_series(summary)
    if fleet:
        t_end = max([t_end, *(p["t_s"] for p in fleet.get("timeline") or [])])
    charts = "\n".join(f"<figure>{chart_svg(s, t_end)}</figure>" for s in series)
    if fleet:
        charts += (
            f"\n<h2>Scaling decisions</h2><p>The twin's autoscaler ran its clock "
            f"x{fleet['time_scale']:g} (a 60 s CloudWatch period is {fleet['period_wall_s']:g} "
            f"s of wall clock); at most {fleet['max_in_service']} instances in service.</p>"
            + decisions_table(fleet)
        )
    heading = (
        f"edgeflix load test over time: {run.get('shape', 'steady')}, "
        f"{run.get('users')} viewers (peak), {run.get('duration')} against {run.get('url')}"
    )
    return (
        "<!doctype html><html lang=en><meta charset=utf-8>"
        f"<title>{html.escape(heading)}</title>"
        "<style>body{font-family:sans-serif;margin:2em}figure{margin:1em 0}</style>"
        f"<h1>{html.escape(heading)}</h1>"
        f"<p>One point per {bucket_s:g} s of wall clock (speed-up x{run.get('speedup', 1)}); "
        f"result {'PASS' if summary.get('passed') else 'FAIL'}.</p>\n{charts}\n</html>\n"
    )
