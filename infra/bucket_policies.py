"""The buckets' policy statements as plain dicts (no Pulumi SDK).

MediaOrigin renders them into bucket policies; the local twin seeds its stand-in bucket
with the same Origin Access Control statement, so both read one definition. Source: the
CloudFront Developer Guide, "Restrict access to an Amazon S3 origin" (OAC bucket policy
with `AWS:SourceArn`), and the S3 User Guide's `aws:SecureTransport` example.
"""

from __future__ import annotations

import json


def tls_only_statement(bucket_arn: str) -> dict:
    """Deny every request to the bucket that does not use TLS."""
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [bucket_arn, f"{bucket_arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def cloudfront_read_statement(bucket_arn: str, distribution_arn: str | list[str]) -> dict:
    """Let exactly these distributions (one ARN, or a list: a primary and its staging
    distribution) read objects through Origin Access Control."""
    return {
        "Sid": "AllowCloudFrontOAC",
        "Effect": "Allow",
        "Principal": {"Service": "cloudfront.amazonaws.com"},
        "Action": "s3:GetObject",
        "Resource": f"{bucket_arn}/*",
        "Condition": {"StringEquals": {"AWS:SourceArn": distribution_arn}},
    }


def policy_document(*statements: dict) -> str:
    """A bucket policy's JSON text holding `statements` (keys sorted: stable diffs)."""
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)}, sort_keys=True)
