"""Signing cost of one CloudFront cookie policy: RSA 2048 (SHA-1, SHA-256) vs ECDSA P-256.

CloudFront trusts RSA 2048 and ECDSA P-256 public keys in a key group; signed
cookies default to SHA-1 and accept SHA-256 with a `CloudFront-Hash-Algorithm`
cookie (CloudFront Developer Guide, "Set signed cookies using a custom policy").
This signs the same custom-policy bytes PlaybackCookieSigner signs, in one process,
alternating the algorithms in rounds so machine noise hits them alike, and prints
microseconds per signature and, last, the ratio RSA/ECDSA measured in this run.

    python bench/bench_signing.py [--seconds 3]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from app.signing import custom_policy

POLICY = custom_policy("https://d111111abcdef8.cloudfront.net/titles/t0001/*", 1_900_000_000)


def signers() -> dict[str, Callable[[], bytes]]:
    """Name to a zero-argument call that signs POLICY once."""
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    return {
        "RSA 2048 / SHA-1": lambda: rsa_key.sign(
            POLICY, padding.PKCS1v15(), hashes.SHA1()),  # noqa: S303 CloudFront
        "RSA 2048 / SHA-256": lambda: rsa_key.sign(POLICY, padding.PKCS1v15(), hashes.SHA256()),
        "ECDSA P-256 / SHA-256": lambda: ec_key.sign(POLICY, ec.ECDSA(hashes.SHA256())),
    }


def measure(calls: dict[str, Callable[[], bytes]], seconds: float,
            rounds: int = 10) -> dict[str, float]:
    """Microseconds per call for each signer, over `rounds` interleaved slices of the budget."""
    spent = dict.fromkeys(calls, 0.0)
    counts = dict.fromkeys(calls, 0)
    slice_seconds = seconds / rounds / len(calls)
    for _ in range(rounds):
        for name, call in calls.items():
            start = time.perf_counter()
            deadline = start + slice_seconds
            n = 0
            while True:
                call()
                n += 1
                now = time.perf_counter()
                if now >= deadline:
                    break
            spent[name] += now - start
            counts[name] += n
    return {name: spent[name] / counts[name] * 1e6 for name in calls}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    results = measure(signers(), args.seconds)
    for name, micros in results.items():
        print(f"{name:24s} {micros:9.1f} us/signature  {1e6 / micros:9.0f} signatures/s")
    rsa_us = results["RSA 2048 / SHA-1"]
    ec_us = results["ECDSA P-256 / SHA-256"]
    print(f"ratio RSA-2048-SHA1 / ECDSA-P256 per signature: {rsa_us / ec_us:.2f}")


if __name__ == "__main__":
    main()
