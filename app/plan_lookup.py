"""The catalog service's view of an account's plan: cached, with bounded staleness.

`PlanLookup.plan_for(viewer, authorization[, covering=plan]) -> Plan` is what a plan-gated step
of playback calls (a title above the default plan today; every grant once grants
are scoped to the plan). Where the plan comes from:

- `PlansServiceSource` (Settings.plans_url set, the split fleet): `GET
  {plans_url}/api/v1/account/plan` on the plans service, forwarding the viewer's
  own `Authorization` header (the plans service verifies it and answers for that
  token's account) and the request id. One short attempt (connect 0.5 s, read
  1 s), no retries: a retry storm from every catalog worker is what a struggling
  plans service needs least.
- `PlanStoreSource` (no plans_url: `all` in one process, or a catalog service
  that reads the table itself): app/plan_store.py.

Each process keeps the plans it read per account (cachetools' `TTLCache`, LRU
bounded by `max_accounts`):

- younger than `fresh_seconds` (Settings.plan_cache_seconds): used as is;
- older: the source is asked again; when it is *unavailable* (connection error,
  timeout, a 5xx or any answer that is not a plan or a 401) the last known plan is
  used while its age is at most `stale_seconds` (Settings.plan_stale_seconds),
  logged and counted (`stats`);
- unavailable and no plan known within that bound: the `fallback` source, if
  any. The split fleet's catalog service falls back to the plan of record in the
  table (`PlanStoreSource`): its workers each keep their own cache, so a worker
  that never served this account would otherwise have nothing to go on while
  the plans service is down (measured: 6 % of plan-gated grants failed in the
  twin's plans outage before the fallback);
- and when that is unavailable too (or there is none): `PlansUnavailable`, a 503
  problem+json with Retry-After.

After a failure the source is left alone for `backoff_seconds` (a per-process
circuit, as app/recommendations.py does for DynamoDB): lookups in that time use
the last known plan or answer 503 at once instead of each waiting out a timeout.

A 401 from the plans service is an answer about this viewer's token, not an
outage: it reaches the viewer as a 401 with its detail and WWW-Authenticate
challenge and never falls back to a stale plan (the catalog service checked the
token itself, so this is a token that expired or was refused in between). Any
other answer but a 200 (a 404 from a wrong plans_url, a 403 from a load
balancer rule, a 3xx) is something the viewer did not cause: it counts as an
outage, logged with its status, like a 5xx. A plan
change (`PUT /api/v1/account/plan` on the plans service, the one writer) reaches
a catalog worker within `fresh_seconds`, or at once where the caller passes the
plan it needs (`covering`) and the known plan falls short of it; a process that
serves the plans API too forgets the account's plan when it changes it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from time import monotonic
from typing import Any, Protocol

import requests
from cachetools import TTLCache
from requests.adapters import HTTPAdapter

from app.auth import Viewer
from app.plan_store import PlanStore
from app.plans import PLANS, Plan
from app.problems import Problem
from app.request_ids import NO_REQUEST, current_request_id

log = logging.getLogger(__name__)

ACCOUNT_PLAN_PATH = "/api/v1/account/plan"
# (connect, read) seconds for one call to the plans service.
PLANS_TIMEOUT = (0.5, 1.0)
# Seconds the source is left alone after a failure.
BACKOFF_SECONDS = 2.0
RETRY_AFTER_SECONDS = 5
MAX_ACCOUNTS = 100_000
# Headers of a plans-service 401 passed on to the viewer (RFC 6750 §3).
PASSED_HEADERS = ("WWW-Authenticate",)
Timer = Callable[[], float]


class PlansUnavailable(Problem):
    """503: the plans service (or table) is unavailable and no recent plan is known."""

    def __init__(self) -> None:
        super().__init__(
            503,
            "The account's plan cannot be read right now; try again shortly.",
            retry_after=RETRY_AFTER_SECONDS,
        )


class SourceUnavailable(Exception):
    """The source could not say: connection error, timeout, an answer that is not a plan."""


class PlanSource(Protocol):
    """Where an account's plan is read from."""

    def fetch(self, viewer: Viewer, authorization: str | None) -> Plan:
        """The viewer's plan; SourceUnavailable on an outage, Problem (401) for a refused token."""
        ...


class PlanStoreSource:
    """The plan of record in the plays table (app/plan_store.py), read directly."""

    def __init__(self, store: PlanStore) -> None:
        self._store = store

    def fetch(self, viewer: Viewer, authorization: str | None) -> Plan:
        """The account's plan; a table error (PlanStore's 503) is SourceUnavailable."""
        try:
            return self._store.get(viewer.sub).plan
        except Problem as exc:
            if (exc.code or 500) >= 500:
                raise SourceUnavailable(exc.description) from None
            raise


