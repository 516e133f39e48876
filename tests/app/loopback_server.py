"""A WSGI app served over real HTTP on 127.0.0.1 in a thread (werkzeug's server), for
tests where one service calls another: the requests it got are counted."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.serving import make_server


class LoopbackServer:
    """Serves `app` on 127.0.0.1 (a free port) until stop(); `requests` counts the
    requests it answered, `paths` lists their paths."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.paths: list[str] = []
        self._app = app
        self._server = make_server("127.0.0.1", 0, self._counting, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    def _counting(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        self.paths.append(environ.get("PATH_INFO", ""))
        return self._app(environ, start_response)

    @property
    def requests(self) -> int:
        """How many requests reached the app."""
        return len(self.paths)

    def stop(self) -> None:
        """Stop answering: the port is closed afterwards (connection refused). Idempotent."""
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(5)
        self._server.server_close()
