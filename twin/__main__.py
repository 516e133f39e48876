"""`python -m twin up|down|status|chaos`: the local twin from the command line."""

from __future__ import annotations

import argparse
import functools
import json
import sys
import time
from pathlib import Path

from media.sample import DEFAULT_PROFILE, PROFILES
from twin import chaos, processes
from twin.fleet import DEFAULT_TIME_SCALE
from twin.install import install_player, install_system_packages
from twin.state import DEFAULT_RUN_DIR, TwinPorts, TwinState
from twin.topology import Twin


def _say(line: str) -> None:
    print(line, flush=True)


def _running(state: TwinState) -> dict[str, bool]:
    return {name: processes.alive(pid) for name, pid in state.pids.items()}


def cmd_up(args: argparse.Namespace) -> int:
    run_dir = Path(args.run_dir)
    state = TwinState.load(run_dir)
    if state is not None and any(_running(state).values()):
        _say(f"the twin is already running: {state.cdn_url}  (`python -m twin down` stops it)")
        return 0
    if state is not None:
        Twin(stack=state.stack, run_dir=run_dir, ports=TwinPorts.from_mapping(state.ports),
             stack_root=Path(state.stack_root) if state.stack_root else None).down()
    if not args.no_install:
        install_system_packages(_say)
        install_player(_say)
    twin = Twin(stack=args.stack, run_dir=run_dir,
                ports=functools.partial(TwinPorts.defaults, edge=args.port),
                titles=args.titles, warm_top=args.warm, profile=args.library, progress=_say,
                time_scale=args.time_scale)
    # The ASG's stand-in scales whenever the stack lets the group grow.
    twin.autoscale = not args.fixed_fleet and twin.stack.max_size > twin.stack.min_size
    twin.state.autoscale = twin.autoscale
    _say(f"edgeflix twin of stack {args.stack!r}: {len(twin.ports.api)} API instance(s)"
         + (f", autoscaled up to {twin.stack.max_size}" if twin.autoscale else "")
         + f", run dir {run_dir}")
    try:
        state = twin.up()
    except processes.StartupFailed as exc:
        _say(f"twin failed to start: {exc}")
        return 1
    _say(f"up in {state.startup_seconds:.1f} s; {len(state.titles)} titles published")
    _say(f"  player    {state.cdn_url}/")
    _say(f"  API       {state.cdn_url}/api/v1/titles")
    _say(f"  ALB twin  {state.alb_url} (403 without the secret origin header)")
    _say(f"  state     {run_dir / 'state.json'}; stop with `python -m twin down`")
    return 0


def cmd_down(args: argparse.Namespace) -> int:
    run_dir = Path(args.run_dir)
    state = TwinState.load(run_dir)
    if state is None:
        _say("the twin is not running")
        return 0
    t0 = time.monotonic()
    twin = Twin(stack=state.stack, run_dir=run_dir, ports=TwinPorts.from_mapping(state.ports),
                stack_root=Path(state.stack_root) if state.stack_root else None)
    stopped = twin.down()
    _say(f"stopped {', '.join(stopped) or 'nothing (already gone)'} "
         f"in {time.monotonic() - t0:.1f} s")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    state = TwinState.load(Path(args.run_dir))
    if state is None:
        _say("the twin is not running")
        return 3
    running = _running(state)
    if args.json:
        print(json.dumps({"cdn_url": state.cdn_url, "running": running}, indent=2))
    else:
        _say(f"twin of stack {state.stack!r} at {state.cdn_url}")
        for name, up in running.items():
            _say(f"  {name:<18} pid {state.pids[name]:<8} {'running' if up else 'GONE'}")
    return 0 if running and all(running.values()) else 1


def cmd_chaos(args: argparse.Namespace) -> int:
    run_dir = Path(args.run_dir)
    try:
        if args.action == "heal":
            healed = chaos.heal(run_dir, progress=_say)
            _say(f"healed {', '.join(healed) or 'nothing (no chaos was on)'}")
            return 0
        if not args.service:
            raise chaos.ChaosError(f"--service is required for {args.action}")
        slowdown = chaos.Slowdown(args.pause_ms, args.period_ms, args.max_seconds)
        names = chaos.act(run_dir, args.service, args.action, slowdown)
    except chaos.ChaosError as exc:
        print(f"chaos: {exc}", file=sys.stderr)
        return 2
    except processes.StartupFailed as exc:
        print(f"chaos: heal failed: {exc}", file=sys.stderr)
        return 1
    _say(f"{args.action}: {', '.join(names)} (`python -m twin chaos --action heal` undoes it)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m twin", description=__doc__)
    parser.add_argument("--run-dir", default=str(DEFAULT_RUN_DIR))
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="install what is missing, start the twin, publish, print URL")
    up.add_argument("--stack", default="dev")
    up.add_argument("--titles", type=int, default=12)
    up.add_argument("--warm", type=int, default=3, help="titles to warm at the edge")
    up.add_argument("--library", choices=sorted(PROFILES), default=DEFAULT_PROFILE,
                    help="library profile to publish (default demo: a 20-minute title and a "
                         "0.4/1.2/3 Mbps ladder; ci: small and quick)")
    up.add_argument("--port", type=int, default=0, help="viewer port (default 8080)")
    up.add_argument("--no-install", action="store_true", help="never apt-get or npm")
    up.add_argument("--fixed-fleet", action="store_true",
                    help="no autoscaler: minSize API instances throughout")
    up.add_argument("--time-scale", type=float, default=DEFAULT_TIME_SCALE,
                    help="the autoscaler's clock speed-up (default %(default)g: a 60 s "
                         "CloudWatch period, the warmup and the deregistration delay run "
                         "that many times faster)")
    sub.add_parser("down", help="stop everything `up` started")
    status = sub.add_parser("status", help="which twin processes run")
    status.add_argument("--json", action="store_true")
    hit = sub.add_parser("chaos", help="kill, stop or slow one service of the running twin; "
                                      "heal undoes it (see twin/chaos.py)")
    hit.add_argument("--service", help="an API service on every instance (accounts, plans, "
                                       "catalog, recommendations), a process name from "
                                       "`status` (api-1, accounts-2, moto, alb, cache, edge) "
                                       "or a group (api: every catalog group)")
    hit.add_argument("--action", choices=chaos.ACTIONS, required=True)
    defaults = chaos.Slowdown()
    hit.add_argument("--pause-ms", type=int, default=defaults.pause_ms,
                     help="slow: frozen this long in every period")
    hit.add_argument("--period-ms", type=int, default=defaults.period_ms)
    hit.add_argument("--max-seconds", type=int, default=defaults.max_seconds,
                     help="slow: the throttler ends itself after this long")
    args = parser.parse_args(argv)
    return {"up": cmd_up, "down": cmd_down, "status": cmd_status,
            "chaos": cmd_chaos}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
