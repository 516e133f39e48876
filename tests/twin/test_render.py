"""The twin's configs are rendered from edge-config and the stack file (no processes)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.service_map import SERVICES
from edge.config import load_edge_config
from twin.__main__ import main
from twin.alb import AlbTwin, render_haproxy_cfg
from twin.edge.nginx import (
    VERIFIER_SOCKET,
    NginxEdge,
    function_module,
    render_nginx_conf,
    write_nginx_edge,
)
from twin.edge.varnish import ApiOrigin, MediaOrigin, VarnishEdge, ban_expression, render_vcl
from twin.state import TwinPorts

EDGE = load_edge_config()
PATHS = ["/api/v1/titles", "/healthz", "/healthz/x", "/video/a/master.m3u8",
         "/video/a/240p/index.m3u8", "/video/a/240p/seg_00001.ts", "/index.html",
         "/player/app.js", "/catalog.json", "/apix", "/video"]


def nginx_conf(tmp_path: Path) -> str:
    return render_nginx_conf(EDGE, NginxEdge(port=1, cache_port=2, directory=tmp_path,
                                             trusted_keys={"KTEST": "MIIB"}))


def vcl(tmp_path: Path) -> str:
    return render_vcl(EDGE, VarnishEdge(
        port=1, admin_port=2, directory=tmp_path, media=MediaOrigin(3, "bucket"),
        api=ApiOrigin(4, tmp_path / "secret")))


@pytest.mark.parametrize("path", PATHS)
def test_nginx_picks_the_behaviour_cloudfront_picks(tmp_path, path):
    """nginx tries regex locations in file order: the first match is the behaviour."""
    conf = nginx_conf(tmp_path)
    patterns = re.findall(r'location ~ "(.*)" \{\n\s*# behaviour (\d+)', conf)
    assert len(patterns) == len(EDGE.behaviors)
    # nginx unescapes a quoted string: \\ is one backslash, \" a quote.
    unquoted = [(r.replace('\\"', '"').replace("\\\\", "\\"), i) for r, i in patterns]
    chosen = next(int(i) for regex, i in unquoted if re.search(regex, path))
    assert EDGE.behaviors[chosen] == EDGE.behavior_for(path)


def test_a_socket_left_by_a_killed_nginx_does_not_block_the_next_start(tmp_path):
    """nginx refuses to bind a unix socket whose file exists (EADDRINUSE)."""
    import socket

    with socket.socket(socket.AF_UNIX) as leftover:
        leftover.bind(str(tmp_path / VERIFIER_SOCKET))
    assert (tmp_path / VERIFIER_SOCKET).is_socket()
    write_nginx_edge(EDGE, NginxEdge(port=1, cache_port=2, directory=tmp_path,
                                     trusted_keys={"KTEST": "MIIB"}))
    assert not (tmp_path / VERIFIER_SOCKET).exists()
    assert f"listen unix:{tmp_path}/{VERIFIER_SOCKET};" in (tmp_path / "nginx.conf").read_text()


def test_signed_behaviours_and_only_they_check_cookies(tmp_path):
    blocks = nginx_conf(tmp_path).split("location ~ ")[1:]
    for behavior, block in zip(EDGE.behaviors, blocks, strict=True):
        assert ("auth_request /_edge/verdict;" in block) == behavior.signed, behavior.path


def test_the_function_runs_from_edge_configs_own_file():
    fn = EDGE.functions["normalize"]
    module = function_module("normalize", fn.path)
    assert module.startswith(fn.path.read_text())
    assert module.rstrip().endswith("export default { handler: handler };")


def test_each_cache_policy_renders_its_own_ttls(tmp_path):
    text = vcl(tmp_path)
    for key in {b.cache_policy for b in EDGE.behaviors}:
        p = EDGE.cache_policies[key].effective()
        assert f"# min {p.min_ttl}s, default {p.default_ttl}s, max {p.max_ttl}s" in text, key


def test_error_caching_table_is_edge_configs(tmp_path):
    """The VCL's per-code minimum is the loader's (the behaviour is in test_vcl_ttls)."""
    table = re.search(r"sub edge_error_min_ttl \{(.*?)\n\}", vcl(tmp_path), re.S)[1]
    rendered = {int(code): int(ttl) for code, ttl in re.findall(
        r"beresp.status == (\d+)\) \{\s*set beresp.ttl = (\d+)s;", table)}
    assert rendered == {e.code: e.min_ttl for e in EDGE.error_caching}
    assert "set beresp.ttl = 0s;" in table  # any other code: never cached


def test_signed_cookies_never_enter_the_cache_key(tmp_path):
    hash_subs = re.findall(r"sub edge_key_\w+ \{(.*?)\n\}", vcl(tmp_path), re.S)
    assert hash_subs
    for body in hash_subs:
        assert "Cookie" not in body or "CloudFront-" in body


def test_media_origin_is_path_style_and_api_origin_gets_the_secret(tmp_path):
    text = vcl(tmp_path)
    assert 'set bereq.url = "/bucket" + ' in text
    assert f'std.fileread("{tmp_path / "secret"}")' in text


def test_invalidation_paths_become_bans():
    assert ban_expression("/video/a/*") == 'obj.http.X-Edge-Path ~ "^/video/a/.*$"'
    assert ban_expression("/catalog.json") == 'obj.http.X-Edge-Path ~ "^/catalog[.]json$"'
    with pytest.raises(ValueError):
        ban_expression('/x"; ban req.url ~ .')


def test_alb_config_retries_and_checks_health(tmp_path):
    cfg = render_haproxy_cfg(AlbTwin(port=1, instance_ports=(2000, 3000),
                                     health_check_path="/healthz", idle_timeout=60,
                                     read_timeout=30, secret_file=tmp_path / "s",
                                     directory=tmp_path))
    for line in ("retries 3", "retry-on all-retryable-errors", "option redispatch 1",
                 "option httpchk GET /healthz", "default-server inter 500ms fall 2 rise 2",
                 "timeout check 5s",  # the target group's, not the compressed interval
                 "balance roundrobin", f"-m str -f {tmp_path / 's'}"):
        assert line in cfg
    # One backend (target group) per service, each with both instances at the service's port.
    for service in SERVICES:
        backend = cfg.split(f"\nbackend {service.name}\n", 1)[1].split("\nbackend ", 1)[0]
        assert backend.count("option httpchk GET /healthz") == 1
        servers = [line.split()[1:3] for line in backend.splitlines()
                   if line.strip().startswith("server ")]
        assert servers == [["api-1", f"127.0.0.1:{service.port(2000)}"],
                           ["api-2", f"127.0.0.1:{service.port(3000)}"]], service.name
    assert cfg.count("server api-") == 2 * len(SERVICES)


def test_down_without_a_twin_is_a_no_op(tmp_path, capsys):
    assert main(["--run-dir", str(tmp_path), "down"]) == 0
    assert main(["--run-dir", str(tmp_path), "down"]) == 0
    assert "not running" in capsys.readouterr().out
    assert main(["--run-dir", str(tmp_path), "status"]) == 3


def test_ports_round_trip_through_state_json():
    ports = TwinPorts(edge=1, alb=2, cache=3, cache_admin=4, moto=5, api=(7, 6, 8))
    assert TwinPorts.from_mapping(ports.all()) == ports
