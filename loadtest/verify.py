"""`python -m loadtest.verify`: post-deploy smoke checks of a live edgeflix endpoint.

Each check prints PASS, FAIL or SKIP with its reason; any FAIL exits non-zero. The target is
--url, else the running local twin, else the selected Pulumi stack's outputs.

Playback needs a signed-in viewer: against the twin (a loopback target) verify signs up its
own account; against a deployed stack it signs in with --email/--password (or
EDGEFLIX_VERIFY_EMAIL / EDGEFLIX_VERIFY_PASSWORD), and without them SKIPs the checks that
need a grant, saying so.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from http.cookiejar import DefaultCookiePolicy
from urllib.parse import urlsplit

import m3u8
import requests

from edge.origin import ORIGIN_VERIFY_HEADER
from infra import outputs
from loadtest.accounts import SignInFailed, ViewerCredentials, sign_in, sign_up_and_sign_in
from loadtest.target import Target, TargetError, check_allowed, is_loopback_url, twin_target

TIMEOUT = (5, 15)
TITLES = "/api/v1/titles"
COOKIE_NAMES = ("CloudFront-Policy", "CloudFront-Signature", "CloudFront-Key-Pair-Id")
SECURITY_HEADERS = {
    "Strict-Transport-Security": lambda v: bool(re.search(r"max-age=[1-9]\d*", v or "")),
    "X-Content-Type-Options": lambda v: (v or "").strip().lower() == "nosniff",
    "X-Frame-Options": lambda v: (v or "").strip().upper() == "DENY",
}


class CheckFailed(Exception):
    """A check's verdict: FAIL with this reason."""


class CheckSkipped(Exception):
    """A check that cannot run here; the reason says why."""


@dataclass
class Result:
    name: str
    status: str  # PASS | FAIL | SKIP
    reason: str


