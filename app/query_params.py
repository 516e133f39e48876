"""Strict parsing of query parameters: anything malformed is a 400 problem, never a 500."""

from __future__ import annotations

import re

from flask import request

from app.problems import Problem

_INTEGER = re.compile(r"^[0-9]{1,9}$")


def integer_param(name: str, default: int, minimum: int, maximum: int) -> int:
    """An optional integer query parameter within [minimum, maximum]."""
    raw = request.args.get(name)
    if raw is None:
        return default
    if not _INTEGER.fullmatch(raw):
        raise Problem(400, f"Query parameter {name!r} must be an integer.", parameter=name)
    value = int(raw)
    if not minimum <= value <= maximum:
        raise Problem(
            400,
            f"Query parameter {name!r} must be between {minimum} and {maximum}.",
            parameter=name,
        )
    return value


def pattern_param(name: str, pattern: re.Pattern[str], required: bool = False) -> str | None:
    """An optional (or required) string query parameter that must match `pattern`."""
    raw = request.args.get(name)
    if raw is None:
        if required:
            raise Problem(400, f"Query parameter {name!r} is required.", parameter=name)
        return None
    if not pattern.fullmatch(raw):
        raise Problem(
            400, f"Query parameter {name!r} must match {pattern.pattern}.", parameter=name
        )
    return raw
