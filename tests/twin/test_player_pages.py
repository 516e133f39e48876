"""The player's pages in headless Chromium: sign-up to plan change, and browsing without
recommendations. Each step's screenshot goes to $EDGEFLIX_SCREENSHOTS (default
reports/screenshots/), named player-<step>.png."""

from __future__ import annotations

import json
import os
import shutil
import time
import urllib.request
from pathlib import Path

import pytest
from twin_player import STATUS, fill_and_click, sign_up_and_sign_in, until

CHROMIUM = shutil.which("chromium")
REPO_ROOT = Path(__file__).resolve().parents[2]
SHOTS = Path(os.environ.get("EDGEFLIX_SCREENSHOTS", REPO_ROOT / "reports" / "screenshots"))
VIEW = "(document.querySelector('[data-view]:not([hidden])') || {dataset: {}}).dataset.view"
ROW_HEADINGS = "Array.from(document.querySelectorAll('#rows .row h2')).map(h => h.textContent)"
POSTERS_SHOWN = """Array.from(document.querySelectorAll('#rows .tile img'))
  .filter(i => i.complete && i.naturalWidth > 0).length"""
PLAYING = """(() => {
  const v = document.querySelector('video'); const p = window.edgeflixPlayer || {};
  return {t: v.currentTime, engine: p.engine || null, error: p.error || null, title: p.title};
})()"""
# Every call to an endpoint whose path contains {path} answers 503, as when its service
# is down: installed before the page's own scripts (Page.addScriptToEvaluateOnNewDocument).
SERVICE_DOWN = """(() => {
  const real = window.fetch.bind(window);
  window.fetch = (input, init) => {
    const url = typeof input === 'string' ? input : input.url;
    if (url.indexOf('%s') !== -1) {
      return Promise.resolve(new Response(
        JSON.stringify({title: 'Service Unavailable', status: 503}),
        {status: 503, headers: {'Content-Type': 'application/problem+json'}}));
    }
    return real(input, init);
  };
})();"""
RECOMMENDATIONS_DOWN = SERVICE_DOWN % "/api/v1/recommendations"
TRENDING_DOWN = SERVICE_DOWN % "/api/v1/trending"


def wait_for(browser, expression: str, seconds: float = 20):  # noqa: ANN201 - a JSON value
    """Poll `expression` until it is truthy and return it; AssertionError after `seconds`."""
    deadline = time.monotonic() + seconds
    value = None
    while time.monotonic() < deadline:
        value = browser.evaluate(expression)
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"{expression!r} stayed {value!r}; the page says "
                         f"{browser.evaluate(STATUS)!r}")


def shoot(browser, step: str) -> None:
    browser.screenshot(SHOTS / f"player-{step}.png")


