"""The sample library's plan: profiles (ladder, frame rate, durations) and titles.

A profile says how a library is encoded: the bitrate ladder, frame rate, how
much temporal noise the picture carries (noise is what makes x264 spend the
target bitrate, as camera grain does in real footage) and how long each title
runs. `demo` is what `make demo` serves: a real-shaped ladder (about 0.4 / 1.2
/ 3 Mbps for 240p / 480p / 720p) with one feature-length title. `ci` keeps the
same rungs and ratios at a tenth of the bitrate and 15 fps, with 20-60 s
titles, so tests stay cheap. `tiny` is a test profile with small frames and 6
fps, cheap enough to encode a 20-minute title in a test.

Everything here is deterministic, so the same request always yields the same
library (and the same cache directory).
"""

from __future__ import annotations

import colorsys
import random
from dataclasses import dataclass

ZIPF_EXPONENT = 1.0
SEGMENT_SECONDS = 4


@dataclass(frozen=True)
class Rung:
    """One rendition of the ladder: its name, frame size and video bitrate target (bit/s)."""

    name: str
    width: int
    height: int
    video_bitrate: int


@dataclass(frozen=True)
class Profile:
    """How a library is encoded; see the module docstring for the three profiles."""

    name: str
    ladder: tuple[Rung, ...]
    fps: int
    audio_bitrate: int      # bit/s, AAC-LC
    noise: int              # strength of ffmpeg's `noise` filter (alls), temporal + uniform
    preset: str             # x264 preset
    durations: tuple[int, ...]   # seconds of title i (cycled), multiples of SEGMENT_SECONDS

    @property
    def gop(self) -> int:
        """Frames per GOP: exactly one segment, so every segment opens on a keyframe."""
        return self.fps * SEGMENT_SECONDS


# The short titles' durations (seconds, multiples of the segment length, 20-60).
_SHORT_DURATIONS = (36, 24, 48, 20, 28, 60, 32, 24, 40, 20, 28, 32)
FEATURE_SECONDS = 20 * 60

PROFILES = {
    "demo": Profile(
        name="demo",
        ladder=(Rung("240p", 426, 240, 300_000), Rung("480p", 854, 480, 1_100_000),
                Rung("720p", 1280, 720, 2_900_000)),
        fps=24, audio_bitrate=64_000, noise=16, preset="superfast",
        # t01 (the most popular title) runs 20 minutes; the others are shorts.
        durations=(FEATURE_SECONDS, *_SHORT_DURATIONS[1:]),
    ),
    "ci": Profile(
        name="ci",
        ladder=(Rung("240p", 426, 240, 30_000), Rung("480p", 854, 480, 110_000),
                Rung("720p", 1280, 720, 290_000)),
        fps=15, audio_bitrate=16_000, noise=6, preset="superfast",
        durations=_SHORT_DURATIONS,
    ),
    "tiny": Profile(
        name="tiny",
        ladder=(Rung("144p", 256, 144, 20_000), Rung("216p", 384, 216, 60_000),
                Rung("288p", 512, 288, 150_000)),
        fps=6, audio_bitrate=16_000, noise=6, preset="superfast",
        durations=(FEATURE_SECONDS,),
    ),
}
DEFAULT_PROFILE = "demo"
# The rungs of the demo and ci ladders (contract with the player and the API).
LADDER = tuple((r.name, r.width, r.height) for r in PROFILES["demo"].ladder)
# lavfi sources for each title's moving inset, so titles differ even without fonts.
PATTERNS = ("smptehdbars", "testsrc2", "rgbtestsrc", "testsrc", "yuvtestsrc", "smptebars")

