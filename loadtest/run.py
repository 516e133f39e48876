"""`python -m loadtest`: run the viewer model headless with Locust, then gate and summarise."""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path

from botocore.exceptions import BotoCoreError, ClientError

from app.plans import PLAN_NAMES
from app.problems import Problem
from loadtest.abr import LINK_MBPS_DEFAULT
from loadtest.launch import (
    WORKERS_CONNECT_S,
    LaunchTimeout,
    free_port,
    master_args,
    run_processes,
    worker_command,
)
from loadtest.provision import VIEWERS_FILE, provision_twin_viewers
from loadtest.report import Gates, build_summary, locust_totals, render_summary, write_summary
from loadtest.target import REPO_ROOT, Target, TargetError, is_loopback_url, resolve
from loadtest.target_calls import TargetCalls
from loadtest.target_cpu import TargetCpu
from loadtest.timeline_png import write_png
from loadtest.timeline_report import render_html
from loadtest.viewer import CHOSEN_PLAN
from twin.fleet import fleet_summary, load_record
from twin.state import StateFileError, TwinState

LOCUSTFILE = Path(__file__).with_name("locustfile.py")
SHAPES = {"steady": None, "premiere": Path(__file__).with_name("premiere_shape.py")}
DEFAULT_OUT = REPO_ROOT / "reports" / "loadtest"
_DURATION = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s?)?$")


def parse_duration(text: str) -> int:
    """Seconds in a Locust-style duration: 90, 90s, 5m, 1h30m."""
    match = _DURATION.fullmatch(text.strip()) if text else None
    if not match or not any(match.groups()):
        raise argparse.ArgumentTypeError(f"bad duration {text!r}: use e.g. 90s, 5m or 1h30m")
    hours, minutes, seconds = (int(g) if g else 0 for g in match.groups())
    total = hours * 3600 + minutes * 60 + seconds
    if total <= 0:
        raise argparse.ArgumentTypeError(f"duration must be positive, got {text!r}")
    return total


def _not_negative(text: str, kind: type = int) -> int | float:
    try:
        value = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return value


def _positive(kind: type):
    def parse(text: str):
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
        return value

    return parse


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m loadtest",
        description="Locust viewer load test of an edgeflix CDN URL (default: the local twin).",
    )
    p.add_argument("--url", help="CDN base URL (default: the running twin's cdn_url)")
    p.add_argument("--allow-remote", action="store_true", help="allow a non-loopback --url")
    p.add_argument("--twin-run-dir", type=Path, default=None,
                   help="the twin's run dir when not the default .run/twin (a twin on free ports)")
    p.add_argument("--users", type=_positive(int), default=20, help="concurrent viewers")
    p.add_argument(
        "--spawn-rate",
        type=_positive(float),
        default=None,
        help="viewers started/s (default users/10)",
    )
    p.add_argument("--duration", type=parse_duration, default="1m", help="e.g. 30s, 5m")
    p.add_argument(
        "--shape",
        choices=sorted(SHAPES),
        default="steady",
        help="steady: --users viewers, started at --spawn-rate; premiere: a baseline of 10%% of "
        "--users, a surge to --users within about a minute (mostly onto one new title), a "
        "plateau, then decay, over --duration",
    )
    p.add_argument("--speedup", type=_positive(float), default=1.0, help="play clock speed-up")
    p.add_argument("--max-segments", type=_positive(int), default=10, help="segments per play")
    p.add_argument(
        "--buffer-segments",
        type=_positive(float),
        default=1.0,
        help="player buffer target in segments; a segment later than the buffer allows is a stall",
    )
    p.add_argument(
        "--link-mbps",
        type=lambda text: _not_negative(text, float),
        default=LINK_MBPS_DEFAULT,
        help="median modelled viewer link for adaptive bitrate (0: measured throughput only)",
    )
    p.add_argument(
        "--warmup",
        type=float,
        default=None,
        help="seconds excluded from the after-warm-up hit ratio (default: 10%% of the run, <= 30)",
    )
    p.add_argument(
        "--workers",
        type=_not_negative,
        nargs="?",
        const=os.cpu_count() or 1,
        default=0,
        help="run a Locust master and this many worker processes on this machine (no number: "
        "one per core; 0 or absent: one Locust process); figures merge exactly",
    )
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help="report folder")
    p.add_argument("--users-file", type=Path, default=None,
                   help="pre-provisioned accounts ('email,password' a line) for a deployed "
                        "stack; against the twin the load test provisions --users accounts "
                        "before the timed run (kept in its run dir for the next run)")
    p.add_argument("--viewer-plan", choices=PLAN_NAMES, default=None,
                   help="the twin: put the provisioned accounts on this plan (default: the "
                        "default plan, which plays every title of a catalog that gates none; "
                        f"signed-up viewers pick {CHOSEN_PLAN}). Slow on moto, whose "
                        "TransactWriteItems copies the whole table: once per account")
    p.add_argument("--sign-up", action="store_true",
                   help="the twin: each viewer signs up, confirms and signs in during the run "
                        "(the sign-up burst) instead of signing in to a provisioned account")
    p.add_argument(
        "--gates",
        nargs="*",
        default=[],
        metavar="NAME=VALUE",
        help="override gates: error_ratio, p95_startup_ms, segment_hit_ratio, stalls; 'off' "
        "disables one (defaults 0.01, 500 loopback / 2000 remote, 0.9, off)",
    )
    return p


