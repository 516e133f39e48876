"""Services that fail alone: each API service killed under a 100-viewer load; what keeps working.

One twin for the four cases (its own: a 60 s grant and two 20-minute titles, so plays
outlast their grant and renew it; the second title needs the standard plan, so its
playback depends on the viewer's plan of record, which the screen claim reads from the
table without the plans service (app/streams.py); the viewers' 100 accounts are
made once, on the premium plan, so they play both). Each case runs the real locustfile
headless through `python -m loadtest` (100 viewers, signed in during the first
seconds, from a `--users-file` as against a deployed stack), kills the
service's gunicorn group on every instance with `make chaos`'s own code after the warm-up,
lets the load run on, then heals and waits until the edge answers for that service again.
Locust names its requests by viewer action (loadtest/viewer.py), so the verdict is per
action: the ones that must keep working have 0 failures over the whole run, the degraded
ones fail only with 503 (the ALB twin's problem+json: no healthy target), the ones the
edge may still serve from its cache fail, if at all, only with 503; the service's own
answer through the edge is a 503 problem+json while it is down, and a new sign-in works
unless the service down is accounts.

The figures of each case are printed (`pytest -s`) and are the README's table
("Services that fail alone").
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from twin_grants import short_grant_twin_args

from loadtest.accounts import SESSIONS, ViewerCredentials, sign_up_and_sign_in
from loadtest.viewer import (
    PLAN,
    PLAYBACK,
    PLAYLISTS,
    PROFILES,
    RECOMMENDATIONS,
    RENEWAL,
    SEGMENTS,
    SIGN_IN,
    SIGN_UP,
    TITLES,
    TRENDING,
)
from twin import chaos, processes
from twin.seed import client
from twin.state import TwinPorts
from twin.topology import REPO_ROOT, Twin

VIEWERS, SPAWN_RATE = 100, 20
ACCOUNT_PLAN = "premium"  # covers the gated title
RUN_S, KILL_AFTER_S = 50, 20
SPEEDUP, MAX_SEGMENTS = 4, 30  # a play of up to 2 minutes of video, ~30 s of wall clock
PROBLEM_JSON = "application/problem+json"
# How long the edge may keep an outage's 503 after a heal (error caching), at most.
RECOVERY_S = 30


@dataclass(frozen=True)
class Outage:
    """One service down: the viewer actions that must not fail, the ones that degrade (503s),
    the ones that may fail only with a 503 (the edge serves them from its cache while
    that lasts, or the viewers did them before the kill), and the request that shows the
    service's own outage through the edge."""

    service: str
    keep: tuple[str, ...]
    degraded: tuple[str, ...]
    probe: tuple[str, str]  # method, path
    cached: tuple[str, ...] = ()


OUTAGES = (
    Outage("recommendations",
           keep=(SIGN_IN, PROFILES, PLAN, TITLES, TRENDING, PLAYBACK, RENEWAL,
                 PLAYLISTS, SEGMENTS),
           degraded=(RECOMMENDATIONS,),
           probe=("GET", "/api/v1/recommendations?profile=outage&limit=10")),
    Outage("plans",
           # Playback reads the plan of record with its screen claim (app/streams.py);
           # only a table error would send it to the plans service (app/plan_lookup.py).
           keep=(SIGN_IN, PROFILES, TITLES, TRENDING, RECOMMENDATIONS, PLAYBACK, RENEWAL,
                 PLAYLISTS, SEGMENTS),
           degraded=(PLAN,),
           probe=("GET", "/api/v1/account/plan")),
    Outage("accounts",
           keep=(SIGN_IN, PLAN, TITLES, TRENDING, RECOMMENDATIONS,
                 PLAYBACK, RENEWAL, PLAYLISTS, SEGMENTS),
           degraded=(PROFILES,),
           probe=("POST", SESSIONS)),
    Outage("catalog",
           keep=(SIGN_IN, PROFILES, PLAN, RECOMMENDATIONS, PLAYLISTS,
                 SEGMENTS),
           degraded=(PLAYBACK, RENEWAL),
           probe=("GET", "/api/v1/titles"),
           # The catalog's pages stay at the edge for their s-maxage (titles 300 s,
           # trending 30 s: app/http_caching.py).
           cached=(TITLES, TRENDING)),
)
# What each service answers through the edge once it is back (the heal's end).
RECOVERY_PATHS = {
    "recommendations": "/api/v1/recommendations?profile=outage&limit=10",
    "plans": "/api/v1/plans",
    "accounts": "/api/v1/profiles",
    "catalog": "/api/v1/titles",
}
FIGURES: dict[str, dict] = {}