@dataclass
class Verifier:
    """The checks, in order; later ones reuse what earlier ones learnt (a title, cookies)."""

    cdn_url: str
    origin_url: str | None = None
    session: requests.Session = field(default_factory=requests.Session)
    title_ids: list[str] = field(default_factory=list)
    grant: dict | None = None
    seen: dict[str, requests.Response] = field(default_factory=dict)
    # Who signs in for playback: these credentials, else (a twin) an account of its own.
    viewer: ViewerCredentials | None = None
    can_sign_up: bool = False
    no_grant_reason: str = ""

    def __post_init__(self) -> None:
        # Cookies travel only when a check sends them itself.
        self.session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))

    # --- plumbing ------------------------------------------------------------------

    def get(self, path_or_url: str, **kwargs) -> requests.Response:
        url = path_or_url if "://" in path_or_url else self.cdn_url + path_or_url
        try:
            return self.session.get(url, timeout=TIMEOUT, allow_redirects=False, **kwargs)
        except requests.RequestException as exc:
            raise CheckFailed(f"GET {url}: {type(exc).__name__}: {exc}") from None

    def expect_status(self, resp: requests.Response, status: int) -> None:
        if resp.status_code != status:
            raise CheckFailed(
                f"{resp.request.method} {urlsplit(resp.url).path} gave {resp.status_code}, "
                f"expected {status}"
            )

    def cookie_header(self) -> dict:
        cookies = (self.grant or {}).get("cookies") or {}
        return {"Cookie": "; ".join(f"{k}={cookies[k]}" for k in COOKIE_NAMES if k in cookies)}

    def access_token(self) -> str:
        """A viewer's access token; CheckSkipped without credentials for a deployed stack."""
        try:
            if self.viewer is not None:
                return sign_in(self.cdn_url, self.viewer, session=self.session)
            if self.can_sign_up:
                return sign_up_and_sign_in(self.cdn_url, ViewerCredentials.generated("verify"),
                                           session=self.session)
        except (SignInFailed, requests.RequestException) as exc:
            raise CheckFailed(f"sign-in: {exc}") from None
        raise CheckSkipped("no viewer to sign in as: pass --email and --password (or set "
                           "EDGEFLIX_VERIFY_EMAIL and EDGEFLIX_VERIFY_PASSWORD) for a "
                           "pre-provisioned account of this stack's user pool")

    def need_grant(self) -> dict:
        if not self.grant and self.no_grant_reason:
            raise CheckSkipped(f"needs a playback grant: {self.no_grant_reason}")
        if not self.grant:
            raise CheckFailed("needs a playback grant, and the playback check failed")
        return self.grant

    # --- checks --------------------------------------------------------------------

    def check_health(self) -> str:
        resp = self.get("/healthz")
        self.expect_status(resp, 200)
        self.seen["/healthz"] = resp
        return f"GET /healthz through the CDN: 200 ({resp.headers.get('X-Cache', 'no X-Cache')})"

    def check_titles_cacheable(self) -> str:
        resp = self.get(f"{TITLES}?limit=100")
        self.expect_status(resp, 200)
        self.seen[TITLES] = resp
        try:
            body = resp.json()
        except ValueError:
            raise CheckFailed("titles response is not JSON") from None
        items = body.get("items") or body.get("titles") or []
        self.title_ids = [t["id"] for t in items if isinstance(t, dict) and t.get("id")]
        if not self.title_ids:
            raise CheckFailed("the catalog lists no titles (was the library published?)")
        cache_control = resp.headers.get("Cache-Control", "")
        directives = {d.strip().split("=")[0].lower() for d in cache_control.split(",")}
        if "public" not in directives or not directives & {"s-maxage", "max-age"}:
            raise CheckFailed(f"Cache-Control {cache_control!r} is not public with a max-age")
        etag = resp.headers.get("ETag")
        if not etag:
            raise CheckFailed("no ETag on the titles response")
        again = self.get(f"{TITLES}?limit=100", headers={"If-None-Match": etag})
        self.expect_status(again, 304)
        return (
            f"{len(self.title_ids)} titles; Cache-Control {cache_control!r}; ETag; "
            f"304 on If-None-Match"
        )

    def check_titles_paging(self) -> str:
        """The edge keeps the API's paging parameter in the request and the cache key."""
        if len(self.title_ids) < 2:
            raise CheckSkipped("needs at least two titles")
        pages = []
        for query in ("?limit=1", "?limit=1&offset=1"):
            resp = self.get(TITLES + query)
            self.expect_status(resp, 200)
            items = resp.json().get("items") or resp.json().get("titles") or []
            pages.append([t.get("id") for t in items])
        if pages[0] == pages[1]:
            raise CheckFailed(
                f"offset=1 returned the first page again ({pages[0]}): the edge drops or does "
                "not key on the paging parameter"
            )
        return f"limit=1 gives {pages[0]}, limit=1&offset=1 gives {pages[1]}"

    def check_playback_requires_sign_in(self) -> str:
        if not self.title_ids:
            raise CheckFailed("needs a title id, and the titles check failed")
        url = f"{self.cdn_url}{TITLES}/{self.title_ids[0]}/playback"
        try:
            resp = self.session.post(url, json={}, timeout=TIMEOUT, allow_redirects=False)
        except requests.RequestException as exc:
            raise CheckFailed(f"POST {url}: {type(exc).__name__}: {exc}") from None
        self.expect_status(resp, 401)
        challenge = resp.headers.get("WWW-Authenticate", "")
        if not challenge.startswith("Bearer"):
            raise CheckFailed(f"401 without a Bearer challenge (WWW-Authenticate {challenge!r})")
        return f"no bearer token: 401, WWW-Authenticate {challenge!r}"

    def check_playback_cookies(self) -> str:
        if not self.title_ids:
            raise CheckFailed("needs a title id, and the titles check failed")
        title_id = self.title_ids[0]
        url = f"{self.cdn_url}{TITLES}/{title_id}/playback"
        try:
            token = self.access_token()
        except CheckSkipped as exc:
            self.no_grant_reason = str(exc)
            raise
        try:
            resp = self.session.post(url, json={}, timeout=TIMEOUT, allow_redirects=False,
                                     headers={"Authorization": f"Bearer {token}"})
        except requests.RequestException as exc:
            raise CheckFailed(f"POST {url}: {type(exc).__name__}: {exc}") from None
        self.expect_status(resp, 200)
        grant = resp.json()
        missing = [k for k in COOKIE_NAMES if k not in (grant.get("cookies") or {})]
        if missing:
            raise CheckFailed(f"playback JSON lacks cookies {missing}")
        manifest = grant.get("manifest_url", "")
        if not manifest.startswith(self.cdn_url + "/video/"):
            raise CheckFailed(f"manifest_url {manifest!r} is not on the CDN under test")
        cache_control = resp.headers.get("Cache-Control", "")
        if "no-store" not in cache_control and "private" not in cache_control:
            raise CheckFailed(f"playback response is cacheable: Cache-Control {cache_control!r}")
        problems = cookie_attribute_problems(
            set_cookie_headers(resp), title_id, require_secure=not self.plain_http_loopback
        )
        if problems:
            raise CheckFailed("; ".join(problems))
        self.grant = grant
        secure = "" if not self.plain_http_loopback else " (Secure not required on http loopback)"
        return f"3 signed cookies for /video/{title_id}/, HttpOnly, SameSite{secure}"

    @property
    def plain_http_loopback(self) -> bool:
        return self.cdn_url.startswith("http://") and is_loopback_url(self.cdn_url)

    def check_video_needs_cookies(self) -> str:
        grant = self.need_grant()
        manifest = grant["manifest_url"]
        resp = self.get(manifest)
        self.expect_status(resp, 403)
        reasons = ["no cookie: 403"]
        other = next((t for t in self.title_ids if t != grant.get("title_id")), None)
        if other:
            # Cookies are scoped to one title's folder.
            resp = self.get(f"/video/{other}/master.m3u8", headers=self.cookie_header())
            self.expect_status(resp, 403)
            reasons.append(f"cookies of another title: 403 for {other}")
        return "; ".join(reasons)

    def check_video_with_cookies_cached(self) -> str:
        grant = self.need_grant()
        headers = self.cookie_header()
        master_url = grant["manifest_url"]
        first = self.get(master_url, headers=headers)
        self.expect_status(first, 200)
        master = m3u8.loads(first.text, uri=master_url)
        if not master.playlists:
            raise CheckFailed("master playlist lists no variants")
        variant_url = master.playlists[0].absolute_uri
        variant = self.get(variant_url, headers=headers)
        self.expect_status(variant, 200)
        media = m3u8.loads(variant.text, uri=variant_url)
        if not media.segments:
            raise CheckFailed(f"{urlsplit(variant_url).path} lists no segments")
        segment_url = media.segments[0].absolute_uri
        verdicts = []
        for label, url in (("master", master_url), ("segment", segment_url)):
            self.expect_status(self.get(url, headers=headers), 200)
            second = self.get(url, headers=headers)
            self.expect_status(second, 200)
            x_cache = second.headers.get("X-Cache", "")
            if not x_cache.lower().startswith(("hit", "refreshhit")):
                raise CheckFailed(f"second fetch of the {label} gave X-Cache {x_cache!r}, not Hit")
            self.seen[label] = second
            verdicts.append(f"{label} 200 then {x_cache!r}")
        return "; ".join(verdicts)

    def check_origin_refuses_direct_access(self) -> str:
        if not self.origin_url:
            raise CheckSkipped("origin URL unknown: pass --origin-url (the ALB's URL)")
        url = f"{self.origin_url}{TITLES}"
        try:
            resp = self.session.get(url, timeout=(3, 10), allow_redirects=False)
        except (requests.ConnectionError, requests.Timeout) as exc:
            if is_loopback_url(self.origin_url):
                raise CheckFailed(f"origin {self.origin_url} is not answering: {exc}") from None
            return f"{url} is unreachable from here ({type(exc).__name__}): refused at the network"
        self.expect_status(resp, 403)
        return f"GET {url} without {ORIGIN_VERIFY_HEADER}: 403"

    def check_security_headers(self) -> str:
        responses = dict(self.seen)
        if not responses:
            raise CheckFailed("no CDN response to inspect (earlier checks failed)")
        problems = []
        for label, resp in responses.items():
            for header, ok in SECURITY_HEADERS.items():
                if not ok(resp.headers.get(header)):
                    problems.append(f"{label}: {header}={resp.headers.get(header)!r}")
        if problems:
            raise CheckFailed("; ".join(problems))
        return f"HSTS, nosniff and frame DENY on {', '.join(responses)}"

    def checks(self) -> list[tuple[str, Callable[[], str]]]:
        return [
            ("health through the CDN", self.check_health),
            ("titles cacheable", self.check_titles_cacheable),
            ("titles paging through the CDN", self.check_titles_paging),
            ("playback refused without sign-in", self.check_playback_requires_sign_in),
            ("playback sets signed cookies", self.check_playback_cookies),
            ("video refused without cookies", self.check_video_needs_cookies),
            ("video with cookies, cached on second fetch", self.check_video_with_cookies_cached),
            ("origin refuses direct access", self.check_origin_refuses_direct_access),
            ("security headers", self.check_security_headers),
        ]

    def run(self) -> list[Result]:
        results = []
        for name, check in self.checks():
            try:
                results.append(Result(name, "PASS", check()))
            except CheckFailed as exc:
                results.append(Result(name, "FAIL", str(exc)))
            except CheckSkipped as exc:
                results.append(Result(name, "SKIP", str(exc)))
            except Exception as exc:  # a check's bug or a malformed answer is still a FAIL
                results.append(Result(name, "FAIL", f"{type(exc).__name__}: {exc}"))
        return results


