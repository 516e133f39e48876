"""The plans API: the plans on offer, the signed-in account's plan, and changing it.

`PUT /api/v1/account/plan` takes `{"plan": ...}` and an `Idempotency-Key` header
(IETF httpapi draft "The Idempotency-Key HTTP Header Field"): a retry with the
same key and body answers as the first request did (with `Idempotent-Replayed:
true`), the same key with another body is 422. No card data and no processor: the
change is recorded (app/plan_store.py) and effective for the next grant.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, request

from app.auth import signed_in_viewer
from app.http_caching import NO_STORE
from app.json_body import request_json_object
from app.plan_store import IDEMPOTENCY_KEY
from app.plans import DEFAULT_PLAN, PLAN_NAMES, PLANS
from app.problems import Problem
from app.services import services

plans_api = Blueprint("plans", __name__, url_prefix="/api/v1")


def _answer(document: Any, headers: dict[str, str] | None = None) -> Response:
    response = Response(json.dumps(document), mimetype="application/json")
    response.headers["Cache-Control"] = NO_STORE
    response.headers.update(headers or {})
    return response


@plans_api.get("/plans")
def list_plans() -> Response:
    """The plans, lowest first, and the one new accounts are on."""
    return _answer({
        "items": [PLANS[name].as_dict() for name in PLAN_NAMES],
        "default": DEFAULT_PLAN,
    })


@plans_api.get("/account/plan")
def get_account_plan() -> Response:
    """The signed-in account's plan; 401 without a valid bearer token."""
    viewer = signed_in_viewer(services().verifier)
    return _answer(services().plans.get(viewer.sub).as_dict())


def _requested_plan() -> str:
    body = request_json_object()
    if body is None:
        raise Problem(400, "The request body must be a JSON object.")
    unknown = set(body) - {"plan"}
    if unknown:
        raise Problem(400, f"Unknown body members: {sorted(unknown)}.")
    plan = body.get("plan")
    if not isinstance(plan, str) or plan not in PLANS:
        raise Problem(400, f"plan must be one of {list(PLAN_NAMES)}.")
    return plan


@plans_api.put("/account/plan")
def change_account_plan() -> Response:
    """Put the signed-in account on another plan, once per Idempotency-Key.

    401 without a valid bearer token; 400 without a well-formed key or body; 422 when
    the key was used with another body; 409 while the key's first request is in flight.
    """
    viewer = signed_in_viewer(services().verifier)
    key = request.headers.get("Idempotency-Key", "")
    if not IDEMPOTENCY_KEY.fullmatch(key):
        raise Problem(400, f"An Idempotency-Key header matching {IDEMPOTENCY_KEY.pattern} "
                      "is required.")
    plan = _requested_plan()
    svc = services()
    account_plan, replayed = svc.plans.change(viewer.sub, plan, key)
    if svc.plan_lookup is not None:  # playback in this process too (service `all`)
        svc.plan_lookup.forget(viewer.sub)
    if svc.streams is not None:
        svc.streams.forget_account(viewer.sub)
    headers = {"Idempotent-Replayed": "true"} if replayed else {}
    return _answer(account_plan.as_dict(), headers)
