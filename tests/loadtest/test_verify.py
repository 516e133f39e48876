"""Post-deploy verify: each check's verdict, and a non-zero exit on any failure."""

from __future__ import annotations

import subprocess
import sys

import pytest
from loadtest_stack import REPO_ROOT

from infra import outputs
from loadtest.target import TargetError
from loadtest.verify import Verifier, cookie_attribute_problems, target_from_outputs

GOOD_COOKIE = "Expires=Mon, 23 Nov 2026 22:10:00 GMT; Path=/video/alpha/; HttpOnly; SameSite=Strict"


def good_headers(secure: bool = True) -> list[str]:
    suffix = "; Secure" if secure else ""
    return [
        f"{name}=value; {GOOD_COOKIE}{suffix}"
        for name in ("CloudFront-Policy", "CloudFront-Signature", "CloudFront-Key-Pair-Id")
    ]


def test_well_formed_cookies_have_no_problems():
    assert cookie_attribute_problems(good_headers(), "alpha", require_secure=True) == []


def test_cookie_problems_are_named():
    headers = [h.replace("; HttpOnly", "") for h in good_headers(secure=False)][:2]
    problems = cookie_attribute_problems(headers, "bravo", require_secure=True)
    assert "no Set-Cookie for CloudFront-Key-Pair-Id" in problems
    assert "CloudFront-Policy is not HttpOnly" in problems
    assert "CloudFront-Policy is not Secure" in problems
    assert any("not scoped to /video/bravo/" in p for p in problems)


def test_stack_outputs_give_the_cdn_and_origin_urls():
    found = target_from_outputs({outputs.CDN_URL: "https://d1.cloudfront.net/",
                                 outputs.ALB_URL: "http://alb-1.elb.amazonaws.com"})
    assert (found.cdn_url, found.origin_url) == (
        "https://d1.cloudfront.net",
        "http://alb-1.elb.amazonaws.com",
    )
    with pytest.raises(TargetError, match="no cdn_url"):
        target_from_outputs({outputs.MEDIA_BUCKET: "b"})


@pytest.mark.parametrize("name", ["cdnUrl", "cloudfront_url", "albUrl", "cdn_domain_name"])
def test_only_names_the_program_exports_are_read(name):
    with pytest.raises(TargetError, match="no cdn_url"):
        target_from_outputs({name: "https://d1.cloudfront.net"})


def verdicts(results) -> dict[str, str]:
    return {r.name: r.status for r in results}


def test_an_api_without_an_edge_fails_exactly_the_edge_checks(api_stack):
    """gunicorn straight, video straight from S3: the API's own checks pass, the edge's fail."""
    results = Verifier(api_stack.api_url, origin_url=api_stack.api_url, can_sign_up=True).run()
    reasons = {r.name: r.reason for r in results}
    assert verdicts(results) == {
        "health through the CDN": "PASS",
        "titles cacheable": "PASS",
        "titles paging through the CDN": "PASS",
        "playback refused without sign-in": "PASS",
        # manifest_url points at S3, not at the URL under test
        "playback sets signed cookies": "FAIL",
        "video refused without cookies": "FAIL",
        "video with cookies, cached on second fetch": "FAIL",
        # the API itself does not require X-Origin-Verify: that is the ALB's job
        "origin refuses direct access": "FAIL",
        "security headers": "FAIL",
    }, reasons
    assert "304 on If-None-Match" in reasons["titles cacheable"]
    assert "is not on the CDN under test" in reasons["playback sets signed cookies"]
    assert "gave 200, expected 403" in reasons["origin refuses direct access"]
    assert "Strict-Transport-Security=None" in reasons["security headers"]


def test_video_served_without_cookies_fails_the_check(api_stack):
    """Point the checks at S3 for video: cookies are then not enforced, and verify says so."""
    verifier = Verifier(api_stack.api_url)
    verifier.title_ids = ["alpha", "bravo"]
    verifier.grant = {
        "title_id": "alpha",
        "manifest_url": f"{api_stack.video_base_url}/video/alpha/master.m3u8",
        "cookies": {},
    }
    with pytest.raises(Exception, match="gave 200, expected 403"):
        verifier.check_video_needs_cookies()
    # ...and the second fetch is no cache hit: there is no X-Cache at all.
    with pytest.raises(Exception, match="X-Cache '', not Hit"):
        verifier.check_video_with_cookies_cached()


def test_the_cli_exits_non_zero_and_prints_each_verdict(api_stack):
    proc = subprocess.run(
        [sys.executable, "-m", "loadtest.verify", "--url", api_stack.api_url],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert any(line.split()[:1] == ["PASS"] and "titles cacheable" in line for line in lines)
    assert any(line.split()[:1] == ["SKIP"] and "origin refuses" in line for line in lines)
    assert lines[-1].startswith("RESULT: FAIL")


def test_the_cli_refuses_a_remote_url_without_allow_remote():
    proc = subprocess.run(
        [sys.executable, "-m", "loadtest.verify", "--url", "https://d1.cloudfront.net"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "--allow-remote" in proc.stderr


def test_without_credentials_a_deployed_stack_skips_the_grant_checks(api_stack):
    """No account to sign in as and no way to confirm one: SKIP, with the reason, not FAIL."""
    results = Verifier(api_stack.api_url, origin_url=api_stack.api_url).run()
    by_name = {r.name: r for r in results}
    assert by_name["playback refused without sign-in"].status == "PASS"
    for name in ("playback sets signed cookies", "video refused without cookies",
                 "video with cookies, cached on second fetch"):
        assert by_name[name].status == "SKIP", by_name[name]
        assert "--email and --password" in by_name[name].reason
