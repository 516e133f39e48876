"""The viewer-facing half of the twin's CloudFront, rendered for nginx + njs.

nginx picks the behaviour (first match, CloudFront path patterns, as regex
locations in edge-config order), runs the behaviour's viewer-request function
(edge-config's own file, through the njs adapter in `edge.js`), enforces signed
cookies on `signed` behaviours, answers CORS preflights, and adds the
response-headers policy. Caching is Varnish's job (`varnish.py`); nginx tells
it which behaviour matched in `X-Edge-Behavior`.
"""

from __future__ import annotations

import os
import resource
import shutil
from dataclasses import dataclass
from pathlib import Path

from edge.cloudfront import path_pattern_regex
from edge.config import Behavior, EdgeConfig, ResponseHeadersPolicy

NJS_MODULE = Path("/usr/lib/nginx/modules/ngx_http_js_module.so")
ADAPTER = Path(__file__).with_name("edge.js")
SIGNED_COOKIE_NAMES = ("CloudFront-Policy", "CloudFront-Signature", "CloudFront-Key-Pair-Id")
VERIFIER_SOCKET = "verifier.sock"
VERIFIER_LOG = "verifications.log"
VERDICT_KEY = (
    '"$http_host$edge_dir|$edge_cloudfront_key_pair_id'
    '|$edge_cloudfront_policy|$edge_cloudfront_signature"'
)
COMPRESSIBLE_TYPES = (
    "application/json", "application/javascript", "application/vnd.apple.mpegurl",
    "application/problem+json", "text/css", "text/plain", "image/svg+xml",
)
CORS_HEADERS = (
    "Access-Control-Allow-Origin", "Access-Control-Expose-Headers",
    "Access-Control-Allow-Methods", "Access-Control-Allow-Headers", "Access-Control-Max-Age",
    "Access-Control-Allow-Credentials",
)


@dataclass(frozen=True)
class NginxEdge:
    """Where the viewer edge listens and what it forwards to."""

    port: int
    cache_port: int
    directory: Path
    trusted_keys: dict[str, str]  # key pair id -> base64 SPKI DER public key

    @property
    def conf(self) -> Path:
        return self.directory / "nginx.conf"


def _ident(key: str) -> str:
    return key.replace("-", "_")


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def function_module(name: str, source: Path) -> str:
    """edge-config's function file, byte for byte, plus the export njs requires."""
    return source.read_text() + f"\n// Appended by the twin so njs can import `{name}`.\n" \
        "export default { handler: handler };\n"


def function_adapter_module(name: str) -> str:
    """A two-line njs module binding one function to the CloudFront event adapter."""
    return (
        f"import fn from 'fn_{name}.js';\nimport edge from 'edge.js';\n"
        "function target(r) { return edge.viewerRequestTarget(r, fn.handler); }\n"
        "export default { target: target };\n"
    )


def _cors_maps(key: str, policy: ResponseHeadersPolicy) -> list[str]:
    cors = policy.cors
    assert cors is not None
    ident = _ident(key)
    if cors.varies_by_origin:
        allowed = "".join(f"        {_quote(o)} $http_origin;\n" for o in cors.allow_origins)
    else:
        allowed = '        "~." "*";\n'
    lines = [
        f"    map $http_origin $edge_cors_{ident}_origin {{\n"
        f'        default "";\n{allowed}    }}',
        f"    map $edge_cors_{ident}_origin $edge_cors_{ident}_expose {{\n"
        f'        "" "";\n        default {_quote(", ".join(cors.expose_headers))};\n    }}',
    ]
    preflight_values = {
        "methods": ", ".join(cors.allow_methods),
        "headers": ", ".join(cors.allow_headers),
        "max_age": str(cors.max_age),
    }
    for name, value in preflight_values.items():
        lines.append(
            f"    map $edge_preflight $edge_cors_{ident}_{name} {{\n"
            f'        default "";\n        1 {_quote(value)};\n    }}'
        )
    return lines


