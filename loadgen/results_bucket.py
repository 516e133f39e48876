"""ResultsBucket: where runs write their results and the instances read the Locust bundle.

Private (all four public-access-block flags, bucket-owner-enforced ownership), SSE-S3,
TLS-only (the S3 User Guide's `aws:SecureTransport` deny, from infra/bucket_policies.py),
and every object expires after resultsExpiryDays (a load test's results are evidence
for a while, not forever).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from infra import app_bundle
from infra.bucket_policies import policy_document, tls_only_statement

from .config import LoadgenConfig


@dataclass
class ResultsBucketArgs:
    config: LoadgenConfig
    bundle: app_bundle.Bundle


class ResultsBucket(pulumi.ComponentResource):
    """The private results bucket and the bundle object the instances download."""

    def __init__(self, name: str, args: ResultsBucketArgs,
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__("edgeflix-loadgen:results:ResultsBucket", name, None, opts)
        cfg = args.config
        child = pulumi.ResourceOptions(parent=self)
        self.bucket = aws.s3.Bucket(
            name, bucket_prefix="edgeflix-loadgen-", force_destroy=cfg.force_destroy,
            tags={"edgeflix:purpose": "loadgen-results"}, opts=child)
        aws.s3.BucketPublicAccessBlock(
            name, bucket=self.bucket.id, block_public_acls=True, block_public_policy=True,
            ignore_public_acls=True, restrict_public_buckets=True, opts=child)
        aws.s3.BucketOwnershipControls(
            name, bucket=self.bucket.id,
            rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
            opts=child)
        aws.s3.BucketServerSideEncryptionConfiguration(
            name, bucket=self.bucket.id,
            rules=[aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                apply_server_side_encryption_by_default=aws.s3.
                BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                    sse_algorithm="AES256"),
                bucket_key_enabled=True)],
            opts=child)
        aws.s3.BucketLifecycleConfiguration(
            name, bucket=self.bucket.id,
            rules=[aws.s3.BucketLifecycleConfigurationRuleArgs(
                id="expire-runs", status="Enabled",
                filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
                abort_incomplete_multipart_upload=aws.s3.
                BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                    days_after_initiation=1),
                expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(
                    days=cfg.results_expiry_days))],
            opts=child)
        aws.s3.BucketPolicy(
            name, bucket=self.bucket.id,
            policy=self.bucket.arn.apply(lambda arn: policy_document(tls_only_statement(arn))),
            opts=child)
        self.bundle = aws.s3.BucketObjectv2(
            f"{name}-bundle", bucket=self.bucket.id, key=args.bundle.key,
            source=app_bundle.archive(args.bundle), content_type="application/zip", opts=child)
        self.name = self.bucket.id
        self.arn = self.bucket.arn
        self.bundle_key = args.bundle.key
        self.register_outputs({"bucket": self.bucket.id, "arn": self.bucket.arn,
                               "bundle_key": args.bundle.key})
