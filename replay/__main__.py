"""`python -m replay [--stack dev] [--config KEY=VALUE] [--json]`: the offline counterpart
of `pulumi preview`."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from . import report
from .runner import REPO_ROOT, run_program


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m replay",
        description="Replay the Pulumi program into moto: validate every AWS request against "
                    "botocore's model, create it in moto, print the resource tree and problems.")
    parser.add_argument("--stack", default="dev", help="stack name: reads Pulumi.<stack>.yaml")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--root", type=Path, default=REPO_ROOT,
                        help="project root (holds Pulumi.yaml)")
    parser.add_argument("--program", type=Path, default=None,
                        help="program directory or file (default: Pulumi.yaml's main)")
    parser.add_argument("--config", action="append", default=[], metavar="KEY=VALUE",
                        help="override a stack setting, e.g. --config hostedZoneId=Z123 "
                             "(repeatable; as `pulumi config set` on a copy of the stack)")
    args = parser.parse_args(argv)
    overrides = {}
    for item in args.config:
        key, sep, value = item.partition("=")
        if not sep or not key:
            parser.error(f"--config {item!r}: expected KEY=VALUE")
        overrides[key] = value
    logging.getLogger("pulumi").setLevel(logging.CRITICAL)
    try:
        result = run_program(args.root, args.stack, program=args.program,
                             config_overrides=overrides)
    except FileNotFoundError as exc:
        print(f"replay: {exc}", file=sys.stderr)
        return 2
    print(report.to_json(result) if args.json else report.to_text(result))
    return 1 if result.problems else 0


if __name__ == "__main__":
    sys.exit(main())
