"""The timeline page: one SVG chart per figure, points where the rows put them."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from loadtest.timeline_report import HEIGHT, LEFT, TOP, render_html, timeline_series

SVG = "{http://www.w3.org/2000/svg}"
ROWS = [
    {"t_s": 0.0, "viewers": 1, "api_requests_per_s": 2.0, "startup_p95_ms": 50.0, "failures": 0},
    {"t_s": 5.0, "viewers": 8, "api_requests_per_s": 12.0, "startup_p95_ms": None, "failures": 2},
    {"t_s": 10.0, "viewers": 4, "api_requests_per_s": 6.0, "startup_p95_ms": 80.0, "failures": 0},
]


def _summary(api_instances: int | None) -> dict:
    return {
        "passed": True,
        "run": {"shape": "premiere", "users": 8, "duration": "15s", "url": "http://127.0.0.1:1",
                "speedup": 8.0, "api_instances": api_instances},
        "viewers": {"timeline": ROWS, "timeline_bucket_s": 5.0},
    }  # fmt: skip


def _charts(page: str) -> dict[str, ET.Element]:
    svgs = [page[i : page.index("</svg>", i) + 6] for i in _all(page, "<svg")]
    return {el.get("aria-label"): el for el in map(ET.fromstring, svgs)}


def _all(text: str, needle: str) -> list[int]:
    found, i = [], text.find(needle)
    while i >= 0:
        found.append(i)
        i = text.find(needle, i + 1)
    return found


def _points(chart: ET.Element) -> list[list[tuple[float, float]]]:
    return [
        [tuple(map(float, p.split(","))) for p in line.get("points").split()]
        for line in chart.iter(f"{SVG}polyline")
    ]


def test_each_figure_is_a_chart_with_its_peak_at_the_top():
    charts = _charts(render_html(_summary(api_instances=2)))
    assert set(charts) == {
        "Viewers",
        "API requests/s per target (2 instances)",
        "p95 start-up",
        "Failed requests",
    }
    (viewers,) = _points(charts["Viewers"])
    xs = [x for x, _ in viewers]
    assert xs == sorted(xs) and len(xs) == 3
    peak_y = min(y for _, y in viewers)
    assert peak_y == TOP and viewers[1][1] == peak_y  # 8 viewers, the second bucket
    assert all(TOP <= y <= HEIGHT for _, y in viewers) and xs[0] > LEFT
    # No start-up sample in the second bucket: the line breaks there.
    assert [len(line) for line in _points(charts["p95 start-up"])] == [1, 1]


def test_requests_per_target_divide_by_the_instances_when_known():
    known = timeline_series(ROWS, 5.0, api_instances=3)[1]
    unknown = timeline_series(ROWS, 5.0, api_instances=None)[1]
    assert [v for _, v in known.points] == [pytest.approx(2 / 3), 4.0, 2.0]
    assert [v for _, v in unknown.points] == [2.0, 12.0, 6.0]
    assert "instances unknown" in unknown.title
    with pytest.raises(ValueError):
        timeline_series(ROWS, 5.0, api_instances=0)


def test_an_empty_timeline_still_renders():
    page = render_html({"passed": False, "viewers": {"timeline": []}})
    assert len(_charts(page)) == 4 and "FAIL" in page


FLEET = {
    "min": 1, "max": 3, "max_in_service": 3, "time_scale": 12.0, "period_wall_s": 5.0,
    "policies": [{"name": "requests-per-target", "metric": "ALBRequestCountPerTarget",
                  "target": 300.0}],
    "timeline": [
        {"t_s": 5.0, "in_service": 1, "requests_per_target": 900.0},
        {"t_s": 10.0, "in_service": 1, "requests_per_target": 1200.0,
         "decision": {"action": "scale-out", "from": 1, "to": 3, "reason": "high alarm",
                      "metrics": {"ALBRequestCountPerTarget": 1200.0}, "alarms": {}}},
        {"t_s": 15.0, "in_service": 3, "requests_per_target": None},
    ],
}  # fmt: skip


def test_a_fleet_adds_instances_and_requests_per_target_charts_and_its_decisions():
    summary = {**_summary(api_instances=1), "fleet": FLEET}
    page = render_html(summary)
    charts = _charts(page)
    instances = charts["Instances in service (min 1, max 3)"]
    (line,) = _points(instances)
    assert len(line) == 3 and line[2][1] == TOP  # 3 instances: the top of the chart
    per_target = charts["Requests per target, per minute (ALBRequestCountPerTarget, target 300)"]
    assert [len(run) for run in _points(per_target)] == [2]  # no datapoint in the last period
    assert "scale-out" in page and "1 &rarr; 3" in page and "x12" in page
    # Instances change during the run: the per-target API chart no longer divides by one.
    assert "API requests/s (the whole fleet)" in charts


def test_the_png_holds_every_chart(tmp_path):
    pytest.importorskip("matplotlib")
    from loadtest.timeline_png import write_png
    from loadtest.timeline_report import summary_series

    summary = {**_summary(api_instances=1), "fleet": FLEET}
    assert len(summary_series(summary)) == 6
    png = write_png(summary, tmp_path / "timeline.png")
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (900, round(2.2 * 6 * 100))
