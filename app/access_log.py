"""gunicorn access log as one JSON object per line, with the request id.

The same logger class sets up the application's own log lines (app.json_log):
JSON too, with the same time format and the same request id.
"""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Any

from gunicorn.glogging import Logger

from app.json_log import TIME_FORMAT, install_app_log_handler
from app.request_ids import ENVIRON_KEY, NO_REQUEST
from app.settings import settings_from_environment


class JsonAccessLogger(Logger):
    """gunicorn Logger whose access() writes JSON instead of the Apache format."""

    def setup(self, cfg: Any) -> None:
        """gunicorn's own set-up (also run on reload), then the app's JSON log lines."""
        super().setup(cfg)
        install_app_log_handler(self.loglevel)
        # The service this process runs (app/service_map.py): one per gunicorn group. A
        # bad setting is the app's to report (create_app names it), not the logger's.
        try:
            self.service = settings_from_environment().service
        except ValueError:
            self.service = "-"

    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: timedelta) -> None:
        """Log one request; never raises (a broken log line must not break a response)."""
        if not (self.cfg.accesslog or self.cfg.logconfig or self.cfg.syslog):
            return
        try:
            status = resp.status.split(None, 1)[0] if isinstance(resp.status, str) else resp.status
            record = {
                "time": time.strftime(TIME_FORMAT),
                "request_id": environ.get(ENVIRON_KEY, NO_REQUEST),
                "service": self.service,
                "remote": environ.get("REMOTE_ADDR", "-"),
                "forwarded_for": environ.get("HTTP_X_FORWARDED_FOR", "-"),
                "method": environ.get("REQUEST_METHOD"),
                "path": environ.get("PATH_INFO"),
                "query": environ.get("QUERY_STRING", ""),
                "status": int(status),
                "bytes": getattr(resp, "sent", 0),
                "duration_ms": round(request_time.total_seconds() * 1000, 3),
                "user_agent": environ.get("HTTP_USER_AGENT", "-"),
            }
            self.access_log.info(json.dumps(record, separators=(",", ":")))
        except Exception:  # noqa: BLE001 - logging must not fail a request
            self.error_log.exception("failed to write the access log")
