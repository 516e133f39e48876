"""`python -m twin chaos`: kill, stop and slow parts of a running twin, then heal them."""

from __future__ import annotations

import json
import time

import pytest
import requests
from twin_viewer import play, segment_urls

from edge.config import load_edge_config
from twin import chaos, processes
from twin.__main__ import main
from twin.fleet import FLEET_FILE
from twin.seed import client
from twin.state import TwinState


def _state(twin) -> TwinState:
    return TwinState.load(twin.run_dir)


def _heal(twin) -> list[str]:
    healed = chaos.heal(twin.run_dir, twin=twin)  # the session's twin keeps its pids true
    assert not (twin.run_dir / chaos.CHAOS_FILE).exists()
    return healed


def test_a_service_is_a_process_name_or_its_group():
    state = TwinState(cdn_url="", alb_url="", moto_url="", bucket="", table="", secret_id="",
                      key_pair_id="", catalog_key="", stack="dev", run_dir="", ports={},
                      pids={"moto": 1, "api-1": 2, "api-2": 3, "api-10": 4, "alb": 5})
    assert chaos.targets(state, "api") == ["api-1", "api-10", "api-2"]
    assert chaos.targets(state, "api-2") == ["api-2"]
    assert chaos.targets(state, "moto") == ["moto"]
    with pytest.raises(chaos.ChaosError, match="unknown service 'ap'.*alb, api, api-1"):
        chaos.targets(state, "ap")


@pytest.mark.parametrize(("pause_ms", "period_ms", "max_seconds"),
                         [(0, 500, 60), (500, 500, 60), (600, 500, 60), (100, 500, 0),
                          (100, 500, 3601)])
def test_an_impossible_slowdown_is_refused(pause_ms, period_ms, max_seconds):
    with pytest.raises(chaos.ChaosError):
        chaos.Slowdown(pause_ms, period_ms, max_seconds)


def test_chaos_without_a_twin_or_with_a_bad_request_exits_2(tmp_path, capsys):
    assert main(["--run-dir", str(tmp_path), "chaos", "--service", "api",
                 "--action", "kill"]) == 2
    assert "no twin runs from" in capsys.readouterr().err
    assert main(["--run-dir", str(tmp_path), "chaos", "--action", "stop"]) == 2
    assert "--service is required" in capsys.readouterr().err
    with pytest.raises(chaos.ChaosError, match="not one of"):
        chaos.act(tmp_path, "api", "heal")


def test_killed_api_fleet_answers_503_problem_while_cached_video_plays_then_heals(
        twin, cdn, titles):
    cookies = play(cdn, titles[0])
    segment = segment_urls(cdn, titles[0], cookies)[0]
    assert requests.get(segment, cookies=cookies, timeout=5).status_code == 200  # now cached
    before = _state(twin).pids
    try:
        assert chaos.act(twin.run_dir, "api", "kill") == ["api-1", "api-2"][:len(twin.ports.api)]
        down = requests.get(f"{cdn}/api/v1/titles", timeout=10)
        assert down.status_code == 503
        assert down.headers["Content-Type"] == "application/problem+json"
        assert requests.get(segment, cookies=cookies, timeout=5).status_code == 200
    finally:
        healed = _heal(twin)
    assert sorted(healed) == sorted(n for n in before if n.startswith("api-"))
    after = _state(twin).pids
    assert all(after[n] != before[n] and processes.alive(after[n]) for n in healed)
    # The edge keeps the outage's 503 for its error-caching TTL, as CloudFront does.
    edge = load_edge_config()
    error_ttl = edge.error_ttl(503, down.headers.get("Cache-Control"),
                               behavior=edge.behavior_for("/api/v1/titles"))
    processes.wait_until(processes.http_ok(f"{cdn}/api/v1/titles"), "titles after heal",
                         timeout=error_ttl + 5)


def test_a_stopped_alb_hangs_callers_until_healed(twin, cdn):
    pid = _state(twin).pids["alb"]
    health = f"{twin.state.alb_url}/"
    try:
        chaos.act(twin.run_dir, "alb", "stop")
        assert chaos.frozen(pid)
        with pytest.raises(requests.Timeout):
            requests.get(health, timeout=1)
        still_frozen = chaos.frozen(pid)
    finally:
        healed = _heal(twin)
    assert still_frozen
    assert "alb" in healed
    assert not chaos.frozen(pid), "the same process, continued: nothing restarted"
    assert requests.get(health, timeout=5).status_code == 403  # no origin secret: refused