def locust_command(args: argparse.Namespace, url: str, out: Path, warmup: float) -> list[str]:
    spawn_rate = args.spawn_rate or max(1.0, args.users / 10)
    shape_file = SHAPES[args.shape]
    locustfiles = [LOCUSTFILE] + ([shape_file] if shape_file else [])
    return [
        sys.executable, "-m", "locust",
        "-f", ",".join(str(f) for f in locustfiles),
        "--headless", "--only-summary",
        "-u", str(args.users), "-r", f"{spawn_rate:g}", "-t", f"{args.duration}s",
        "-H", url,
        "--stop-timeout", "0",
        "--csv", str(out / "locust"),
        "--html", str(out / "report.html"),
        "--loglevel", "WARNING",
        "--shape", args.shape,
        "--shape-peak", str(args.users),
        "--shape-duration", str(args.duration),
        "--speedup", f"{args.speedup:g}",
        "--max-segments", str(args.max_segments),
        "--buffer-segments", f"{args.buffer_segments:g}",
        "--link-mbps", f"{args.link_mbps:g}",
        "--warmup", f"{warmup:g}",
        "--stream-metrics", str(out / "viewers.json"),
        *(["--users-file", str(args.users_file)] if args.users_file else []),
        *(["--users-file-workers", str(args.workers)]
          if args.users_file and args.workers else []),
    ]  # fmt: skip


