"""`python -m media generate|publish`: the sample library from the command line."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from app.catalog import CatalogError
from edge.config import EdgeConfigError
from infra import outputs
from media.ffmpeg import FfmpegFailed, FfmpegNotFound
from media.generate import LibrarySpec, generate_library, library_stamp
from media.library import Library
from media.publisher import PublishError, publish
from media.sample import DEFAULT_PROFILE, PROFILES
from media.validate import LibraryInvalid
from media.warm import WarmLimits

# The publisher's flags and the stack outputs that stand in for them.
STACK_OUTPUTS = {"bucket": outputs.MEDIA_BUCKET, "cdn_url": outputs.CDN_URL,
                 "distribution_id": outputs.DISTRIBUTION_ID}


class UsageError(RuntimeError):
    pass


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    say = (lambda _msg: None) if args.quiet else (lambda msg: print(msg, file=sys.stderr))
    try:
        if args.command == "generate":
            return _generate(args, say)
        return _publish(args, say)
    except (FfmpegNotFound, FfmpegFailed, LibraryInvalid, PublishError, CatalogError,
            EdgeConfigError, UsageError, FileExistsError, ValueError) as exc:
        print(f"media {args.command}: {exc}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m media", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    gen = sub.add_parser("generate", help="generate (or reuse) the sample HLS library")
    gen.add_argument("--titles", type=int, default=12, help="number of titles (default 12)")
    gen.add_argument("--seconds", type=int, default=None,
                     help="make every title this long (a multiple of 4; default: the "
                          "profile's durations)")
    gen.add_argument("--profile", choices=sorted(PROFILES), default=DEFAULT_PROFILE,
                     help="demo: 0.4/1.2/3 Mbps ladder with a 20-minute title (default); "
                          "ci: the same rungs at a tenth of the bitrate, 20-60 s titles; "
                          "tiny: small frames for tests")
    gen.add_argument("--out", type=Path, default=None,
                     help="library directory (default .cache/media/<fingerprint>)")
    gen.add_argument("--quiet", action="store_true")

    pub = sub.add_parser("publish", help="upload the library, invalidate, warm the edge")
    pub.add_argument("--bucket", help="media bucket (default: the Pulumi stack's media_bucket)")
    pub.add_argument("--cdn-url", help="CDN base URL for warming (default: stack's cdn_url)")
    pub.add_argument("--distribution-id", help="CloudFront distribution to invalidate")
    pub.add_argument("--titles", type=int, default=12, help="sample titles to publish")
    pub.add_argument("--seconds", type=int, default=None, help="as for generate")
    pub.add_argument("--profile", choices=sorted(PROFILES), default=DEFAULT_PROFILE,
                     help="as for generate")
    pub.add_argument("--library", type=Path, default=None,
                     help="publish this library directory instead of the generated sample")
    pub.add_argument("--extra", type=Path, action="append", default=[], metavar="DIR",
                     help="also publish every file under DIR at its relative key "
                          "(e.g. the player page); repeatable")
    pub.add_argument("--warm-top", type=int, default=5, metavar="K",
                     help="warm the K most popular titles (0 disables; needs a CDN URL)")
    pub.add_argument("--warm-rps", type=float, default=WarmLimits.requests_per_second)
    pub.add_argument("--warm-max-requests", type=int, default=WarmLimits.max_requests)
    pub.add_argument("--warm-timeout", type=float, default=WarmLimits.timeout)
    pub.add_argument("--workers", type=int, default=8, help="parallel uploads")
    pub.add_argument("--prune", action="store_true",
                     help="also delete objects under video/, posters/ and catalog.json that "
                          "are not in this library (a removed title or rendition), after the "
                          "upload, and "
                          "invalidate them; nothing else in the bucket is touched. The media "
                          "bucket is versioned, so a delete only adds a delete marker and the "
                          "object can be restored from its previous version")
    pub.add_argument("--dry-run", action="store_true",
                     help="show what would change (with --prune: what would be deleted), "
                          "upload and delete nothing")
    pub.add_argument("--quiet", action="store_true", help="no progress bar, no log lines")
    return parser


def _generate(args: argparse.Namespace, say) -> int:
    spec = LibrarySpec(titles=args.titles, seconds=args.seconds, profile=args.profile)
    library = generate_library(spec, args.out, progress=say,
                               show_progress=False if args.quiet else None)
    stamp = library_stamp(library)
    minutes = sum(t.duration for t in library.catalog.titles) / 60
    say(f"{len(library.catalog.titles)} titles ({minutes:.1f} min), "
        f"{library.size_bytes() / 1e6:.1f} MB, generated in {stamp['seconds_to_generate']} s")
    print(library.root)
    return 0


def _publish(args: argparse.Namespace, say) -> int:
    target = _target(args)
    if args.library is not None:
        library = Library.open(args.library)
    else:
        spec = LibrarySpec(titles=args.titles, seconds=args.seconds, profile=args.profile)
        library = generate_library(spec, progress=say,
                                   show_progress=False if args.quiet else None)
    extra: dict[str, Path] = {}
    for folder in args.extra:
        if not folder.is_dir():
            raise UsageError(f"--extra {folder}: not a directory")
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                extra[path.relative_to(folder).as_posix()] = path
    report = publish(
        library, target["bucket"],
        extra_files=extra,
        cdn_url=target.get("cdn_url"),
        distribution_id=target.get("distribution_id"),
        warm_top=args.warm_top,
        warm_limits=WarmLimits(args.warm_rps, args.warm_max_requests, args.warm_timeout),
        dry_run=args.dry_run,
        prune=args.prune,
        progress=False if args.quiet else None,
        workers=args.workers,
        log=say,
    )
    if args.dry_run and not args.quiet:
        for key in report.uploaded:
            say(f"  would upload {key}")
        for key in report.pruned:
            say(f"  would delete {key}")
    say(report.summary())
    return 0


def _target(args: argparse.Namespace) -> dict[str, str]:
    """Bucket, CDN URL and distribution from the flags, else from the selected Pulumi stack."""
    given = {name: getattr(args, name) for name in STACK_OUTPUTS if getattr(args, name)}
    if "bucket" in given:
        return given
    try:
        stack = outputs.read_stack_outputs()
    except outputs.StackOutputsUnavailable as exc:
        raise UsageError(
            f"no --bucket given and no Pulumi stack outputs available ({exc}); "
            "pass --bucket (and --cdn-url) or select a deployed stack"
        ) from None
    found = {flag: value for flag, name in STACK_OUTPUTS.items()
             if (value := outputs.output(stack, name)) is not None}
    if "bucket" not in found:
        raise UsageError(f"the selected stack has no {outputs.MEDIA_BUCKET!r} output; "
                         "pass --bucket")
    return {**found, **given}