def test_a_slowed_instance_is_frozen_part_of_the_time_and_still_answers(twin):
    pid = _state(twin).pids["api-1"]
    url = f"http://127.0.0.1:{twin.ports.api[0]}{twin.stack.health_check_path}"
    try:
        chaos.act(twin.run_dir, "api-1", "slow", chaos.Slowdown(300, 400, 60))
        throttler = json.loads((twin.run_dir / chaos.CHAOS_FILE).read_text())["throttlers"]
        assert set(throttler) == {"api-1"}
        seen_frozen = seen_running = False
        answers = []
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not (seen_frozen and seen_running
                                                   and len(answers) >= 5):
            is_frozen = chaos.frozen(pid)
            seen_frozen |= is_frozen
            seen_running |= not is_frozen
            answers.append(requests.get(url, timeout=5).status_code)
            time.sleep(0.05)
    finally:
        assert _heal(twin) == ["api-1"]
    assert seen_frozen and seen_running
    assert set(answers) == {200}, "slow, not down"
    assert not processes.alive(throttler["api-1"])
    assert not chaos.frozen(pid)


def test_a_killed_origin_comes_back_seeded_and_published(twin, cdn, titles):
    try:
        chaos.act(twin.run_dir, "moto", "kill")
        assert not processes.alive(_state(twin).pids["moto"])
    finally:
        assert _heal(twin) == ["moto"]
    s3 = client("s3", twin.state.moto_url)
    assert s3.head_object(Bucket=twin.state.bucket, Key=twin.state.catalog_key)["ContentLength"]
    cookies = play(cdn, titles[-1])
    assert segment_urls(cdn, titles[-1], cookies), "a new play works end to end"



def test_an_api_service_names_its_group_on_every_instance_autoscaled_ones_too(tmp_path):
    state = TwinState(cdn_url="", alb_url="", moto_url="", bucket="", table="", secret_id="",
                      key_pair_id="", catalog_key="", stack="dev", run_dir="", ports={},
                      pids={"moto": 1, "api-1": 2, "accounts-1": 3, "plans-1": 4,
                            "recommendations-1": 5, "api-2": 6, "accounts-2": 7})
    (tmp_path / FLEET_FILE).write_text(json.dumps({"instances": {
        "api-1": {"pid": 2, "pids": {"catalog": 2, "accounts": 3}},  # state's own
        "api-3": {"pid": 8, "pids": {"catalog": 8, "accounts": 9, "plans": 10,
                                     "recommendations": 11}},
        "api-4": {"pid": 12},  # recorded before the services split: catalog only
    }}))
    autoscaled = chaos.autoscaled_groups(tmp_path, state)
    assert autoscaled == {"api-3": 8, "accounts-3": 9, "plans-3": 10,
                          "recommendations-3": 11, "api-4": 12}
    assert chaos.targets(state, "accounts", autoscaled) == ["accounts-1", "accounts-2",
                                                            "accounts-3"]
    assert chaos.targets(state, "catalog", autoscaled) == chaos.targets(
        state, "api", autoscaled) == ["api-1", "api-2", "api-3", "api-4"]
    assert chaos.targets(state, "plans-3", autoscaled) == ["plans-3"]
    with pytest.raises(chaos.ChaosError, match="accounts.*catalog"):
        chaos.targets(state, "acounts", autoscaled)


def test_a_killed_service_answers_503_on_its_own_paths_only_until_healed(twin, cdn, titles):
    """`make chaos SERVICE=accounts ACTION=kill`: sign-in is a 503 problem, browsing is not."""
    before = _state(twin).pids
    body = {"email": "nobody@example.com", "password": "Not-the-1-password!"}
    try:
        assert main(["--run-dir", str(twin.run_dir), "chaos", "--service", "accounts",
                     "--action", "kill"]) == 0
        assert not any(processes.alive(before[f"accounts-{i}"])
                       for i in range(1, len(twin.ports.api) + 1))
        processes.wait_until(
            lambda: requests.post(f"{cdn}/api/v1/sessions", json=body,
                                  timeout=5).status_code == 503,
            "the ALB twin's accounts backend down", 10)
        down = requests.post(f"{cdn}/api/v1/sessions", json=body, timeout=5)
        browse = requests.get(f"{cdn}/api/v1/titles/{titles[0]}", timeout=5)
    finally:
        healed = _heal(twin)
    assert down.headers["Content-Type"] == "application/problem+json"
    assert browse.status_code == 200
    assert sorted(healed) == [f"accounts-{i}" for i in range(1, len(twin.ports.api) + 1)]
    after = _state(twin).pids
    assert all(after[n] != before[n] and processes.alive(after[n]) for n in healed)
    assert all(after[n] == before[n] for n in before if not n.startswith("accounts-"))
    processes.wait_until(
        lambda: requests.post(f"{cdn}/api/v1/sessions", json=body, timeout=5).status_code
        in (400, 401), "sign-in answers again after the heal", 15)
