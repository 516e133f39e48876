"""The API's runtime contract: settings read from the environment, and rendered back into it.

These tests spell the variable names out: they are the specification the
owner module (app/settings.py) implements.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from app.catalog import CATALOG_KEY
from app.settings import (
    ENV_PREFIX,
    Settings,
    environment_from_settings,
    settings_from_environment,
)

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_settings_come_from_the_environment_with_twin_defaults() -> None:
    defaults = settings_from_environment({})
    assert (defaults.bucket, defaults.table, defaults.cdn_url) == (
        "edgeflix-media",
        "edgeflix-plays",
        "http://127.0.0.1:8080",
    )
    assert defaults.cookie_secure is True and defaults.region == "us-east-1"
    custom = settings_from_environment(
        {
            "EDGEFLIX_BUCKET": "b",
            "EDGEFLIX_COOKIE_SECURE": "false",
            "EDGEFLIX_COOKIE_TTL": "300",
            "AWS_DEFAULT_REGION": "eu-west-1",
            "AWS_ENDPOINT_URL": "http://127.0.0.1:5000",
            "EDGEFLIX_KEY_PAIR_ID": "KX",
            "EDGEFLIX_CDN_URL": "https://d1.cloudfront.net/",
        }
    )
    assert custom.bucket == "b" and custom.cookie_secure is False and custom.cookie_ttl == 300
    assert custom.region == "eu-west-1" and custom.endpoint_url == "http://127.0.0.1:5000"
    assert custom.key_pair_id == "KX" and custom.cdn_base == "https://d1.cloudfront.net"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("EDGEFLIX_COOKIE_SECURE", "maybe"),
        ("EDGEFLIX_COOKIE_TTL", "10"),
        ("EDGEFLIX_COOKIE_TTL", "ten"),
    ],
)
def test_bad_settings_fail_early_naming_the_variable(name: str, value: str) -> None:
    with pytest.raises(ValueError, match=name):
        settings_from_environment({name: value})


def test_blank_aws_variables_count_as_unset_and_blank_api_variables_as_given() -> None:
    settings = settings_from_environment(
        {"AWS_REGION": "", "AWS_DEFAULT_REGION": "eu-west-1", "AWS_ENDPOINT_URL": "",
         "EDGEFLIX_CDN_URL": ""}
    )
    assert settings.region == "eu-west-1" and settings.endpoint_url is None
    assert settings.cdn_url == "" and settings.cdn_base == ""
    with pytest.raises(ValueError, match="EDGEFLIX_COOKIE_TTL"):
        settings_from_environment({"EDGEFLIX_COOKIE_TTL": ""})


def test_aws_region_wins_over_aws_default_region() -> None:
    env = {"AWS_REGION": "eu-central-1", "AWS_DEFAULT_REGION": "eu-west-1"}
    assert settings_from_environment(env).region == "eu-central-1"


def test_defaults_name_the_catalog_key_of_the_catalog_format() -> None:
    assert Settings().catalog_key == CATALOG_KEY == "catalog.json"


def test_a_rendered_environment_reads_back_as_the_same_settings() -> None:
    settings = Settings(
        bucket="media-1", catalog_key="v2/catalog.json", signing_secret_id="arn:secret",
        table="plays-1", key_pair_id="KABC", cdn_url="https://d1.cloudfront.net",
        cookie_ttl=900, cookie_secure=False, region="eu-west-1",
        endpoint_url="http://127.0.0.1:5000", catalog_refresh_seconds=0.0,
        play_flush_seconds=2.5, recommendation_deadline_seconds=0.5, plays_per_minute=0,
    )
    env = environment_from_settings(settings)
    assert env["EDGEFLIX_COOKIE_SECURE"] == "false" and env["EDGEFLIX_COOKIE_TTL"] == "900"
    assert env["AWS_REGION"] == "eu-west-1" and "AWS_DEFAULT_REGION" not in env
    assert settings_from_environment(env) == settings


def test_a_partial_mapping_renders_only_its_fields() -> None:
    assert environment_from_settings({"cookie_secure": False, "plays_per_minute": 0}) == {
        "EDGEFLIX_COOKIE_SECURE": "false",
        "EDGEFLIX_PLAYS_PER_MINUTE": "0",
    }
    assert environment_from_settings({"endpoint_url": None}) == {}


def test_every_variable_is_the_apis_own_or_a_standard_aws_one() -> None:
    names = environment_from_settings(Settings(endpoint_url="http://127.0.0.1:5000"))
    assert "EDGEFLIX_BUCKET" in names
    assert all(n.startswith(ENV_PREFIX) or n in {"AWS_REGION", "AWS_ENDPOINT_URL"}
               for n in names), sorted(names)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"cookie_ttl": 30}, "EDGEFLIX_COOKIE_TTL='30': must be >= 60"),
        ({"recommendation_deadline_seconds": 0}, "EDGEFLIX_RECOMMENDATION_DEADLINE_SECONDS"),
        ({"plays_per_minute": "many"}, "EDGEFLIX_PLAYS_PER_MINUTE='many': expected a int"),
        ({"max_body_bytes": 1}, "'max_body_bytes' is not a setting read from the environment"),
        ({"bukcet": "media"}, "'bukcet' is not a setting read from the environment"),
    ],
)
def test_rendering_refuses_what_the_api_would_refuse(values: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        environment_from_settings(values)


def test_the_contract_modules_load_neither_flask_nor_boto3() -> None:
    probe = ("import app.settings, app.catalog, sys; "
             "print(sorted(m for m in ('flask', 'boto3', 'botocore') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", probe], cwd=REPO_ROOT, capture_output=True,
                            text=True, timeout=60, check=True)
    assert result.stdout.strip() == "[]", result.stdout