def _response_headers(key: str, policy: ResponseHeadersPolicy) -> list[str]:
    lines = []
    for name, value in policy.headers().items():
        # The policy overrides whatever the origin said, as CloudFront's override does.
        lines.append(f"proxy_hide_header {name};")
        lines.append(f"add_header {name} {_quote(value)} always;")
    if policy.cors is not None:
        ident = _ident(key)
        lines += [f"proxy_hide_header {h};" for h in CORS_HEADERS]
        lines += [
            f"add_header Access-Control-Allow-Origin $edge_cors_{ident}_origin always;",
            f"add_header Access-Control-Expose-Headers $edge_cors_{ident}_expose always;",
            f"add_header Access-Control-Allow-Methods $edge_cors_{ident}_methods always;",
            f"add_header Access-Control-Allow-Headers $edge_cors_{ident}_headers always;",
            f"add_header Access-Control-Max-Age $edge_cors_{ident}_max_age always;",
        ]
        if policy.cors.allow_credentials:
            lines.append("add_header Access-Control-Allow-Credentials true always;")
    return lines


def _location(index: int, behavior: Behavior, edge: EdgeConfig) -> str:
    policy = edge.response_headers_policies[behavior.response_headers_policy]
    methods = "|".join(behavior.allowed_methods)
    body = [
        f"# behaviour {index}: {behavior.path} -> {behavior.origin} "
        f"(cache {behavior.cache_policy}{', signed' if behavior.signed else ''})",
        f"if ($request_method !~ ^({methods})$) {{ return 403; }}",
    ]
    if policy.cors is not None:
        body.append("if ($edge_preflight) { return 204; }")
    target = ""
    function = behavior.functions.get("viewer-request")
    if function is not None:
        # `set` evaluates the njs function once per request; the variable is reused.
        body.append(f"set $edge_target $edge_target_{_ident(function)};")
        body.append('if ($edge_target = "") { return 501; }')
        target = "$edge_target"
    if behavior.signed:
        body.append("auth_request /_edge/verdict;")
    if edge.cache_policies[behavior.cache_policy].compress:
        # CloudFront compresses 1 KB..10 MB objects of compressible types for viewers
        # that accept gzip; the cached object stays as the origin sent it.
        body += ["gzip on;", f"gzip_types {' '.join(COMPRESSIBLE_TYPES)};",
                 "gzip_min_length 1000;", "gzip_proxied any;", "gzip_vary on;"]
    body += [
        f"proxy_set_header X-Edge-Behavior {index};",
        "proxy_set_header Host $http_host;",
        "proxy_set_header Connection \"\";",
        "proxy_set_header X-Forwarded-For $remote_addr;",
        f"proxy_pass http://edge_cache{target};",
        *_response_headers(behavior.response_headers_policy, policy),
    ]
    inner = "".join(f"            {line}\n" for line in body)
    return f"        location ~ {_quote(path_pattern_regex(behavior.path))} {{\n{inner}        }}\n"


def _cookie_map(name: str) -> str:
    var = "$edge_" + name.lower().replace("-", "_")
    return (
        f"    map $http_cookie {var} {{\n"
        f'        default "";\n'
        f'        "~(?:^|;)\\s*{name}=(?<value>[^;]*)" $value;\n'
        f"    }}"
    )


