"""A gthread worker whose refusals before Flask are problem+json, like every API error.

gunicorn answers some requests itself, before the application runs: a request line
or header past its limits (414, 431), a malformed request line, header name or
chunked body (400), an unsupported transfer coding (501), a failed expectation
(417). Stock gunicorn writes those as HTML pages. `ProblemThreadWorker` keeps
gunicorn's own choice of status (its `handle_error` still classifies, logs and
writes the access-log line) and replaces only the body on the wire with an
RFC 9457 problem document (`application/problem+json`, `type` about:blank,
`title` the status phrase), sent with `Connection: close` and `Cache-Control:
private, no-store`.

Configured as `worker_class` in `app/gunicorn.conf.py`.
"""

from __future__ import annotations

import json
import socket
import threading
from http import HTTPStatus
from typing import Any

from gunicorn import util
from gunicorn.workers.gthread import ThreadWorker

from app.http_caching import NO_STORE
from app.problems import PROBLEM_JSON

MAX_DETAIL = 200  # characters of gunicorn's own message kept in `detail`


class _CapturedError:
    """Stands in for the client socket while gunicorn writes its HTML error page."""

    def __init__(self) -> None:
        self.written = bytearray()

    def gettimeout(self) -> float:
        return 0.0

    def setblocking(self, flag: bool) -> None:  # noqa: FBT001 - socket's signature
        return None

    def sendall(self, data: bytes) -> None:
        self.written += data

    def send(self, data: bytes) -> int:
        self.written += data
        return len(data)

    def status(self) -> int | None:
        """The status code of the captured response line ('HTTP/1.1 414 URI Too Long')."""
        parts = bytes(self.written).split(b"\r\n", 1)[0].split(b" ", 2)
        return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None


def problem_bytes(status: int, detail: str, instance: str | None) -> bytes:
    """The whole HTTP/1.1 response for a refusal: status line, headers, problem document."""
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    document: dict[str, Any] = {
        "type": "about:blank",
        "title": phrase,
        "status": status,
        "detail": detail,
    }
    if instance:
        document["instance"] = instance
    body = json.dumps(document).encode()
    head = (
        f"HTTP/1.1 {status} {phrase}\r\n"
        "Connection: close\r\n"
        f"Content-Type: {PROBLEM_JSON}\r\n"
        f"Cache-Control: {NO_STORE}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("latin-1") + body


class ProblemThreadWorker(ThreadWorker):
    """gunicorn's gthread worker, answering its own refusals as problem+json.

    A request whose response is already on the wire gets no second one: when
    gunicorn fails afterwards (draining a malformed chunked body the application
    never read), the connection is only closed.
    """

    _answered = threading.local()

    def handle(self, conn: Any) -> Any:
        """Per connection turn, in a worker thread: nothing answered yet."""
        self._answered.value = False
        return super().handle(conn)

    def handle_request(self, req: Any, conn: Any) -> Any:
        """Run the application; once it has answered, the request counts as answered."""
        keepalive = super().handle_request(req, conn)
        self._answered.value = True
        return keepalive

    def handle_error(self, req: Any, client: socket.socket, addr: Any, exc: BaseException) -> None:
        """gunicorn's status choice, logging and access line; a problem document on the wire."""
        if getattr(self._answered, "value", False):
            self.log.debug("Closing after an answered request: %s", exc)
            return
        captured = _CapturedError()
        super().handle_error(req, captured, addr, exc)  # type: ignore[arg-type]
        status = captured.status() or 500
        if status >= 500 and status != 501:
            detail = "The server failed to answer."
        else:
            detail = f"{HTTPStatus(status).phrase}: {exc}"[:MAX_DETAIL]
        instance = getattr(req, "path", None) if req is not None else None
        try:
            util.write_nonblock(client, problem_bytes(status, detail, instance))
        except Exception:  # noqa: BLE001 - the client may be gone, as gunicorn assumes
            self.log.debug("Failed to send error message.")
