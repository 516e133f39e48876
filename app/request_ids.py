"""A request id on every request: taken from the load balancer when sane, else made up."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable
from typing import Any

REQUEST_ID_HEADER = "X-Request-Id"
ENVIRON_KEY = "edgeflix.request_id"
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


class RequestIdMiddleware:
    """Stores the id in the WSGI environ and echoes it in X-Request-Id."""

    def __init__(self, app: WsgiApp) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        request_id = request_id_from(environ)
        environ[ENVIRON_KEY] = request_id

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            headers.append((REQUEST_ID_HEADER, request_id))
            return start_response(status, headers, exc_info)

        return self.app(environ, start)
