"""CloudFront's contract with the API origin (`edge.origin`): one origin-TLS decision."""

from __future__ import annotations

import copy

import pytest
import yaml

from edge.config import EDGE_CONFIG_FILE, load_edge_config, parse_edge_config
from edge.origin import ApiOriginTransport, api_origin_transport

ORIGIN_NAME = "origin.watch.example.com"


@pytest.fixture(scope="module")
def edge():
    return load_edge_config()


def test_a_certified_origin_name_gets_edge_configs_protocol(edge):
    transport = api_origin_transport(edge, ORIGIN_NAME)
    assert transport == ApiOriginTransport("https-only", ORIGIN_NAME)
    assert transport.tls


def test_without_a_certified_name_the_fallback_is_plain_http(edge):
    transport = api_origin_transport(edge, None)
    assert transport == ApiOriginTransport("http-only", None)
    assert not transport.tls


def test_an_http_only_origin_stays_http_even_with_a_certified_name():
    data = yaml.safe_load(EDGE_CONFIG_FILE.read_text())
    data = copy.deepcopy(data)
    data["origins"]["api"].update(protocol="http-only")
    data["origins"]["api"].pop("fallback_protocol")
    transport = api_origin_transport(parse_edge_config(data), ORIGIN_NAME)
    assert transport == ApiOriginTransport("http-only", None)


def test_no_alb_origin_means_plain_http():
    data = yaml.safe_load(EDGE_CONFIG_FILE.read_text())
    data["behaviors"] = [b for b in data["behaviors"] if b["origin"] != "api"]
    data["origins"].pop("api")
    assert api_origin_transport(parse_edge_config(data), ORIGIN_NAME) == ApiOriginTransport()


@pytest.mark.parametrize(("protocol", "name"), [("https-only", None),
                                                ("http-only", ORIGIN_NAME)])
def test_tls_and_the_certified_name_go_together(protocol, name):
    with pytest.raises(ValueError, match="TLS needs the certified name"):
        ApiOriginTransport(protocol, name)
