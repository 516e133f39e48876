"""Per-profile rate limit on playback authorisations (a token bucket per profile)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class PlaybackRateLimiter:
    """Allows `per_minute` plays per profile in this process, with a burst of the same size.

    One worker's view only: it stops a runaway client hammering one instance, not a
    fleet-wide quota (that belongs at the edge). 0 disables the limit.
    """

    MAX_PROFILES = 50_000

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._rate = per_minute / 60.0
        self._burst = float(per_minute)
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, profile: str) -> int:
        """0 when a play is allowed now (and counted), else whole seconds to wait."""
        if self._rate <= 0:
            return 0
        now = self._clock()
        with self._lock:
            tokens, stamp = self._buckets.get(profile, (self._burst, now))
            tokens = min(self._burst, tokens + (now - stamp) * self._rate)
            if tokens >= 1.0:
                if len(self._buckets) >= self.MAX_PROFILES:
                    self._buckets.clear()
                self._buckets[profile] = (tokens - 1.0, now)
                return 0
            self._buckets[profile] = (tokens, now)
            return max(1, int((1.0 - tokens) / self._rate + 0.999))
