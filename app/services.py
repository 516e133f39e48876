"""The long-lived objects one API process shares between requests."""

from __future__ import annotations

import atexit
from dataclasses import dataclass

from flask import current_app

from app.accounts import Accounts
from app.auth import TokenVerifier
from app.catalog_store import CatalogStore, CatalogVersion
from app.plan_lookup import PlanLookup
from app.plan_store import PlanStore
from app.playback_limits import PlaybackRateLimiter
from app.playback_renewal import RenewalTokens
from app.plays import PlayRecorder, PlayTable
from app.problems import Problem
from app.profiles import ProfileStore
from app.recommendations import Recommender
from app.settings import Settings
from app.signing import PlaybackCookieSigner, SigningKey
from app.streams import Streams


@dataclass
class Services:
    """Built once by create_app and stored in app.extensions["edgeflix"].

    A process builds only what the service it runs uses (`Settings.service`,
    app/factory.py): the rest stays None, and create_app registers no blueprint
    that would use it. Which service uses what:

    - catalog: catalog, signing_key, signer, recorder, recommender (trending only),
      limiter, renewals, renewal_limiter, plan_lookup, streams, verifier;
    - accounts: profiles, verifier, accounts;
    - plans: plans, verifier;
    - recommendations: catalog, recommender.

    `table` (the plays table) is every service's: plays, profiles and plans all live in it.
    """

    settings: Settings
    table: PlayTable
    catalog: CatalogStore | None = None
    signing_key: SigningKey | None = None
    signer: PlaybackCookieSigner | None = None
    recorder: PlayRecorder | None = None
    recommender: Recommender | None = None
    limiter: PlaybackRateLimiter | None = None
    renewals: RenewalTokens | None = None
    renewal_limiter: PlaybackRateLimiter | None = None
    profiles: ProfileStore | None = None
    plans: PlanStore | None = None
    plan_lookup: PlanLookup | None = None
    streams: Streams | None = None
    # None until sign-in is configured (Settings.sign_in_configured), and in a
    # service that needs no signed-in viewer (recommendations).
    verifier: TokenVerifier | None = None
    accounts: Accounts | None = None

    def start(self) -> None:
        """Start the catalog refresher and the play writer (each only if built and configured)."""
        if self.catalog is not None:
            self.catalog.start(self.settings.catalog_refresh_seconds)
        if self.recorder is not None:
            self.recorder.start()
        # Belt and braces for a process that exits without gunicorn's worker_exit hook.
        atexit.register(self.close)

    def close(self) -> None:
        """Stop background threads and flush pending plays (worker exit); idempotent."""
        atexit.unregister(self.close)
        if self.catalog is not None:
            self.catalog.stop()
        if self.recommender is not None:
            self.recommender.close()
        if self.recorder is not None:
            self.recorder.close()
        if self.plan_lookup is not None:
            self.plan_lookup.close()


def services() -> Services:
    """The current app's Services."""
    return current_app.extensions["edgeflix"]


def current_catalog() -> CatalogVersion:
    """The catalog in force; 503 until the first load succeeded."""
    store = services().catalog
    catalog = store.catalog if store is not None else None
    if catalog is None:
        raise Problem(503, "The catalog is not loaded yet.", retry_after=2)
    return catalog
