"""Video behaviours demand valid CloudFront signed cookies, as CloudFront does."""

from __future__ import annotations

import time

import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from twin_viewer import master_url, play, segment_urls

from app.signing import cloudfront_b64, custom_policy
from twin.edge.nginx import VERIFIER_LOG
from twin.seed import signing_key


def master(cdn: str, title: str, cookies: dict[str, str] | None) -> int:
    return requests.get(master_url(cdn, title), cookies=cookies,
                        timeout=5).status_code


def forge(twin, resource: str, expires_at: int, key=None) -> dict[str, str]:
    """Cookies signed like the API signs them, for any resource and expiry."""
    twin_key = signing_key(twin.key_file)
    key = key or serialization.load_pem_private_key(twin_key.private_pem.encode(), None)
    policy = custom_policy(resource, expires_at)
    return {
        "CloudFront-Policy": cloudfront_b64(policy),
        "CloudFront-Signature": cloudfront_b64(key.sign(policy, padding.PKCS1v15(),
                                                        hashes.SHA1())),
        "CloudFront-Key-Pair-Id": twin_key.key_pair_id,
    }


def test_video_requires_signed_cookies(cdn, titles):
    assert master(cdn, titles[0], None) == 403


def test_valid_cookies_open_the_title(cdn, titles):
    assert master(cdn, titles[0], play(cdn, titles[0])) == 200


def test_one_titles_cookies_do_not_open_another(cdn, titles):
    assert master(cdn, titles[1], play(cdn, titles[0])) == 403


def test_tampered_signature_is_refused(cdn, titles):
    cookies = play(cdn, titles[0])
    sig = cookies["CloudFront-Signature"]
    cookies["CloudFront-Signature"] = ("A" if sig[0] != "A" else "B") + sig[1:]
    assert master(cdn, titles[0], cookies) == 403


def test_tampered_policy_is_refused(twin, cdn, titles):
    """A policy widened to every title, with the signature of the narrow one."""
    good = play(cdn, titles[0])
    wide = forge(twin, f"{cdn}/video/*", int(time.time()) + 300)
    good["CloudFront-Policy"] = wide["CloudFront-Policy"]
    assert master(cdn, titles[1], good) == 403


def test_expired_cookies_are_refused(twin, cdn, titles):
    cookies = forge(twin, f"{cdn}/video/{titles[0]}/*", int(time.time()) - 5)
    assert master(cdn, titles[0], cookies) == 403


def test_cookies_from_an_untrusted_key_are_refused(twin, cdn, titles):
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cookies = forge(twin, f"{cdn}/video/{titles[0]}/*", int(time.time()) + 300, stranger)
    assert master(cdn, titles[0], cookies) == 403


def test_unknown_key_pair_id_is_refused(cdn, titles):
    cookies = play(cdn, titles[0])
    cookies["CloudFront-Key-Pair-Id"] = "KUNKNOWN000000"
    assert master(cdn, titles[0], cookies) == 403


def test_resource_must_match_host_exactly(twin, cdn, titles):
    other_host = cdn.replace("127.0.0.1", "localhost")
    cookies = forge(twin, f"{other_host}/video/{titles[0]}/*", int(time.time()) + 300)
    assert master(cdn, titles[0], cookies) == 403


def test_forged_but_valid_cookies_work(twin, cdn, titles):
    """The check is CloudFront's algorithm, not a comparison with what the API issued."""
    cookies = forge(twin, f"{cdn}/video/{titles[1]}/*", int(time.time()) + 300)
    assert master(cdn, titles[1], cookies) == 200


def test_signed_cookies_are_not_in_the_cache_key(cdn, titles):
    url = master_url(cdn, titles[1])
    first = play(cdn, titles[1])
    requests.get(url, cookies=first, timeout=5)
    other = dict(first)
    other["Extra"] = "1"
    second = requests.get(url, cookies=other, timeout=5)
    assert second.status_code == 200
    assert second.headers["X-Cache"] == "Hit from cloudfront"


def test_cookie_check_costs_one_verification_per_cookie_and_directory(twin, cdn, titles):
    """The RSA check runs once for a viewer's cookies in a folder, not once per segment."""
    log = twin.run_dir / "edge" / VERIFIER_LOG
    cookies = forge(twin, f"{cdn}/video/{titles[0]}/*", int(time.time()) + 120)
    before = len(log.read_text().splitlines()) if log.exists() else 0
    segments = segment_urls(cdn, titles[0], cookies, "480p")  # the playlist: 1 verification
    assert len(segments) >= 2
    for _ in range(3):
        for url in segments:
            assert requests.get(url, cookies=cookies, timeout=5).status_code == 200
    time.sleep(0.5)  # nginx writes its log line after the response
    assert len(log.read_text().splitlines()) - before == 1
