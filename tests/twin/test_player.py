"""Headless Chromium plays a title from the twin with hls.js."""

from __future__ import annotations

import shutil
import time

import pytest
from twin_player import sign_up_and_sign_in

CHROMIUM = shutil.which("chromium")
PLAYER_STATE = """(() => {
  const video = document.querySelector('video');
  const p = window.edgeflixPlayer || {};
  return {t: video ? video.currentTime : 0, engine: p.engine || null, error: p.error || null,
          listed: document.querySelectorAll('#titles li').length};
})()"""


@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium package")
def test_player_page_signs_up_signs_in_and_plays_a_title(cdn, titles):
    from headless_chromium import Browser

    browser = Browser()
    try:
        browser.goto(f"{cdn}/?title={titles[0]}&autoplay=1")
        sign_up_and_sign_in(browser)
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
