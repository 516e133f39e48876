"""Liveness and readiness probes for the ALB and the local twin."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from app.http_caching import HEALTH
from app.services import services

health = Blueprint("health", __name__)


@health.get("/healthz")
def liveness() -> Response:
    """The process answers; touches no dependency."""
    response = jsonify(status="ok")
    response.headers["Cache-Control"] = HEALTH
    return response


@health.get("/readyz")
def readiness() -> tuple[Response, int]:
    """Ready when the catalog and signing key are loaded and the table answers."""
    svc = services()
    checks = {
        "catalog": svc.catalog.catalog is not None,
        "signing_key": svc.signing_key.get() is not None,
        "table": svc.table.recently_reachable(),
    }
    ready = all(checks.values())
    response = jsonify(status="ready" if ready else "not-ready", checks=checks)
    response.headers["Cache-Control"] = HEALTH
    return response, 200 if ready else 503
