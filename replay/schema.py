"""Check wire inputs against the Pulumi SDK's own input types.

The SDK passes plain-dict nested inputs through untouched, so a misspelt nested
key or `min_size="two"` reaches the engine as is. The `*Args` classes of the
provider SDK (pulumi_aws, pulumi_random, pulumi_tls, ...) know every wire name
and its type: walk them, generically, for any resource type.
"""

from __future__ import annotations

import collections.abc
import importlib
import inspect
import sys
import typing
from functools import cache

import pulumi._types as ptypes

from .problems import join

_SEQUENCES = (collections.abc.Sequence, list, tuple)
_MAPPINGS = (collections.abc.Mapping, dict)


def args_class(type_token: str) -> type | None:
    """`aws:lb/targetGroup:TargetGroup` -> pulumi_aws.lb.TargetGroupArgs (None if unknown)."""
    try:
        package, middle, cls = type_token.split(":")
    except ValueError:
        return None
    module_path = middle.split("/")[0]
    candidates = [f"pulumi_{package}"]
    if module_path != "index":
        candidates.insert(0, f"pulumi_{package}.{module_path}")
    for name in candidates:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        resource_cls = getattr(module, cls, None)
        if resource_cls is None:
            continue
        # The resource's own module; `<Cls>InitArgs` where the name collides with an input type.
        home = sys.modules.get(resource_cls.__module__, module)
        for candidate in (f"{cls}InitArgs", f"{cls}Args"):
            found = home.__dict__.get(candidate)
            if found is not None and ptypes.is_input_type(found):
                return found
    return None


@cache
def _fields(cls: type) -> tuple[dict[str, typing.Any], frozenset[str]]:
    types = ptypes.input_type_types(cls)
    py_to_wire = ptypes.input_type_py_to_pulumi_names(cls)
    required = set()
    for pname, param in inspect.signature(cls.__init__).parameters.items():
        if pname == "__self__" or param.kind is not param.KEYWORD_ONLY:
            continue
        if param.default is inspect.Parameter.empty and pname in py_to_wire:
            required.add(py_to_wire[pname])
    return types, frozenset(required)


def _unwrap(tp: typing.Any) -> typing.Any:
    tp = ptypes.unwrap_type(tp)
    # Unions left over (Input[str] | enum) - keep the first concrete member.
    if ptypes._is_union_type(tp):  # noqa: SLF001
        members = [a for a in typing.get_args(tp) if a is not type(None)]
        concrete = [
            a for a in members
            if typing.get_origin(a) not in (collections.abc.Awaitable,)
            and getattr(typing.get_origin(a), "__name__", "") != "Output"
            and not (isinstance(a, type) and a.__name__ == "Output")
        ]
        if len(concrete) == 1:
            return _unwrap(concrete[0])
        return typing.Any
    return tp


def _kind(value: typing.Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list | tuple):
        return "list"
    return type(value).__name__


def check(cls: type, value: typing.Any, path: str = "") -> list[tuple[str, str]]:
    """Problems (path, message) of a wire dict against an input type."""
    problems: list[tuple[str, str]] = []
    if not isinstance(value, dict):
        return [(path, f"expected an object, got {_kind(value)} {value!r}")]
    types, required = _fields(cls)
    for key, item in value.items():
        if key.startswith("__"):
            continue
        if key not in types:
            close = _closest(key, types)
            hint = f" (did you mean {close!r}?)" if close else ""
            problems.append((join(path, key), f"unknown property{hint}"))
            continue
        if item is None:
            continue
        problems += _check_value(_unwrap(types[key]), item, join(path, key))
    for key in sorted(required):
        if value.get(key) is None:
            problems.append((join(path, key), "required property missing"))
    return problems


def _check_value(tp: typing.Any, value: typing.Any, path: str) -> list[tuple[str, str]]:
    if tp is typing.Any or value is None:
        return []
    origin = typing.get_origin(tp)
    if isinstance(tp, type) and ptypes.is_input_type(tp):
        return check(tp, value, path)
    if origin in _SEQUENCES:
        if not isinstance(value, list | tuple):
            return [(path, f"expected a list, got {_kind(value)} {value!r}")]
        (inner,) = typing.get_args(tp) or (typing.Any,)
        inner = _unwrap(inner)
        out: list[tuple[str, str]] = []
        for i, item in enumerate(value):
            out += _check_value(inner, item, join(path, i))
        return out
    if origin in _MAPPINGS:
        if not isinstance(value, dict):
            return [(path, f"expected a map, got {_kind(value)} {value!r}")]
        return []
    expected = {str: "string", bool: "bool", int: "number", float: "number"}.get(tp)
    if expected is None and isinstance(tp, type) and issubclass(tp, str):
        expected = "string"  # string enums
    if expected and _kind(value) != expected:
        if expected == "number" and tp is int and _kind(value) == "number":
            return []
        return [(path, f"expected {expected}, got {_kind(value)} {value!r}")]
    if tp is int and isinstance(value, float) and not value.is_integer():
        return [(path, f"expected an integer, got {value!r}")]
    return []


def _closest(key: str, names: typing.Iterable[str]) -> str | None:
    import difflib

    found = difflib.get_close_matches(key, list(names), n=1, cutoff=0.75)
    return found[0] if found else None
