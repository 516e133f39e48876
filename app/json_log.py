"""The application's log lines as JSON, each with the id of the request that wrote it.

One object per line, in the access log's shape (`time`, `request_id`), so a
request's access line and its application lines join on `request_id`; work
outside a request (catalog refresh, play flushes, start-up) says NO_REQUEST.
Only the message the code wrote is logged: never headers, cookies or bodies.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import IO

from app.request_ids import NO_REQUEST, current_request_id

TIME_FORMAT = "%Y-%m-%dT%H:%M:%S%z"    # shared with the access log
APP_LOGGER = "app"                      # every module logs to app.<module>


class RequestIdFilter(logging.Filter):
    """Stamps `record.request_id` from the request context (NO_REQUEST outside one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = current_request_id()
        return True


class JsonLogFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, request_id, message[, exception]."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": time.strftime(TIME_FORMAT, time.localtime(record.created)),
            "level": record.levelname.lower(),
            "logger": record.name,
            "request_id": getattr(record, "request_id", NO_REQUEST),
            "message": record.getMessage(),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, separators=(",", ":"), default=str)


def json_log_handler(stream: IO[str] | None = None) -> logging.Handler:
    """A handler writing JSON lines with the request id to `stream` (stderr by default)."""
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonLogFormatter())
    return handler


def install_app_log_handler(level: int = logging.INFO) -> None:
    """Route the `app` loggers to one JSON handler on stderr (gunicorn's error log stream).

    Idempotent (gunicorn re-runs its set-up on reload); the app loggers stop
    propagating so a root handler cannot print the same line twice, unstamped.
    """
    logger = logging.getLogger(APP_LOGGER)
    for handler in list(logger.handlers):
        if getattr(handler, "_edgeflix_json", False):
            logger.removeHandler(handler)
    handler = json_log_handler()
    handler._edgeflix_json = True  # type: ignore[attr-defined]
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False