@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium package")
def test_player_walks_sign_up_profiles_browse_play_and_plan(cdn, titles):
    from headless_chromium import Browser

    from loadtest.accounts import TWIN_CONFIRMATION_CODE, ViewerCredentials

    viewer = ViewerCredentials.generated("pages")
    browser = Browser()
    try:
        browser.goto(f"{cdn}/")
        until(browser, STATUS, "Sign in")
        assert browser.evaluate(VIEW) == "account"
        fill_and_click(browser, {"email": viewer.email, "password": viewer.password}, "sign-up")
        until(browser, STATUS, "Account created")
        shoot(browser, "1-sign-up")
        fill_and_click(browser, {"code": TWIN_CONFIRMATION_CODE}, "confirm")
        until(browser, STATUS, "Account confirmed")
        shoot(browser, "2-confirmed")
        fill_and_click(browser, {}, "sign-in")
        until(browser, STATUS, "Add a profile")
        assert browser.evaluate(VIEW) == "profiles"
        fill_and_click(browser, {"profile-name": "Robin"}, "create-profile")
        wait_for(browser, "document.querySelectorAll('#profile-list button').length === 1")
        shoot(browser, "3-profiles")
        profile_id = browser.evaluate("document.querySelector('#profile-list button').dataset.id")
        browser.evaluate("document.querySelector('#profile-list button').click(); true")

        wait_for(browser, "document.getElementById('rows').dataset.ready === 'true'")
        assert browser.evaluate(VIEW) == "browse"
        headings = browser.evaluate(ROW_HEADINGS)
        assert "Trending now" in headings, headings
        genres = browser.evaluate(
            "Array.from(new Set(Array.from(document.querySelectorAll('#titles .meta'))"
            ".flatMap(m => (m.textContent.split(' · ')[1] || '').split(', '))))")
        assert set(genres) - {""} <= set(headings), (genres, headings)
        assert browser.evaluate("document.querySelectorAll('#titles li').length") == len(titles)
        assert wait_for(browser, POSTERS_SHOWN) > 0
        assert browser.evaluate("document.getElementById('browse-note').textContent") == ""
        shoot(browser, "4-browse")

        browser.evaluate(f"document.querySelector('#titles .tile[data-id=\"{titles[0]}\"]')"
                         ".click(); true")
        deadline = time.monotonic() + 30
        state: dict = {}
        while time.monotonic() < deadline:
            state = browser.evaluate(PLAYING) or {}
            if state.get("error") or state.get("t", 0) > 2:
                break
            time.sleep(0.25)
        assert state.get("error") is None, state
        assert state["engine"] == "hls.js" and state["title"] == titles[0]
        assert state["t"] > 2, state
        shoot(browser, "5-play")
        stored = browser.evaluate(f"localStorage.getItem('edgeflix.continue.{profile_id}')")
        assert json.loads(stored) == [titles[0]]

        browser.evaluate("document.getElementById('video').pause(); location.hash = '#plan'; true")
        wait_for(browser, "document.getElementById('plan-list').dataset.ready === 'true'")
        current = browser.evaluate("document.getElementById('current-plan').textContent")
        assert "basic plan" in current, current
        browser.evaluate("document.querySelector('.plan[data-plan=\"standard\"] button').click();"
                         " true")
        until(browser, STATUS, "now on the standard plan")
        wait_for(browser, "document.querySelector('.plan[aria-current=\"true\"]').dataset.plan"
                 " === 'standard'")
        shoot(browser, "6-plan")

        browser.evaluate("location.hash = '#browse'; true")
        wait_for(browser, "document.getElementById('rows').dataset.ready === 'true' && "
                 "document.querySelector('#rows .row h2').textContent.startsWith('Continue')")
        first_row = browser.evaluate("Array.from(document.querySelectorAll('#rows .row')[0]"
                                     ".querySelectorAll('.tile')).map(t => t.dataset.id)")
        assert first_row == [titles[0]]
        headings = browser.evaluate(ROW_HEADINGS)
        assert any(h == "Top picks for Robin" or h.startswith("Because you watched ")
                   for h in headings), headings  # the profile's own recommendations
        shoot(browser, "7-continue-watching")
    finally:
        browser.close()


FIRST_ROW = ("Array.from(document.querySelectorAll('#rows .row')[0]"
             ".querySelectorAll('.tile')).map(t => t.dataset.id)")


def browse_with(cdn: str, down: str, prefix: str, profile: str | None):  # noqa: ANN201
    """Sign up and in with `down` answering 503, pick a new `profile` (if any), browse:
    (row headings, the note, posters shown, the first row's title ids)."""
    from headless_chromium import Browser

    browser = Browser()
    try:
        browser.add_init_script(down)
        browser.goto(f"{cdn}/")
        sign_up_and_sign_in(browser, prefix)
        until(browser, STATUS, "Add a profile")
        if profile:
            fill_and_click(browser, {"profile-name": profile}, "create-profile")
            wait_for(browser, "document.querySelectorAll('#profile-list button').length === 1")
            browser.evaluate("document.querySelector('#profile-list button').click(); true")
        else:
            browser.evaluate("location.hash = '#browse'; true")
        wait_for(browser, "document.getElementById('rows').dataset.ready === 'true'")
        headings = browser.evaluate(ROW_HEADINGS)
        note = browser.evaluate("document.getElementById('browse-note').textContent")
        shown = wait_for(browser, POSTERS_SHOWN)
        shoot(browser, f"{prefix}-browse")
        return headings, note, shown, browser.evaluate(FIRST_ROW)
    finally:
        browser.close()


