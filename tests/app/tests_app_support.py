"""Small readers for Set-Cookie headers, shared by the app tests."""

from __future__ import annotations

from typing import Any


def set_cookies(response: Any) -> dict[str, str]:
    """Cookie name to its full Set-Cookie header."""
    return {h.split("=", 1)[0]: h for h in response.headers.getlist("Set-Cookie")}


def cookie_attributes(header: str) -> dict[str, str]:
    """Attributes of one Set-Cookie header, names lower-cased (flags map to "")."""
    attributes: dict[str, str] = {}
    for part in header.split(";")[1:]:
        name, _, value = part.strip().partition("=")
        attributes[name.lower()] = value
    return attributes
