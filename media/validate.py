"""Checks a library before anything is uploaded: a bad rendition never reaches the bucket.

Refused: a playlist that does not parse or is not a finished VOD playlist, a
referenced segment that is missing or empty, segment counts or durations that
disagree with the catalog or between renditions, and media ffprobe cannot read
in full (fewer frames than the playlist promises, wrong codec or size).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import m3u8

from app.catalog import Title
from media.ffmpeg import Ffmpeg, FfmpegFailed
from media.library import Library

# Seconds a playlist's total may differ from the catalog's duration.
DURATION_TOLERANCE = 0.5
EXPECTED_CODECS = {"video": "h264", "audio": "aac"}
# Renditions ffprobe passed, by a hash of their exact segment bytes, kept in the
# library (a dotfile, never uploaded) so a republish does not probe again.
PROBE_RECORD = ".probed.json"


class LibraryInvalid(ValueError):
    """The library has problems; `problems` lists each one, naming the file."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        shown = "\n  ".join(problems[:20])
        more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
        super().__init__(f"refusing to publish, {len(problems)} problem(s):\n  {shown}{more}")


def check_library(library: Library, ff: Ffmpeg | None, *, workers: int = 4,
                  digests: dict[str, str] | None = None) -> None:
    """Raise LibraryInvalid listing every problem found; pass `ff=None` to skip ffprobe.

    With `digests` (key -> sha256 of the file), a rendition whose exact bytes
    were already probed in this process is not probed again.
    """
    problems: list[str] = []
    probes: list[tuple[str, Title, str, list[Path], float]] = []
    for title in library.catalog.titles:
        problems += _check_title(library.root, title, probes)
    if ff is not None and not problems:
        passed = _load_probe_record(library.root)

        def probe(args: tuple[str, Title, str, list[Path], float]) -> list[str]:
            key, title, name, paths, seconds = args
            memo = None
            if digests is not None:
                rendition = next(r for r in title.renditions if r.name == name)
                shas = [digests.get(p.relative_to(library.root).as_posix()) for p in paths]
                if all(shas):
                    memo = hashlib.sha256(repr((rendition.width, rendition.height,
                                                round(seconds, 3), shas)).encode()).hexdigest()
                if memo in passed:
                    return []
            found = _probe_rendition(ff, *args)
            if memo is not None and not found:
                passed.add(memo)
            return found

        with ThreadPoolExecutor(max_workers=workers) as pool:
            for found in pool.map(probe, probes):
                problems += found
        _save_probe_record(library.root, passed)
    if problems:
        raise LibraryInvalid(problems)


def _check_title(root: Path, title: Title,
                 probes: list[tuple[str, Title, str, list[Path], float]]) -> list[str]:
    problems: list[str] = []
    poster = root / title.poster
    if not poster.is_file() or poster.stat().st_size == 0:
        problems.append(f"{title.poster}: poster missing or empty")
    master = _parse(root, title.master, problems)
    if master is None:
        return problems
    if not master.is_variant:
        problems.append(f"{title.master}: not a master playlist (no #EXT-X-STREAM-INF)")
        return problems
    listed = {_resolve(title.master, p.uri) for p in master.playlists}
    promised = {r.playlist for r in title.renditions}
    if listed != promised:
        problems.append(f"{title.master}: lists {sorted(listed)}, catalog promises "
                        f"{sorted(promised)}")
    counts = {}
    for rendition in title.renditions:
        key = rendition.playlist
        variant = _parse(root, key, problems)
        if variant is None:
            continue
        if not variant.is_endlist:
            problems.append(f"{key}: no #EXT-X-ENDLIST (not a finished VOD playlist)")
        if not variant.segments:
            problems.append(f"{key}: no segments")
            continue
        target = variant.target_duration or 0
        total = sum(s.duration for s in variant.segments)
        if abs(total - title.duration) > DURATION_TOLERANCE:
            problems.append(f"{key}: segments last {total:.2f} s, catalog says "
                            f"{title.duration:.2f} s")
        if target <= 0:
            problems.append(f"{key}: no #EXT-X-TARGETDURATION")
        else:
            expected = math.ceil(title.duration / target - 1e-6)
            if len(variant.segments) != expected:
                problems.append(f"{key}: {len(variant.segments)} segments, expected {expected} "
                                f"for {title.duration:.2f} s of {target} s segments")
            long = [s.uri for s in variant.segments if round(s.duration) > target]
            if long:
                problems.append(f"{key}: segments longer than the target duration: {long[:3]}")
        counts[rendition.name] = len(variant.segments)
        paths, ok = [], True
        for segment in variant.segments:
            seg_key = _resolve(key, segment.uri)
            path = root / seg_key
            if not path.is_file():
                problems.append(f"{seg_key}: referenced by {key} but missing")
                ok = False
            elif path.stat().st_size == 0:
                problems.append(f"{seg_key}: referenced by {key} but empty")
                ok = False
            paths.append(path)
        if ok:
            probes.append((key, title, rendition.name, paths, total))
    if len(set(counts.values())) > 1:
        problems.append(f"video/{title.id}: renditions disagree on segment count: {counts}")
    return problems


