"""`python -m capacity`: its report, its exact last line, and its refusals."""

from __future__ import annotations

import json
import re

import pytest

from capacity.__main__ import demo_ladder, main
from capacity.model import ladder_bitrate
from loadtest import viewer
from media.sample import plan_titles

LAST_LINE = re.compile(
    r"^capacity: edge_gbps=(\d+\.\d\d) origin_rps=(\d+) api_instances=(\d+) monthly_usd=(\d+)$"
)


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def last_line(out: str) -> re.Match:
    match = LAST_LINE.match(out.rstrip("\n").splitlines()[-1])
    assert match, f"bad last line: {out.splitlines()[-1]!r}"
    return match


def test_a_million_viewers_at_5_mbps_is_a_valid_input(capsys):
    code, out, _ = run(capsys, "--viewers", "1000000", "--bitrate", "5",
                       "--api-rps-per-instance", "2000")
    assert code == 0
    edge_gbps, origin_rps, instances, usd = last_line(out).groups()
    # edge egress = viewers x bitrate x the share of time the viewer model streams
    cycle = sum(viewer.THINK_TIME_S) / 2 + (1 + viewer.MAX_SEGMENTS_DEFAULT) / 2 * 4
    watching = (1 + viewer.MAX_SEGMENTS_DEFAULT) / 2 * 4 / cycle
    assert float(edge_gbps) == pytest.approx(1e6 * 5e6 * watching / 1e9, abs=0.01)
    assert int(origin_rps) > 0 and int(instances) > 6 and int(usd) > 0
    assert "does NOT cover it" in out
    assert "what breaks first" in out
    for quota in ("CloudFront requests per distribution", "CloudFront data transfer",
                  "hottest title's partition", "WAF"):
        assert quota in out
    # DynamoDB by code path: streams (whose claim reads the plan of record), no plan read
    # and no history Query a play
    for line in ("stream claim writes", "stream renewal writes", "stream release writes",
                 "history reads (recommendations)"):
        assert f"  {line} " in out
    assert "history reads (plays)" not in out and "  plan reads " not in out


def test_a_small_audience_fits_the_dev_stack(capsys):
    code, out, _ = run(capsys, "--viewers", "100", "--bitrate", "2", "--hit-ratio", "0.99",
                       "--api-rps-per-instance", "2000")
    assert code == 0
    assert "maxSize 6 covers it" in out
    assert int(last_line(out).group(3)) <= 6


def test_the_output_follows_the_viewer_model(capsys, monkeypatch):
    args = ("--viewers", "10000", "--bitrate", "5", "--api-rps-per-instance", "2000")
    before = last_line(run(capsys, *args)[1]).group(2)
    monkeypatch.setattr(viewer, "RECOMMENDATIONS_SHARE", 1.0)
    after = last_line(run(capsys, *args)[1]).group(2)
    assert int(after) > int(before)  # every browse now asks for uncached recommendations


def test_per_instance_throughput_comes_from_the_bench_result(capsys, tmp_path):
    result = tmp_path / "bench-api.json"
    result.write_text(json.dumps({"measured_at": "2026-12-01T04:00:00+00:00", "cpus": 2,
                                  "endpoints": {"bare": {"rps": 9000}, "titles": {"rps": 3000},
                                                "playback": {"rps": 1500}}}))
    _, out, _ = run(capsys, "--viewers", "1000", "--bitrate", "5",
                    "--bench-result", str(result))
    assert "1,500 req/s  (bench-api 2026-12-01T04:00:00+00:00: playback" in out


def test_without_a_measurement_the_default_throughput_is_labelled(capsys, tmp_path):
    _, out, _ = run(capsys, "--viewers", "1000", "--bitrate", "5",
                    "--bench-result", str(tmp_path / "missing.json"))
    assert "2,600 req/s  (default:" in out


def one_title_catalog(folder) -> str:
    """A catalog.json with one title on a 100/200/400 kbit/s ladder; its path."""
    renditions = [
        {"name": f"{h}p", "width": h * 16 // 9, "height": h, "bandwidth": b,
         "playlist": f"video/t1/{h}p/index.m3u8"}
        for h, b in ((240, 100_000), (480, 200_000), (720, 400_000))
    ]
    catalog = {"version": 1, "titles": [{
        "id": "t1", "title": "T", "synopsis": "", "genres": [], "tags": [], "year": 2020,
        "duration": 40.0, "popularity": 1.0, "poster": "posters/t1.jpg",
        "master": "video/t1/master.m3u8", "renditions": renditions}]}
    path = folder / "catalog.json"
    path.write_text(json.dumps(catalog))
    return str(path)


def test_the_bitrate_defaults_to_adaptive_bitrate_on_the_catalogs_ladder(capsys, tmp_path):
    code, out, _ = run(capsys, "--viewers", "1000", "--catalog", one_title_catalog(tmp_path),
                       "--api-rps-per-instance", "2000")
    assert code == 0
    expected = ladder_bitrate((100_000, 200_000, 400_000))
    assert f"{expected / 1e6:.3f} Mbps" in out and "1 titles" in out
    assert "0.10/0.20/0.40 Mbps ladder" in out


def test_without_a_catalog_the_demo_librarys_ladder_is_used(capsys):
    _, out, _ = run(capsys, "--viewers", "1000", "--api-rps-per-instance", "2000")
    ladder = demo_ladder()
    assert len(ladder) == 3 and 300_000 < ladder[0] < ladder[1] < ladder[2] < 4_000_000
    assert f"{ladder_bitrate(ladder) / 1e6:.3f} Mbps" in out
    assert f"; {len(plan_titles())} titles" in out


def test_abr_switches_add_media_playlists(capsys):
    _, out, _ = run(capsys, "--viewers", "60", "--bitrate", "5", "--api-rps-per-instance",
                    "2000", "--json")
    plan = json.loads(out[out.index("\n{") + 1: out.rindex("\ncapacity: ")])
    extra = plan["abr"]["extra_media_playlists"]
    assert 0 < extra < 2
    per_play = plan["per_viewer_minute"]["playlist"] / plan["plays_per_viewer_minute"]
    assert per_play == pytest.approx(viewer.PLAYLISTS_PER_PLAY + extra)


@pytest.mark.parametrize("args, message", [
    (("--viewers", "-5", "--bitrate", "5"), "VIEWERS must be >= 0"),
    (("--viewers", "10", "--bitrate", "5", "--hit-ratio", "1.2"), "HIT_RATIO must be within"),
    (("--viewers", "10", "--bitrate", "5", "--hit-ratio", "-0.1"), "HIT_RATIO must be within"),
    (("--viewers", "10", "--bitrate", "0"), "BITRATE must be > 0"),
    (("--viewers", "10", "--bitrate", "5", "--stack", "nosuch"), "Pulumi.nosuch.yaml"),
])
def test_bad_inputs_fail_clearly(capsys, args, message):
    code, out, err = run(capsys, *args, "--api-rps-per-instance", "2000")
    assert code == 2
    assert message in err
    assert "capacity:" not in out


def test_json_comes_before_the_last_line(capsys):
    code, out, _ = run(capsys, "--viewers", "1000", "--bitrate", "5",
                       "--api-rps-per-instance", "2000", "--json")
    assert code == 0
    body = out[out.index("\n{") + 1: out.rindex("\ncapacity: ")]
    document = json.loads(body)
    assert document["api_instances"] == int(last_line(out).group(3))
    assert set(document["per_viewer_minute"]) == {
        "titles", "title", "recommendations", "playback", "playlist", "segment"}