# slug, title, year, genres, tags, synopsis
_TITLES = (
    ("midnight-harbor", "Midnight Harbor", 2019, ["Drama", "Mystery"], ["noir", "coastal"],
     "A harbour pilot finds a ship that was never logged."),
    ("paper-comets", "Paper Comets", 2021, ["Animation", "Family"], ["space", "kids"],
     "Two siblings fold a fleet of paper rockets and one of them flies."),
    ("the-last-relay", "The Last Relay", 2017, ["Sci-Fi", "Thriller"], ["signals", "isolation"],
     "The keeper of a relay station hears a reply to a message sent a century ago."),
    ("salt-and-smoke", "Salt and Smoke", 2022, ["Documentary", "Food"], ["cooking", "travel"],
     "Smokehouses along the North Sea, one family recipe at a time."),
    ("quiet-engines", "Quiet Engines", 2015, ["Drama"], ["trains", "slow cinema"],
     "A night-train mechanic keeps an old locomotive running past its last trip."),
    ("glasshouse", "Glasshouse", 2020, ["Horror"], ["botanical", "isolation"],
     "A botanist's greenhouse grows something it was not planted with."),
    ("lanterns-over-kyoto", "Lanterns over Kyoto", 2018, ["Romance", "Drama"], ["festival"],
     "Two strangers meet every summer at the same lantern festival."),
    ("north-face-zero", "North Face Zero", 2023, ["Documentary", "Adventure"], ["climbing"],
     "A first winter ascent, filmed by the climbers themselves."),
    ("copper-city", "Copper City", 2016, ["Crime", "Drama"], ["heist", "mining town"],
     "A mining town's payroll vanishes the night the mine closes."),
    ("tidal-logic", "Tidal Logic", 2024, ["Sci-Fi"], ["ocean", "ai"],
     "An ocean buoy's software starts predicting more than the tides."),
    ("brass-and-bone", "Brass and Bone", 2014, ["Music", "Documentary"], ["jazz", "brass band"],
     "A street brass band rebuilds itself after a flood."),
    ("small-hours", "Small Hours", 2021, ["Comedy"], ["night shift", "ensemble"],
     "The night staff of a 24-hour diner and their regulars."),
)


@dataclass(frozen=True)
class PlannedTitle:
    index: int
    id: str
    title: str
    year: int
    genres: tuple[str, ...]
    tags: tuple[str, ...]
    synopsis: str
    seconds: int
    popularity: float
    background: str      # 0xRRGGBB
    foreground: str      # 0xRRGGBB, the living cells of the moving background
    pattern: str         # lavfi source of the moving inset
    tone_hz: int         # sine frequency of the soundtrack
    seed: int            # seed of the title's moving background (Game of Life)


def plan_titles(count: int = 12, seconds: int | None = None,
                profile: str = DEFAULT_PROFILE) -> list[PlannedTitle]:
    """The first `count` sample titles of `profile`; `seconds` overrides every duration.

    Raises ValueError for a count outside 1-99, a duration that is not a positive
    multiple of SEGMENT_SECONDS, or an unknown profile.
    """
    durations = get_profile(profile).durations
    if not 1 <= count <= 99:
        raise ValueError(f"titles must be between 1 and 99 (got {count})")
    if seconds is not None and (seconds <= 0 or seconds % SEGMENT_SECONDS):
        raise ValueError(f"seconds must be a positive multiple of {SEGMENT_SECONDS}")
    popularity = zipf_popularity(count)
    planned = []
    for i in range(count):
        slug, title, year, genres, tags, synopsis = _TITLES[i % len(_TITLES)]
        if i >= len(_TITLES):
            slug, title = f"{slug}-{i // len(_TITLES) + 1}", f"{title} {i // len(_TITLES) + 1}"
        planned.append(PlannedTitle(
            index=i,
            id=f"t{i + 1:02d}-{slug}",
            title=title,
            year=year,
            genres=tuple(genres),
            tags=tuple(tags),
            synopsis=synopsis,
            seconds=seconds or durations[i % len(durations)],
            popularity=popularity[i],
            background=_colour(i, 0.45),
            foreground=_colour(i, 0.8, saturation=0.5),
            pattern=PATTERNS[i % len(PATTERNS)],
            # Pentatonic steps from A3, so neighbouring titles sound distinct.
            tone_hz=round(220 * 2 ** ((0, 2, 4, 7, 9)[i % 5] / 12 + (i // 5) % 3)),
            seed=1000 + i,
        ))
    return planned


def get_profile(name: str) -> Profile:
    """The named profile; ValueError lists the known ones."""
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown library profile {name!r} "
                         f"(known: {', '.join(PROFILES)})") from None


def zipf_popularity(count: int, exponent: float = ZIPF_EXPONENT) -> list[float]:
    """Zipf shares (summing to 1) assigned to titles in a fixed shuffled rank order.

    The shuffle keeps popularity independent of catalogue order, so "top K"
    really has to sort.
    """
    ranks = list(range(1, count + 1))
    random.Random(20240501).shuffle(ranks)
    weights = [1 / r**exponent for r in ranks]
    total = sum(weights)
    return [round(w / total, 6) for w in weights]


def _colour(i: int, value: float, saturation: float = 0.7) -> str:
    """A colour per title (`value` sets its brightness): hues spaced by the golden angle."""
    hue = (i * 0.381966) % 1.0
    r, g, b = colorsys.hsv_to_rgb(hue, saturation, value)
    return f"0x{round(r * 255):02x}{round(g * 255):02x}{round(b * 255):02x}"
