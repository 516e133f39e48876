"""Playing the 20-minute title on a twin with 60 s grants: renewals keep cookies valid.

A 60 s grant is renewed 15 s before it expires, so a viewing of two and a half
minutes needs at least two renewals; the player seeks deep into the feature (its
last minutes are segments no earlier grant ever fetched); a pause longer than
the grant must resume without error; a viewer that misses renew_after gets a
403 and renews once. Renewals are made as the signed-in viewer; an access token
the API refuses is refreshed with the refresh token and the renewal retried.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from twin_grants import LONG_TITLE_SECONDS, SHORT_GRANT_TTL
from twin_player import sign_up_and_sign_in

CHROMIUM = shutil.which("chromium")
PLAYER_STATE = """(() => {
  const video = document.querySelector('video');
  const p = window.edgeflixPlayer || {};
  return {t: video ? video.currentTime : 0, paused: video ? video.paused : null,
          duration: video ? video.duration : 0,
          engine: p.engine || null, error: p.error || null,
          renewals: p.renewals || 0, plays: p.plays || 0, refreshes: p.refreshes || 0,
          expires_at: p.grant ? p.grant.expires_at : null};
})()"""


def watch(browser, seconds: float, trace: list[dict]) -> dict:
    """Sample the player every 2 s for `seconds`; stop early on a player error."""
    deadline = time.monotonic() + seconds
    state: dict = {}
    while time.monotonic() < deadline:
        state = browser.evaluate(PLAYER_STATE) or {}
        trace.append(state)
        if state.get("error"):
            break
        time.sleep(2)
    return state


@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium package")
def test_player_renews_its_grant_and_resumes_after_a_long_pause(short_grant_twin):
    from headless_chromium import Browser

    title = short_grant_twin.state.titles[0]
    late = LONG_TITLE_SECONDS - 240  # four minutes before the end of the feature
    browser = Browser()
    phases: dict[str, list[dict]] = {"start": [], "late": [], "paused": [], "resumed": []}
    try:
        browser.goto(f"{short_grant_twin.state.cdn_url}/?title={title}&autoplay=1")
        sign_up_and_sign_in(browser, "renewal")
        before_seek = watch(browser, 20, phases["start"])
        first_expiry = phases["start"][0].get("expires_at") or before_seek.get("expires_at")
        browser.evaluate(f"document.querySelector('video').currentTime = {late}")
        before_pause = watch(browser, 16, phases["late"])
        paused_at = browser.evaluate(
            "(() => { const v = document.querySelector('video'); v.pause();"
            " return v.currentTime; })()"
        )
        # An access token the API no longer accepts (as after its expiry): the next
        # renewal is refused with 401, refreshes the session and is retried.
        browser.evaluate("sessionStorage.setItem('edgeflix.accessToken', 'ey.expired.x'); true")
        paused = watch(browser, SHORT_GRANT_TTL + 10, phases["paused"])  # longer than a grant
        browser.evaluate("document.querySelector('video').play()")
        resumed = watch(browser, 50, phases["resumed"])
    finally:
        browser.close()
    trace = [s for phase in phases.values() for s in phase]
    assert resumed.get("error") is None, trace[-3:]
    assert resumed["engine"] == "hls.js"
    assert before_seek["duration"] == pytest.approx(LONG_TITLE_SECONDS, abs=1), before_seek
    assert before_seek["t"] > 5, before_seek
    assert before_pause["t"] > late + 5, ("played on after the seek", before_pause)
    assert paused["paused"] is True
    assert paused["t"] == pytest.approx(paused_at, abs=0.5), "the pause held"
    # Played on after the pause, past what was buffered before it (hls.js keeps 30 s):
    # those segments were fetched after the first grant had expired.
    assert resumed["t"] > paused_at + 30, (paused_at, resumed)
    assert time.time() > first_expiry
    assert resumed["renewals"] >= 2, trace[-1]
    assert resumed["plays"] == 1, "renewals, not new plays"
    assert resumed["refreshes"] >= 1, "the refused access token was refreshed"
    assert resumed["expires_at"] > first_expiry
    for name in ("start", "late", "resumed"):
        # The first sample of a phase may still be seeking or resuming; after it, every
        # sample while playing must be further into the title than the one before.
        playing = [s["t"] for s in phases[name][1:] if s.get("paused") is False and s["t"] > 0]
        stuck = [(a, b) for a, b in zip(playing, playing[1:], strict=False) if b <= a]
        assert not stuck, f"currentTime stopped advancing in phase {name!r}: {stuck}"


def test_a_viewer_that_outlives_its_grant_renews_on_the_403_and_carries_on(
    short_grant_twin, tmp_path
):
    """At speed-up 0.5 the play clock puts renew_after ~95 s away, after the 60-66 s expiry:
    segments fetched past the expiry answer 403, and each viewer renews once and retries."""
    out = tmp_path / "loadtest"
    proc = subprocess.run(
        [
            sys.executable, "-m", "loadtest", "--url", short_grant_twin.state.cdn_url,
            "--out", str(out), "--users", "6", "--spawn-rate", "6", "--duration", "85s",
            "--speedup", "0.5", "--max-segments", "30", "--warmup", "5",
            "--gates", "p95_startup_ms=off", "segment_hit_ratio=off",
        ],
        cwd=Path(__file__).resolve().parents[2], capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    summary_file = out / "summary.json"
    assert summary_file.exists(), proc.stdout + proc.stderr
    viewers = json.loads(summary_file.read_text())["viewers"]
    assert viewers["requests"]["failed"] == 0, viewers["errors"]
    assert viewers["renewals"]["by_cause"].get("after_403", 0) >= 1, viewers["renewals"]
    assert viewers["plays"]["started"] >= 6
