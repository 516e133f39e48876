"""The one parser for JSON request bodies: every failure is a 4xx problem, never a 500.

Python's `json` recurses once per nesting level, so a few kilobytes of `[[[[...`
raise RecursionError (a 500) long before the body cap matters. The body's
nesting is therefore measured without recursion first and refused past
MAX_DEPTH; syntax and encoding errors are 400 (RFC 9110 section 15.5.1), a
non-JSON media type 415 (RFC 9110 section 15.5.16), an oversized body 413 from
Flask's MAX_CONTENT_LENGTH.
"""

from __future__ import annotations

import json
import re
from typing import Any

from flask import request
from werkzeug.exceptions import HTTPException

from app.problems import Problem

# No API body nests deeper than an object holding an array of objects; 32 leaves room.
MAX_DEPTH = 32
JSON_MEDIA_TYPE = "application/json"

# A JSON string literal (RFC 8259 section 7): brackets inside it are not structure.
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKETS = re.compile(rb"[\[\]{}]")


def nesting_depth(raw: bytes) -> int:
    """The deepest array/object nesting in a JSON text (0 for a scalar), without recursion.

    Unbalanced or unterminated input still yields a number; the parser rejects it later.
    """
    depth = deepest = 0
    for bracket in _BRACKETS.findall(_STRING.sub(b'""', raw)):
        if bracket in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def parse_json(raw: bytes, max_depth: int = MAX_DEPTH) -> Any:
    """Decode a JSON body; Problem(400) for bad syntax, bad UTF-8 or nesting past max_depth."""
    if nesting_depth(raw) > max_depth:
        raise Problem(400, f"The request body nests deeper than {max_depth} levels.")
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise Problem(400, "The request body is not valid JSON.") from None


def request_json_object() -> dict[str, Any] | None:
    """The current request's JSON object body, or None when it has no body.

    Raises Problem 413 (past MAX_CONTENT_LENGTH), 415 (not application/json) or
    400 (unreadable framing such as a malformed chunk, not JSON, too deeply nested,
    or not an object).
    """
    if not request.content_length and not request.headers.get("Transfer-Encoding"):
        return None
    try:
        raw = request.get_data(cache=False)  # raises 413 past MAX_CONTENT_LENGTH
    except HTTPException:
        raise
    except Exception:  # noqa: BLE001 - the server's reader failed on the client's framing
        raise Problem(400, "The request body could not be read (bad chunked encoding).") from None
    if not raw:
        return None
    if request.mimetype != JSON_MEDIA_TYPE:
        raise Problem(415, "The request body must be application/json.")
    body = parse_json(raw)
    if not isinstance(body, dict):
        raise Problem(400, "The request body must be a JSON object.")
    return body