class PlansServiceSource:
    """`GET {base_url}/api/v1/account/plan` on the plans service with the viewer's token.

    One `requests.Session` per process (its connection pool is thread-safe for
    these plain GETs), no retries, `timeout` = (connect, read) seconds.
    """

    def __init__(
        self,
        base_url: str,
        *,
        timeout: tuple[float, float] = PLANS_TIMEOUT,
        pool_size: int = 16,
    ) -> None:
        self.url = base_url.rstrip("/") + ACCOUNT_PLAN_PATH
        self._timeout = timeout
        self._session = requests.Session()
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=pool_size, max_retries=0)
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)

    def fetch(self, viewer: Viewer, authorization: str | None) -> Plan:
        """The plan the plans service answers for this token.

        Problem 401 (detail and WWW-Authenticate as the plans service gave them) when
        it refuses the token; SourceUnavailable for a connection error, a timeout, any
        other status but 200, or a 200 whose body names no known plan.
        """
        headers = {"Accept": "application/json"}
        if authorization:
            headers["Authorization"] = authorization
        request_id = current_request_id()
        if request_id != NO_REQUEST:
            headers["X-Request-Id"] = request_id
        try:
            answer = self._session.get(self.url, headers=headers, timeout=self._timeout,
                                       allow_redirects=False)
        except requests.RequestException as exc:
            raise SourceUnavailable(f"{type(exc).__name__}: {exc}") from None
        status = answer.status_code
        if status == 401:
            raise _refusal(answer)
        if status != 200:
            if status < 500 and status != 429:
                log.error("plans service at %s answered %d: check plans_url", self.url, status)
            raise SourceUnavailable(f"HTTP {status}")
        try:
            name = answer.json()["name"]
            return PLANS[name]
        except (ValueError, KeyError, TypeError) as exc:
            raise SourceUnavailable(f"not a plan: {exc!r}") from None

    def close(self) -> None:
        """Close the session's pooled connections."""
        self._session.close()


def _refusal(answer: requests.Response) -> Problem:
    detail = "The plans service refused the request."
    try:
        document = answer.json()
        if isinstance(document, dict) and isinstance(document.get("detail"), str):
            detail = document["detail"]
    except ValueError:
        pass
    headers = {name: answer.headers[name] for name in PASSED_HEADERS if name in answer.headers}
    return Problem(answer.status_code, detail, response_headers=headers)


@dataclass
class _Known:
    plan: Plan
    read_at: float


@dataclass
class PlanLookupStats:
    """Counts since start: reads from the source, plans served stale, 503s answered."""

    fetched: int = 0
    stale: int = 0
    fallback: int = 0
    unavailable: int = 0


class PlanLookup:
    """Accounts' plans from `source`, fresh for `fresh_seconds`, usable up to
    `stale_seconds` old while the source is unavailable (thread-safe).

    `timer` gives seconds on a monotonic clock (default time.monotonic).
    """

    def __init__(
        self,
        source: PlanSource,
        fresh_seconds: float,
        stale_seconds: float,
        *,
        fallback: PlanSource | None = None,
        backoff_seconds: float = BACKOFF_SECONDS,
        max_accounts: int = MAX_ACCOUNTS,
        timer: Timer | None = None,
    ) -> None:
        self.source = source
        self.fallback = fallback
        self.fresh_seconds = fresh_seconds
        self.stale_seconds = stale_seconds
        self._backoff = backoff_seconds
        self._timer = timer or monotonic
        # Entries outlive every allowed use (fresh or stale) by a second, so the age
        # checks in plan_for, not the cache's expiry, draw the bounds.
        keep = max(fresh_seconds, stale_seconds)
        self._known: TTLCache | None = (
            TTLCache(maxsize=max_accounts, ttl=keep + 1.0, timer=self._timer)
            if keep > 0 else None
        )
        self._source_down_until = float("-inf")
        self._lock = threading.Lock()
        self.stats = PlanLookupStats()

    def plan_for(
        self, viewer: Viewer, authorization: str | None, *, covering: str | None = None
    ) -> Plan:
        """The viewer's plan, within the bounds above.

        `authorization` is the request's Authorization header as received (the
        plans service verifies it again). `covering` names a plan the caller needs
        (a title's required plan): a fresh plan that does not cover it is confirmed
        with the source first, so an upgrade counts at the next grant while a
        downgrade may take `fresh_seconds`. Raises PlansUnavailable (503) when the
        source is unavailable and no plan of this account is known within
        `stale_seconds` and the fallback (if any) is unavailable too; Problem 401
        when the plans service refuses the token.
        """
        now = self._timer()
        known = self._recall(viewer.sub)
        if (
            known is not None
            and now - known.read_at < self.fresh_seconds
            and known.plan.covers(covering)
        ):
            return known.plan
        if now >= self._source_down_until:
            try:
                plan = self.source.fetch(viewer, authorization)
            except SourceUnavailable as exc:
                with self._lock:
                    self._source_down_until = self._timer() + self._backoff
                log.warning("plan source unavailable (%s); not asked again for %.1f s",
                            exc, self._backoff)
            else:
                self._remember(viewer.sub, plan)
                return plan
        if known is not None and now - known.read_at <= self.stale_seconds:
            with self._lock:
                self.stats.stale += 1
            log.info("using an account's plan read %.0f s ago (plans unavailable)",
                     now - known.read_at)
            return known.plan
        if self.fallback is not None:
            try:
                plan = self.fallback.fetch(viewer, authorization)
            except SourceUnavailable as exc:
                log.warning("plan fallback unavailable too (%s)", exc)
            else:
                with self._lock:
                    self.stats.fallback += 1
                # Not remembered: the source is asked again once its backoff ends.
                return plan
        with self._lock:
            self.stats.unavailable += 1
        raise PlansUnavailable()

    def forget(self, account: str) -> None:
        """Drop what is known about `account` (its next lookup asks the source)."""
        if self._known is not None:
            with self._lock:
                self._known.pop(account, None)

    def _recall(self, account: str) -> _Known | None:
        if self._known is None:
            return None
        with self._lock:
            return self._known.get(account)

    def _remember(self, account: str, plan: Plan) -> None:
        with self._lock:
            self.stats.fetched += 1
            if self._known is not None:
                self._known[account] = _Known(plan, self._timer())

    def close(self) -> None:
        """Release the source's connections (a plans-service source has a pool)."""
        close: Any = getattr(self.source, "close", None)
        if close is not None:
            close()
