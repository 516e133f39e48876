"""`python -m loadgen.results`: a run's files from the results bucket into
reports/loadgen/<runId>/ (`make loadgen-results`).

The bucket, the run's prefix and the region come from the load-generator stack's outputs
(`pulumi stack output` in loadgen/), or from --bucket/--prefix/--region. Layout fetched:
master/ (Locust's CSV files, report.html, stream.json, locust.log, boot.log) and
workers/<region>-<n>/ (each worker's stream.json and logs). Any S3 endpoint works through
boto3's AWS_ENDPOINT_URL.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import boto3

from infra.outputs import StackOutputsUnavailable, read_stack_outputs

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
    bucket, prefix, region = args.bucket, args.prefix, args.region
    if not (bucket and prefix):
        try:
            stack = read_stack_outputs(args.stack, cwd=LOADGEN_ROOT)
        except StackOutputsUnavailable as exc:
            print(f"loadgen results: {exc}; or pass --bucket and --prefix", file=sys.stderr)
            return 2
        bucket = bucket or stack.get(outputs.RESULTS_BUCKET)
        prefix = prefix or stack.get(outputs.RESULTS_PREFIX)
        region = region or stack.get(outputs.RESULTS_REGION)
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
