"""`python -m loadgen.results`: a run's files from the results bucket into
reports/loadgen/<runId>/ (`make loadgen-results`).

The bucket, the run's prefix and the region come from the load-generator stack's outputs
(`pulumi stack output` in loadgen/), or from --bucket/--prefix/--region. Layout fetched:
master/ (Locust's CSV files, report.html, stream.json, locust.log, boot.log) and
workers/<region>-<n>/ (each worker's stream.json and logs). Any S3 endpoint works through
boto3's AWS_ENDPOINT_URL.

The master's stream.json already holds every worker's figures merged exactly (Locust's
distributed mode, loadtest/cluster.py); from it come summary.json, the gates' verdict and
timeline.html, as `make loadtest` writes them, with the gates for a remote target.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import boto3

from infra.outputs import StackOutputsUnavailable, read_stack_outputs
from loadtest.report import Gates, build_summary, locust_totals, render_summary, write_summary
from loadtest.timeline_report import render_html

from . import outputs
from .config import LOADGEN_ROOT

REPORTS_DIR = LOADGEN_ROOT.parent / "reports" / "loadgen"


def fetch(bucket: str, prefix: str, dest: Path, region: str | None = None,
          client=None) -> list[Path]:
    """Download every object under `prefix` into `dest` (keys relative to the prefix).

    Returns the files written, sorted. Raises FileNotFoundError when the prefix holds
    nothing (the run has not uploaded yet, or another runId was meant)."""
    s3 = client or boto3.client("s3", region_name=region)
    prefix = prefix if prefix.endswith("/") else prefix + "/"
    written: list[Path] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            relative = item["Key"][len(prefix):]
            if not relative or relative.endswith("/") or ".." in Path(relative).parts:
                continue
            target = dest / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            s3.download_file(bucket, item["Key"], str(target))
            written.append(target)
    if not written:
        raise FileNotFoundError(f"s3://{bucket}/{prefix} holds no results yet")
    return sorted(written)


def summarise(run_dir: Path, url: str | None = None) -> dict | None:
    """Write summary.json and timeline.html for a fetched run; the summary, or None when
    master/stream.json is absent (the run has not finished). Raises ValueError when the
    stream is not JSON."""
    stream_file = run_dir / "master" / "stream.json"
    if not stream_file.exists():
        return None
    stream = json.loads(stream_file.read_text())
    entries = stream.pop("locust_entries", None)
    workers = stream.pop("workers", None)
    # The run lasted as long as its timeline: one row per timeline_bucket_s of wall clock.
    duration = len(stream.get("timeline") or []) * float(stream.get("timeline_bucket_s") or 0)
    run = {
        "url": url,
        "duration": f"{duration:g}s",
        "duration_s": duration,
        "speedup": stream.get("speedup", 1.0),
        "machine": "EC2 load generators (loadgen/), figures merged by the Locust master",
        "workers": workers,
        "stream": str(stream_file),
    }
    summary = build_summary(stream, Gates.for_target(loopback=False), run,
                            locust_totals(entries))
    write_summary(summary, run_dir / "summary.json")
    (run_dir / "timeline.html").write_text(render_html(summary))
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m loadgen.results", description=__doc__)
    parser.add_argument("--stack", default=None, help="the load-generator stack "
                        "(default: the selected one in loadgen/)")
    parser.add_argument("--bucket", help="results bucket (default: the stack's output)")
    parser.add_argument("--prefix", help="runs/<runId>/ (default: the stack's output)")
    parser.add_argument("--region", help="the bucket's region (default: the stack's output)")
    parser.add_argument("--out", type=Path, default=REPORTS_DIR,
                        help="parent directory; files go to <out>/<runId>/")
    args = parser.parse_args(argv)
    bucket, prefix, region, url = args.bucket, args.prefix, args.region, None
    if not (bucket and prefix):
        try:
            stack = read_stack_outputs(args.stack, cwd=LOADGEN_ROOT)
        except StackOutputsUnavailable as exc:
            print(f"loadgen results: {exc}; or pass --bucket and --prefix", file=sys.stderr)
            return 2
        bucket = bucket or stack.get(outputs.RESULTS_BUCKET)
        prefix = prefix or stack.get(outputs.RESULTS_PREFIX)
        region = region or stack.get(outputs.RESULTS_REGION)
        url = stack.get(outputs.TARGET_URL)
        if not (bucket and prefix):
            print("loadgen results: the stack exports no results bucket: has it been "
                  "deployed?", file=sys.stderr)
            return 2
    run = prefix.rstrip("/").rsplit("/", 1)[-1]
    try:
        files = fetch(bucket, prefix, args.out / run, region)
    except FileNotFoundError as exc:
        print(f"loadgen results: {exc}", file=sys.stderr)
        return 1
    print(f"{len(files)} files from s3://{bucket}/{prefix} in {args.out / run}")
    try:
        summary = summarise(args.out / run, url)
    except ValueError as exc:
        print(f"loadgen results: master/stream.json is damaged: {exc}", file=sys.stderr)
        return 1
    if summary is None:
        print("loadgen results: no master/stream.json yet: the run has not finished")
        return 0
    print(render_summary(summary))
    print(f"summary: {args.out / run / 'summary.json'}  over time: "
          f"{args.out / run / 'timeline.html'}")
    return 0 if summary["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
