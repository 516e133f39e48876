"""Validate an AWS API request against botocore's own service model.

botocore's ParamValidator checks required and unknown members and types. AWS
checks enums, lengths and numeric ranges server-side only, so a second walk
over the same shapes checks those too.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import botocore.session
from botocore.validate import ParamValidator

from .problems import join

_REPORT_LINE = re.compile(r"^(Missing required parameter|Unknown parameter|Invalid type) .*")


@cache
def _session() -> botocore.session.Session:
    return botocore.session.get_session()


@cache
def service_model(service: str):
    return _session().get_service_model(service)


@cache
def operation_names(service: str) -> frozenset[str]:
    return frozenset(service_model(service).operation_names)


@cache
def available_services() -> tuple[str, ...]:
    return tuple(_session().get_available_services())


def validate(service: str, operation: str, params: dict[str, Any]) -> list[tuple[str, str]]:
    """Problems (path, message) of one request; path uses the API's member names."""
    model = service_model(service)
    if operation not in model.operation_names:
        return [("", f"{service} has no operation {operation}")]
    shape = model.operation_model(operation).input_shape
    problems: list[tuple[str, str]] = []
    report = ParamValidator().validate(params, shape)
    if report.has_errors():
        for line in report.generate_report().splitlines():
            line = line.strip()
            if _REPORT_LINE.match(line):
                problems.append(_split_botocore(line))
    problems += _walk(shape, params, "")
    return problems


def _split_botocore(line: str) -> tuple[str, str]:
    # 'Missing required parameter in HealthCheck: "Protocol"' / 'Invalid type for parameter X, ...'
    m = re.match(r'Missing required parameter in (\S+): "([^"]+)"', line)
    if m:
        base = "" if m.group(1) == "input" else m.group(1)
        return join(base, m.group(2)), "required member missing (botocore model)"
    m = re.match(r'Unknown parameter in (\S+): "([^"]+)"', line)
    if m:
        base = "" if m.group(1) == "input" else m.group(1)
        return join(base, m.group(2)), "unknown member (botocore model)"
    m = re.match(r"Invalid type for parameter (\S+), (.*)", line)
    if m:
        return m.group(1).rstrip(","), f"invalid type: {m.group(2)}"
    return "", line


def _walk(shape, value: Any, path: str) -> list[tuple[str, str]]:
    if shape is None or value is None:
        return []
    out: list[tuple[str, str]] = []
    kind = shape.type_name
    meta = shape.metadata
    if kind == "structure" and isinstance(value, dict):
        for name, member in shape.members.items():
            if name in value:
                out += _walk(member, value[name], join(path, name))
    elif kind == "list" and isinstance(value, list | tuple):
        out += _bounds(meta, len(value), path, "items")
        for i, item in enumerate(value):
            out += _walk(shape.member, item, join(path, i))
    elif kind == "map" and isinstance(value, dict):
        for k, v in value.items():
            out += _walk(shape.value, v, join(path, str(k)))
    elif kind == "string" and isinstance(value, str):
        enum = shape.enum
        if enum and value not in enum:
            out.append((path, f"{value!r} not one of {list(enum)}"))
        out += _bounds(meta, len(value), path, "characters")
        pattern = meta.get("pattern")
        if pattern and not _matches(pattern, value):
            out.append((path, f"{value!r} does not match pattern {pattern}"))
    elif kind in ("integer", "long", "double", "float") and isinstance(value, int | float) \
            and not isinstance(value, bool):
        lo, hi = meta.get("min"), meta.get("max")
        if lo is not None and value < lo:
            out.append((path, f"{value} below minimum {lo}"))
        if hi is not None and value > hi:
            out.append((path, f"{value} above maximum {hi}"))
    return out


def _bounds(meta: dict, n: int, path: str, unit: str) -> list[tuple[str, str]]:
    out = []
    lo, hi = meta.get("min"), meta.get("max")
    if lo is not None and n < lo:
        out.append((path, f"{n} {unit}, minimum {lo}"))
    if hi is not None and n > hi:
        out.append((path, f"{n} {unit}, maximum {hi}"))
    return out


@cache
def _compiled(pattern: str) -> re.Pattern | None:
    try:
        return re.compile(pattern)
    except re.error:
        return None  # Java-flavoured patterns Python cannot read: skip them


def _matches(pattern: str, value: str) -> bool:
    rx = _compiled(pattern)
    return True if rx is None else rx.fullmatch(value) is not None
