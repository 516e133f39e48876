"""Edge warming: fetch the most popular titles' playlists and first segments through the CDN.

Our stand-in for Open Connect's proactive fill: after a publish, the edge
already holds what most viewers ask for first. Bounded in requests per
second, total requests and per-request timeout; best effort (errors are
reported, never raised). /video/* needs signed cookies, which the playback API
hands out like it does to any player.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urljoin

import m3u8
import requests

from app.catalog import Catalog, master_key


@dataclass(frozen=True)
class WarmLimits:
    requests_per_second: float = 5.0
    max_requests: int = 100
    timeout: float = 5.0


@dataclass(frozen=True)
class WarmFetch:
    url: str
    status: int
    x_cache: str
    bytes: int


@dataclass
class WarmReport:
    titles: list[str] = field(default_factory=list)
    fetches: list[WarmFetch] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    capped: bool = False

    @property
    def hits(self) -> int:
        return sum(1 for f in self.fetches if f.x_cache.lower().startswith(("hit", "refreshhit")))

    @property
    def misses(self) -> int:
        return sum(1 for f in self.fetches if f.x_cache.lower().startswith("miss"))

    def summary(self) -> str:
        text = (f"warmed {len(self.titles)} title(s): {len(self.fetches)} fetch(es), "
                f"{self.hits} hit(s), {self.misses} miss(es), {len(self.errors)} error(s)")
        return text + (" (stopped at the request cap)" if self.capped else "")


class _Budget:
    """Requests-per-second pacing plus a total cap, shared by every fetch."""

    def __init__(self, limits: WarmLimits):
        self.limits = limits
        self.used = 0
        self.next_at = time.monotonic()
        self.lock = threading.Lock()

    def take(self) -> bool:
        with self.lock:
            if self.used >= self.limits.max_requests:
                return False
            self.used += 1
            now = time.monotonic()
            delay = max(0.0, self.next_at - now)
            self.next_at = max(now, self.next_at) + 1 / max(self.limits.requests_per_second, 1e-3)
        if delay:
            time.sleep(delay)
        return True


class _CapReached(Exception):
    pass


def warm_edge(cdn_url: str, catalog: Catalog, top_k: int, limits: WarmLimits | None = None,
              session: requests.Session | None = None,
              access_token: str | None = None) -> WarmReport:
    """Fetch master, variant playlists and first segments of the top-K titles via `cdn_url`.

    Playback grants need a signed-in viewer: `access_token` is a warming user's Cognito
    access token (without one the API answers 401 and the report says so).
    """
    limits = limits or WarmLimits()
    base = cdn_url.rstrip("/") + "/"
    budget = _Budget(limits)
    report = WarmReport()
    http = session or requests.Session()
    if access_token:
        http.headers["Authorization"] = f"Bearer {access_token}"
    try:
        for title in catalog.top(top_k):
            report.titles.append(title.id)
            try:
                _warm_title(http, base, title.id, budget, limits, report)
            except _CapReached:
                raise
            except (requests.RequestException, ValueError) as exc:
                report.errors.append(f"{title.id}: {exc}")
    except _CapReached:
        report.capped = True
    return report


def _warm_title(http: requests.Session, base: str, title_id: str, budget: _Budget,
                limits: WarmLimits, report: WarmReport) -> None:
    def request(method: str, url: str, **kwargs) -> requests.Response:
        if not budget.take():
            raise _CapReached
        return http.request(method, url, timeout=limits.timeout, **kwargs)

    answer = request("POST", urljoin(base, f"api/v1/titles/{title_id}/playback"))
    if answer.status_code != 200:
        report.errors.append(f"{title_id}: playback API answered {answer.status_code}")
        return
    grant = answer.json()
    cookies = grant.get("cookies") or {}
    headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())} if cookies else {}
    master_url = urljoin(base, grant.get("manifest_url") or master_key(title_id))

    def fetch(url: str) -> requests.Response | None:
        response = request("GET", url, headers=headers)
        report.fetches.append(WarmFetch(url=url, status=response.status_code,
                                        x_cache=response.headers.get("X-Cache", ""),
                                        bytes=len(response.content)))
        if response.status_code != 200:
            report.errors.append(f"{url}: HTTP {response.status_code}")
            return None
        return response

    master = fetch(master_url)
    if master is None:
        return
    for variant in m3u8.loads(master.text, uri=master_url).playlists:
        variant_url = urljoin(master_url, variant.uri)
        playlist = fetch(variant_url)
        if playlist is None:
            continue
        segments = m3u8.loads(playlist.text, uri=variant_url).segments
        if segments:
            fetch(urljoin(variant_url, segments[0].uri))
