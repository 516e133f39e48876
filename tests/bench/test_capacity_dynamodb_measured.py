"""The capacity model's DynamoDB writes per play against the calls bench.dynamodb_calls counts
(the API in-process on a moto server, driven by the Locust viewer model on a simulated clock)."""

from __future__ import annotations

import pytest

from app.plays import RECENT_SLACK
from app.settings import Settings
from bench import dynamodb_calls
from bench.bench_api import TITLES
from capacity.model import dynamodb_load, viewer_model
from loadtest.viewer import RECOMMENDATIONS_SHARE

VIEWERS, PLAYS, INSTANCES = 40, 2, 2


def test_the_models_writes_per_play_match_the_measured_calls(moto_credentials: None) -> None:
    tally = dynamodb_calls.measure(VIEWERS, PLAYS, INSTANCES)["uncached"][0]
    plays = tally.plays
    assert plays == VIEWERS * PLAYS
    # The bench's viewers play once per viewer-model cycle, renew every grant once and
    # never release; each app instance is one worker.
    cycle = viewer_model(catalog_titles=TITLES,
                         grant_ttl_seconds=Settings().cookie_ttl).cycle_seconds
    rate = VIEWERS / cycle
    db = dynamodb_load(rate, 0.0, INSTANCES, TITLES, hot_share=0.1, renewals_per_s=rate,
                       releases_per_play=0)
    per_play = {name: units / rate for name, units in db.detail.items()}
    # PLAN (the screens): a claim and a renewal a play (the first claim of an account
    # fails its take-over and writes a second UpdateItem, which the model, at steady
    # state, leaves out), less the claims a worker skips because it wrote that very
    # screen already (a profile playing the same title again within one signing window,
    # app/streams.py): the model counts every claim, so it bounds the measure, and the
    # bench's Zipf repeats are few.
    model_streams = per_play["stream claim writes"] + per_play["stream renewal writes"]
    first_claims = VIEWERS / plays
    assert model_streams - 0.1 <= tally.updates["PLAN"] / plays - first_claims <= model_streams
    assert tally.calls["PutItem"] == 0
    # RECENT: one prepend a play; the model's trim share (every RECENT_SLACK + 1 plays)
    # needs lists past 50 entries, which two plays a profile do not reach.
    assert tally.updates["RECENT"] / plays == pytest.approx(
        per_play["history writes"] - 1 / (RECENT_SLACK + 1))
    # Counters and co-play ADDs are summed per worker and interval: the model's figures
    # (one ADD per distinct title, or pair, a worker sees) bound what was written.
    assert 0 < tally.updates["STATS"] / plays <= per_play["counter writes"] / 2
    assert tally.updates["DAY#"] == tally.updates["STATS"]
    assert 0 < tally.updates["COPLAY#"] / plays <= per_play["co-play writes"]
    # Nothing else is written: no play item, no seed Query.
    assert set(tally.updates) == {"PLAN", "RECENT", "STATS", "DAY#", "COPLAY#"}
    assert tally.calls["BatchWriteItem"] == 0
    # GetItems: no plan read a grant (the claim's answer is the plan of record), a history
    # read for each recommendation (RECOMMENDATIONS_SHARE of plays at most).
    assert tally.calls["GetItem"] / plays <= RECOMMENDATIONS_SHARE
