"""The calls the twin's moto server answered during a run, by operation and DynamoDB item
kind (twin/moto_server.py's `CallCounter`), for "DynamoDB calls per play" in the report.

Read before and after the run from `GET {moto_url}/_edgeflix/calls`; the difference is the
run's (the provisioning of viewer accounts happens before the first read). A moto server
that does not answer it (not the twin's, or restarted during the run) gives None.
"""

from __future__ import annotations

import requests

from twin.moto_server import CALLS_PATH

TIMEOUT_S = 2.0


def moto_calls(moto_url: str) -> dict[str, int] | None:
    """The counts so far ({"UpdateItem STREAMS": 812, ...}), or None when unavailable."""
    try:
        answer = requests.get(moto_url.rstrip("/") + CALLS_PATH, timeout=TIMEOUT_S)
        answer.raise_for_status()
        counts = answer.json()
    except (requests.RequestException, ValueError):
        return None
    if not isinstance(counts, dict):
        return None
    return {str(k): v for k, v in counts.items() if isinstance(v, int)}


class TargetCalls:
    """Reads the counts on creation; `finish()` gives each operation's calls since then,
    most first, or None when either read failed or the counts went down (a restart)."""

    def __init__(self, moto_url: str | None):
        self._url = moto_url
        self._start = moto_calls(moto_url) if moto_url else None

    def finish(self) -> dict[str, int] | None:
        if self._url is None or self._start is None:
            return None
        end = moto_calls(self._url)
        if end is None or any(end.get(k, 0) < v for k, v in self._start.items()):
            return None
        calls = {k: v - self._start.get(k, 0) for k, v in end.items()}
        return dict(sorted(((k, v) for k, v in calls.items() if v), key=lambda kv: -kv[1]))
