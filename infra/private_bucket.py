"""PrivateBucket: the one posture every edgeflix bucket has, in both Pulumi programs.

No anonymous access (all four public-access-block flags), owner-enforced ownership
unless a writer still needs ACLs, SSE-S3, versioning with noncurrent versions expired
after 30 days, and a lifecycle that tidies incomplete uploads. Its policy is set once
(`set_policy`), after the public-access block, so it is never briefly public. Used by
infra/media_origin.py (media, logs, artifacts, replica) and loadgen/results_bucket.py.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws


@dataclass
class PrivateBucketArgs:
    """What differs between private buckets; the posture itself does not.

    `bucket_prefix` starts the generated name; `ownership` is an S3 Object Ownership
    setting (BucketOwnerEnforced, or BucketOwnerPreferred where a writer still uses
    ACLs); objects expire after `expire_days` (None: never) and incomplete multipart
    uploads are aborted after `abort_multipart_days`.
    """

    bucket_prefix: str
    force_destroy: bool
    tags: dict[str, str]
    ownership: str = "BucketOwnerEnforced"
    expire_days: int | None = None
    abort_multipart_days: int = 7


class PrivateBucket(pulumi.ComponentResource):
    """A bucket no one reaches anonymously: all four public-access-block flags,
    owner-enforced ownership (unless ACL delivery needs otherwise), SSE-S3, versioning."""

    def __init__(self, name: str, args: PrivateBucketArgs,
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__("edgeflix:media:PrivateBucket", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.bucket = aws.s3.Bucket(
            name,
            bucket_prefix=args.bucket_prefix,
            force_destroy=args.force_destroy,
            tags=args.tags,
            opts=child,
        )
        self.public_access_block = aws.s3.BucketPublicAccessBlock(
            name,
            bucket=self.bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        self.ownership = aws.s3.BucketOwnershipControls(
            name,
            bucket=self.bucket.id,
            rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership=args.ownership),
            opts=child,
        )
        # SSE-S3, not KMS: ALB access logs and OAC reads need no key grants then.
        self.encryption = aws.s3.BucketServerSideEncryptionConfiguration(
            name,
            bucket=self.bucket.id,
            rules=[aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                apply_server_side_encryption_by_default=aws.s3.
                BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                    sse_algorithm="AES256"),
                bucket_key_enabled=True,
            )],
            opts=child,
        )
        self.versioning = aws.s3.BucketVersioning(
            name,
            bucket=self.bucket.id,
            versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(
                status="Enabled"),
            opts=child,
        )
        rules = [aws.s3.BucketLifecycleConfigurationRuleArgs(
            id="tidy",
            status="Enabled",
            filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
            abort_incomplete_multipart_upload=aws.s3.
            BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                days_after_initiation=args.abort_multipart_days),
            noncurrent_version_expiration=aws.s3.
            BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(noncurrent_days=30),
            expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(
                days=args.expire_days) if args.expire_days else None,
        )]
        aws.s3.BucketLifecycleConfiguration(
            name, bucket=self.bucket.id, rules=rules,
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[self.versioning]),
        )
        self._resource_name = name
        self.id = self.bucket.id
        self.arn = self.bucket.arn
        self.register_outputs({"bucket": self.bucket.id, "arn": self.bucket.arn})

    def set_policy(self, document: pulumi.Input[str]) -> aws.s3.BucketPolicy:
        """The bucket's one policy; waits for the public-access block so it is never public."""
        return aws.s3.BucketPolicy(
            self._resource_name,
            bucket=self.bucket.id,
            policy=document,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.public_access_block]),
        )
