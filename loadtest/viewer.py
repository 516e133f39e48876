"""The viewer model's decisions, free of I/O: which title, how long, when to renew the grant, and
when a player stalls (renditions: loadtest/abr.py). The locustfile only wires these to HTTP."""

from __future__ import annotations

import bisect
import itertools
import random
from collections.abc import Sequence
from dataclasses import dataclass, field

# The viewer's actions: Locust's request names (its stats, failures and reports group by
# them), each the thing a viewer does rather than the path it asks for, so a report reads
# per action and a service outage shows as the actions it breaks (README "Services that
# fail alone"). Sign-up covers the account's creation and its confirmation.
SIGN_UP, SIGN_IN, PROFILES, PLAN = "sign-up", "sign-in", "profiles", "plan"
PLAN_CHANGE = "plan-change"
TITLES, TRENDING, RECOMMENDATIONS = "titles", "trending", "recommendations"
PLAYBACK, RENEWAL, PLAYLISTS, SEGMENTS = "playback", "renewal", "playlists", "segments"
ACTIONS = (SIGN_UP, SIGN_IN, PLAN_CHANGE, PROFILES, PLAN, TITLES, TRENDING, RECOMMENDATIONS,
           PLAYBACK, RENEWAL, PLAYLISTS, SEGMENTS)

# The viewer model's parameters: the locustfile acts on them and `capacity/` derives each
# kind's requests per viewer-minute from them, so a change here changes both.
THINK_TIME_S = (0.5, 2.0)  # seconds between plays, uniform (Locust's between())
BROWSE_SHARE = 0.2  # chance that a play starts with browsing the catalog again
PAGE_LIMIT = 100  # titles per GET /api/v1/titles page
MAX_PAGES = 5  # pages a browse reads at most
RECOMMENDATIONS_SHARE = 0.25  # chance that a browse also asks for recommendations
TRENDING_SHARE = 0.1  # chance that a browse asks for the trending row (also the fallback)
PLAN_SHARE = 0.1  # chance that a play starts with reading the account's plan
PROFILES_SHARE = 0.1  # chance that a play starts with listing the account's profiles
# The plan a viewer who signs up picks (the plans page, PUT /api/v1/account/plan): the top
# one, so a title that needs a plan plays, and playback asks the plans service for it.
CHOSEN_PLAN = "premium"
PLAYLISTS_PER_PLAY = 2  # master, then the first rendition's; one more per rendition ABR moves to
MAX_SEGMENTS_DEFAULT = 10  # --max-segments: at most this many segments per play
BUFFER_SEGMENTS_DEFAULT = 1.0  # --buffer-segments: player buffer target, in segments
ZIPF_S_DEFAULT = 1.0  # --zipf-s: Zipf exponent of title choice


class ZipfPicker:
    """Picks catalog items with probability proportional to 1 / rank**s, rank 1 = most popular.

    Ranks come from the catalog's `popularity` (descending, ties by id), so the picker does not
    depend on the scale of that field; items without one rank after those with one, in order.
    With a `featured` title (a premiere), a share `featured_share` of picks is that title and
    the rest follow Zipf. ValueError for no titles, s < 0 or a share outside 0..1.
    """

    def __init__(
        self,
        titles: Sequence[dict],
        s: float = 1.0,
        rng: random.Random | None = None,
        featured: dict | None = None,
        featured_share: float = 0.0,
    ):
        if not titles:
            raise ValueError("no titles to pick from")
        if s < 0:
            raise ValueError(f"Zipf exponent must be >= 0, got {s}")
        if not 0.0 <= featured_share <= 1.0:
            raise ValueError(f"featured share must be in 0..1, got {featured_share}")
        self.featured = featured
        self.featured_share = featured_share if featured is not None else 0.0
        indexed = list(enumerate(titles))
        indexed.sort(key=lambda pair: (-_popularity(pair[1]), pair[0]))
        self.ranked: list[dict] = [title for _, title in indexed]
        weights = [1.0 / (rank**s) for rank in range(1, len(self.ranked) + 1)]
        self._cumulative = list(itertools.accumulate(weights))
        self._rng = rng or random.Random()

    def probability(self, rank: int) -> float:
        """The chance of picking the item at 1-based `rank`."""
        previous = self._cumulative[rank - 2] if rank > 1 else 0.0
        return (self._cumulative[rank - 1] - previous) / self._cumulative[-1]

    def pick(self) -> dict:
        if self.featured is not None and self._rng.random() < self.featured_share:
            return self.featured
        x = self._rng.random() * self._cumulative[-1]
        return self.ranked[min(bisect.bisect_right(self._cumulative, x), len(self.ranked) - 1)]


def _popularity(title: dict) -> float:
    value = title.get("popularity")
    return float(value) if isinstance(value, int | float) else float("-inf")


def renewal_due_in(renew_after: float, now_epoch: float, speedup: float) -> float:
    """Wall seconds until a grant should be renewed, on the play clock sped up by `speedup`.

    `renew_after` and `now_epoch` are epoch seconds; a viewer whose media plays `speedup`
    times faster renews as often per media second as a real player would.
    """
    return max(0.0, renew_after - now_epoch) / speedup


def watch_length(total_segments: int, max_segments: int, rng: random.Random) -> int:
    """How many segments this viewer watches: a random prefix of the title, at least one."""
    if total_segments < 1:
        return 0
    upper = max(1, min(total_segments, max_segments))
    return rng.randint(1, upper)


def mean_watch_length(total_segments: int, max_segments: int) -> float:
    """The expected value of `watch_length` in segments: the mean of a uniform 1..upper."""
    if total_segments < 1:
        return 0.0
    return (1 + max(1, min(total_segments, max_segments))) / 2


@dataclass
class PlayerBuffer:
    """A player's buffer on a clock sped up by `speedup`, in wall-clock seconds.

    Playback starts when the first segment arrives. The player asks for the next segment as
    soon as the buffer holds no more than `target` media seconds, so at steady state it fetches
    at real-time pace with each segment's duration (scaled) as its budget. A segment arriving
    after the buffered media has played out is a stall; playback resumes on its arrival.
    """

    speedup: float = 1.0
    target: float = 4.0
    started_at: float | None = None
    play_end: float = 0.0  # wall-clock time at which buffered media runs out
    stalls: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.speedup <= 0:
            raise ValueError(f"speedup must be > 0, got {self.speedup}")

    def next_request_at(self, now: float) -> float:
        """When to request the next segment: now, or when the buffer has drained to `target`."""
        if self.started_at is None:
            return now
        return max(now, self.play_end - self.target / self.speedup)

    def segment_arrived(self, arrival: float, duration: float) -> float:
        """Account a segment of `duration` media seconds arriving at `arrival`; the stall, or 0."""
        scaled = duration / self.speedup
        if self.started_at is None:
            self.started_at = arrival
            self.play_end = arrival + scaled
            return 0.0
        stall = max(0.0, arrival - self.play_end)
        if stall > 0:
            self.stalls.append(stall)
        self.play_end = max(self.play_end, arrival) + scaled
        return stall
