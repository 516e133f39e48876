"""MediaOrigin: private buckets; only our distribution reads media, through OAC."""

from __future__ import annotations

import json

import pytest
from infra_harness import ACCOUNT, ELB_ACCOUNT

BUCKET = "aws:s3/bucket:Bucket"
PAB = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
POLICY = "aws:s3/bucketPolicy:BucketPolicy"


def _bucket(stack, purpose):
    return next(b for b in stack.of_type(BUCKET)
                if b.inputs["tags"]["edgeflix:purpose"] == purpose)


def _for_bucket(stack, type_, bucket):
    found = [r for r in stack.of_type(type_) if r.inputs["bucket"] == bucket.outputs["id"]]
    assert len(found) == 1, (type_, bucket.name, len(found))
    return found[0]


def _policy(stack, bucket):
    return json.loads(_for_bucket(stack, POLICY, bucket).inputs["policy"])


@pytest.mark.parametrize("purpose", ["media", "logs", "artifacts"])
def test_every_bucket_blocks_public_access_and_encrypts(dev_stack, purpose):
    bucket = _bucket(dev_stack, purpose)
    pab = _for_bucket(dev_stack, PAB, bucket).inputs
    assert all(pab[f] is True for f in ("blockPublicAcls", "blockPublicPolicy",
                                        "ignorePublicAcls", "restrictPublicBuckets"))
    sse = _for_bucket(dev_stack, "aws:s3/bucketServerSideEncryptionConfiguration:"
                      "BucketServerSideEncryptionConfiguration", bucket).inputs
    assert sse["rules"][0]["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "AES256"
    statements = _policy(dev_stack, bucket)["Statement"]
    deny = next(s for s in statements if s["Sid"] == "DenyInsecureTransport")
    assert deny["Effect"] == "Deny"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_media_bucket_is_owner_enforced_and_versioned(dev_stack):
    media = _bucket(dev_stack, "media")
    ownership = _for_bucket(dev_stack, "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
                            media)
    assert ownership.inputs["rule"]["objectOwnership"] == "BucketOwnerEnforced"
    versioning = _for_bucket(dev_stack, "aws:s3/bucketVersioning:BucketVersioning", media)
    assert versioning.inputs["versioningConfiguration"]["status"] == "Enabled"
    assert "website" not in media.inputs


def test_bucket_policy_admits_only_this_distribution(dev_stack):
    media = _bucket(dev_stack, "media")
    distribution = dev_stack.one("aws:cloudfront/distribution:Distribution")
    allow = [s for s in _policy(dev_stack, media)["Statement"] if s["Effect"] == "Allow"]
    assert allow == [{
        "Sid": "AllowCloudFrontOAC",
        "Effect": "Allow",
        "Principal": {"Service": "cloudfront.amazonaws.com"},
        "Action": "s3:GetObject",
        "Resource": f"{media.outputs['arn']}/*",
        "Condition": {"StringEquals": {"AWS:SourceArn": distribution.outputs["arn"]}},
    }]


def test_origin_access_control_signs_every_request(dev_stack):
    oac = dev_stack.one("aws:cloudfront/originAccessControl:OriginAccessControl").inputs
    assert oac["originAccessControlOriginType"] == "s3"
    assert oac["signingBehavior"] == "always"
    assert oac["signingProtocol"] == "sigv4"


def test_log_bucket_admits_alb_and_s3_log_delivery_only(dev_stack):
    logs = _bucket(dev_stack, "logs")
    statements = {s["Sid"]: s for s in _policy(dev_stack, logs)["Statement"]}
    alb = statements["AllowAlbAccessLogs"]
    assert alb["Principal"] == {"AWS": f"arn:aws:iam::{ELB_ACCOUNT}:root"}
    assert alb["Resource"] == f"{logs.outputs['arn']}/alb/AWSLogs/{ACCOUNT}/*"
    s3 = statements["AllowS3ServerAccessLogs"]
    assert s3["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}
    assert set(statements) == {"DenyInsecureTransport", "AllowAlbAccessLogs",
                               "AllowS3ServerAccessLogs"}
    lifecycle = _for_bucket(dev_stack, "aws:s3/bucketLifecycleConfiguration:"
                            "BucketLifecycleConfiguration", logs)
    assert lifecycle.inputs["rules"][0]["expiration"]["days"] == 30


def test_media_access_is_logged(dev_stack):
    media, logs = _bucket(dev_stack, "media"), _bucket(dev_stack, "logs")
    logging = _for_bucket(dev_stack, "aws:s3/bucketLogging:BucketLogging", media)
    assert logging.inputs["targetBucket"] == logs.outputs["id"]


def test_app_bundle_lives_outside_the_cdn_origin(dev_stack):
    artifacts = _bucket(dev_stack, "artifacts")
    bundle = dev_stack.one("aws:s3/bucketObjectv2:BucketObjectv2")
    assert bundle.inputs["bucket"] == artifacts.outputs["id"]
    assert bundle.inputs["key"].startswith("bundles/api-")
    allows = [s for s in _policy(dev_stack, artifacts)["Statement"] if s["Effect"] == "Allow"]
    assert allows == []


def test_replica_bucket_in_second_region_is_replicated_and_private(full_stack):
    replica = _bucket(full_stack, "replica")
    media = _bucket(full_stack, "media")
    provider = next(r for r in full_stack.of_type("pulumi:providers:aws")
                    if r.name == "replica")
    assert provider.inputs["region"] == "eu-central-1"
    assert replica.provider and replica.provider.split("::")[-2].endswith("replica")
    replication = full_stack.one("aws:s3/bucketReplicationConfig:BucketReplicationConfig")
    assert replication.inputs["bucket"] == media.outputs["id"]
    assert replication.inputs["rules"][0]["destination"]["bucket"] == replica.outputs["arn"]
    distribution = full_stack.one("aws:cloudfront/distribution:Distribution")
    allow = [s for s in _policy(full_stack, replica)["Statement"] if s["Effect"] == "Allow"]
    assert allow[0]["Condition"]["StringEquals"]["AWS:SourceArn"] == distribution.outputs["arn"]


@pytest.mark.parametrize("stack_fixture", ["dev_stack", "full_stack"])
def test_every_bucket_log_bucket_included_is_versioned(request, stack_fixture):
    stack = request.getfixturevalue(stack_fixture)
    enabled = {v.inputs["bucket"] for v in stack.of_type("aws:s3/bucketVersioning:BucketVersioning")
               if v.inputs["versioningConfiguration"]["status"] == "Enabled"}
    buckets = stack.of_type("aws:s3/bucket:Bucket")
    assert "logs" in {b.inputs["tags"]["edgeflix:purpose"] for b in buckets}
    assert {b.outputs["id"] for b in buckets} <= enabled
