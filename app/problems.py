"""RFC 9457 problem details for every error the API returns."""

from __future__ import annotations

import json
import logging
from http import HTTPStatus
from typing import Any

from flask import Blueprint, Response, request
from werkzeug.exceptions import HTTPException

from app.http_caching import NO_STORE

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"

errors = Blueprint("errors", __name__)


class Problem(HTTPException):
    """An HTTP error with a problem `detail` and optional extension members."""

    def __init__(self, status: int, detail: str, **extensions: Any) -> None:
        super().__init__(description=detail)
        self.code = status
        self.extensions = extensions
        self.retry_after: int | None = extensions.pop("retry_after", None)
        # Extra response headers (e.g. WWW-Authenticate), not body members.
        self.response_headers: dict[str, str] = extensions.pop("response_headers", {})


def problem_response(status: int, title: str, detail: str, **extensions: Any) -> Response:
    """A problem+json response; `type` is about:blank, so `title` is the status phrase."""
    body = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.path,
        **extensions,
    }
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON)
    response.headers["Cache-Control"] = NO_STORE
    return response


@errors.app_errorhandler(HTTPException)
def http_problem(exc: HTTPException) -> Response:
    """Every werkzeug/Flask HTTP error (404, 405, 413, 415, ...) as problem+json."""
    status = exc.code or 500
    title = _phrase(status) if isinstance(exc, Problem) else exc.name
    extensions = exc.extensions if isinstance(exc, Problem) else {}
    response = problem_response(status, title, exc.description or title, **extensions)
    if status == 405 and getattr(exc, "valid_methods", None):
        response.headers["Allow"] = ", ".join(sorted(exc.valid_methods))
    if isinstance(exc, Problem) and exc.retry_after is not None:
        response.headers["Retry-After"] = str(exc.retry_after)
    if isinstance(exc, Problem):
        response.headers.update(exc.response_headers)
    return response


@errors.app_errorhandler(Exception)
def unexpected_problem(exc: Exception) -> Response:
    """Anything else: logged with its traceback, answered as a bare 500."""
    log.exception("unhandled error on %s %s", request.method, request.path)
    return problem_response(500, "Internal Server Error", "The server failed to answer.")


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
