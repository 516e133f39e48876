"""The capacity model's arithmetic on inputs small enough to check by hand."""

from __future__ import annotations

import pytest

from capacity.model import (
    abr_outcome,
    dynamodb_load,
    fleet,
    ladder_bitrate,
    monthly_cost,
    traffic,
    viewer_model,
)
from capacity.prices import PriceError, load_prices, tiered_cost
from loadtest import viewer


def test_requests_per_viewer_minute_follow_the_play_cycle(round_viewer):
    model = viewer_model(catalog_titles=12, grant_ttl_seconds=600, segment_seconds=4)
    assert model.cycle_seconds == pytest.approx(20.0)
    assert model.plays_per_minute == pytest.approx(3.0)
    assert model.segments_per_play == pytest.approx(4.0)
    assert model.watching_share == pytest.approx(16 / 20)
    assert model.per_minute == pytest.approx({
        "titles": 0.6, "title": 3.0, "recommendations": 0.15, "playback": 3.0,
        "playlist": 6.0, "segment": 12.0,
    })


def test_requests_per_viewer_minute_come_from_the_viewer_model(round_viewer, monkeypatch):
    before = viewer_model(catalog_titles=12, grant_ttl_seconds=600).per_minute
    monkeypatch.setattr(viewer, "BROWSE_SHARE", 0.5)
    monkeypatch.setattr(viewer, "PLAYLISTS_PER_PLAY", 3)
    after = viewer_model(catalog_titles=12, grant_ttl_seconds=600).per_minute
    assert after["titles"] == pytest.approx(before["titles"] * 2.5)
    assert after["playlist"] == pytest.approx(before["playlist"] * 1.5)
    assert after["segment"] == pytest.approx(before["segment"])


def test_a_browse_reads_as_many_pages_as_the_catalog_needs_up_to_the_cap(round_viewer):
    def titles_per_minute(count: int) -> float:
        return viewer_model(catalog_titles=count, grant_ttl_seconds=600).per_minute["titles"]

    assert titles_per_minute(250) == pytest.approx(0.6 * 3)
    assert titles_per_minute(100_000) == pytest.approx(0.6 * viewer.MAX_PAGES)


def test_a_play_longer_than_the_cookie_ttl_renews_its_grant(round_viewer):
    model = viewer_model(catalog_titles=12, grant_ttl_seconds=10, segment_seconds=4)
    assert model.per_minute["playback"] == pytest.approx(2 * 3.0)  # 16 s of watching


def test_edge_and_origin_load_for_sixty_viewers(round_viewer):
    model = viewer_model(catalog_titles=12, grant_ttl_seconds=600, segment_seconds=4)
    flow = traffic(60, model, bitrate_bps=1e6, hit_ratio=0.9, segment_seconds=4)
    assert flow.rps_by_kind["segment"] == pytest.approx(12.0)
    assert flow.edge_bytes_per_s == pytest.approx(12 * 500_000)  # 1 Mbit/s x 4 s / 8
    assert flow.edge_gbps == pytest.approx(0.048)
    # catalog GETs miss 10%; playback and recommendations always reach the ALB
    assert flow.api_origin_rps == pytest.approx(0.06 + 0.3 + 0.15 + 3.0)
    assert flow.media_origin_rps == pytest.approx((6 + 12) * 0.1)
    assert flow.media_origin_bytes_per_s == pytest.approx(1.2 * 500_000)
    assert flow.origin_rps == pytest.approx(3.51 + 1.8)
    assert flow.plays_per_s == pytest.approx(3.0)


@pytest.mark.parametrize("viewers, hit_ratio", [(-1, 0.9), (10, -0.1), (10, 1.5)])
def test_bad_traffic_inputs_are_refused(viewers, hit_ratio):
    model = viewer_model(catalog_titles=12, grant_ttl_seconds=600)
    with pytest.raises(ValueError, match="viewers|hit ratio"):
        traffic(viewers, model, bitrate_bps=1e6, hit_ratio=hit_ratio)


def test_fleet_runs_the_larger_of_the_two_policies(stack):
    api_fleet = fleet(api_rps=100, rps_per_instance=40, cfg=stack)
    assert api_fleet.by_requests == 10  # 6,000 requests a minute / 600 per target
    assert api_fleet.by_cpu == 5  # 100 req/s / (40 req/s x 50%)
    assert api_fleet.needed == 10
    assert not api_fleet.covered


