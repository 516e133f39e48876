"""A premiere, as a Locust load shape (`python -m loadtest --shape premiere`).

A quiet baseline, a surge of viewers arriving within about a minute, most of them onto one new
title, a plateau, then decay back towards the baseline. The curve scales with the run:
`--users` is the peak and `--duration` the whole run (Locust's `-u` and `-t`, which the shape
reads: `use_common_options`). Custom load shapes:
https://docs.locust.io/en/stable/custom-load-shape.html

The Locust shape class is in `premiere_shape.py`, which `python -m loadtest` passes to Locust
(`-f locustfile.py,premiere_shape.py`) only for `--shape premiere`: Locust runs any shape class
a locustfile defines. This module imports no Locust, so tests and the viewer model use it freely.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

# The curve's parameters, as shares of the run or of the peak.
BASELINE_SHARE = 0.10  # baseline viewers, as a share of the peak
BASELINE_END_SHARE = 0.15  # the surge starts this far into the run
SURGE_MAX_S = 60.0  # the surge reaches the peak within this many seconds...
SURGE_SHARE = 0.20  # ...or within this share of the run, whichever is shorter
PLATEAU_END_SHARE = 0.60  # decay starts this far into the run
DECAY_TIME_CONSTANTS = 3.0  # time constants of the exponential decay in what is left of the run
PREMIERE_SHARE = 0.8  # chance that a viewer who arrived with the surge picks the premiere


@dataclass(frozen=True)
class PremiereCurve:
    """Target viewers over time for a premiere of `peak` viewers in a run of `duration_s`.

    Phases, in seconds since the test start: baseline [0, surge_start), a linear surge to the
    peak [surge_start, peak_at), the plateau [peak_at, decay_start), then exponential decay
    towards the baseline until `duration_s`, after which the test ends.
    """

    peak: int
    duration_s: float

    def __post_init__(self) -> None:
        if self.peak < 1:
            raise ValueError(f"peak must be >= 1 viewer, got {self.peak}")
        if self.duration_s <= 0:
            raise ValueError(f"duration must be > 0 s, got {self.duration_s}")

    @property
    def baseline(self) -> int:
        return max(1, round(self.peak * BASELINE_SHARE))

    @property
    def surge_start(self) -> float:
        return self.duration_s * BASELINE_END_SHARE

    @property
    def peak_at(self) -> float:
        return self.surge_start + min(SURGE_MAX_S, self.duration_s * SURGE_SHARE)

    @property
    def decay_start(self) -> float:
        return self.duration_s * PLATEAU_END_SHARE

    def users(self, t: float) -> int | None:
        """Target viewers at `t` seconds since the start; None once the run is over."""
        if t >= self.duration_s:
            return None
        base, peak = self.baseline, self.peak
        if t < self.surge_start:
            return base
        if t < self.peak_at:
            share = (t - self.surge_start) / (self.peak_at - self.surge_start)
            return base + math.ceil((peak - base) * share)
        if t < self.decay_start:
            return peak
        tau = (self.duration_s - self.decay_start) / DECAY_TIME_CONSTANTS
        return base + round((peak - base) * math.exp(-(t - self.decay_start) / tau))

    def spawn_rate(self, t: float) -> float:
        """Viewers started (or stopped) per second that keeps up with the curve at `t`."""
        surge_rate = (self.peak - self.baseline) / (self.peak_at - self.surge_start)
        if t < self.surge_start:
            return float(max(1, self.baseline))  # the baseline is there within a second
        if t < self.decay_start:
            return max(1.0, surge_rate)
        # Decay: Locust reaches each tick's (lower) target within a second.
        return float(max(1, self.peak - self.baseline))

    def tick(self, t: float) -> tuple[int, float] | None:
        """What a Locust shape's tick() returns at `t`: (viewers, spawn rate per s), or None to
        stop the test."""
        users = self.users(t)
        return None if users is None else (users, self.spawn_rate(t))

    def is_surge_arrival(self, t: float) -> bool:
        """Whether a viewer starting at `t` came with the premiere rather than the baseline."""
        return self.surge_start <= t < self.decay_start


def curve_from_options(opts: object) -> PremiereCurve | None:
    """The premiere's curve from Locust's parsed options, None unless `--shape premiere`.

    The peak and length come from `--shape-peak` and `--shape-duration` (seconds), which
    `python -m loadtest` sets to `--users` and `--duration`: Locust forwards only custom options
    to its workers, not `-u` and `-t`. Without them (Locust run by hand, one process), `-u` and
    `-t` are the peak and the length. ValueError when neither gives a peak and a length.
    """
    if getattr(opts, "shape", "steady") != "premiere":
        return None
    peak = getattr(opts, "shape_peak", 0) or getattr(opts, "num_users", 0)
    duration = getattr(opts, "shape_duration", 0) or getattr(opts, "run_time", 0)
    if not peak or not duration:
        raise ValueError("--shape premiere needs a peak (-u) and a run time (-t)")
    return PremiereCurve(peak=int(peak), duration_s=float(duration))


def premiere_title(titles: Sequence[dict]) -> dict:
    """The title that premieres: the catalog's least popular one (a new title has no viewing
    history yet), ties broken by the highest id, so every Locust worker agrees on it.

    Raises ValueError for an empty catalog.
    """
    if not titles:
        raise ValueError("no titles to premiere")

    def key(title: dict) -> tuple[float, str]:
        popularity = title.get("popularity")
        rank = float(popularity) if isinstance(popularity, int | float) else float("-inf")
        return (-rank, str(title.get("id", "")))

    return max(titles, key=key)
