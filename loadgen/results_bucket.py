"""ResultsBucket: where runs write their results and the instances read the Locust bundle.

The main program's PrivateBucket (infra/private_bucket.py: no public access, owner-enforced
ownership, SSE-S3, versioning), TLS-only (the S3 User Guide's `aws:SecureTransport` deny,
from infra/bucket_policies.py), and every object expires after resultsExpiryDays (a load
test's results are evidence for a while, not forever).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from infra import app_bundle
from infra.bucket_policies import policy_document, tls_only_statement
from infra.private_bucket import PrivateBucket, PrivateBucketArgs

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
        self.private = PrivateBucket(name, PrivateBucketArgs(
            bucket_prefix="edgeflix-loadgen-", force_destroy=cfg.force_destroy,
            tags={"edgeflix:purpose": "loadgen-results"},
            expire_days=cfg.results_expiry_days, abort_multipart_days=1), opts=child)
        self.bucket = self.private.bucket
        self.private.set_policy(
            self.bucket.arn.apply(lambda arn: policy_document(tls_only_statement(arn))))
        self.bundle = aws.s3.BucketObjectv2(
            f"{name}-bundle", bucket=self.bucket.id, key=args.bundle.key,
            source=app_bundle.archive(args.bundle), content_type="application/zip", opts=child)
        self.name = self.bucket.id
        self.arn = self.bucket.arn
        self.bundle_key = args.bundle.key
        self.register_outputs({"bucket": self.bucket.id, "arn": self.bucket.arn,
                               "bundle_key": args.bundle.key})
