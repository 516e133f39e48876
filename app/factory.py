"""The application factory: the only place that reads settings and creates AWS clients.

`Settings.service` (EDGEFLIX_SERVICE) picks what a process serves (app/service_map.py):

| service         | blueprints                                              |
|-----------------|---------------------------------------------------------|
| catalog         | catalog, playback, trending (catalog_api), openapi      |
| accounts        | accounts (sign-up, sessions, profiles)                  |
| plans           | plans                                                   |
| recommendations | recommendations                                         |
| all             | every one of them (local development, tests, baseline)  |

Every service also answers /healthz and /readyz (app/health.py; readiness
checks only that service's dependencies) and answers anything else with a 404
or 405 problem+json. Each builds only the long-lived objects its blueprints use
(app/services.py): the accounts service loads no catalog and no signing key,
only the catalog and recommendations services refresh the catalog, only the
catalog service runs the play writer.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import Blueprint, Flask

from app.accounts import Accounts
from app.auth import TokenVerifier
from app.aws import AwsClients, create_aws_clients
from app.catalog_store import CatalogStore
from app.document_cache import CatalogDocumentCache
from app.plan_lookup import PlanLookup, PlansServiceSource, PlanStoreSource
from app.plan_store import PlanStore
from app.play_reads import PlayReads
from app.playback_limits import PlaybackRateLimiter
from app.playback_renewal import RenewalTokens
from app.plays import PlayRecorder, PlayTable
from app.profiles import ProfileStore
from app.recommendations import Recommender
from app.request_ids import RequestIdMiddleware, WsgiApp
from app.service_map import (
    ACCOUNTS,
    ALL,
    CATALOG,
    PLANS,
    RECOMMENDATIONS,
    service_named,
)
from app.services import Services
from app.settings import Settings, settings_from_environment
from app.signing import PlaybackCookieSigner, SigningKey
from app.streams import REPEAT_SECONDS, Streams

log = logging.getLogger(__name__)

SERVICE_VARIABLE = "EDGEFLIX_SERVICE"


def service_of(settings: Settings) -> str:
    """The service this process runs: `all` or a name from app/service_map.py.

    Raises ValueError naming EDGEFLIX_SERVICE, its value and the allowed values.
    """
    if settings.service == ALL:
        return ALL
    try:
        return service_named(settings.service).name
    except ValueError as exc:
        raise ValueError(f"{SERVICE_VARIABLE}={settings.service!r}: {exc}; or {ALL!r}") from None


def serves(service: str, part: str) -> bool:
    """Whether a process running `service` serves the service called `part`."""
    return service in (ALL, part)


def build_services(settings: Settings, clients: AwsClients) -> Services:
    """Wire the long-lived objects `settings.service` uses; loads the catalog and key once
    (where used), tolerating failure."""
    service = service_of(settings)
    catalog_side = serves(service, CATALOG.name)
    with_catalog = catalog_side or serves(service, RECOMMENDATIONS.name)
    table = PlayTable(clients.dynamodb, settings.table)
    svc = Services(settings=settings, table=table)
    if serves(service, PLANS.name):
        svc.plans = PlanStore(clients.dynamodb, settings.table)
    if with_catalog:
        svc.catalog = CatalogStore(clients.s3, settings.bucket, settings.catalog_key)
        reads = PlayReads(
            table,
            history_seconds=settings.history_cache_seconds,
            coplay_seconds=settings.coplay_cache_seconds,
            trending_seconds=settings.trending_cache_seconds,
        )
        # The catalog service ranks trending with it (app/catalog_api.py).
        svc.recommender = Recommender(reads, settings.recommendation_deadline_seconds)
        svc.catalog.refresh()
    if catalog_side:
        signing_key = SigningKey(clients.secrets, settings.signing_secret_id,
                                 settings.key_pair_id, settings.signing_key_refresh_seconds)
        signing_key.load()
        svc.signing_key = signing_key
        svc.signer = PlaybackCookieSigner(signing_key, settings.cdn_base, settings.cookie_ttl)
        svc.recorder = PlayRecorder(table, settings.play_flush_seconds, reads)
        svc.limiter = PlaybackRateLimiter(settings.plays_per_minute)
        svc.renewals = RenewalTokens(signing_key, settings.renewal_window_seconds)
        svc.renewal_limiter = PlaybackRateLimiter(settings.renewals_per_minute)
        svc.plan_lookup = plan_lookup(
            settings, svc.plans or PlanStore(clients.dynamodb, settings.table))
        svc.streams = Streams(clients.dynamodb, settings.table,
                              plan_fresh_seconds=REPEAT_SECONDS)
    if serves(service, ACCOUNTS.name):
        svc.profiles = ProfileStore(clients.dynamodb, settings.table)
        svc.accounts = (
            Accounts(clients.cognito, settings.user_pool_client_id)
            if settings.sign_in_configured and settings.user_pool_client_id
            else None
        )
    if service != RECOMMENDATIONS.name:
        svc.verifier = token_verifier(settings)
    return svc


def plan_lookup(settings: Settings, store: PlanStore) -> PlanLookup:
    """The catalog service's plan lookup: the plans service at `plans_url` with the
    table's plan of record (`store`) as its fallback, else the table alone."""
    table = PlanStoreSource(store)
    if settings.plans_url:
        return PlanLookup(PlansServiceSource(settings.plans_url), settings.plan_cache_seconds,
                          settings.plan_stale_seconds, fallback=table)
    return PlanLookup(table, settings.plan_cache_seconds, settings.plan_stale_seconds)