def test_a_quiet_fleet_stays_at_min_size(stack):
    api_fleet = fleet(api_rps=1, rps_per_instance=1000, cfg=stack)
    assert api_fleet.needed == stack.min_size and api_fleet.covered


def test_dynamodb_units_follow_the_apps_code_paths():
    db = dynamodb_load(plays_per_s=10, recommendations_per_s=1, workers=4, catalog_titles=12,
                       hot_share=0.5, renewals_per_s=2)
    assert db.detail == pytest.approx({
        # a RECENT list_append a play, and a trim every 11th (past 50 entries, back to 40)
        "history writes": 10 * (1 + 1 / 11),
        # 100 pair increments/s, 3,000 a worker in 120 s, but only 12 x 11 pairs to ADD
        "co-play writes": 4 * 132 / 120,
        # 37.5 plays a worker in 15 s over 12 titles: a STATS and a DAY# ADD per title
        "counter writes": 2 * 4 * 12 / 15,
        "stream claim writes": 10,
        "stream renewal writes": 2,
        "stream release writes": 10,  # the browser player's, one a play
        "history reads (recommendations)": 0.5,  # one eventually consistent GetItem
        # 3 co-play Queries a recommendation, but a worker asks once a title in 30 s;
        # 11 items of 100 bytes fit in one 4 KB unit, half a unit eventually consistent
        "co-play reads": 4 * 12 / 30 * 0.5,
        "trending reads": 4 * 12 * 2 * 0.5 / 30,
    })
    assert db.write_units == pytest.approx(10 + 10 / 11 + 4.4 + 6.4 + 22)
    assert db.read_units == pytest.approx(0.5 + 0.8 + 1.6)  # a grant reads no plan
    # 5 plays/s of the hot title, but its counter items are written once per worker in 15 s
    assert db.hot_counter_item_writes == pytest.approx(4 / 15)
    # its co-play items: 5 x 5 + 5 increments/s, one ADD per worker and other title in 120 s
    assert db.hot_title_write_units == pytest.approx(4 * 11 / 120 + 2 * 4 / 15)


def test_quiet_workers_write_a_counter_add_and_a_recent_prepend_per_play():
    db = dynamodb_load(plays_per_s=0.2, recommendations_per_s=0, workers=4, catalog_titles=12,
                       hot_share=0.5, releases_per_play=0)
    # 0.75 plays a worker in 15 s: no two to sum; 6 in 120 s, 60 pair increments of 132 pairs
    assert db.detail["counter writes"] == pytest.approx(2 * 0.2)
    assert db.detail["co-play writes"] == pytest.approx(2 * 5 * 0.2)
    assert db.detail["stream release writes"] == 0
    assert "plan reads" not in db.detail  # the claim's answer is the plan of record
    assert db.hot_counter_item_writes == pytest.approx(0.1)


LADDER = (400_000, 1_200_000, 3_000_000)


def test_abr_outcome_is_deterministic_and_its_shares_add_up():
    a, b = abr_outcome(LADDER), abr_outcome(list(reversed(LADDER)))
    assert a == b
    assert sum(a.segment_shares) == pytest.approx(1) and sum(a.byte_shares) == pytest.approx(1)
    # Bytes weigh each rendition's segments by its bandwidth.
    weighted = [s * bw for s, bw in zip(a.segment_shares, LADDER, strict=True)]
    assert a.byte_shares == pytest.approx(tuple(w / sum(weighted) for w in weighted))
    assert ladder_bitrate(LADDER) == pytest.approx(a.mean_bitrate_bps)
    assert LADDER[0] < a.mean_bitrate_bps < LADDER[-1]


def test_a_fast_link_climbs_to_the_top_rendition_once_and_a_slow_one_never_leaves_the_bottom():
    fast = abr_outcome(LADDER, link_mbps=10_000, max_segments=8)
    # The first segment is chosen on hls.js's 500 kbps default estimate (the lowest rung);
    # after it the estimate allows the top one, and the play stays there.
    assert fast.segment_shares[1] == 0 and fast.segment_shares[2] > 0.7
    plays_longer_than_one = 7 / 8  # watch lengths are uniform over 1..8
    assert fast.extra_media_playlists == pytest.approx(plays_longer_than_one, abs=0.05)
    assert fast.switches_per_play == pytest.approx(fast.extra_media_playlists)
    slow = abr_outcome(LADDER, link_mbps=0.05, max_segments=8)
    assert slow.segment_shares[0] == 1 and slow.extra_media_playlists == 0
    assert slow.mean_bitrate_bps == LADDER[0]


