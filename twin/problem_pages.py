"""Problem documents for the errors the twin's own layers answer (RFC 9457).

The edge (nginx), the cache (Varnish) and the ALB stand-in (HAProxy) refuse some
requests themselves, before the API runs; each answers with the same shape the API
uses (`app.problems`): `application/problem+json`, `type` about:blank, `title` the
status phrase. The renderers (`twin/edge/nginx.py`, `twin/edge/varnish.py`,
`twin/alb.py`) embed these bodies in their configuration.
"""

from __future__ import annotations

import json
from http import HTTPStatus

PROBLEM_JSON = "application/problem+json"


def phrase(status: int) -> str:
    """The status's reason phrase ('Request Header Fields Too Large'), 'Error' if unknown."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def problem_body(status: int, detail: str) -> str:
    """A compact problem document, e.g. {"type":"about:blank","title":"Forbidden",...}."""
    return json.dumps(
        {"type": "about:blank", "title": phrase(status), "status": status, "detail": detail},
        separators=(",", ":"),
    )