@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium package")
def test_browse_falls_back_to_trending_when_recommendations_fail(cdn, titles):
    headings, note, shown, first_row = browse_with(cdn, RECOMMENDATIONS_DOWN, "degraded", "Sam")
    assert headings[0] == "Trending now", headings  # nothing watched yet: no Continue row
    assert "Top picks for Sam" not in headings
    assert not any(h.startswith("Because you watched ") for h in headings), headings
    assert len(headings) > 1, headings  # the genre rows
    assert note == ("Personal picks for Sam are unavailable right now: showing what is "
                    "trending instead."), note
    assert shown > 0
    with urllib.request.urlopen(f"{cdn}/api/v1/trending?limit=20") as answer:
        trending = json.load(answer)["items"]
    assert first_row == [t["id"] for t in trending]


@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium package")
def test_browse_falls_back_to_popular_titles_when_trending_fails(cdn, titles):
    headings, note, shown, popular = browse_with(cdn, TRENDING_DOWN, "no-trending", None)
    assert headings[0] == "Popular on edgeflix", headings
    assert "Trending now" not in headings
    assert len(headings) > 1, headings  # the genre rows
    assert "Trending is unavailable right now: showing popular titles." in note
    assert shown > 0
    with urllib.request.urlopen(f"{cdn}/api/v1/titles?limit=100") as answer:
        catalog = json.load(answer)["items"]
    by_popularity = sorted(catalog, key=lambda t: -t["popularity"])[:20]
    assert popular == [t["id"] for t in by_popularity]


# Calls to any path listed in sessionStorage['edgeflix.test.down'] answer 503, so a test
# can take one service down at a given moment, after the page loaded.
SERVICES_DOWN = """(() => {
  const real = window.fetch.bind(window);
  window.fetch = (input, init) => {
    const url = typeof input === 'string' ? input : input.url;
    const down = JSON.parse(sessionStorage.getItem('edgeflix.test.down') || '[]');
    if (down.some(path => url.indexOf(path) !== -1)) {
      return Promise.resolve(new Response(
        JSON.stringify({title: 'Service Unavailable', status: 503}),
        {status: 503, headers: {'Content-Type': 'application/problem+json'}}));
    }
    return real(input, init);
  };
})();"""


def take_down(browser, *paths: str) -> None:
    listed = json.dumps(json.dumps(paths))
    browser.evaluate(f"sessionStorage.setItem('edgeflix.test.down', {listed}); true")


@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium package")
def test_a_signed_in_viewer_keeps_watching_when_accounts_and_plans_are_down(cdn, titles):
    from headless_chromium import Browser

    browser = Browser()
    try:
        browser.add_init_script(SERVICES_DOWN)
        browser.goto(f"{cdn}/")
        sign_up_and_sign_in(browser, "outage")
        until(browser, STATUS, "Add a profile")
        take_down(browser, "/api/v1/plans", "/api/v1/account/plan", "/api/v1/profiles",
                  "/api/v1/sessions")
        browser.evaluate("location.hash = '#plan'; true")
        plan_note = wait_for(browser, "document.getElementById('plan-note').textContent")
        browser.evaluate("location.hash = '#profiles'; true")
        profiles_note = wait_for(browser, "document.getElementById('profiles-note').textContent")
        browser.evaluate("location.hash = '#browse'; true")
        wait_for(browser, "document.getElementById('rows').dataset.ready === 'true'")
        browser.evaluate(f"window.edgeflixPlayer.play({titles[0]!r}); true")
        state = wait_for(browser, f"(() => {{ const s = {PLAYING}; "
                         "return (s.error || s.t > 2) ? s : null; })()", 30)
        shoot(browser, "outage-watching")
        browser.evaluate("document.getElementById('sign-out').click(); true")
        until(browser, STATUS, "Signed out")
        fill_and_click(browser, {"email": "someone@example.com", "password": "x" * 12}, "sign-in")
        signed_out = until(browser, STATUS, "unavailable")
        shoot(browser, "outage-sign-in")
    finally:
        browser.close()
    assert plan_note.startswith("Plans are unavailable right now"), plan_note
    assert profiles_note.startswith("Profiles are unavailable right now"), profiles_note
    assert state.get("error") is None and state["t"] > 2, state
    assert signed_out.startswith("Sign-in is unavailable right now"), signed_out
