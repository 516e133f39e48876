"""Adaptive bitrate as hls.js does it, free of I/O: a throughput estimate and a rendition choice.

The estimator follows hls.js's EwmaBandWidthEstimator: two exponentially weighted
moving averages of segment download throughput, weighted by download time, with
half-lives of 3 s and 9 s (hls.js `abrEwmaFastVoD` / `abrEwmaSlowVoD`); the
estimate is the lower of the two, so it falls fast and rises slowly, and is
500 kbps (`abrEwmaDefaultEstimate`) until a sample arrives. The choice follows
hls.js's AbrController: the highest rendition whose BANDWIDTH fits the estimate
scaled by 0.95 (`abrBandWidthFactor`) for the current or a lower rendition and
by 0.7 (`abrBandWidthUpFactor`) for a higher one (hls.js API.md, "Fine tuning").

`LinkModel` stands for the viewer's access link, which a load generator in a data
centre does not have: it caps the throughput the estimator sees, so the rendition
mix follows a population of home links, while the measured timings stay those of
the stack under test.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field

FAST_HALF_LIFE_S = 3.0
SLOW_HALF_LIFE_S = 9.0
DEFAULT_ESTIMATE_BPS = 500_000.0
BANDWIDTH_FACTOR = 0.95
BANDWIDTH_UP_FACTOR = 0.7
# hls.js floors a sample's duration so one cached, near-instant response cannot dominate.
MIN_SAMPLE_S = 0.05
# Median modelled viewer link (Mbit/s): puts viewers on every rung of a 0.4/1.2/3 Mbps ladder.
LINK_MBPS_DEFAULT = 6.0


@dataclass
class Ewma:
    """An exponentially weighted moving average whose weight is time (seconds)."""

    half_life_s: float
    _estimate: float = 0.0
    _total_weight: float = 0.0

    @property
    def alpha(self) -> float:
        return math.exp(math.log(0.5) / self.half_life_s)

    def sample(self, weight: float, value: float) -> None:
        adjusted = self.alpha**weight
        self._estimate = value * (1 - adjusted) + adjusted * self._estimate
        self._total_weight += weight

    @property
    def estimate(self) -> float:
        """The average, corrected for its zero start (so the first sample counts in full)."""
        zero_factor = 1 - self.alpha**self._total_weight
        return self._estimate / zero_factor if zero_factor else 0.0


@dataclass
class BandwidthEstimator:
    """hls.js's estimator: min of a fast and a slow time-weighted EWMA, in bits per second."""

    default_bps: float = DEFAULT_ESTIMATE_BPS
    fast: Ewma = field(default_factory=lambda: Ewma(FAST_HALF_LIFE_S))
    slow: Ewma = field(default_factory=lambda: Ewma(SLOW_HALF_LIFE_S))
    samples: int = 0

    def sample(self, download_s: float, size_bytes: int) -> None:
        """One segment of `size_bytes` downloaded in `download_s` seconds."""
        duration = max(download_s, MIN_SAMPLE_S)
        bps = size_bytes * 8 / duration
        self.fast.sample(duration, bps)
        self.slow.sample(duration, bps)
        self.samples += 1

    @property
    def estimate_bps(self) -> float:
        if not self.samples:
            return self.default_bps
        return min(self.fast.estimate, self.slow.estimate)


def choose_rendition(bandwidths: Sequence[int], current: int | None, estimate_bps: float) -> int:
    """Index into `bandwidths` (ascending bits/s) of the rendition to fetch next.

    `current` is the index now playing, or None before the first segment. The
    lowest rendition when none fits.
    """
    chosen = 0
    for index, bandwidth in enumerate(bandwidths):
        up = current is None or index > current
        factor = BANDWIDTH_UP_FACTOR if up else BANDWIDTH_FACTOR
        if bandwidth <= estimate_bps * factor:
            chosen = index
    return chosen


@dataclass
class LinkModel:
    """A viewer's access link: a capacity drawn once per viewer, varying per segment.

    The capacity is log-normal around `median_mbps` (spread `sigma`, the usual shape
    of measured broadband speeds); each segment sees it times a log-normal factor of
    spread `jitter`. `median_mbps` 0 means no link model: throughput as measured.
    """

    median_mbps: float
    sigma: float = 0.8
    jitter: float = 0.35
    rng: random.Random = field(default_factory=random.Random)
    capacity_bps: float = field(init=False)

    def __post_init__(self) -> None:
        if self.median_mbps < 0:
            raise ValueError(f"link median must be >= 0 Mbps, got {self.median_mbps}")
        self.capacity_bps = (
            self.median_mbps * 1e6 * math.exp(self.rng.gauss(0, self.sigma))
            if self.median_mbps
            else math.inf
        )

    def download_s(self, size_bytes: int, measured_s: float) -> float:
        """How long the segment takes through this link: never faster than measured."""
        if math.isinf(self.capacity_bps):
            return measured_s
        now_bps = self.capacity_bps * math.exp(self.rng.gauss(0, self.jitter))
        return max(measured_s, size_bytes * 8 / now_bps)


@dataclass
class AdaptivePlayer:
    """Rendition choice per segment from the estimator; counts switches up and down."""

    bandwidths: Sequence[int]
    estimator: BandwidthEstimator = field(default_factory=BandwidthEstimator)
    current: int | None = None
    switches: dict[str, int] = field(default_factory=lambda: {"up": 0, "down": 0})

    def __post_init__(self) -> None:
        if not self.bandwidths or list(self.bandwidths) != sorted(self.bandwidths):
            raise ValueError("bandwidths must be a non-empty ascending sequence")

    def next_rendition(self) -> int:
        """The rendition for the next segment; a change from the current one is a switch."""
        chosen = choose_rendition(self.bandwidths, self.current, self.estimator.estimate_bps)
        if self.current is not None and chosen != self.current:
            self.switches["up" if chosen > self.current else "down"] += 1
        self.current = chosen
        return chosen

    def segment_loaded(self, download_s: float, size_bytes: int) -> None:
        self.estimator.sample(download_s, size_bytes)
