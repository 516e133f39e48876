"""The stack configuration: one validated object; bad values fail early and clearly."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest
import yaml
from infra_harness import DEV_CONFIG, run_program

from infra import config
from infra.config import ConfigError, StackConfig, load_stack_file

REPO = Path(__file__).resolve().parents[2]
DEV = {k.partition(":")[2] if k != "aws:region" else "region": v for k, v in DEV_CONFIG.items()}


def test_sample_stack_file_is_valid():
    cfg = load_stack_file(REPO / "Pulumi.dev.yaml")
    assert (cfg.min_size, cfg.max_size, cfg.desired_capacity) == (2, 6, 2)
    assert cfg.region == "us-east-1"
    assert cfg.nat_mode == "single"
    assert cfg.wait_for_deployment is False
    assert cfg.force_destroy is True  # a sandbox: `pulumi destroy` needs no manual steps
    assert [str(c) for c in cfg.private_subnet_cidrs] == ["10.20.10.0/24", "10.20.11.0/24"]


def test_production_profile_turns_on_what_production_expects():
    cfg = load_stack_file(REPO / "Pulumi.prod.yaml")
    assert cfg.force_destroy is False  # deletion protection on the ALB and the table
    assert cfg.waf_enabled and cfg.additional_metrics_enabled and cfg.flow_logs_enabled
    assert cfg.shield_region == cfg.region == "eu-west-1"
    assert cfg.geo_restriction_type == "allow" and cfg.geo_restriction_locations
    assert cfg.origin_domain_name == "origin.watch.example.com"  # TLS to the ALB
    assert cfg.replica_region and cfg.alarm_email and cfg.nat_mode == "per-az"


def test_strings_from_pulumi_config_set_are_decoded():
    cfg = StackConfig.from_mapping(DEV)
    assert cfg.min_size == 2 and cfg.api_port == 8080 and cfg.wait_for_deployment is False
    assert len(cfg.public_subnet_cidrs) == 2


def test_defaults_match_the_contract():
    cfg = StackConfig()
    assert cfg.api_port == 8080
    assert cfg.health_check_path == "/healthz"
    assert cfg.alb_idle_timeout == 60
    assert cfg.deregistration_delay == 30
    assert cfg.domain_name is None and cfg.replica_region is None
    # The edge firewall is on unless a stack turns it off.
    assert (cfg.waf_enabled, cfg.playback_rate_limit, cfg.playback_rate_window) == (True, 1000, 300)


@pytest.mark.parametrize(
    ("override", "key", "hint"),
    [
        ({"minSize": "7"}, "edgeflix:minSize", "<= edgeflix:maxSize"),
        ({"desiredCapacity": "9"}, "edgeflix:desiredCapacity", "[2, 6]"),
        ({"desiredCapacity": "1"}, "edgeflix:desiredCapacity", "[2, 6]"),
        ({"azCount": "1"}, "edgeflix:azCount", "2..6"),
        ({"vpcCidr": "10.20.0/16"}, "edgeflix:vpcCidr", "IPv4 CIDR"),
        ({"vpcCidr": "10.0.0.0/8"}, "edgeflix:vpcCidr", "/16 and /24"),
        ({"publicSubnetCidrs": '["10.99.0.0/24", "10.20.1.0/24"]'},
         "edgeflix:publicSubnetCidrs", "outside edgeflix:vpcCidr"),
        ({"privateSubnetCidrs": '["10.20.0.0/24", "10.20.11.0/24"]'},
         "edgeflix:privateSubnetCidrs", "overlaps"),
        ({"publicSubnetCidrs": '["10.20.0.0/23", "10.20.1.0/24"]'},
         "edgeflix:publicSubnetCidrs", "overlaps"),
        ({"publicSubnetCidrs": '["10.20.0.0/24"]'}, "edgeflix:publicSubnetCidrs",
         "exactly edgeflix:azCount"),
        ({"privateSubnetCidrs": '["nonsense", "10.20.11.0/24"]'},
         "edgeflix:privateSubnetCidrs[0]", "IPv4"),
        ({"signedCookieTtl": "5"}, "edgeflix:signedCookieTtl", "60..86400"),
        ({"signedCookieTtl": "172800"}, "edgeflix:signedCookieTtl", "60..86400"),
        ({"instanceType": "x9.large"}, "edgeflix:instanceType", "family one of t3"),
        ({"instanceType": "t3.enormous"}, "edgeflix:instanceType", "<family>.<size>"),
        ({"natMode": "two"}, "edgeflix:natMode", "none | single | per-az"),
        ({"minSize": "two"}, "edgeflix:minSize", "1..100"),
        ({"albIdleTimeout": "80"}, "edgeflix:albIdleTimeout", "keep-alive 75"),
        ({"deregistrationDelay": "25"}, "edgeflix:deregistrationDelay", "graceful timeout 25"),
        ({"deregistrationDelay": "0"}, "edgeflix:deregistrationDelay", "26..3600"),
        ({"priceClass": "PriceClass_Cheap"}, "edgeflix:priceClass", "PriceClass_100"),
        ({"targetCpuPercent": "99"}, "edgeflix:targetCpuPercent", "10..90"),
        ({"instanceRefreshMinHealthy": "50"}, "edgeflix:instanceRefreshMinHealthy", "90..100"),
        ({"healthCheckPath": "healthz"}, "edgeflix:healthCheckPath", "absolute path"),
        ({"region": "mars-1"}, "aws:region", "region"),
        ({"replicaRegion": "us-east-1"}, "edgeflix:replicaRegion", "must differ"),
        ({"domainName": "watch.example.com"}, "edgeflix:domainName", "hostedZoneId"),
        ({"hostedZoneId": "Z0123456789ABC"}, "edgeflix:domainName", "required"),
        ({"domainName": "watch.example.com",
          "certificateArn": "arn:aws:acm:eu-west-1:123456789012:certificate/"
                            "12345678-1234-1234-1234-123456789012"},
         "edgeflix:certificateArn", "us-east-1"),
        ({"environment": "Prod!"}, "edgeflix:environment", "a-z"),
        ({"apiPort": "80"}, "edgeflix:apiPort", "1024..65535"),
        ({"playbackRateLimit": "5"}, "edgeflix:playbackRateLimit", "10..2000000000"),
        ({"playbackRateLimit": "3000000000"}, "edgeflix:playbackRateLimit", "10..2000000000"),
        ({"playbackRateLimit": "lots"}, "edgeflix:playbackRateLimit", "per client IP"),
        ({"playbackRateWindow": "900"}, "edgeflix:playbackRateWindow", "60 | 120 | 300 | 600"),
        ({"playbackRateWindow": "0"}, "edgeflix:playbackRateWindow", "60 | 120 | 300 | 600"),
        ({"wafEnabled": "sometimes"}, "edgeflix:wafEnabled", "true | false"),
        ({"geoRestrictionType": "deny", "geoRestrictionLocations": '["US", "XX"]'},
         "edgeflix:geoRestrictionLocations", "'XX' not ISO 3166-1 alpha-2"),
        ({"geoRestrictionType": "allow", "geoRestrictionLocations": '["us"]'},
         "edgeflix:geoRestrictionLocations", "'us' not ISO 3166-1 alpha-2"),
        ({"geoRestrictionType": "allow", "geoRestrictionLocations": '["US", "US"]'},
         "edgeflix:geoRestrictionLocations", "more than once"),
        ({"geoRestrictionLocations": '["US", "CA"]'}, "edgeflix:geoRestrictionType",
         "allow or deny"),
        ({"geoRestrictionType": "allow"}, "edgeflix:geoRestrictionLocations",
         "at least one country code"),
        ({"geoRestrictionType": "block"}, "edgeflix:geoRestrictionType", "none | allow | deny"),
        ({"originShieldRegion": "us-west-1"}, "edgeflix:originShieldRegion",
         "guide recommends us-west-2"),
        ({"originShieldRegion": "me-central-1"}, "edgeflix:originShieldRegion",
         "lowest latency to the origin: ap-northeast-1"),
        ({"originShieldEnabled": "true", "region": "ca-central-1"},
         "edgeflix:originShieldRegion", "recommends us-east-1"),
        ({"originShieldEnabled": "true", "region": "eu-north-1"},
         "edgeflix:originShieldRegion", "recommends eu-west-2"),
    ],
)
def test_invalid_value_names_key_and_allowed_values(override, key, hint):
    with pytest.raises(ConfigError) as excinfo:
        StackConfig.from_mapping({**DEV, **override})
    message = str(excinfo.value)
    assert key in message, message
    assert hint in message, message


def test_origin_shield_defaults_to_the_stack_region_and_is_off_unless_enabled():
    assert StackConfig.from_mapping(DEV).shield_region is None
    on = StackConfig.from_mapping({**DEV, "originShieldEnabled": "true"})
    assert on.shield_region == "us-east-1"
    elsewhere = StackConfig.from_mapping({**DEV, "region": "ca-central-1",
                                          "originShieldEnabled": "true",
                                          "originShieldRegion": "us-east-1"})
    assert elsewhere.shield_region == "us-east-1"


def test_geo_restriction_takes_a_json_list_of_country_codes():
    cfg = StackConfig.from_mapping({**DEV, "geoRestrictionType": "deny",
                                    "geoRestrictionLocations": '["KP", "IR"]'})
    assert (cfg.geo_restriction_type, cfg.geo_restriction_locations) == ("deny", ["KP", "IR"])


def test_country_codes_are_the_tz_databases_iso_3166_list():
    table = Path("/usr/share/zoneinfo/iso3166.tab")
    if not table.exists():
        pytest.skip("no tz database iso3166.tab on this machine")
    from edge.cloudfront import ISO_3166_ALPHA2
    codes = {line.split("\t")[0] for line in table.read_text().splitlines()
             if line and not line.startswith("#")}
    assert codes == ISO_3166_ALPHA2


def test_unknown_key_is_rejected_with_the_known_keys():
    with pytest.raises(ConfigError, match=r"edgeflix:minSise.*known keys: .*minSize"):
        StackConfig.from_mapping({**DEV, "minSise": "2"})


def test_stack_file_errors_name_the_file(tmp_path):
    stack_file = tmp_path / "Pulumi.bad.yaml"
    stack_file.write_text("config:\n  edgeflix:minSize: 9\n  edgeflix:maxSize: 3\n")
    with pytest.raises(ConfigError, match=r"Pulumi\.bad\.yaml.*\n.*edgeflix:minSize"):
        load_stack_file(stack_file)


def test_bad_config_fails_before_any_resource_is_declared(monkeypatch):
    import infra_harness

    seen: list = []
    original = infra_harness.RecordingMocks.new_resource

    def spy(self, args):
        seen.append(args.typ)
        return original(self, args)

    monkeypatch.setattr(infra_harness.RecordingMocks, "new_resource", spy)
    with pytest.raises(ConfigError, match="edgeflix:minSize"):
        run_program({**DEV_CONFIG, "edgeflix:minSize": "7"})
    assert seen == []


def test_timeouts_mirror_the_api_gunicorn_settings():
    conf = runpy.run_path(str(REPO / "app" / "gunicorn.conf.py"))
    assert conf["keepalive"] == config.API_KEEPALIVE_SECONDS
    assert conf["graceful_timeout"] == config.API_GRACEFUL_TIMEOUT_SECONDS
    cfg = StackConfig()
    assert cfg.alb_idle_timeout < conf["keepalive"]
    assert cfg.deregistration_delay > conf["graceful_timeout"]


def test_config_table_lists_every_key_with_its_range():
    rows = config.config_table()
    keys = [key for key, _, _ in rows]
    assert "edgeflix:minSize" in keys and "aws:region" in keys
    assert len(keys) == len(StackConfig.model_fields)
    assert all(allowed for _, _, allowed in rows)
    # Every key of the sample stack is a documented key.
    sample = yaml.safe_load((REPO / "Pulumi.dev.yaml").read_text())["config"]
    assert set(sample) <= set(keys)