def render_nginx_conf(edge: EdgeConfig, twin: NginxEdge) -> str:
    """nginx.conf for the viewer edge, from the loaded edge-config model."""
    d = twin.directory
    functions = sorted(
        {fn for b in edge.behaviors for fn in b.functions.values()
         if edge.functions[fn].event == "viewer-request"}
    )
    imports = "".join(
        f"    js_import edge_fn_{_ident(f)} from fn_{f}_adapter.js;\n"
        f"    js_set $edge_target_{_ident(f)} edge_fn_{_ident(f)}.target;\n"
        for f in functions
    )
    cors_policies = [k for k, p in edge.response_headers_policies.items() if p.cors is not None]
    cors_maps = "\n".join(m for k in cors_policies
                          for m in _cors_maps(k, edge.response_headers_policies[k]))
    cookie_maps = "\n".join(_cookie_map(n) for n in SIGNED_COOKIE_NAMES)
    keys = " ".join(f"{kid}={spki}" for kid, spki in sorted(twin.trusted_keys.items()))
    locations = "".join(_location(i, b, edge) for i, b in enumerate(edge.behaviors))
    user = "user root;\n" if os.geteuid() == 0 else ""
    nofile = min(65536, resource.getrlimit(resource.RLIMIT_NOFILE)[1])
    return f"""# Rendered by twin/edge/nginx.py from edge-config; do not edit.
load_module {NJS_MODULE};
{user}worker_processes auto;
worker_rlimit_nofile {nofile};
daemon off;
pid {d}/nginx.pid;
error_log {d}/error.log warn;

events {{
    worker_connections 8192;
}}

http {{
    access_log off;
    server_tokens off;
    default_type application/octet-stream;
    client_body_temp_path {d}/tmp/body;
    proxy_temp_path {d}/tmp/proxy;
    fastcgi_temp_path {d}/tmp/fastcgi;
    uwsgi_temp_path {d}/tmp/uwsgi;
    scgi_temp_path {d}/tmp/scgi;
    client_max_body_size 1m;
    keepalive_requests 100000;

    js_path {d};
    js_import edge from edge.js;
{imports}    js_var $edge_trusted_keys {_quote(keys)};

{cookie_maps}
    map $request_uri $edge_dir {{
        default "/";
        "~^(?<dir>[^?]*/)" $dir;
    }}
    map "$request_method:$http_access_control_request_method" $edge_preflight {{
        default 0;
        "~^OPTIONS:." 1;
    }}
{cors_maps}

    # Signed-cookie verdicts, keyed by the cookies and the directory asked for.
    proxy_cache_path {d}/verdicts levels=1:2 keys_zone=edge_verdicts:16m max_size=64m
                     inactive=1h use_temp_path=off;

    upstream edge_cache {{
        server 127.0.0.1:{twin.cache_port} max_fails=0;
        keepalive 256;
    }}

    server {{
        listen 127.0.0.1:{twin.port} backlog=4096;
        merge_slashes off;
        proxy_http_version 1.1;
        proxy_read_timeout 65s;
        proxy_buffers 16 64k;

{locations}
        location = /_edge/verdict {{
            internal;
            if ($edge_cloudfront_policy = "") {{ return 403; }}
            if ($edge_cloudfront_signature = "") {{ return 403; }}
            if ($edge_cloudfront_key_pair_id = "") {{ return 403; }}
            proxy_pass http://unix:{d}/{VERIFIER_SOCKET}:/verify;
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
            proxy_set_header X-Edge-Url $scheme://$http_host$request_uri;
            proxy_set_header X-Edge-Dir $scheme://$http_host$edge_dir;
            proxy_cache edge_verdicts;
            proxy_cache_key {VERDICT_KEY};
            proxy_cache_lock on;
            proxy_cache_lock_timeout 2s;
        }}
    }}

    # One line per RSA verification (no cookie values): tests count them.
    log_format verdicts '$msec $status $upstream_http_x_edge_reason$sent_http_x_edge_reason';

    server {{
        listen unix:{d}/{VERIFIER_SOCKET};
        access_log {d}/{VERIFIER_LOG} verdicts;
        location = /verify {{
            js_content edge.verifySignedCookies;
        }}
    }}
}}
"""


def write_nginx_edge(edge: EdgeConfig, twin: NginxEdge) -> Path:
    """Render nginx.conf and the njs modules into the edge's directory."""
    d = twin.directory
    # Verdicts of an earlier run were made with its keys: start empty.
    shutil.rmtree(d / "verdicts", ignore_errors=True)
    for sub in ("tmp", "verdicts"):
        (d / sub).mkdir(parents=True, exist_ok=True)
    shutil.copyfile(ADAPTER, d / "edge.js")
    for name, fn in edge.functions.items():
        if fn.event != "viewer-request":
            continue
        (d / f"fn_{name}.js").write_text(function_module(name, fn.path))
        (d / f"fn_{name}_adapter.js").write_text(function_adapter_module(name))
    twin.conf.write_text(render_nginx_conf(edge, twin))
    return twin.conf