@pytest.mark.parametrize("ladder", [(), (0, 100), (-1,)])
def test_a_ladder_without_positive_bandwidths_is_refused(ladder):
    with pytest.raises(ValueError, match="bandwidth > 0"):
        abr_outcome(ladder)


def test_each_further_rendition_a_play_visits_loads_its_media_playlist(round_viewer):
    base = viewer_model(catalog_titles=12, grant_ttl_seconds=600)
    abr = viewer_model(catalog_titles=12, grant_ttl_seconds=600, extra_media_playlists=0.5)
    assert abr.per_minute["playlist"] == pytest.approx(base.per_minute["playlist"] * 2.5 / 2)
    with pytest.raises(ValueError, match="extra_media_playlists"):
        viewer_model(catalog_titles=12, grant_ttl_seconds=600, extra_media_playlists=-1)


def test_data_transfer_is_priced_by_monthly_tier():
    tiers = load_prices().cloudfront_data_transfer_out.tiers
    assert tiered_cost(20 * 1024, tiers) == pytest.approx(10_240 * 0.085 + 10_240 * 0.080)
    assert tiered_cost(0, tiers) == 0


def test_monthly_cost_by_service(round_viewer):
    prices = load_prices()
    model = viewer_model(catalog_titles=12, grant_ttl_seconds=600, segment_seconds=4)
    flow = traffic(60, model, bitrate_bps=1e6, hit_ratio=0.9, segment_seconds=4)
    db = dynamodb_load(flow.plays_per_s, 0.15, 4, 12, 0.5)
    cost = monthly_cost(prices, flow, 2, "t3.small", db, waf_rules=3, api_bytes_per_request=0,
                        hours=730)
    usd_per_hour, _ = prices.instance("t3.small")
    assert cost["EC2"] == pytest.approx(2 * usd_per_hour * 730)
    assert cost["ALB"] == pytest.approx(730 * prices.alb_hour.usd)
    assert cost["WAF"] == pytest.approx(
        prices.waf_web_acl_month.usd + 3 * prices.waf_rule_month.usd
        + flow.edge_rps * 730 * 3600 / 1e6 * prices.waf_requests.usd)
    assert "WAF" not in monthly_cost(prices, flow, 2, "t3.small", db, None, 0, 730)
    # on-demand request units: 3 plays/s write 3 x (1 + 1/11) RECENT, 2 x 3 counter (11.25
    # plays a worker in 15 s, fewer than 12 titles), 4 x 132/120 co-play (900 increments a
    # worker in 120 s, capped by 132 pairs), 3 + 3 STREAMS (claims and releases) units
    writes = 3 * (1 + 1 / 11) + 2 * 3 + 4 * 132 / 120 + 3 + 3
    assert db.write_units == pytest.approx(writes)
    assert cost["DynamoDB"] == pytest.approx(
        730 * 3600 / 1e6 * (writes * prices.dynamodb_write_request_units.usd
                            + db.read_units * prices.dynamodb_read_request_units.usd))


def test_every_price_names_its_source_and_how_sure_it_is():
    prices = load_prices()
    for name in type(prices).model_fields:
        entry = getattr(prices, name)
        if hasattr(entry, "source"):
            assert entry.source.startswith("https://")
            assert entry.status in {"read", "secondary", "unconfirmed"}


def test_a_price_without_its_source_is_refused(tmp_path):
    import yaml

    from capacity.prices import PRICES_PATH

    document = yaml.safe_load(PRICES_PATH.read_text())
    del document["s3_get_requests"]["source"]
    bad = tmp_path / "prices.yaml"
    bad.write_text(yaml.safe_dump(document))
    with pytest.raises(PriceError, match="s3_get_requests.source"):
        load_prices(bad)


def test_an_instance_type_without_a_price_is_named():
    with pytest.raises(PriceError, match="x9.huge"):
        load_prices().instance("x9.huge")


def test_the_hot_title_share_is_the_viewer_models_zipf_rank_one():
    from capacity.plan import zipf_top_share

    assert zipf_top_share(3, s=1.0) == pytest.approx(1 / (1 + 1 / 2 + 1 / 3))
    assert zipf_top_share(4, s=0.0) == pytest.approx(0.25)
