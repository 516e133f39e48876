"""A request id on every request: taken from the load balancer when sane, else made up.

The id is also the current request's context (`current_request_id()`), so every
log line written while the request is handled carries it (see app.json_log).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from typing import Any

from werkzeug.wsgi import ClosingIterator

REQUEST_ID_HEADER = "X-Request-Id"
ENVIRON_KEY = "edgeflix.request_id"
NO_REQUEST = "-"                # the id of work done outside any request
_CURRENT: ContextVar[str] = ContextVar("edgeflix_request_id", default=NO_REQUEST)
# Ids end up in logs: only a conservative alphabet and length are trusted.
_SAFE = re.compile(r"^[A-Za-z0-9=;:._/+-]{1,200}$")

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def request_id_from(environ: dict[str, Any]) -> str:
    """X-Request-Id, else the ALB's X-Amzn-Trace-Id, else a fresh uuid4."""
    for key in ("HTTP_X_REQUEST_ID", "HTTP_X_AMZN_TRACE_ID"):
        candidate = environ.get(key)
        if candidate and _SAFE.fullmatch(candidate):
            return candidate
    return uuid.uuid4().hex


def current_request_id() -> str:
    """The id of the request being handled in this context, else NO_REQUEST."""
    return _CURRENT.get()


class RequestIdMiddleware:
    """Stores the id in the WSGI environ and the context, and echoes it in X-Request-Id.

    Outermost, so the lanes that answer without Flask are covered too. The
    context is cleared when the response is closed: gunicorn's threads serve
    one request after another, and the next one must not inherit this id.
    """

    def __init__(self, app: WsgiApp) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        request_id = request_id_from(environ)
        environ[ENVIRON_KEY] = request_id

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            headers.append((REQUEST_ID_HEADER, request_id))
            return start_response(status, headers, exc_info)

        _CURRENT.set(request_id)
        try:
            body = self.app(environ, start)
        except BaseException:
            _CURRENT.set(NO_REQUEST)
            raise
        return ClosingIterator(body, lambda: _CURRENT.set(NO_REQUEST))
