"""Locust viewer model for edgeflix: browse, pick by Zipf popularity, play an HLS title at
real-time pace with adaptive bitrate, renew the grant as a player does, and measure start-up,
segment timing, stalls, bytes, renditions, renewals and the edge's X-Cache. One concern over
450 lines: a viewer's HTTP steps and what they record; its decisions are in viewer.py and
premiere.py.

Works against the local twin and a deployed CloudFront URL alike; run it through
`python -m loadtest`, or directly:

    locust -f loadtest/locustfile.py --headless -u 20 -r 5 -t 1m -H http://127.0.0.1:8080 \
        --stream-metrics reports/loadtest/stream.json
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import json
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.cookiejar import DefaultCookiePolicy
from pathlib import Path
from urllib.parse import urlsplit

import gevent
import m3u8
from locust import FastHttpUser, between, events, task

from loadtest import cluster
from loadtest.abr import LINK_MBPS_DEFAULT, AdaptivePlayer, LinkModel
from loadtest.accounts import (
    ACCOUNTS,
    SESSIONS,
    TWIN_CONFIRMATION_CODE,
    ViewerCredentials,
    account_index,
    read_users_file,
)
from loadtest.metrics import StreamStats
from loadtest.premiere import PREMIERE_SHARE, curve_from_options, premiere_title
from loadtest.target import is_loopback_url
from loadtest.viewer import (
    BROWSE_SHARE,
    BUFFER_SEGMENTS_DEFAULT,
    CHOSEN_PLAN,
    MAX_PAGES,
    MAX_SEGMENTS_DEFAULT,
    PAGE_LIMIT,
    PLAN,
    PLAN_CHANGE,
    PLAN_SHARE,
    PLAYBACK,
    PLAYLISTS,
    PROFILES,
    PROFILES_SHARE,
    RECOMMENDATIONS,
    RECOMMENDATIONS_SHARE,
    RENEWAL,
    SEGMENTS,
    SIGN_IN,
    SIGN_UP,
    THINK_TIME_S,
    TITLES,
    TRENDING,
    TRENDING_SHARE,
    ZIPF_S_DEFAULT,
    PlayerBuffer,
    ZipfPicker,
    renewal_due_in,
    watch_length,
)

log = logging.getLogger("loadtest")

TITLES_PATH = "/api/v1/titles"
TRENDING_PATH = "/api/v1/trending"
RECOMMENDATIONS_PATH = "/api/v1/recommendations"
PLAN_PATH = "/api/v1/account/plan"
PROFILES_PATH = "/api/v1/profiles"
COOKIE_NAMES = ("CloudFront-Policy", "CloudFront-Signature", "CloudFront-Key-Pair-Id")

STATS = StreamStats()
_clock = {"t0": time.monotonic()}


@events.init_command_line_parser.add_listener
def _add_arguments(parser) -> None:
    group = parser.add_argument_group("edgeflix viewer model")
    group.add_argument("--speedup", type=float, default=1.0, help="play clock speed-up factor")
    group.add_argument(
        "--max-segments",
        type=int,
        default=MAX_SEGMENTS_DEFAULT,
        help="at most this many segments per play",
    )
    group.add_argument(
        "--buffer-segments",
        type=float,
        default=BUFFER_SEGMENTS_DEFAULT,
        help="player buffer target, in segments: the next segment is requested when the "
        "buffer holds no more than this",
    )
    group.add_argument(
        "--link-mbps",
        type=float,
        default=LINK_MBPS_DEFAULT,
        help="median of the viewers' modelled access links (log-normal), which cap the "
        "throughput adaptive bitrate sees; 0 uses the measured throughput alone",
    )
    group.add_argument(
        "--zipf-s", type=float, default=ZIPF_S_DEFAULT, help="Zipf exponent of title choice"
    )
    group.add_argument(
        "--warmup",
        type=float,
        default=30.0,
        help="seconds excluded from the after-warm-up hit ratio",
    )
    group.add_argument(
        "--shape",
        choices=("steady", "premiere"),
        default="steady",
        help="load shape; with premiere, viewers arriving with the surge mostly pick one new "
        "title (the shape itself is loadtest/premiere_shape.py, passed to Locust with -f)",
    )
    group.add_argument(
        "--shape-peak", type=int, default=0, help="premiere: peak viewers (default: -u)"
    )
    group.add_argument(
        "--shape-duration", type=float, default=0.0, help="premiere: seconds (default: -t)"
    )
    group.add_argument(
        "--stream-metrics", default="", help="write the viewers' figures to this JSON file"
    )
    group.add_argument(
        "--worker-figures",
        default="",
        help="distributed runs: each worker writes what it recorded to DIR/worker-<pid>.json",
    )
    group.add_argument(
        "--users-file",
        default="",
        help="pre-provisioned accounts, one 'email,password' a line, shared round-robin by "
        "the viewers (a deployed stack: sign-up there needs a mailed code); without it each "
        "viewer signs up and confirms its own account (the twin: moto takes any code)",
    )
    group.add_argument(
        "--users-file-workers",
        type=int,
        default=1,
        help="distributed runs: the workers sharing --users-file; worker i takes its accounts "
        "i, i+N, ... so no two viewers share one",
    )


@events.init.add_listener
def _on_init(environment, **_kwargs) -> None:
    # Master and workers: ship each worker's figures to the master, merged there exactly.
    cluster.install(environment, lambda: STATS)


@events.test_start.add_listener
def _on_test_start(environment, **_kwargs) -> None:
    global STATS
    opts = environment.parsed_options
    STATS = StreamStats(
        warmup_s=getattr(opts, "warmup", 30.0), speedup=getattr(opts, "speedup", 1.0)
    )
    _clock["t0"] = time.monotonic()


@events.quitting.add_listener
def _on_quitting(environment, **_kwargs) -> None:
    path = getattr(environment.parsed_options, "stream_metrics", "")
    if path and not cluster.is_worker(environment):  # a master writes the merged figures
        figures = STATS.as_dict()
        figures["workers"] = cluster.LEDGER.as_dict() if cluster.is_master(environment) else None
        # Locust's own per-request stats at the same instant (its CSV lags by up to 2 s),
        # one row per action (loadtest/viewer.py), and its failures by action and reason.
        figures["locust_entries"] = [
            {
                "type": e.method,
                "name": e.name,
                "requests": e.num_requests,
                "failures": e.num_failures,
                "rps": round(e.total_rps, 3),
                "p50_ms": e.get_response_time_percentile(0.5),
                "p95_ms": e.get_response_time_percentile(0.95),
            }
            for e in environment.stats.entries.values()
        ]
        figures["locust_errors"] = [
            {"type": e.method, "name": e.name, "error": str(e.error),
             "occurrences": e.occurrences}
            for e in environment.stats.errors.values()
        ]
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(json.dumps(figures, indent=2) + "\n")


def _is_title(item: object) -> bool:
    return isinstance(item, dict) and isinstance(item.get("id"), str) and bool(item["id"])


def _since_start(t: float) -> float:
    return t - _clock["t0"]


_accounts: dict[str, list[ViewerCredentials]] = {}
_account_turn = itertools.count()


def _next_account(users_file: str, worker: int = 0, workers: int = 1) -> ViewerCredentials | None:
    """The next pre-provisioned account of `users_file` (read once), or None without one;
    worker `worker` of `workers` in a distributed run (accounts.account_index)."""
    if not users_file:
        return None
    if users_file not in _accounts:
        _accounts[users_file] = read_users_file(Path(users_file))
        if not _accounts[users_file]:
            raise ValueError(f"{users_file}: no 'email,password' lines")
    accounts = _accounts[users_file]
    return accounts[account_index(next(_account_turn), len(accounts), worker, workers)]


class _NoCookies(DefaultCookiePolicy):
    """Cookies are sent explicitly from the playback JSON: the jar would duplicate them on
    https and drop the Secure ones on plain http."""

    def set_ok(self, cookie, request) -> bool:  # noqa: ARG002
        return False


class PlaybackError(Exception):
    """A step of a play failed; already counted, the session ends."""


class _Forbidden(Exception):
    """A playlist or segment answered 403: the grant needs renewing before a retry."""


@dataclass
class PlayGrant:
    """The grant a play runs on: cookies to send, when to renew, and the token to renew with."""

    title_id: str
    renewal_token: str
    headers: dict = field(default_factory=dict)
    renew_at: float = float("inf")  # time.monotonic() at which to renew

    def update(self, document: dict, speedup: float) -> None:
        """Take the cookies and renewal time of a playback or renewal answer."""
        cookies = document.get("cookies") or {}
        self.headers["Cookie"] = "; ".join(
            f"{k}={cookies[k]}" for k in COOKIE_NAMES if k in cookies
        )
        self.renewal_token = document.get("renewal_token") or self.renewal_token
        renew_after = document.get("renew_after")
        if isinstance(renew_after, int | float):
            self.renew_at = time.monotonic() + renewal_due_in(renew_after, time.time(), speedup)


class Viewer(FastHttpUser):
    """One viewer: browse the catalog, pick a title, watch a random prefix of it, repeat."""

    wait_time = between(*THINK_TIME_S)
    network_timeout = 20.0
    connection_timeout = 5.0
    insecure = False  # a deployed CloudFront URL has a real certificate: check it

    def on_start(self) -> None:
        self.client.cookiejar.set_policy(_NoCookies())
        self.rng = random.Random()
        opts = self.environment.parsed_options
        self.speedup = max(float(getattr(opts, "speedup", 1.0)), 1e-6)
        self.max_segments = int(getattr(opts, "max_segments", MAX_SEGMENTS_DEFAULT))
        self.buffer_segments = float(getattr(opts, "buffer_segments", BUFFER_SEGMENTS_DEFAULT))
        self.zipf_s = float(getattr(opts, "zipf_s", ZIPF_S_DEFAULT))
        self.link = LinkModel(float(getattr(opts, "link_mbps", LINK_MBPS_DEFAULT)), rng=self.rng)
        self.loopback_only = is_loopback_url(self.host)
        self.picker: ZipfPicker | None = None
        # A premiere: viewers who arrive with the surge came for the new title.
        self.premiere_fan = False
        curve = curve_from_options(opts)
        if curve is not None:
            self.premiere_fan = curve.is_surge_arrival(_since_start(time.monotonic()))
        provisioned = _next_account(
            getattr(opts, "users_file", ""),
            max(getattr(self.environment.runner, "worker_index", 0), 0),
            int(getattr(opts, "users_file_workers", 1) or 1))
        self.provisioned = provisioned is not None  # exists and is confirmed already
        self.credentials = provisioned or ViewerCredentials.generated("loadtest")
        self.profile = self.credentials.profile
        self.signed_up = self.confirmed = self.plan_chosen = False
        self.authorization: dict[str, str] = {}
        self.ensure_signed_in()

    def ensure_signed_in(self) -> bool:
        """Whether the viewer holds an access token, signing in first when it does not.

        A step that failed (counted as an error) is tried again before the next play,
        from where it failed, as an app does; the viewer never plays without a token.
        """
        if not self.authorization:
            with contextlib.suppress(PlaybackError):
                self.authorization = {"Authorization": f"Bearer {self.sign_in()}"}
        if self.authorization and self.signed_up and not self.plan_chosen:
            with contextlib.suppress(PlaybackError):
                self.choose_plan()
        return bool(self.authorization)

    def choose_plan(self) -> None:
        """A new account picks its plan once, as the plans page does (an Idempotency-Key,
        so a retry after a lost answer changes nothing twice); tried again before the
        next play when it failed."""
        self.idempotency_key = getattr(self, "idempotency_key", None) or \
            f"loadtest-{self.rng.randrange(16**16):016x}"
        self._json("api", "PUT", PLAN_PATH, PLAN_CHANGE, body={"plan": CHOSEN_PLAN},
                   headers={**self.authorization, "Idempotency-Key": self.idempotency_key})
        self.plan_chosen = True

    def sign_in(self) -> str:
        """The viewer's access token: a pre-provisioned account, or one it signs up for."""
        viewer = self.credentials
        if not self.provisioned:
            if not self.signed_up:
                body = {"email": viewer.email, "password": viewer.password}
                self._json("api", "POST", ACCOUNTS, SIGN_UP, body=body)
                self.signed_up = True
            if not self.confirmed:
                self._fetch("api", ACCOUNTS + "/confirmation", SIGN_UP,
                            method="POST",
                            body={"email": viewer.email, "code": TWIN_CONFIRMATION_CODE})
                self.confirmed = True
        tokens = self._json("api", "POST", SESSIONS, SIGN_IN,
                            body={"email": viewer.email, "password": viewer.password})
        return str(tokens.get("access_token", ""))

    @task
    def watch(self) -> None:
        try:
            if self.picker is None or self.rng.random() < BROWSE_SHARE:
                self.browse()
            if self.picker is None or not self.ensure_signed_in():
                return
            self.account_pages()
            title = self.picker.pick()
            self.play(title)
        except PlaybackError:
            pass

    # --- steps -------------------------------------------------------------------------

    def account_pages(self) -> None:
        """Now and then, the account's plan and its profiles, as the player's pages show
        them; a failure is counted and the viewer plays on (they gate nothing)."""
        for share, path, action in ((PLAN_SHARE, PLAN_PATH, PLAN),
                                    (PROFILES_SHARE, PROFILES_PATH, PROFILES)):
            if self.rng.random() < share:
                with contextlib.suppress(PlaybackError):
                    self._json("api", "GET", path, action, headers=self.authorization)

    def rows(self) -> None:
        """The browse page's rows: the profile's recommendations, or trending when they
        fail (the player's fallback, counted in `fallbacks`); trending alone now and then.
        A row never keeps a viewer from playing."""
        if self.rng.random() < RECOMMENDATIONS_SHARE:
            try:
                self._json("api", "GET", f"{RECOMMENDATIONS_PATH}?profile={self.profile}&limit=10",
                           RECOMMENDATIONS)
                return
            except PlaybackError:
                STATS.fallbacks[f"{RECOMMENDATIONS}->{TRENDING}"] += 1
        elif self.rng.random() >= TRENDING_SHARE:
            return
        with contextlib.suppress(PlaybackError):
            self._json("api", "GET", f"{TRENDING_PATH}?limit=10", TRENDING)

    def browse(self) -> None:
        """Page through the catalog (bounded), then pick from what was seen."""
        titles: dict[str, dict] = {}
        offset = 0
        for _ in range(MAX_PAGES):
            query = f"?limit={PAGE_LIMIT}" + (f"&offset={offset}" if offset else "")
            body = self._json("api", "GET", TITLES_PATH + query, TITLES)
            page = [t for t in body.get("items") or body.get("titles") or [] if _is_title(t)]
            fresh = [t for t in page if t["id"] not in titles]
            titles.update((t["id"], t) for t in fresh)
            following = body.get("next_offset")
            # Stop on the last page, or when paging makes no progress (e.g. an edge that
            # drops the paging parameter from the cache key returns the first page again).
            if not isinstance(following, int) or following <= offset or not fresh:
                break
            offset = following
        if titles:
            catalog = list(titles.values())
            featured = premiere_title(catalog) if self.premiere_fan else None
            self.picker = ZipfPicker(
                catalog, self.zipf_s, self.rng, featured=featured, featured_share=PREMIERE_SHARE
            )
        self.rows()

    def play(self, title: dict) -> None:
        title_id = title["id"]
        self._json("api", "GET", f"{TITLES_PATH}/{title_id}", TITLES)
        play_started = time.monotonic()
        document = self._json(
            "api",
            "POST",
            f"{TITLES_PATH}/{title_id}/playback",
            PLAYBACK,
            body={"profile": self.profile},
            headers=self.authorization,
        )
        STATS.plays_started += 1
        STATS.plays_by_title[title_id] += 1
        granted = time.monotonic()
        grant = PlayGrant(title_id, str(document.get("renewal_token") or ""))
        grant.update(document, self.speedup)
        master_url = document.get("manifest_url") or f"/video/{title_id}/master.m3u8"
        master_url = self._absolute(master_url)

        master = parsed_playlist(
            self._video(grant, "playlist", master_url, PLAYLISTS).text or "", master_url)
        variants = master.variants
        abr = AdaptivePlayer([b for b, _, _ in variants] or [0])
        playlists: dict[int, tuple[tuple[str, float], ...]] = {}
        media = master  # a single-rendition title may be served as a media playlist
        if not variants:
            playlists[0] = master.segments
        first = abr.next_rendition()
        if first not in playlists:
            media = self._media_playlist(grant, variants[first][1])
            playlists[first] = media.segments
        playlists_done = time.monotonic()
        segments = playlists[first]
        if not segments:
            STATS.errors["playlist: no segments"] += 1
            raise PlaybackError
        target = media.target_duration or max(d for _, d in segments)
        buffer = PlayerBuffer(speedup=self.speedup, target=target * self.buffer_segments)
        count = watch_length(len(segments), self.max_segments, self.rng)
        stalled = False
        rendition = first
        for index in range(count):
            if index:
                rendition = abr.next_rendition()
                if rendition not in playlists:
                    playlists[rendition] = self._media_playlist(
                        grant, variants[rendition][1]).segments
            ladder = playlists[rendition]
            if index >= len(ladder):
                break  # renditions of unequal length: the play ends with the shortest
            url, duration = ladder[index]
            delay = buffer.next_request_at(time.monotonic()) - time.monotonic()
            if delay > 0:
                gevent.sleep(delay)
            started = time.monotonic()
            resp = self._video(grant, "segment", url, SEGMENTS)
            arrived = time.monotonic()
            size = len(resp.content or b"")
            name = variants[rendition][2] if variants else "only"
            STATS.rendition_segment(name, size)
            abr.segment_loaded(self.link.download_s(size, (arrived - started) * self.speedup), size)
            STATS.segment(arrived - started, duration)
            stall = buffer.segment_arrived(arrived, duration)
            if index == 0:
                startup_ms = (arrived - play_started) * 1000
                STATS.startup_ms.append(startup_ms)
                STATS.bucket(_since_start(arrived)).startup_ms.append(startup_ms)
                STATS.startup_phase("playback_api", granted - play_started)
                STATS.startup_phase("playlists", playlists_done - granted)
                STATS.startup_phase("first_segment", arrived - playlists_done)
                self._metric("startup", startup_ms)
            elif stall > 0:
                STATS.stall(stall, first_in_play=not stalled)
                stalled = True
                self._metric("stall", stall * 1000)
        STATS.switches.update(abr.switches)
        STATS.play_finished()

    def _media_playlist(self, grant: PlayGrant, url: str) -> Playlist:
        return parsed_playlist(self._video(grant, "playlist", url, PLAYLISTS).text or "", url)

    # --- grants ------------------------------------------------------------------------

    def _renew(self, grant: PlayGrant, cause: str) -> None:
        """Renew the play's grant as the signed-in viewer: fresh cookies, no new play counted.

        The renewal token is bound to the viewer's account, so it goes with the same
        bearer token as the play.
        """
        document = self._json(
            "api",
            "POST",
            f"{TITLES_PATH}/{grant.title_id}/playback/renewal",
            RENEWAL,
            body={"renewal_token": grant.renewal_token, "profile": self.profile},
            headers=self.authorization,
        )
        grant.update(document, self.speedup)
        STATS.renewals[cause] += 1

    def _video(self, grant: PlayGrant, kind: str, url: str, name: str):
        """A playlist or segment under the play's grant: renewed when due, and once on a 403."""
        if time.monotonic() >= grant.renew_at:
            self._renew(grant, "scheduled")
        try:
            return self._fetch(kind, url, name, grant.headers, on_forbidden=_raise_forbidden)
        except _Forbidden:
            self._renew(grant, "after_403")
            return self._fetch(kind, url, name, grant.headers)

    # --- HTTP --------------------------------------------------------------------------

    def _absolute(self, url: str) -> str:
        return url if url.startswith(("http://", "https://")) else self.host.rstrip("/") + url

    def _fetch(
        self,
        kind: str,
        url: str,
        name: str,
        headers: dict | None = None,
        method: str = "GET",
        body: dict | None = None,
        expect_json: bool = False,
        on_forbidden: Callable[[], None] | None = None,
    ):
        """One request, counted once by kind with its failure reason, its X-Cache accounted.

        Returns the response (or its JSON object when `expect_json`); PlaybackError on failure.
        A 403 with `on_forbidden` counts as a success and calls it (the caller renews).
        """
        url = self._absolute(url)
        if self.loopback_only and not is_loopback_url(url):
            # A loopback run never follows a link off the machine.
            STATS.request(kind, "non-loopback URL refused", at_s=_since_start(time.monotonic()))
            raise PlaybackError
        started = time.monotonic()
        kwargs = {"headers": headers or {}, "name": name, "catch_response": True}
        if body is not None:
            kwargs["json"] = body
        with self.client.request(method, url, **kwargs) as resp:
            finished = time.monotonic()
            error, data = None, None
            if not resp.status_code:
                exc = getattr(resp, "error", None)
                error = type(exc).__name__ if exc is not None else "connection error"
            elif resp.status_code == 403 and on_forbidden is not None:
                STATS.request(
                    kind, at_s=_since_start(started), viewers=self.environment.runner.user_count
                )
                resp.success()
                on_forbidden()
            elif not 200 <= resp.status_code < 300:
                error = f"HTTP {resp.status_code}"
            elif expect_json:
                try:
                    data = json.loads(resp.content or b"")
                except ValueError:
                    data = None
                if not isinstance(data, dict):
                    error = "not a JSON object"
            STATS.request(
                kind, error, at_s=_since_start(started), viewers=self.environment.runner.user_count
            )
            if error:
                resp.failure(error)
                raise PlaybackError
            resp.success()
            STATS.received(kind, len(resp.content or b""))
            if kind in ("playlist", "segment"):
                STATS.cache.record(
                    kind,
                    urlsplit(url).path,
                    resp.headers.get("X-Cache"),
                    _since_start(started),
                    _since_start(finished),
                )
            return data if expect_json else resp

    def _json(self, kind: str, method: str, url: str, name: str, body: dict | None = None,
              headers: dict | None = None) -> dict:
        return self._fetch(kind, url, name, headers, method=method, body=body, expect_json=True)

    def _metric(self, name: str, value_ms: float) -> None:
        """A viewer metric in Locust's own stats and HTML report."""
        self.environment.events.request.fire(
            request_type="VIEWER",
            name=name,
            response_time=value_ms,
            response_length=0,
            exception=None,
            context={},
        )