def token_verifier(settings: Settings) -> TokenVerifier | None:
    """The user pool's access-token verifier; None when sign-in is not configured.

    Verification is local (the pool's JWKS, fetched from Cognito and cached), so no
    service asks the accounts service whether a viewer is signed in.
    """
    if not settings.sign_in_configured:
        return None
    assert settings.user_pool_client_id is not None
    return TokenVerifier(settings.jwks, settings.issuer, settings.user_pool_client_id)


def blueprints(service: str) -> list[Blueprint]:
    """The blueprints a process running `service` registers, errors and health first."""
    from app.accounts_api import accounts_api
    from app.catalog_api import catalog_api
    from app.health import health
    from app.openapi import openapi_api
    from app.plans_api import plans_api
    from app.playback_api import playback_api
    from app.problems import errors
    from app.recommendations_api import recommendations_api

    chosen = [errors, health]
    if serves(service, CATALOG.name):
        chosen += [catalog_api, playback_api]
    if serves(service, RECOMMENDATIONS.name):
        chosen.append(recommendations_api)
    if serves(service, ACCOUNTS.name):
        chosen.append(accounts_api)
    if serves(service, PLANS.name):
        chosen.append(plans_api)
    if serves(service, CATALOG.name):
        chosen.append(openapi_api)
    return chosen


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """The application factory; `config` overrides Settings fields read from the environment.

    Raises ValueError for a setting out of bounds or an unknown EDGEFLIX_SERVICE.
    """
    from app.playback_api import AuthenticatedPlaybackLane

    settings = settings_from_environment()
    if config:
        settings = settings.with_overrides(config)
    service = service_of(settings)
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    # A doubled slash is a 404 like any other unknown path, not a redirect.
    app.url_map.merge_slashes = False
    services = build_services(settings, create_aws_clients(settings))
    app.extensions["edgeflix"] = services
    for blueprint in blueprints(service):
        app.register_blueprint(blueprint)
    wsgi: WsgiApp = app.wsgi_app
    if services.catalog is not None and serves(service, CATALOG.name):
        # The two lanes that answer repeatable requests without Flask (see their docstrings).
        wsgi = AuthenticatedPlaybackLane(CatalogDocumentCache(wsgi, services.catalog), services)
    # Outermost first: request id on everything.
    app.wsgi_app = RequestIdMiddleware(wsgi)  # type: ignore[method-assign]
    services.start()
    log.info("serving %s", service)
    return app