@pytest.fixture(scope="module")
def viewer_accounts(outage_twin: Twin, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """VIEWERS accounts on the premium plan, as `--users-file` lines ("email,password")."""
    cdn = outage_twin.state.cdn_url

    def account(i: int) -> ViewerCredentials:
        viewer = ViewerCredentials.generated(f"outage-{i}")
        with requests.Session() as http:
            token = sign_up_and_sign_in(cdn, viewer, session=http, timeout=10)
            chosen = http.put(f"{cdn}/api/v1/account/plan", json={"plan": ACCOUNT_PLAN},
                              headers={"Authorization": f"Bearer {token}",
                                       "Idempotency-Key": f"outage-{i}"}, timeout=10)
        assert chosen.status_code == 200, chosen.text
        return viewer

    with ThreadPoolExecutor(max_workers=4) as pool:
        viewers = list(pool.map(account, range(VIEWERS)))
    path = tmp_path_factory.mktemp("outage-accounts") / "users.csv"
    path.write_text("".join(f"{v.email},{v.password}\n" for v in viewers))
    return path


@pytest.fixture(scope="module")
def outage_twin(tmp_path_factory: pytest.TempPathFactory,
                twin_prerequisites: None) -> Iterator[Twin]:
    t = Twin(stack="dev", run_dir=tmp_path_factory.mktemp("twin-outages"),
             ports=TwinPorts.free, progress=print, **short_grant_twin_args(titles=2))
    t.up()
    try:
        _gate_title(t, t.state.titles[1], "standard")
        yield t
    finally:
        t.down()
        if FIGURES:
            print("\nservice down -> per action: requests (failures)")
            for service, figures in FIGURES.items():
                print(f"  {service}: {json.dumps(figures)}")


def _gate_title(twin: Twin, title_id: str, plan: str) -> None:
    """Make `title_id` need `plan` in the published catalog.json and restart the catalog
    services to read it; checked by a basic-plan viewer's refused playback."""
    s3 = client("s3", twin.state.moto_url)
    key = {"Bucket": twin.state.bucket, "Key": twin.state.catalog_key}
    catalog = json.loads(s3.get_object(**key)["Body"].read())
    for title in catalog["titles"]:
        if title["id"] == title_id:
            title["required_plan"] = plan
    s3.put_object(**key, Body=json.dumps(catalog).encode(), ContentType="application/json")
    chaos.act(twin.run_dir, "catalog", "kill")
    chaos.heal(twin.run_dir, twin=twin)
    refused = requests.post(f"{twin.state.cdn_url}/api/v1/titles/{title_id}/playback",
                            headers={"Authorization": f"Bearer {twin.viewer_token()}"},
                            json={}, timeout=10)
    assert refused.status_code == 403, refused.text


def _loadtest(twin: Twin, out: Path, users_file: Path) -> subprocess.Popen:
    """`python -m loadtest` against the twin, every gate off: this test judges per action."""
    return subprocess.Popen(
        [sys.executable, "-m", "loadtest", "--twin-run-dir", str(twin.run_dir),
         "--out", str(out), "--users-file", str(users_file),
         "--users", str(VIEWERS), "--spawn-rate", str(SPAWN_RATE),
         "--duration", f"{RUN_S}s", "--speedup", str(SPEEDUP),
         "--max-segments", str(MAX_SEGMENTS), "--warmup", "5",
         "--gates", "error_ratio=off", "p95_startup_ms=off", "segment_hit_ratio=off"],
        cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _probe(twin: Twin, method: str, path: str, token: str,
           viewer: ViewerCredentials | None = None) -> requests.Response:
    viewer = viewer or ViewerCredentials("nobody@example.com", "Not-the-1-password!")
    body = {"email": viewer.email, "password": viewer.password}
    return requests.request(method, f"{twin.state.cdn_url}{path}", timeout=10,
                            json=body if method == "POST" else None,
                            headers={"Authorization": f"Bearer {token}"})


def _video_per_s_after(summary: dict, t_s: float) -> float | None:
    """Video requests (playlists, segments) per second in the timeline buckets from `t_s` on."""
    rows = [r for r in summary["viewers"]["timeline"] if r["t_s"] >= t_s]
    if not rows:
        return None
    return round(sum(r["requests_per_s"] - r["api_requests_per_s"] for r in rows) / len(rows), 1)


@pytest.mark.parametrize("outage", OUTAGES, ids=[o.service for o in OUTAGES])
def test_a_service_down_degrades_its_own_actions_and_nothing_else(outage_twin, viewer_accounts,
                                                                 outage, tmp_path):
    twin = outage_twin
    token = twin.viewer_token()  # signed in before the outage, like the load's viewers
    started = time.monotonic()
    run = _loadtest(twin, tmp_path, viewer_accounts)
    try:
        time.sleep(KILL_AFTER_S)
        assert run.poll() is None, run.communicate()[0]
        killed = chaos.act(twin.run_dir, outage.service, "kill")
        killed_after = time.monotonic() - started
        time.sleep(2)  # the ALB twin's health checks: 2 failures 0.5 s apart
        down = _probe(twin, *outage.probe, token)
        # A viewer who was not signed in: signs in unless accounts is the service down.
        signed_in = _probe(twin, "POST", SESSIONS, token, twin.viewer_credentials())
        output, _ = run.communicate(timeout=RUN_S + 120)
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
        chaos.heal(twin.run_dir, twin=twin)
        processes.wait_until(
            processes.http_ok(f"{twin.state.cdn_url}{RECOVERY_PATHS[outage.service]}",
                              headers={"Authorization": f"Bearer {token}"}),
            f"{outage.service} through the edge after the heal", RECOVERY_S)
    summary = json.loads((tmp_path / "summary.json").read_text())
    actions = summary["locust"]["by_action"]
    FIGURES[outage.service] = {
        "killed": killed,
        **{name: f"{a['requests']} ({a['failures']})" for name, a in actions.items()},
        "fallbacks": summary["viewers"].get("fallbacks"),
        "video_per_s_after_kill": _video_per_s_after(summary, killed_after + 5),
        "probe": down.status_code,
        "new_sign_in": signed_in.status_code,
    }
    print(f"\n{outage.service} down after {killed_after:.0f} s: {FIGURES[outage.service]}")

    assert killed and all(n.rsplit("-", 1)[0] in (outage.service, "api") for n in killed)
    # The service's own answer through the edge: a clear 503 problem, not a hang.
    assert down.status_code == 503, down.text
    assert down.headers["Content-Type"] == PROBLEM_JSON
    if outage.service == "accounts":
        assert signed_in.status_code == 503, signed_in.text
        assert signed_in.headers["Content-Type"] == PROBLEM_JSON
    else:
        assert signed_in.status_code == 200, signed_in.text
    # Playing went on through the outage: every viewer signed in and the core of a play ran.
    assert actions[SIGN_IN]["requests"] >= VIEWERS and SIGN_UP not in actions, output
    assert actions[SEGMENTS]["requests"] > 0 and actions[PLAYBACK]["requests"] > 0
    kept = {a: actions[a]["errors"] for a in outage.keep if actions.get(a, {}).get("failures")}
    assert kept == {}, f"actions that must keep working failed: {kept}\n{output}"
    for action in outage.degraded:
        assert actions[action]["failures"] > 0, (action, actions[action])
        assert set(actions[action]["errors"]) == {"HTTP 503"}, (action, actions[action])
    for action in outage.cached:
        assert set(actions.get(action, {}).get("errors", {})) <= {"HTTP 503"}, actions[action]
    if outage.service == "recommendations":
        # The player's fallback: rows from the catalog's trending instead.
        assert summary["viewers"]["fallbacks"]["recommendations->trending"] > 0
        assert actions[TRENDING]["failures"] == 0
