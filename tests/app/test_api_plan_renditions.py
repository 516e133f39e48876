"""A play is granted what the account's plan plays: its master, its renditions, its folder."""

from __future__ import annotations

import fnmatch
from typing import Any

import pytest
from tests_app_support import cookie_attributes, set_cookies

from app.catalog import master_key, plan_prefix, rendition_plan, variant_key
from app.plans import PLANS

CDN = "https://cdn.example.test"
TITLE = "t03-city-lights"
PLAYBACK = f"/api/v1/titles/{TITLE}/playback"
# The fixture titles' renditions (tests_app_support.make_title): 240p and 720p.
FOLDERS = {"basic": "standard/basic/", "standard": "standard/", "premium": ""}
RENDITIONS = {"basic": ["240p"], "standard": ["240p", "720p"], "premium": ["240p", "720p"]}


def cloudfront_matches(resource: str, url: str) -> bool:
    """CloudFront's policy Resource match: `*` any characters (including "/"), `?` one
    (CloudFront Developer Guide, "Set signed cookies using a custom policy")."""
    return fnmatch.fnmatchcase(url, resource)


def put_plan(client: Any, plan: str, key: str) -> None:
    answer = client.put("/api/v1/account/plan", json={"plan": plan},
                        headers={"Idempotency-Key": key})
    assert answer.status_code == 200, answer.get_json()


def test_plan_folders_nest_from_premium_down_to_basic() -> None:
    assert plan_prefix(TITLE, "premium") == f"video/{TITLE}/"
    assert plan_prefix(TITLE, "standard") == f"video/{TITLE}/standard/"
    assert plan_prefix(TITLE, "basic") == f"video/{TITLE}/standard/basic/"
    assert master_key(TITLE) == master_key(TITLE, "premium") == f"video/{TITLE}/master.m3u8"
    assert [rendition_plan(h).name for h in (240, 480, 720, 1080)] == [
        "basic", "basic", "standard", "premium"]
    assert variant_key(TITLE, "480p", 480) == f"video/{TITLE}/standard/basic/480p/index.m3u8"


@pytest.mark.parametrize("plan", ["basic", "standard", "premium"])
def test_each_plan_is_granted_its_own_folder_master_and_renditions(
    client: Any, verify_cloudfront: Any, plan: str
) -> None:
    if plan != "basic":
        put_plan(client, plan, f"to-{plan}")
    response = client.post(PLAYBACK)
    assert response.status_code == 200
    body = response.get_json()
    folder = f"video/{TITLE}/{FOLDERS[plan]}"

    assert body["plan"] == plan
    assert body["manifest_url"] == f"{CDN}/{folder}master.m3u8"
    assert [r["name"] for r in body["renditions"]] == RENDITIONS[plan]
    for r in body["renditions"]:
        assert r["height"] <= (PLANS[plan].max_height or r["height"])
    statement = verify_cloudfront(body["cookies"])["Statement"]
    assert [s["Resource"] for s in statement] == [f"{CDN}/{folder}*"]
    for header in set_cookies(response).values():
        assert cookie_attributes(header)["path"] == f"/{folder}"


def test_a_basic_policy_covers_its_renditions_and_none_above(
    client: Any, verify_cloudfront: Any
) -> None:
    body = client.post(PLAYBACK).get_json()
    resource = verify_cloudfront(body["cookies"])["Statement"][0]["Resource"]
    video = f"{CDN}/video/{TITLE}"

    for url in (body["manifest_url"], f"{video}/standard/basic/240p/index.m3u8",
                f"{video}/standard/basic/240p/seg_00001.ts"):
        assert cloudfront_matches(resource, url), url
    for url in (f"{video}/master.m3u8", f"{video}/standard/master.m3u8",
                f"{video}/standard/720p/index.m3u8", f"{video}/standard/720p/seg_00001.ts",
                f"{CDN}/video/t01-ocean-deep/standard/basic/240p/seg_00001.ts"):
        assert not cloudfront_matches(resource, url), url


def test_a_plan_upgrade_takes_effect_at_the_next_play(client: Any) -> None:
    before = client.post(PLAYBACK).get_json()
    put_plan(client, "premium", "upgrade")

    after = client.post(PLAYBACK).get_json()

    assert (before["plan"], after["plan"]) == ("basic", "premium")
    assert after["manifest_url"] == f"{CDN}/video/{TITLE}/master.m3u8"
    assert [r["name"] for r in after["renditions"]] == ["240p", "720p"]
    # The earlier play's renewal keeps its plan: its player has loaded basic's master.
    renewed = client.post(f"{PLAYBACK}/renewal",
                          json={"renewal_token": before["renewal_token"]}).get_json()
    assert renewed["plan"] == "basic"
    assert renewed["manifest_url"] == before["manifest_url"]


def test_the_fast_lane_grants_the_accounts_plan_too(anonymous: Any, user_pool: Any,
                                                    client: Any) -> None:
    put_plan(client, "standard", "to-standard")
    lane = anonymous.post(PLAYBACK, headers=user_pool.bearer()).get_json()
    assert lane["plan"] == "standard"
    assert lane["manifest_url"] == f"{CDN}/video/{TITLE}/standard/master.m3u8"


def test_a_title_with_no_rendition_the_plan_plays_is_403(
    make_app: Any, publish_catalog: Any, dynamodb: Any, secrets: Any, private_key: Any,
    catalog_document: dict,
) -> None:
    from tests_app_support import SECRET_ID, private_key_pem

    titles = [dict(t) for t in catalog_document["titles"]]
    titles[2]["renditions"] = [r for r in titles[2]["renditions"] if r["height"] > 480]
    publish_catalog({**catalog_document, "titles": titles})
    secrets.create_secret(Name=SECRET_ID, SecretString=private_key_pem(private_key))

    refused = make_app().test_client().post(PLAYBACK)

    assert refused.status_code == 403
    assert refused.mimetype == "application/problem+json"
    assert "no rendition the basic plan plays" in refused.get_json()["detail"]