def provision_viewers(args: argparse.Namespace, target: Target) -> dict:
    """How the viewers get their accounts; sets args.users_file to the twin's provisioned
    viewers unless one was given, --sign-up was asked, or the target is not the twin.

    Against the twin, `--users` accounts are created before the timed run (or reused from
    the run dir's VIEWERS_FILE), on the default plan unless --viewer-plan names one, so
    the run measures viewing and each viewer makes one Cognito call (InitiateAuth, via
    POST /api/v1/sessions) instead of three, and no plan change.
    """
    if args.users_file:
        return {"mode": "users-file", "path": str(args.users_file)}
    state = TwinState.load(target.run_dir) if target.run_dir else None
    if args.sign_up or state is None or not state.user_pool_id:
        return {"mode": "sign-up"}
    started = time.monotonic()
    provisioned = provision_twin_viewers(
        state.moto_url, state.user_pool_id, state.user_pool_client_id, args.users,
        Path(target.run_dir) / VIEWERS_FILE,
        plan=(state.table, args.viewer_plan) if args.viewer_plan else None,
    )
    args.users_file = provisioned.path
    seconds = round(time.monotonic() - started, 1)
    print(f"loadtest: {provisioned.accounts} twin viewer accounts ready in {seconds} s "
          f"({provisioned.created} created, the rest reused from {provisioned.path}); each "
          "viewer signs in once (--sign-up: sign up during the run instead)", flush=True)
    return {"mode": "provisioned", "accounts": provisioned.accounts,
            "created": provisioned.created, "seconds": seconds}


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        target = resolve(args.url, args.allow_remote, args.twin_run_dir)
        gates = Gates.for_target(is_loopback_url(target.cdn_url)).override(args.gates)
    except (TargetError, ValueError) as exc:
        print(f"loadtest: {exc}", file=sys.stderr)
        return 2
    try:
        accounts = provision_viewers(args, target)
    except (BotoCoreError, ClientError, StateFileError, Problem) as exc:
        print(f"loadtest: cannot provision the twin's viewers ({exc}); is the twin up? "
              "(--sign-up: viewers sign up during the run)", file=sys.stderr)
        return 2
    warmup = args.warmup if args.warmup is not None else min(30.0, args.duration * 0.1)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    metrics_file = out / "viewers.json"
    metrics_file.unlink(missing_ok=True)
    command = locust_command(args, target.cdn_url, out, warmup)
    commands = [("locust", command)]
    if args.workers:
        port = free_port()
        figures_dir = out / "workers"
        for old in figures_dir.glob("worker-*.json"):
            old.unlink()
        # Workers take the viewer-model options, this one included, from the master.
        command += master_args(port, args.workers) + ["--worker-figures", str(figures_dir)]
        commands = [("master", command)] + [
            (f"worker {i + 1}", worker_command(LOCUSTFILE, port, figures_dir))
            for i in range(args.workers)
        ]
    print(
        f"loadtest: {args.users} viewers"
        + (" at the peak of a premiere" if args.shape == "premiere" else "")
        + f" for {args.duration}s against {target.cdn_url} "
        f"({target.source})"
        + (f", Locust master and {args.workers} workers" if args.workers else "")
        + f"; reports in {out}",
        flush=True,
    )
    started = time.monotonic()
    started_at = time.time()
    load_before = os.getloadavg()[0]
    target_cpu = TargetCpu(target.pids)
    target_calls = TargetCalls(target.moto_url)
    try:
        timeout = args.duration + 120 + (WORKERS_CONNECT_S if args.workers else 0)
        processes = run_processes(commands, REPO_ROOT, timeout=timeout)
    except LaunchTimeout as exc:
        print(f"loadtest: Locust did not stop in time ({exc})", file=sys.stderr)
        return 2
    main_exit = processes[0].exit_code
    target_processes = target_cpu.finish(time.monotonic() - started)
    moto_calls = target_calls.finish()
    if not metrics_file.exists():
        print(f"loadtest: Locust exited with {main_exit} and wrote no figures", file=sys.stderr)
        return 2
    stream = json.loads(metrics_file.read_text())
    entries = stream.pop("locust_entries", None)
    errors = stream.pop("locust_errors", None)
    workers = stream.pop("workers", None)
    run = {
        "url": target.cdn_url,
        "users": args.users,
        "shape": args.shape,
        "duration": f"{args.duration}s",
        "duration_s": args.duration,
        "wall_s": round(time.monotonic() - started, 1),
        "speedup": args.speedup,
        "warmup_s": warmup,
        "locust_exit_code": main_exit,
        # The load generator shares the machine with what it measures: say how busy it was.
        "cpus": os.cpu_count(),
        "loadavg_1m": {"start": round(load_before, 2), "end": round(os.getloadavg()[0], 2)},
        "locust_processes": [p.as_dict() for p in processes],
        "target_processes": target_processes,
        # The twin's moto server: calls by operation and DynamoDB item kind over the run.
        "moto_calls": moto_calls,
        # The twin's API instances (its gunicorn groups); unknown for a URL.
        "api_instances": sum(1 for role in target.pids if role.startswith("api-")) or None,
        "workers": workers,
        "accounts": accounts,
        "command": command,
    }
    summary = build_summary(stream, gates, run, locust_totals(entries, errors))
    # The twin's autoscaler, when it ran: instances in service and its decisions.
    record = load_record(target.run_dir) if target.run_dir else None
    if record:
        summary["fleet"] = fleet_summary(record, started_at, time.time())
    write_summary(summary, out / "summary.json")
    (out / "timeline.html").write_text(render_html(summary))
    png = write_png(summary, out / "timeline.png")
    print(render_summary(summary))
    print(
        f"summary: {out / 'summary.json'}  report: {out / 'report.html'}  "
        f"over time: {out / 'timeline.html'}"
        + (f" and {png}" if png else " (no timeline.png: matplotlib is not installed)")
    )
    return 0 if summary["passed"] else 1