def _probe_rendition(ff: Ffmpeg, key: str, title: Title, name: str, paths: list[Path],
                     seconds: float) -> list[str]:
    """Read every packet of the rendition; a damaged segment shows up as missing frames."""
    rendition = next(r for r in title.renditions if r.name == name)
    try:
        info = ff.probe([
            "-count_packets",
            "-show_entries", "stream=codec_type,codec_name,width,height,avg_frame_rate,"
                             "nb_read_packets",
            "-i", "concat:" + "|".join(str(p) for p in paths),
        ])
    except FfmpegFailed as exc:
        return [f"{key}: ffprobe cannot read its segments: {exc}"]
    streams = {s.get("codec_type"): s for s in info.get("streams", [])}
    problems = []
    for kind, codec in EXPECTED_CODECS.items():
        found = streams.get(kind, {}).get("codec_name")
        if found != codec:
            problems.append(f"{key}: {kind} codec is {found!r}, expected {codec!r}")
    video = streams.get("video", {})
    if (video.get("width"), video.get("height")) != (rendition.width, rendition.height):
        problems.append(f"{key}: video is {video.get('width')}x{video.get('height')}, "
                        f"catalog says {rendition.width}x{rendition.height}")
    num, _, den = str(video.get("avg_frame_rate", "0/1")).partition("/")
    fps = float(num) / float(den or 1) if float(den or 1) else 0.0
    frames = int(video.get("nb_read_packets", 0) or 0)
    expected = round(seconds * fps)
    # One frame of slack per segment for encoder rounding at segment edges.
    if fps and frames < expected - len(paths):
        problems.append(f"{key}: segments hold {frames} frames, the playlist promises "
                        f"{expected} ({seconds:.2f} s at {fps:g} fps): damaged or truncated")
    return problems


def _load_probe_record(root: Path) -> set[str]:
    try:
        return set(json.loads((root / PROBE_RECORD).read_text()))
    except (OSError, ValueError, TypeError):
        return set()


def _save_probe_record(root: Path, passed: set[str]) -> None:
    # A read-only library is simply probed every time.
    with contextlib.suppress(OSError):
        scratch = root / f"{PROBE_RECORD}.{os.getpid()}.tmp"
        scratch.write_text(json.dumps(sorted(passed)))
        scratch.replace(root / PROBE_RECORD)


def _parse(root: Path, key: str, problems: list[str]) -> m3u8.M3U8 | None:
    path = root / key
    if not path.is_file() or path.stat().st_size == 0:
        problems.append(f"{key}: playlist missing or empty")
        return None
    text = path.read_text(errors="replace")
    if not text.startswith("#EXTM3U"):
        problems.append(f"{key}: not an HLS playlist (no #EXTM3U header)")
        return None
    try:
        return m3u8.loads(text)
    except Exception as exc:  # m3u8 raises assorted errors on malformed input
        problems.append(f"{key}: playlist does not parse: {exc}")
        return None


def _resolve(playlist_key: str, uri: str) -> str:
    """The bucket key a playlist's relative URI points at."""
    if "://" in uri or uri.startswith("/"):
        return uri.lstrip("/")
    folder = playlist_key.rsplit("/", 1)[0]
    parts = []
    for part in f"{folder}/{uri}".split("/"):
        if part == "..":
            if parts:
                parts.pop()
        elif part not in ("", "."):
            parts.append(part)
    return "/".join(parts)
