"""The load generator's plain parts: config validation, the target check, the cost
estimate, the bundle, the boot scripts and fetching results."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from loadgen import bundle, cost
from loadgen.config import (
    ConfigError,
    LoadgenConfig,
    config_table,
    load_stack_file,
    stack_file,
)
from loadgen.results import fetch, summarise
from loadgen.target import TargetRefused, check_target_url
from loadgen.user_data import RunSettings, deadline_minutes, master_script, worker_script
from loadtest.metrics import StreamStats
from loadtest.report import Gates, render_summary

BASE = {"targetStack": "acme/edgeflix/dev"}


def test_sample_stack_is_valid():
    cfg = load_stack_file(stack_file("sample"))
    assert cfg.spot and cfg.target_stack and cfg.worker_count >= 2
    assert cfg.regions[0] == cfg.region


@pytest.mark.parametrize(("values", "key"), [
    ({"maxRunMinutes": 0}, "edgeflix-loadgen:maxRunMinutes"),
    ({"workers": '{"us-east-1": 0}'}, "edgeflix-loadgen:workers"),
    ({"workers": '{"mars-1": 2}'}, "edgeflix-loadgen:workers"),
    ({"instanceType": "z9.huge"}, "edgeflix-loadgen:instanceType"),
    ({"region": "nowhere"}, "aws:region"),
    ({"runId": "Run 1"}, "edgeflix-loadgen:runId"),
])
def test_a_bad_value_fails_naming_the_key(values, key):
    with pytest.raises(ConfigError, match=re.escape(key)):
        LoadgenConfig.from_mapping({**BASE, **values})


def test_exactly_one_target_is_required():
    with pytest.raises(ConfigError, match="exactly one of"):
        LoadgenConfig.from_mapping({})
    with pytest.raises(ConfigError, match="exactly one of"):
        LoadgenConfig.from_mapping({**BASE, "targetUrl": "https://d1.cloudfront.net"})
    cfg = LoadgenConfig.from_mapping({"targetStack": "", "targetUrl": "https://d1.cloudfront.net"})
    assert cfg.target_stack is None


def test_unknown_key_is_refused():
    with pytest.raises(ConfigError, match="edgeflix-loadgen:workerz"):
        LoadgenConfig.from_mapping({**BASE, "workerz": "{}"})


@pytest.mark.parametrize("url", ["http://d1.cloudfront.net", "https://example.com",
                                 "https://d1.cloudfront.net.evil.example",
                                 "https://d1.cloudfront.net/api"])
def test_target_check_refuses_what_is_not_a_cloudfront_https_origin(url):
    with pytest.raises(TargetRefused):
        check_target_url(url)


def test_target_check_admits_cloudfront_and_listed_hosts():
    assert check_target_url("https://d1.cloudfront.net/") == "https://d1.cloudfront.net"
    assert check_target_url("https://watch.example.com", ["watch.example.com"]) == \
        "https://watch.example.com"
    assert check_target_url("http://127.0.0.1:8080", allow_any=True) == "http://127.0.0.1:8080"


PRICES = {"as_of": "2026-01-01", "source": "test", "public_ipv4_per_hour": 0.005,
          "gp3_per_gb_month": 0.0, "on_demand_per_hour": {
              "us-east-1": {"c6i.large": 0.1}, "eu-west-1": {"c6i.large": 0.2}}}


def test_cost_is_instances_times_hours_times_price_per_region():
    cfg = LoadgenConfig.from_mapping({**BASE, "maxRunMinutes": 40,
                                      "workers": '{"us-east-1": 2, "eu-west-1": 3}'})
    est = cost.estimate(cfg, PRICES)
    hours = deadline_minutes(40) / 60
    assert hours == 1.0
    assert [(r.region, r.instances) for r in est.regions] == [("us-east-1", 3),
                                                              ("eu-west-1", 3)]
    assert est.usd == pytest.approx(3 * 0.105 + 3 * 0.205)
    assert est.lines()[-1].startswith(f"total at most ${est.usd:.2f}")


def test_cost_names_a_missing_price():
    cfg = LoadgenConfig.from_mapping({**BASE, "workers": '{"sa-east-1": 1}'})
    with pytest.raises(cost.PriceMissing, match="sa-east-1"):
        cost.estimate(cfg, PRICES)


def test_price_table_covers_the_sample_stack():
    assert cost.estimate(load_stack_file(stack_file("sample"))).usd > 0


def test_bundle_holds_the_locustfile_and_everything_it_imports_from_the_repo():
    files = bundle.closure()
    assert {"loadtest/locustfile.py", "loadtest/__init__.py", "loadtest/metrics.py",
            "loadtest/viewer.py"} <= set(files)
    outside = bundle.external_imports() - set(sys.stdlib_module_names)
    # locust brings gevent; every other third-party import is pinned in the bundle.
    assert outside <= {"locust", "gevent", "m3u8", "requests"}, outside
    built = bundle.collect()
    assert built.key.startswith("bundles/locust-")
    pinned = {line.split("==")[0] for line in built.requirements.splitlines()}
    assert pinned == set(bundle.PACKAGES)


RUN = RunSettings(bucket="results-b", bucket_region="us-east-1",
                  bundle_key="bundles/locust-0123.zip", results_prefix="runs/r1/",
                  target_url="https://d1.cloudfront.net", max_run_minutes=15)


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
@pytest.mark.parametrize("script", [
    master_script(RUN, workers=4, users=100, spawn_rate=5),
    worker_script(RUN, master_host="10.60.0.9", worker_name="us-east-1-0"),
])
def test_boot_scripts_are_valid_bash_and_stop_themselves(script):
    subprocess.run(["bash", "-n"], input=script, text=True, check=True)
    assert f"shutdown -h +{deadline_minutes(15)}" in script
    assert "trap finish EXIT" in script and "shutdown -h now" in script
    assert "s3://results-b/runs/r1/" in script


def test_worker_script_names_its_master_and_result_folder():
    script = worker_script(RUN, master_host="203.0.113.9", worker_name="eu-west-1-2")
    assert "--worker --master-host 203.0.113.9 --master-port 5557" in script
    assert "s3://results-b/runs/r1/workers/eu-west-1-2/" in script


@mock_aws
def test_results_fetch_downloads_one_runs_files(tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="results")
    for key in ("runs/r1/master/locust_stats.csv", "runs/r1/workers/us-east-1-0/stream.json",
                "runs/r2/master/locust_stats.csv"):
        s3.put_object(Bucket="results", Key=key, Body=key.encode())
    files = fetch("results", "runs/r1/", tmp_path / "r1", client=s3)
    assert [p.relative_to(tmp_path).as_posix() for p in files] == [
        "r1/master/locust_stats.csv", "r1/workers/us-east-1-0/stream.json"]
    assert (tmp_path / "r1/master/locust_stats.csv").read_text() == \
        "runs/r1/master/locust_stats.csv"
    with pytest.raises(FileNotFoundError, match="no results"):
        fetch("results", "runs/r9/", tmp_path / "r9", client=s3)


def _stream(plays: int, failed: int, startup_ms: float) -> dict:
    """A master's stream.json as the locustfile writes it, from the viewers' own counters."""
    stats = StreamStats(warmup_s=0)
    for i in range(plays):
        at = i * 2.0
        stats.request("api", at_s=at, viewers=plays)
        stats.request("segment", error="HTTP 503" if i < failed else None, at_s=at)
        stats.received("segment", 500_000)
        stats.rendition_segment("480p", 500_000)
        stats.startup_ms.append(startup_ms)
        stats.plays_started += 1
        stats.cache.record("segment", "/video/t01/480p/seg_00001.ts", "Hit from cloudfront",
                           at, at + 0.1)
    return stats.as_dict()


@pytest.mark.parametrize(("failed", "startup_ms", "passed"),
                         [(0, 300.0, True), (0, 2500.0, False), (5, 300.0, False)])
def test_a_fetched_run_gets_the_summary_and_gates_of_a_remote_load_test(
        tmp_path, failed, startup_ms, passed):
    master = tmp_path / "r1" / "master"
    master.mkdir(parents=True)
    (master / "stream.json").write_text(json.dumps(_stream(50, failed, startup_ms)))
    summary = summarise(tmp_path / "r1", "https://d111.cloudfront.net")
    assert summary["passed"] is passed
    gate = {g["name"]: g for g in summary["gates"]}["p95_startup_ms"]
    assert gate["limit"] == Gates.for_target(loopback=False).p95_startup_ms
    assert summary["viewers"]["requests"]["failed"] == failed
    assert summary["run"]["url"] == "https://d111.cloudfront.net"
    written = json.loads((tmp_path / "r1" / "summary.json").read_text())
    assert written["passed"] is passed
    assert "<svg" in (tmp_path / "r1" / "timeline.html").read_text()
    assert "EC2 load generators" in render_summary(summary)


def test_a_run_without_the_masters_stream_has_no_summary_yet(tmp_path):
    assert summarise(tmp_path) is None
    (tmp_path / "master").mkdir()
    (tmp_path / "master" / "stream.json").write_text("{not json")
    with pytest.raises(ValueError):
        summarise(tmp_path)


def test_every_key_is_in_the_readme_table_with_its_default():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    for key, default, allowed in config_table():
        row = f"| `{key}` | {default} | {allowed.replace('|', chr(92) + '|')} |"
        assert row in readme, f"README load-generator table is stale for {key}"
