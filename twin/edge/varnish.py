"""The caching half of the twin's CloudFront, rendered as VCL from edge-config.

Varnish applies each behaviour's cache policy: the cache key (path, query
strings, headers, cookies; never the signed cookies), CloudFront's TTL rules as
`edge.cloudfront` states them (`object_ttl`: default TTL without a lifetime, the
origin's lifetime clamped to [min, max], no-store/no-cache/private honoured only when
min TTL is 0), and `X-Cache`/`Age`. Origin errors are cached as CloudFront caches them
(`edge.cloudfront.error_ttl`: edge-config's error_caching minimum per code, a longer
origin lifetime up to the behaviour's max TTL, no-store honoured only for 404, 410,
414 and 501), an unreachable origin counting as a 5xx. Objects and errors read the
origin's lifetime through one VCL sub, `edge_origin_ttl`, rendered from
`edge.cloudfront.origin_ttl`'s precedence (s-maxage, max-age, Expires; first occurrence;
an invalid argument is stale), rather than Varnish's own reading of those headers. It
reaches the media origin path-style on the S3 stand-in and the API origin through the
ALB stand-in with the secret origin header. Invalidations are bans on the stored path
(`ban_expression`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from edge.cloudfront import (
    CACHED_ERROR_CODES,
    DELTA_SECONDS,
    DELTA_SECONDS_CAP,
    FRESHNESS_DIRECTIVES,
    MAX_REQUEST_BYTES,
    NO_STORE_HONOURED_ERROR_CODES,
    REFUSING_DIRECTIVES,
)
from edge.config import CachePolicy, EdgeConfig
from edge.invalidation import WILDCARD, path_tokens
from edge.origin import ORIGIN_VERIFY_HEADER
from twin.problem_pages import PROBLEM_JSON

SIGNED_COOKIE_RE = r"(^|;\s*)CloudFront-(Policy|Signature|Key-Pair-Id|Expires)=[^;]*"
# Cache-Control directives CloudFront may honour by not caching (when and where differs
# for objects and errors; the subs below say which).
REFUSES_CACHING = (r"(?i)(^|[,\s])(" + "|".join(sorted(REFUSING_DIRECTIVES))
                   + r")([,\s=]|$)")
# Where the origin's lifetime travels between `edge_origin_ttl` and its callers.
ORIGIN_TTL_HEADER = "X-Edge-Origin-Ttl"
# Varnish keeps an uncacheable verdict this long so requests are not queued
# behind one another (hit-for-miss); the next cacheable answer replaces it.
HIT_FOR_MISS = "1s"


@dataclass(frozen=True)
class MediaOrigin:
    """The S3 stand-in, addressed path-style: /<bucket>/<key>."""

    port: int
    bucket: str


@dataclass(frozen=True)
class ApiOrigin:
    """The ALB stand-in; `secret_file` holds the ORIGIN_VERIFY_HEADER value."""

    port: int
    secret_file: Path


@dataclass(frozen=True)
class VarnishEdge:
    port: int
    admin_port: int
    directory: Path
    media: MediaOrigin
    api: ApiOrigin

    @property
    def vcl(self) -> Path:
        return self.directory / "edge.vcl"


def varnish_request_limits() -> list[str]:
    """varnishd parameters taking any request CloudFront forwards (Developer Guide, "Quotas":
    at most 20,480 bytes of request line and headers); Varnish's defaults refuse a header
    line past 8 KB."""
    size = MAX_REQUEST_BYTES + 1024  # room for the headers the edge adds
    return ["-p", f"http_req_hdr_len={size}", "-p", f"http_req_size={2 * size}"]


def _vcl_problem(response: str, detail: str) -> str:
    """A VCL expression for a problem+json body (`twin.problem_pages`' shape) built from
    `response`'s status and reason (`resp` or `beresp`). Long strings cannot hold '"}', so
    the closing brace is preceded by a space."""
    head = '{"{"type":"about:blank","title":""}'
    status = '{"","status":"}'
    tail = '{","detail":' + json.dumps(detail) + ' }"}'
    return f"{head} + {response}.reason + {status} + {response}.status + {tail}"


def _vcl_string(value: str) -> str:
    if '"' in value or "\n" in value:
        return '{"' + value + '"}'
    return f'"{value}"'


def _sub_name(kind: str, key: str) -> str:
    return f"edge_{kind}_{key.replace('-', '_')}"


def _key_sub(key: str, policy: CachePolicy) -> str:
    """vcl_hash body for one cache policy: CloudFront's cache key, nothing more."""
    k = policy.effective().key if policy.managed else policy.key
    lines = ["hash_data(req.http.host);"]
    if k.query_strings == "all":
        lines.append("hash_data(req.url);")
    else:
        lines.append('hash_data(regsub(req.url, "\\?.*$", ""));')
        if isinstance(k.query_strings, list):
            for name in k.query_strings:
                n = re.escape(name)
                lines.append(
                    f'if (req.url ~ "[?&]{n}=") {{ '
                    f'hash_data(regsub(req.url, "^.*[?&]{n}=([^&]*).*$", "\\1")); }}'
                )
    for header in k.headers:
        lines.append(f"hash_data(req.http.{header});")
    if k.cookies == "all":
        lines.append(f'hash_data(regsuball(req.http.Cookie, "{SIGNED_COOKIE_RE}", ""));')
    elif isinstance(k.cookies, list):
        for name in k.cookies:
            if name.startswith("CloudFront-"):
                continue  # signed cookies never belong in the key
            n = re.escape(name)
            lines.append(
                f'if (req.http.Cookie ~ "(^|;\\s*){n}=") {{ '
                f'hash_data(regsub(req.http.Cookie, "^(.*;\\s*)?{n}=([^;]*).*$", "\\2")); }}'
            )
    body = "".join(f"    {line}\n" for line in lines)
    return f"sub {_sub_name('key', key)} {{\n{body}}}\n"


def _directive_present(name: str) -> str:
    """A VCL regex: the Cache-Control list holds directive `name` (with or without value)."""
    return rf"(?i)(^|,)\s*{re.escape(name)}\s*(=|,|$)"


def _first_argument(name: str) -> str:
    """A VCL regex whose group 1 is the raw argument of directive `name`'s first occurrence
    (empty without one): elements before it are skipped only if they are not `name`."""
    n = re.escape(name)
    return rf"(?i)^(?:(?!\s*{n}\s*(?:=|,|$))[^,]*,)*\s*{n}\s*(?:=([^,]*))?(?:,.*)?$"


def _origin_ttl_sub() -> str:
    """`edge.cloudfront.origin_ttl` in VCL: the origin's lifetime as "<seconds>s" in the
    ORIGIN_TTL_HEADER, unset when the headers give none. Varnish has joined several
    Cache-Control lines into one list before VCL runs."""
    header = f"beresp.http.{ORIGIN_TTL_HEADER}"
    present = {name: f'beresp.http.Cache-Control ~ "{_directive_present(name)}"'
               for name in FRESHNESS_DIRECTIVES}
    first = "".join(
        f'        {"if" if i == 0 else "} elsif"} ({present[name]}) {{\n'
        f"            set {header} = regsub(beresp.http.Cache-Control,\n"
        f'                "{_first_argument(name)}", "\\1");\n'
        for i, name in enumerate(FRESHNESS_DIRECTIVES))
    # A VCL string cannot hold a quote, so the argument's pattern goes in a long string.
    argument = _vcl_string(f"^{DELTA_SECONDS}$")
    return f"""sub edge_origin_ttl {{
    # {" > ".join(FRESHNESS_DIRECTIVES)} > Expires (edge.cloudfront.origin_ttl)
    unset {header};
    if ({" || ".join(present.values())}) {{
        # the first of them present decides, at its first occurrence; invalid: stale
{first}        }}
        if ({header} ~ {argument}) {{
            set {header} = regsub({header}, {argument}, "\\1s");
            if ({header} ~ "^[0-9]{{{len(str(DELTA_SECONDS_CAP)) + 1},}}s$") {{
                set {header} = "{DELTA_SECONDS_CAP}s";  # RFC 9111 §1.2.2
            }}
        }} else {{
            set {header} = "0s";
        }}
    }} elsif (beresp.http.Expires) {{
        # seconds to its date, negative when past; an unreadable date counts as now (stale)
        set {header} = "" + (std.time(beresp.http.Expires, now) - now) + "s";
    }}
}}
"""


def _ttl_sub(key: str, policy: CachePolicy) -> str:
    """vcl_backend_response body for one cache policy: `edge.cloudfront.object_ttl`."""
    p = policy.effective()
    if p.min_ttl == 0:
        refuse = (
            f"        set beresp.uncacheable = true;\n        set beresp.ttl = {HIT_FOR_MISS};\n"
            "        return (deliver);\n"
        )
    else:
        refuse = f"        set beresp.ttl = {p.min_ttl}s;\n"
    header = f"beresp.http.{ORIGIN_TTL_HEADER}"
    return f"""sub {_sub_name('ttl', key)} {{
    # min {p.min_ttl}s, default {p.default_ttl}s, max {p.max_ttl}s
    if (beresp.http.Cache-Control ~ "{REFUSES_CACHING}") {{
{refuse}    }} else {{
        call edge_origin_ttl;
        if ({header}) {{
            set beresp.ttl = std.duration({header}, 0s);
            if (beresp.ttl < {p.min_ttl}s) {{ set beresp.ttl = {p.min_ttl}s; }}
            if (beresp.ttl > {p.max_ttl}s) {{ set beresp.ttl = {p.max_ttl}s; }}
            unset {header};
        }} else {{
            set beresp.ttl = {p.default_ttl}s;
        }}
    }}
    if (beresp.ttl <= 0s) {{
        set beresp.uncacheable = true;
        set beresp.ttl = {HIT_FOR_MISS};
        return (deliver);
    }}
}}
"""


def _status_in(codes) -> str:
    return "(" + " || ".join(f"beresp.status == {c}" for c in sorted(codes)) + ")"


def _error_min_ttl_sub(edge: EdgeConfig) -> str:
    """The Error Caching Minimum TTL per code, as `EdgeConfig.error_caching_min_ttl` says."""
    branches = " els".join(
        f"if (beresp.status == {code}) {{\n        set beresp.ttl = "
        f"{edge.error_caching_min_ttl(code)}s;\n    }}"
        for code in sorted(CACHED_ERROR_CODES)
    )
    return f"""sub edge_error_min_ttl {{
    # CloudFront's Error Caching Minimum TTL per status code (edge-config error_caching)
    {branches} else {{
        set beresp.ttl = 0s;
    }}
}}
"""


def _error_sub(key: str, policy: CachePolicy) -> str:
    """vcl_backend_response for an origin error under one cache policy:
    `edge.cloudfront.error_ttl`, the origin's own lifetime capped at max TTL."""
    max_ttl = policy.effective().max_ttl
    header = f"beresp.http.{ORIGIN_TTL_HEADER}"
    return f"""sub {_sub_name('error', key)} {{
    # errors: origin lifetimes capped at max {max_ttl}s
    if (!{_status_in(CACHED_ERROR_CODES)}
        || ({_status_in(NO_STORE_HONOURED_ERROR_CODES)}
            && beresp.http.Cache-Control ~ "{REFUSES_CACHING}")) {{
        set beresp.uncacheable = true;
        set beresp.ttl = {HIT_FOR_MISS};
        return (deliver);
    }}
    call edge_error_min_ttl;
    call edge_origin_ttl;
    if ({header}) {{
        if (std.duration({header}, 0s) > {max_ttl}s) {{
            set {header} = "{max_ttl}s";
        }}
        if (std.duration({header}, 0s) > beresp.ttl) {{
            set beresp.ttl = std.duration({header}, 0s);
        }}
        unset {header};
    }}
    if (beresp.ttl <= 0s) {{
        set beresp.uncacheable = true;
        set beresp.ttl = {HIT_FOR_MISS};
    }}
}}
"""


def _origin_request(edge: EdgeConfig, index: int, twin: VarnishEdge) -> str:
    """vcl_backend_fetch body for one behaviour: its origin and forwarded headers."""
    b = edge.behaviors[index]
    origin = edge.origins[b.origin]
    orp = edge.origin_request_policies.get(b.origin_request_policy or "")
    forwards = orp.forwarded_headers if orp else ()
    lines = []
    if origin.kind == "s3":
        lines += [
            "set bereq.backend = media;",
            f'set bereq.url = "/{twin.media.bucket}" + regsub(bereq.url, "\\?.*$", "");',
            f'set bereq.http.Host = "127.0.0.1:{twin.media.port}";',
        ]
    else:
        lines += [
            "set bereq.backend = api;",
            f'set bereq.http.{ORIGIN_VERIFY_HEADER} = std.fileread("{twin.api.secret_file}");',
            f'set bereq.http.Host = "127.0.0.1:{twin.api.port}";',
        ]
    if "*" not in forwards:
        # Only what the origin-request policy names (and the cache key) reaches the origin.
        lines += ["unset bereq.http.Cookie;", "unset bereq.http.Authorization;"]
    body = "".join(f"        {line}\n" for line in lines)
    return f'    if (bereq.http.X-Edge-Behavior == "{index}") {{\n{body}    }}'


def render_vcl(edge: EdgeConfig, twin: VarnishEdge) -> str:
    """The edge's VCL, from the loaded edge-config model."""
    # The twin is a stack without an origin certificate: its ALB (HAProxy) is plain HTTP on
    # loopback, as edge-config's fallback_protocol, so only the timeouts are rendered.
    api_origin = edge.alb_origin
    read_timeout = api_origin.read_timeout if api_origin else 30
    used_policies = sorted({b.cache_policy for b in edge.behaviors})
    subs = _error_min_ttl_sub(edge) + _origin_ttl_sub() + "".join(
        _key_sub(k, edge.cache_policies[k]) + _ttl_sub(k, edge.cache_policies[k])
        + _error_sub(k, edge.cache_policies[k])
        for k in used_policies
    )
    n = len(edge.behaviors)
    cached_methods = {
        i: "|".join(m for m in b.cached_methods if m != "OPTIONS")
        for i, b in enumerate(edge.behaviors)
    }
    recv = "\n".join(
        f'    {"if" if i == 0 else "} elsif"} (req.http.X-Edge-Behavior == "{i}") {{\n'
        f'        if (req.method !~ "^({cached_methods[i]})$") {{ return (pass); }}'
        for i in range(n)
    )
    hash_calls = "\n".join(
        f'    {"if" if i == 0 else "} elsif"} (req.http.X-Edge-Behavior == "{i}") {{\n'
        f"        call {_sub_name('key', b.cache_policy)};"
        for i, b in enumerate(edge.behaviors)
    )
    fetch = " else\n".join(_origin_request(edge, i, twin) for i in range(n))
    error_calls = "\n".join(
        f'        {"if" if i == 0 else "} elsif"} (bereq.http.X-Edge-Behavior == "{i}") {{\n'
        f"            call {_sub_name('error', b.cache_policy)};"
        for i, b in enumerate(edge.behaviors)
    )
    ttl_calls = "\n".join(
        f'    {"if" if i == 0 else "} elsif"} (bereq.http.X-Edge-Behavior == "{i}") {{\n'
        f"        call {_sub_name('ttl', b.cache_policy)};"
        for i, b in enumerate(edge.behaviors)
    )
    return f"""vcl 4.1;
# Rendered by twin/edge/varnish.py from edge-config; do not edit.
import std;

backend media {{
    .host = "127.0.0.1";
    .port = "{twin.media.port}";
    .connect_timeout = 1s;
    .first_byte_timeout = 10s;
    .between_bytes_timeout = 10s;
}}

backend api {{
    .host = "127.0.0.1";
    .port = "{twin.api.port}";
    .connect_timeout = 1s;
    .first_byte_timeout = {read_timeout}s;
    .between_bytes_timeout = {read_timeout}s;
}}

{subs}
sub vcl_recv {{
    # Only the viewer edge (nginx) talks to this cache; it names the behaviour.
{recv}
    }} else {{
        return (synth(400, "No edge behaviour"));
    }}
    return (hash);
}}

sub vcl_hash {{
{hash_calls}
    }}
    return (lookup);
}}

sub vcl_backend_fetch {{
    set bereq.http.X-Edge-Path = regsub(bereq.url, "\\?.*$", "");
{fetch}
    return (fetch);
}}

sub vcl_backend_response {{
    set beresp.http.X-Edge-Path = bereq.http.X-Edge-Path;
    if (beresp.http.Cache-Control !~ "stale-while-revalidate") {{
        set beresp.grace = 0s;
    }}
    if (beresp.status >= 400) {{
        # CloudFront's error caching (a request vcl_recv passed stays uncached whatever
        # the TTL); errors are never served stale.
        set beresp.grace = 0s;
{error_calls}
        }}
        return (deliver);
    }}
{ttl_calls}
    }}
    return (deliver);
}}

sub vcl_backend_error {{
    # CloudFront counts an origin it cannot reach as a 5xx from the origin and caches it
    # for that code's minimum TTL (no headers to lengthen it); a ban can remove it.
    set beresp.http.X-Edge-Path = bereq.http.X-Edge-Path;
    set beresp.http.X-Cache = "Error from cloudfront";
    set beresp.http.Content-Type = "{PROBLEM_JSON}";
    set beresp.http.Cache-Control = "no-store";
    synthetic({_vcl_problem("beresp", "The origin could not be reached.")});
    call edge_error_min_ttl;
    set beresp.grace = 0s;
    if (beresp.ttl <= 0s) {{
        set beresp.uncacheable = true;
        set beresp.ttl = {HIT_FOR_MISS};
    }}
    return (deliver);
}}

sub vcl_deliver {{
    if (resp.status >= 400) {{
        set resp.http.X-Cache = "Error from cloudfront";
        if (obj.uncacheable || obj.hits == 0) {{
            unset resp.http.Age;  # as for misses: Age only when served from the error cache
        }}
    }} elsif (obj.uncacheable || obj.hits == 0) {{
        set resp.http.X-Cache = "Miss from cloudfront";
        unset resp.http.Age;  # CloudFront sends Age only with cached answers
    }} else {{
        set resp.http.X-Cache = "Hit from cloudfront";
    }}
    set resp.http.Via = "1.1 edgeflix-twin (CloudFront)";
    unset resp.http.X-Edge-Path;
    unset resp.http.X-Varnish;
    return (deliver);
}}

sub vcl_synth {{
    set resp.http.X-Cache = "Error from cloudfront";
    set resp.http.Content-Type = "{PROBLEM_JSON}";
    set resp.http.Cache-Control = "no-store";
    synthetic({_vcl_problem("resp", "The edge refused the request.")});
    return (deliver);
}}
"""


def ban_expression(path: str) -> str:
    """A Varnish ban for one CloudFront invalidation path ('*' at the end is a wildcard).

    The path is written as `edge.invalidation` requires (ValueError otherwise) and is
    matched against the URL the viewer sent: a %XX octet in either hex case, and '~' or
    '*' raw as well as encoded, since viewers send those raw. Literal characters go in
    brackets, so the CLI needs no backslash escapes.
    """
    tokens = path_tokens(path)
    regex = "".join(
        ".*" if token == WILDCARD and index == len(tokens) - 1
        else _octet_regex(token) if token.startswith("%")
        else token if token.isalnum() or token in "/-_"
        else f"[{token}]"
        for index, token in enumerate(tokens)
    )
    return f'obj.http.X-Edge-Path ~ "^{regex}$"'


def _octet_regex(octet: str) -> str:
    """'%7E' -> '(?:%7[eE]|[~])': both hex cases, and the raw character where viewers send it."""
    encoded = "%" + "".join(f"[{c.lower()}{c}]" if c.isalpha() else c for c in octet[1:])
    raw = chr(int(octet[1:], 16))
    return f"(?:{encoded}|[{raw}])" if raw in "~*" else encoded


def write_varnish_edge(edge: EdgeConfig, twin: VarnishEdge) -> Path:
    """Render the VCL into the cache's directory."""
    twin.directory.mkdir(parents=True, exist_ok=True)
    twin.vcl.write_text(render_vcl(edge, twin))
    return twin.vcl

