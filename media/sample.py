"""The sample library's plan: which titles exist, how long they run, how popular they are.

Everything here is deterministic, so the same request always yields the same
library (and the same cache directory).
"""

from __future__ import annotations

import colorsys
import random
from dataclasses import dataclass

ZIPF_EXPONENT = 1.0
# The ladder every title is encoded in (contract with the player and the API).
LADDER = (
    ("240p", 426, 240),
    ("480p", 854, 480),
    ("720p", 1280, 720),
)
SEGMENT_SECONDS = 4
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
# Default durations (seconds, multiples of the segment length, within 20-60).
_DURATIONS = (36, 24, 48, 20, 28, 60, 32, 24, 40, 20, 28, 32)


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
    pattern: str         # lavfi source of the moving inset
    tone_hz: int         # sine frequency of the soundtrack


def plan_titles(count: int = 12, seconds: int | None = None) -> list[PlannedTitle]:
    """The first `count` sample titles; `seconds` overrides every duration (tests)."""
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
            seconds=seconds or _DURATIONS[i % len(_DURATIONS)],
            popularity=popularity[i],
            background=_background(i),
            pattern=PATTERNS[i % len(PATTERNS)],
            # Pentatonic steps from A3, so neighbouring titles sound distinct.
            tone_hz=round(220 * 2 ** ((0, 2, 4, 7, 9)[i % 5] / 12 + (i // 5) % 3)),
        ))
    return planned


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


def _background(i: int) -> str:
    """A dark, saturated colour per title: hues spaced by the golden angle."""
    hue = (i * 0.381966) % 1.0
    r, g, b = colorsys.hsv_to_rgb(hue, 0.7, 0.45)
    return f"0x{round(r * 255):02x}{round(g * 255):02x}{round(b * 255):02x}"
