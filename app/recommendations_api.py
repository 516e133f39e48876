"""GET /api/v1/recommendations: ranked titles for a profile, degraded but never failed."""

from __future__ import annotations

import json

from flask import Blueprint, Response

from app.catalog_api import title_summary
from app.http_caching import NO_STORE
from app.playback_api import PROFILE
from app.query_params import integer_param, pattern_param
from app.services import current_catalog, services

recommendations_api = Blueprint("recommendations", __name__, url_prefix="/api/v1")

DEGRADED_HEADER = "X-Recommendations-Degraded"
SOURCE_HEADER = "X-Recommendations-Source"


@recommendations_api.get("/recommendations")
def recommend() -> Response:
    """Because-you-watched for `profile`, trending without one, popularity when degraded."""
    profile = pattern_param("profile", PROFILE)
    limit = integer_param("limit", 10, 1, 50)
    catalog = current_catalog()
    svc = services()
    result = svc.recommender.recommend(catalog, profile, limit)
    cdn_base = svc.settings.cdn_base
    body = {
        "profile": profile,
        "source": result.source,
        "degraded": result.degraded is not None,
        "items": [
            {**title_summary(r.title, cdn_base), "score": r.score, "reason": r.reason}
            for r in result.items
        ],
    }
    response = Response(json.dumps(body, separators=(",", ":")), mimetype="application/json")
    response.headers["Cache-Control"] = NO_STORE
    response.headers[SOURCE_HEADER] = result.source
    if result.degraded:
        response.headers[DEGRADED_HEADER] = result.degraded
    return response
