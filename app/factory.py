"""The application factory: the only place that reads settings and creates AWS clients."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask

from app.accounts import Accounts
from app.auth import TokenVerifier
from app.aws import AwsClients, create_aws_clients
from app.catalog_store import CatalogStore
from app.document_cache import CatalogDocumentCache
from app.plan_store import PlanStore
from app.play_reads import PlayReads
from app.playback_limits import PlaybackRateLimiter
from app.playback_renewal import RenewalTokens
from app.plays import PlayRecorder, PlayTable
from app.profiles import ProfileStore
from app.recommendations import Recommender
from app.request_ids import RequestIdMiddleware
from app.services import Services
from app.settings import Settings, settings_from_environment
from app.signing import PlaybackCookieSigner, SigningKey
from app.streams import Streams

log = logging.getLogger(__name__)


def build_services(settings: Settings, clients: AwsClients) -> Services:
    """Wire the long-lived objects; loads the catalog and key once, tolerating failure."""
    catalog = CatalogStore(clients.s3, settings.bucket, settings.catalog_key)
    signing_key = SigningKey(clients.secrets, settings.signing_secret_id, settings.key_pair_id,
                             settings.signing_key_refresh_seconds)
    table = PlayTable(clients.dynamodb, settings.table)
    reads = PlayReads(
        table,
        history_seconds=settings.history_cache_seconds,
        coplay_seconds=settings.coplay_cache_seconds,
        trending_seconds=settings.trending_cache_seconds,
    )
    catalog.refresh()
    signing_key.load()
    return Services(
        settings=settings,
        catalog=catalog,
        signing_key=signing_key,
        signer=PlaybackCookieSigner(
            signing_key, settings.cdn_base, settings.cookie_ttl
        ),
        table=table,
        recorder=PlayRecorder(table, settings.play_flush_seconds, reads),
        recommender=Recommender(reads, settings.recommendation_deadline_seconds),
        limiter=PlaybackRateLimiter(settings.plays_per_minute),
        renewals=RenewalTokens(signing_key, settings.renewal_window_seconds),
        renewal_limiter=PlaybackRateLimiter(settings.renewals_per_minute),
        profiles=ProfileStore(clients.dynamodb, settings.table),
        plans=PlanStore(clients.dynamodb, settings.table),
        streams=Streams(clients.dynamodb, settings.table),
        verifier=token_verifier(settings),
        accounts=(
            Accounts(clients.cognito, settings.user_pool_client_id)
            if settings.sign_in_configured and settings.user_pool_client_id
            else None
        ),
    )


def token_verifier(settings: Settings) -> TokenVerifier | None:
    """The user pool's access-token verifier; None when sign-in is not configured."""
    if not settings.sign_in_configured:
        return None
    assert settings.user_pool_client_id is not None
    return TokenVerifier(settings.jwks, settings.issuer, settings.user_pool_client_id)


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """The application factory; `config` overrides Settings fields read from the environment."""
    from app.accounts_api import accounts_api
    from app.catalog_api import catalog_api
    from app.health import health
    from app.openapi import openapi_api
    from app.plans_api import plans_api
    from app.playback_api import AuthenticatedPlaybackLane, playback_api
    from app.problems import errors
    from app.recommendations_api import recommendations_api

    settings = settings_from_environment()
    if config:
        settings = settings.with_overrides(config)
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    # A doubled slash is a 404 like any other unknown path, not a redirect.
    app.url_map.merge_slashes = False
    services = build_services(settings, create_aws_clients(settings))
    app.extensions["edgeflix"] = services
    for blueprint in (errors, health, catalog_api, playback_api, recommendations_api,
                      accounts_api, plans_api, openapi_api):
        app.register_blueprint(blueprint)
    # Outermost first: request id on everything; then the two lanes that answer
    # repeatable requests without Flask (see their docstrings); then Flask.
    app.wsgi_app = RequestIdMiddleware(  # type: ignore[method-assign]
        AuthenticatedPlaybackLane(CatalogDocumentCache(app.wsgi_app, services.catalog), services)
    )
    services.start()
    return app
