"""Test-only WSGI entry: the real API plus a slow path, for the graceful-shutdown test.

Not a production endpoint: gunicorn loads this module only in tests.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from app.wsgi import app as api

SLOW_PATH = "/__test__/slow"
# Touched when a slow request reaches the worker, so the test signals at the right time.
STARTED_FILE = os.environ.get("SLOW_STARTED_FILE")


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """Sleep for ?seconds=N on SLOW_PATH, otherwise hand over to the API."""
    if environ.get("PATH_INFO") == SLOW_PATH:
        if STARTED_FILE:
            Path(STARTED_FILE).touch()
        seconds = float(environ.get("QUERY_STRING", "seconds=2").partition("=")[2] or 2)
        time.sleep(min(seconds, 10.0))
        body = b'{"slow":"done"}'
        start_response(
            "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
        )
        return [body]
    return api(environ, start_response)
