"""The long-lived objects one API process shares between requests."""

from __future__ import annotations

import atexit
from dataclasses import dataclass

from flask import current_app

from app.accounts import Accounts
from app.auth import TokenVerifier
from app.catalog_store import CatalogStore, CatalogVersion
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
    """Built once by create_app and stored in app.extensions["edgeflix"]."""

    settings: Settings
    catalog: CatalogStore
    signing_key: SigningKey
    signer: PlaybackCookieSigner
    table: PlayTable
    recorder: PlayRecorder
    recommender: Recommender
    limiter: PlaybackRateLimiter
    renewals: RenewalTokens
    renewal_limiter: PlaybackRateLimiter
    profiles: ProfileStore
    plans: PlanStore
    streams: Streams
    # Both None until sign-in is configured (Settings.sign_in_configured).
    verifier: TokenVerifier | None = None
    accounts: Accounts | None = None

    def start(self) -> None:
        """Start the catalog refresher and the play writer (each only if configured)."""
        self.catalog.start(self.settings.catalog_refresh_seconds)
        self.recorder.start()
        # Belt and braces for a process that exits without gunicorn's worker_exit hook.
        atexit.register(self.close)

    def close(self) -> None:
        """Stop background threads and flush pending plays (worker exit); idempotent."""
        atexit.unregister(self.close)
        self.catalog.stop()
        self.recommender.close()
        self.recorder.close()


def services() -> Services:
    """The current app's Services."""
    return current_app.extensions["edgeflix"]


def current_catalog() -> CatalogVersion:
    """The catalog in force; 503 until the first load succeeded."""
    catalog = services().catalog.catalog
    if catalog is None:
        raise Problem(503, "The catalog is not loaded yet.", retry_after=2)
    return catalog
