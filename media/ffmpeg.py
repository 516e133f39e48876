"""Finding and running ffmpeg/ffprobe, with an install hint when they are missing."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

INSTALL_HINT = (
    "ffmpeg and ffprobe are needed to generate and check the sample library. "
    "Install them with: apt-get install ffmpeg   (Debian/Ubuntu; brew install ffmpeg on macOS)"
)

# Fonts tried for title cards, in order; without one the cards carry no text and
# titles stay distinct by colour, pattern and tone.
FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
    "/usr/share/fonts/TTF/DejaVuSans-Bold.ttf",
    "/Library/Fonts/Arial Bold.ttf",
)


class FfmpegNotFound(RuntimeError):
    """ffmpeg or ffprobe is not installed; the message says how to install it."""


class FfmpegFailed(RuntimeError):
    """An ffmpeg run failed; the message carries its last lines of stderr."""


@dataclass(frozen=True)
class Ffmpeg:
    ffmpeg: str
    ffprobe: str

    @property
    def version(self) -> str:
        return _version(self.ffmpeg)

    def run(self, args: list[str], what: str,
            on_progress: Callable[[float], None] | None = None) -> None:
        """Run ffmpeg quietly; raise FfmpegFailed with the tail of stderr.

        With `on_progress`, ffmpeg reports through `-progress pipe:1` and the
        callback receives the seconds of output written so far (`out_time_us`,
        see the `-progress` option in ffmpeg(1)) each time ffmpeg reports.
        """
        cmd = [self.ffmpeg, "-hide_banner", "-nostdin", "-v", "error", "-y"]
        if on_progress is None:
            proc = subprocess.run([*cmd, *args], capture_output=True, text=True)
            returncode, stderr = proc.returncode, proc.stderr
        else:
            # stderr goes to a file so a chatty ffmpeg cannot block on a full pipe.
            with tempfile.TemporaryFile(mode="w+") as err:
                with subprocess.Popen([*cmd, "-nostats", "-progress", "pipe:1", *args],
                                      stdout=subprocess.PIPE, stderr=err, text=True) as live:
                    assert live.stdout is not None
                    for line in live.stdout:
                        key, _, value = line.strip().partition("=")
                        if key == "out_time_us" and value.isdigit():
                            on_progress(int(value) / 1e6)
                returncode = live.returncode
                err.seek(0)
                stderr = err.read()
        if returncode != 0:
            tail = "\n".join(stderr.strip().splitlines()[-8:])
            raise FfmpegFailed(f"ffmpeg failed while {what} (exit {returncode}):\n{tail}")

    def probe(self, args: list[str]) -> dict:
        """Run ffprobe with JSON output; raise FfmpegFailed when it fails."""
        cmd = [self.ffprobe, "-v", "error", "-of", "json", *args]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            raise FfmpegFailed(proc.stderr.strip() or f"ffprobe exit {proc.returncode}")
        return json.loads(proc.stdout or "{}")


def find_ffmpeg() -> Ffmpeg:
    """Locate ffmpeg and ffprobe on PATH, or raise FfmpegNotFound with an install hint."""
    ffmpeg, ffprobe = shutil.which("ffmpeg"), shutil.which("ffprobe")
    missing = [name for name, path in (("ffmpeg", ffmpeg), ("ffprobe", ffprobe)) if not path]
    if missing:
        raise FfmpegNotFound(f"{' and '.join(missing)} not found on PATH. {INSTALL_HINT}")
    return Ffmpeg(ffmpeg=ffmpeg, ffprobe=ffprobe)


def find_font() -> Path | None:
    """A bold TrueType font for title cards, or None when none is installed."""
    for candidate in FONT_CANDIDATES:
        if Path(candidate).is_file():
            return Path(candidate)
    fc_match = shutil.which("fc-match")
    if fc_match:
        proc = subprocess.run([fc_match, "-f", "%{file}", "sans:bold"],
                              capture_output=True, text=True)
        path = Path(proc.stdout.strip())
        if proc.returncode == 0 and path.suffix.lower() in {".ttf", ".otf"} and path.is_file():
            return path
    return None


@cache
def _version(binary: str) -> str:
    proc = subprocess.run([binary, "-version"], capture_output=True, text=True)
    return (proc.stdout.splitlines() or ["unknown"])[0]