def _raise_forbidden() -> None:
    raise _Forbidden


@dataclass(frozen=True)
class Playlist:
    """What a play needs of an HLS playlist: a master's variants as (bandwidth, absolute
    URI, rendition name), lowest first; a media playlist's segments as (absolute URI,
    duration in seconds) and its EXT-X-TARGETDURATION (0.0 when absent)."""

    variants: tuple[tuple[int, str, str], ...]
    segments: tuple[tuple[str, float], ...]
    target_duration: float


@functools.lru_cache(maxsize=256)
def parsed_playlist(text: str, url: str) -> Playlist:
    """`text` fetched from `url`, parsed by m3u8 (RFC 8216), once per worker and distinct
    (text, URL): every viewer of a title gets the same playlists, and parsing a
    20-minute media playlist (300 segments) costs a load generator about 4 ms of CPU,
    most of a Locust worker's CPU when 2,000 viewers start 60 plays a second on the
    machine under test. Each viewer still fetches every playlist."""
    playlist = m3u8.loads(text, uri=url)
    variants = sorted(
        ((v.stream_info.bandwidth or 0, v.absolute_uri, _rendition_name(v.uri))
         for v in playlist.playlists),
        key=lambda v: v[0],
    )
    return Playlist(
        variants=tuple(variants),
        segments=tuple((s.absolute_uri, float(s.duration or 0)) for s in playlist.segments),
        target_duration=float(playlist.target_duration or 0),
    )


def _rendition_name(uri: str) -> str:
    """A variant's name for the report: its folder ("720p/index.m3u8" -> "720p")."""
    path = urlsplit(uri).path.rstrip("/")
    parts = path.split("/")
    return parts[-2] if len(parts) >= 2 else parts[-1]
