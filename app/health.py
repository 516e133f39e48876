"""Liveness and readiness probes for the ALB target groups and the local twin.

Each service's readiness checks only what that service cannot answer without
(app/factory.py builds only those objects):

| service         | checks                          |
|-----------------|---------------------------------|
| catalog, all    | catalog, signing_key, table     |
| accounts        | table (profiles)                |
| plans           | table (plans of record)         |
| recommendations | catalog                         |

Recommendations need no table to be ready: without it they degrade to catalog
popularity (app/recommendations.py). No service's readiness depends on another
service, nor on Cognito: a shared outage that fails every target's health check
only replaces clear 503 problems with the load balancer's own errors.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from app.http_caching import HEALTH
from app.services import Services, services

health = Blueprint("health", __name__)


@health.get("/healthz")
def liveness() -> Response:
    """The process answers; touches no dependency."""
    response = jsonify(status="ok")
    response.headers["Cache-Control"] = HEALTH
    return response


def readiness_checks(svc: Services) -> dict[str, bool]:
    """{check name: passed} for the objects this process built (see the module docstring)."""
    checks: dict[str, bool] = {}
    if svc.catalog is not None:
        checks["catalog"] = svc.catalog.catalog is not None
    if svc.signing_key is not None:
        checks["signing_key"] = svc.signing_key.get() is not None
    if svc.recorder is not None or svc.profiles is not None or svc.plans is not None:
        checks["table"] = svc.table.recently_reachable()
    return checks


@health.get("/readyz")
def readiness() -> tuple[Response, int]:
    """Ready when every check of this service passes; 503 naming the failed ones otherwise."""
    checks = readiness_checks(services())
    ready = all(checks.values())
    response = jsonify(status="ready" if ready else "not-ready", checks=checks)
    response.headers["Cache-Control"] = HEALTH
    return response, 200 if ready else 503
