"""Driving the player page in headless Chromium: wait for its status line, sign a viewer in."""

from __future__ import annotations

import time

# Tolerates the moment before the page exists (navigation is asynchronous).
STATUS = "(document.getElementById('status') || {}).textContent || ''"


def until(browser, expression: str, wanted: str, seconds: float = 15) -> str:
    """Poll `expression` until its text contains `wanted`; AssertionError after `seconds`."""
    deadline = time.monotonic() + seconds
    seen = ""
    while time.monotonic() < deadline:
        seen = browser.evaluate(expression) or ""
        if wanted in seen:
            return seen
        time.sleep(0.2)
    raise AssertionError(f"waited for {wanted!r}, the page says {seen!r}")


def fill_and_click(browser, values: dict[str, str], button: str) -> None:
    """Set the form fields named by id in `values`, then click the element `button`."""
    sets = "".join(f"document.getElementById({k!r}).value = {v!r};" for k, v in values.items())
    browser.evaluate(f"{sets} document.getElementById({button!r}).click(); true")


def sign_up_and_sign_in(browser, prefix: str = "player") -> None:
    """On a loaded player page: sign a new viewer up, confirm (the twin's moto takes any
    code) and sign in, through the page's own form."""
    from loadtest.accounts import TWIN_CONFIRMATION_CODE, ViewerCredentials

    viewer = ViewerCredentials.generated(prefix)
    until(browser, STATUS, "Sign in")
    fill_and_click(browser, {"email": viewer.email, "password": viewer.password}, "sign-up")
    until(browser, STATUS, "Account created")
    fill_and_click(browser, {"code": TWIN_CONFIRMATION_CODE}, "confirm")
    until(browser, STATUS, "Account confirmed")
    fill_and_click(browser, {}, "sign-in")
