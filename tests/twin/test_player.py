"""Headless Chromium plays a title from the twin with hls.js."""

from __future__ import annotations

import shutil
import time

import pytest

CHROMIUM = shutil.which("chromium")
PLAYER_STATE = """(() => {
  const video = document.querySelector('video');
  const p = window.edgeflixPlayer || {};
  return {t: video ? video.currentTime : 0, engine: p.engine || null, error: p.error || null,
          listed: document.querySelectorAll('#titles li').length};
})()"""


# Tolerates the moment before the page exists (navigation is asynchronous).
STATUS = "(document.getElementById('status') || {}).textContent || ''"


def _until(browser, expression: str, wanted: str, seconds: float = 15) -> str:
    deadline = time.monotonic() + seconds
    seen = ""
    while time.monotonic() < deadline:
        seen = browser.evaluate(expression) or ""
        if wanted in seen:
            return seen
        time.sleep(0.2)
    raise AssertionError(f"waited for {wanted!r}, the page says {seen!r}")


def _fill_and_click(browser, values: dict[str, str], button: str) -> None:
    sets = "".join(f"document.getElementById({k!r}).value = {v!r};" for k, v in values.items())
    browser.evaluate(f"{sets} document.getElementById({button!r}).click(); true")


@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium package")
def test_player_page_signs_up_signs_in_and_plays_a_title(cdn, titles):
    from headless_chromium import Browser

    from loadtest.accounts import TWIN_CONFIRMATION_CODE, ViewerCredentials

    viewer = ViewerCredentials.generated("player")
    browser = Browser()
    try:
        browser.goto(f"{cdn}/?title={titles[0]}&autoplay=1")
        _until(browser, STATUS, "Sign in")
        _fill_and_click(browser, {"email": viewer.email, "password": viewer.password},
                        "sign-up")
        _until(browser, STATUS, "Account created")
        _fill_and_click(browser, {"code": TWIN_CONFIRMATION_CODE}, "confirm")
        _until(browser, STATUS, "Account confirmed")
        _fill_and_click(browser, {}, "sign-in")
        deadline = time.monotonic() + 30
        state = {}
        while time.monotonic() < deadline:
            state = browser.evaluate(PLAYER_STATE) or {}
            if state.get("error") or state.get("t", 0) > 2:
                break
            time.sleep(0.25)
    finally:
        browser.close()
    assert state.get("error") is None
    assert state["engine"] == "hls.js"
    assert state["listed"] == len(titles)
    assert state["t"] > 2, state