def set_cookie_headers(resp: requests.Response) -> list[str]:
    """Every Set-Cookie header, unmerged (Expires dates contain commas)."""
    raw = getattr(resp.raw, "headers", None)
    if raw is not None and hasattr(raw, "getlist"):
        return list(raw.getlist("Set-Cookie"))
    value = resp.headers.get("Set-Cookie")
    return [value] if value else []


def cookie_attribute_problems(headers: list[str], title_id: str, require_secure: bool) -> list[str]:
    """What is wrong with the three CloudFront Set-Cookie headers of a playback answer."""
    problems = []
    by_name = {h.split("=", 1)[0].strip(): h for h in headers}
    for name in COOKIE_NAMES:
        header = by_name.get(name)
        if header is None:
            problems.append(f"no Set-Cookie for {name}")
            continue
        attrs = {}
        for part in header.split(";")[1:]:
            key, _, value = part.strip().partition("=")
            attrs[key.lower()] = value
        if "httponly" not in attrs:
            problems.append(f"{name} is not HttpOnly")
        if require_secure and "secure" not in attrs:
            problems.append(f"{name} is not Secure")
        if "samesite" not in attrs:
            problems.append(f"{name} has no SameSite")
        if not attrs.get("path", "").startswith(f"/video/{title_id}"):
            problems.append(
                f"{name} Path {attrs.get('path')!r} is not scoped to /video/{title_id}/"
            )
        if "expires" not in attrs and "max-age" not in attrs:
            problems.append(f"{name} never expires (no Expires/Max-Age)")
    return problems


