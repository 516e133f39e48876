"""The viewer-facing half of the twin's CloudFront, rendered for nginx + njs.

nginx picks the behaviour (first match, CloudFront path patterns, as regex
locations in edge-config order), runs the behaviour's viewer-request function
(edge-config's own file, through the njs adapter in `edge.js`), enforces signed
cookies on `signed` behaviours, answers CORS preflights, and adds the
response-headers policy, and serves byte ranges as CloudFront does (a Range
CloudFront ignores gets the whole object; see `rangeIgnored` in `edge.js`), and
answers the errors it raises itself as problem+json (`OWN_ERRORS`).
Caching is Varnish's job (`varnish.py`): it always answers nginx with the whole
object; nginx tells it which behaviour matched in `X-Edge-Behavior`.
"""

from __future__ import annotations

import os
import resource
import shutil
from dataclasses import dataclass
from pathlib import Path

from edge.cloudfront import MAX_REQUEST_BYTES, MAX_URL_BYTES, path_pattern_regex
from edge.config import Behavior, EdgeConfig, ResponseHeadersPolicy
from twin.problem_pages import PROBLEM_JSON, problem_body

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
# Errors the edge answers itself, as problem+json. nginx says 494 for a request header
# too large (RFC 6585 section 5: 431); 414 is a request line past its buffer.
OWN_ERRORS = {
    400: "The edge could not parse the request.",
    403: "The request is not allowed here (method, or a missing or invalid signed cookie).",
    404: "No such path at the edge.",
    405: "Method not allowed.",
    408: "The request was not received in time.",
    411: "A body needs a Content-Length.",
    413: "The request body is too large.",
    414: "The request URI is too long.",
    416: "No requested range is within the object.",
    431: "The request headers are too large.",
    500: "The edge failed.",
    501: "The edge does not implement this request.",
    502: "The origin answered with an invalid response.",
    503: "The origin is not available.",
    504: "The origin did not answer in time.",
}
NGINX_STATUS = {431: 494}
  # nginx's own code for the same refusal
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


def _error_pages() -> list[str]:
    """error_page lines sending each of the edge's own errors to its problem location."""
    return [
        f"error_page {NGINX_STATUS.get(code, code)} ={code} /_edge/problem/{code};"
        for code in OWN_ERRORS
    ]


def _problem_locations() -> str:
    """One internal location per own error, answering its problem document."""
    return "".join(
        f"        location = /_edge/problem/{code} {{\n"
        f"            internal;\n"
        f"            default_type {PROBLEM_JSON};\n"
        f'            add_header Cache-Control "no-store" always;\n'
        f"            return {code} {_quote(problem_body(code, detail))};\n"
        f"        }}\n"
        for code, detail in OWN_ERRORS.items()
    )


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
        # Varnish answers with the whole object; nginx serves the viewer's ranges from it.
        'proxy_set_header Range "";',
        f"proxy_set_header X-Edge-Behavior {index};",
        "proxy_set_header Host $http_host;",
        "proxy_set_header Connection \"\";",
        "proxy_set_header X-Forwarded-For $remote_addr;",
        f"proxy_pass http://edge_cache{target};",
        *_response_headers(behavior.response_headers_policy, policy),
    ]
    # A Range CloudFront ignores (edge.js rangeIgnored) goes to a twin of this location
    # that does not serve ranges: the whole object, 200. Several ranges go to one that
    # builds multipart/byteranges in njs (nginx serves one range of a proxied answer).
    ranged = [
        body[0],
        *_error_pages(),
        f'if ($request_uri ~ "^.{{{MAX_URL_BYTES + 1}}}") {{ return 414; }}',
        f"error_page 418 = @edge_whole_{index};",
        f"error_page 419 = @edge_ranges_{index};",
        "if ($edge_range_ignored) { return 418; }",
        "if ($edge_range_multiple) { return 419; }",
        *body[1:],
        "proxy_force_ranges on;",
    ]
    multiple = [line for line in body if not line.startswith(("proxy_", "gzip"))]
    multiple += [f"set $edge_behavior {index};", "js_content edge.serveRanges;"]
    return "".join(
        f"        location {where} {{\n"
        + "".join(f"            {line}\n" for line in lines)
        + "        }\n"
        for where, lines in (
            (f"~ {_quote(path_pattern_regex(behavior.path))}", ranged),
            (f"@edge_whole_{index}", body),
            (f"@edge_ranges_{index}", multiple),
        )
    )


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
    error_pages = "".join(f"        {line}\n" for line in _error_pages())
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
    js_set $edge_range_ignored edge.rangeIgnored;
    js_set $edge_range_multiple edge.rangeMultiple;
    js_var $edge_cache_addr 127.0.0.1:{twin.cache_port};
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

{error_pages}
        # CloudFront's quotas: a URL of at most {MAX_URL_BYTES} bytes, a request (line and
        # headers) of at most {MAX_REQUEST_BYTES} bytes. The buffers take any line of such a
        # request; a longer URL is 414 as at CloudFront (in each behaviour).
        large_client_header_buffers 4 {MAX_REQUEST_BYTES + 64};
{locations}
{_problem_locations()}
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
    # nginx leaves its unix socket behind when killed (or when the machine stops); a
    # leftover one makes the next start fail with EADDRINUSE. No nginx of this twin is
    # running here: the twin refuses to start over a running one.
    (d / VERIFIER_SOCKET).unlink(missing_ok=True)
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
