"""The baseline for bench_api.py: the least a WSGI app can do under the same gunicorn config."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

BODY = b'{"status":"ok"}'
HEADERS = [("Content-Type", "application/json"), ("Content-Length", str(len(BODY)))]


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """Answer every request with the same small JSON document."""
    start_response("200 OK", list(HEADERS))
    return [BODY]