def pulumi_target(stack: str | None) -> Target:
    """CDN and ALB URLs from the outputs of the selected (or given) Pulumi stack."""
    try:
        found = outputs.read_stack_outputs(stack)
    except outputs.StackOutputsUnavailable as exc:
        raise TargetError(str(exc)) from None
    return target_from_outputs(found, f"pulumi stack {stack or '(selected)'}")


def target_from_outputs(stack_outputs: dict, source: str = "pulumi") -> Target:
    """The CDN URL and the origin (ALB) URL among the outputs the program exports."""
    cdn = outputs.output(stack_outputs, outputs.CDN_URL)
    if not cdn:
        raise TargetError(f"the stack outputs have no {outputs.CDN_URL}: {sorted(stack_outputs)}")
    origin = outputs.output(stack_outputs, outputs.ALB_URL)
    return Target(cdn.rstrip("/"), origin.rstrip("/") if origin else None, source)


def resolve_target(args: argparse.Namespace) -> Target:
    if args.url:
        return Target(check_allowed(args.url, args.allow_remote), args.origin_url, "--url")
    if args.stack:
        found = pulumi_target(args.stack)
    else:
        try:
            found = twin_target()
        except TargetError as twin_error:
            try:
                found = pulumi_target(None)
            except TargetError as stack_error:
                raise TargetError(f"{twin_error}; and {stack_error}") from None
    origin = args.origin_url or found.origin_url
    return Target(found.cdn_url, origin.rstrip("/") if origin else None, found.source)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m loadtest.verify", description=__doc__)
    p.add_argument("--url", help="CDN base URL (default: the twin, else the Pulumi stack)")
    p.add_argument("--origin-url", help="the origin (ALB) URL, to check it refuses direct access")
    p.add_argument("--stack", help="read the URLs from this Pulumi stack's outputs")
    p.add_argument("--allow-remote", action="store_true", help="allow a non-loopback --url")
    p.add_argument("--email", default=os.environ.get("EDGEFLIX_VERIFY_EMAIL"),
                   help="a viewer account to sign in as (env EDGEFLIX_VERIFY_EMAIL)")
    p.add_argument("--password", default=os.environ.get("EDGEFLIX_VERIFY_PASSWORD"),
                   help="its password (env EDGEFLIX_VERIFY_PASSWORD)")
    args = p.parse_args(argv)
    try:
        target = resolve_target(args)
    except TargetError as exc:
        print(f"verify: {exc}", file=sys.stderr)
        return 2
    print(f"verify: {target.cdn_url} (origin {target.origin_url or 'unknown'}; {target.source})")
    viewer = ViewerCredentials(args.email, args.password) if args.email and args.password \
        else None
    # Only the twin (moto) confirms an account without a mailbox.
    twin = target.source == "twin" or is_loopback_url(target.cdn_url)
    results = Verifier(target.cdn_url, target.origin_url, viewer=viewer,
                       can_sign_up=twin).run()
    width = max(len(r.name) for r in results)
    for r in results:
        print(f"  {r.status:4}  {r.name:<{width}}  {r.reason}")
    failed = [r for r in results if r.status == "FAIL"]
    print(f"RESULT: {'FAIL' if failed else 'PASS'} ({len(failed)} of {len(results)} checks failed)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
