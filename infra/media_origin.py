"""MediaOrigin: the private media bucket behind CloudFront, plus log and artifact buckets."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from infra.bucket_policies import cloudfront_read_statement, policy_document, tls_only_statement
from infra.config import StackConfig
from infra.private_bucket import PrivateBucket, PrivateBucketArgs

LOG_PREFIX_ALB = "alb"
LOG_PREFIX_CDN = "cloudfront/"
LOG_PREFIX_S3 = "s3/media/"
# Where CloudWatch Logs' vended delivery may write: the bucket policy that page documents
# (CloudWatch Logs User Guide, "Logs sent to Amazon S3") grants AWSLogs/<account>/*, and
# the key below it depends on the delivery's suffix path, so the grant stays at that
# documented prefix; the SourceArn condition pins it to this stack's delivery source.
LOG_PREFIX_CDN_V2 = "AWSLogs/{account}/"
CLOUDFRONT_LOGS_REGION = "us-east-1"  # a distribution's delivery source lives here


def _stack_bucket(cfg: StackConfig, purpose: str, **kwargs: Any) -> PrivateBucketArgs:
    """A PrivateBucket of this stack: named, tagged and destroyable as its config says."""
    return PrivateBucketArgs(
        bucket_prefix=cfg.name(f"{purpose}-"), force_destroy=cfg.force_destroy,
        tags={"edgeflix:purpose": purpose, "edgeflix:environment": cfg.environment}, **kwargs)


def _cloudfront_log_delivery_statement(bucket_arn: str, account: str,
                                       cfg: StackConfig) -> dict:
    """CloudWatch Logs (delivery.logs.amazonaws.com) writes the distribution's access logs,
    scoped to this account and this stack's delivery source."""
    prefix = LOG_PREFIX_CDN_V2.format(account=account)
    return {
        "Sid": "AllowCloudFrontLogDelivery",
        "Effect": "Allow",
        "Principal": {"Service": "delivery.logs.amazonaws.com"},
        "Action": "s3:PutObject",
        "Resource": f"{bucket_arn}/{prefix}*",
        "Condition": {
            "StringEquals": {"aws:SourceAccount": account,
                             "s3:x-amz-acl": "bucket-owner-full-control"},
            "ArnLike": {"aws:SourceArn": f"arn:aws:logs:{CLOUDFRONT_LOGS_REGION}:{account}:"
                                         f"delivery-source:{cfg.cdn_log_source_name}"},
        },
    }


@dataclass
class MediaOriginArgs:
    config: StackConfig
    replica_provider: pulumi.ProviderResource | None = None


class MediaOrigin(pulumi.ComponentResource):
    """Private media bucket (read only by our distribution through OAC), a log bucket,
    an artifacts bucket for the app bundle, and optionally a replica for origin failover."""

    def __init__(self, name: str, args: MediaOriginArgs,
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__("edgeflix:media:MediaOrigin", name, None, opts)
        cfg = args.config
        child = pulumi.ResourceOptions(parent=self)
        account = aws.get_caller_identity(opts=pulumi.InvokeOptions(parent=self))
        # The ELB account of this region delivers ALB access logs.
        elb_account = aws.elb.get_service_account(opts=pulumi.InvokeOptions(parent=self))

        # CloudFront's legacy standard logging writes with ACLs, so the log bucket keeps them
        # on unless logging v2 (no ACLs) replaces it.
        # Versioned like every bucket: an overwritten or deleted log stays recoverable
        # for the noncurrent-version window.
        self.logs = PrivateBucket(
            f"{name}-logs",
            _stack_bucket(cfg, "logs", ownership="BucketOwnerEnforced"
                          if cfg.standard_logging_v2_enabled else "BucketOwnerPreferred",
                          expire_days=cfg.log_retention_days),
            opts=child,
        )
        self.logs_policy = self.logs.set_policy(self.logs.arn.apply(lambda arn: policy_document(
            tls_only_statement(arn),
            *([_cloudfront_log_delivery_statement(arn, account.account_id, cfg)]
              if cfg.standard_logging_v2_enabled else []),
            {
                "Sid": "AllowAlbAccessLogs",
                "Effect": "Allow",
                "Principal": {"AWS": elb_account.arn},
                "Action": "s3:PutObject",
                "Resource": f"{arn}/{LOG_PREFIX_ALB}/AWSLogs/{account.account_id}/*",
            },
            {
                "Sid": "AllowS3ServerAccessLogs",
                "Effect": "Allow",
                "Principal": {"Service": "logging.s3.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": f"{arn}/{LOG_PREFIX_S3}*",
                "Condition": {"StringEquals": {"aws:SourceAccount": account.account_id}},
            },
        )))

        self.media = PrivateBucket(f"{name}-media", _stack_bucket(cfg, "media"), opts=child)
        aws.s3.BucketLogging(
            f"{name}-media",
            bucket=self.media.id,
            target_bucket=self.logs.id,
            target_prefix=LOG_PREFIX_S3,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.logs_policy]),
        )
        # The app bundle lives apart from the media: nothing here is reachable via the CDN.
        self.artifacts = PrivateBucket(f"{name}-artifacts", _stack_bucket(cfg, "artifacts"),
                                       opts=child)
        self.artifacts.set_policy(self.artifacts.arn.apply(
            lambda arn: policy_document(tls_only_statement(arn))))

        self.origin_access_control = aws.cloudfront.OriginAccessControl(
            f"{name}-oac",
            name=cfg.name("media-oac"),
            description="CloudFront reads the private media bucket (SigV4, always)",
            origin_access_control_origin_type="s3",
            signing_behavior="always",
            signing_protocol="sigv4",
            opts=child,
        )

        self.replica: PrivateBucket | None = None
        if cfg.replica_region:
            self.replica = self._replicate(name, cfg, args.replica_provider)

        self.bucket_name = self.media.id
        self.bucket_arn = self.media.arn
        self.bucket_regional_domain_name = self.media.bucket.bucket_regional_domain_name
        self.register_outputs({
            "media_bucket": self.media.id,
            "media_bucket_regional_domain_name": self.bucket_regional_domain_name,
            "log_bucket": self.logs.id,
            "artifacts_bucket": self.artifacts.id,
            "origin_access_control_id": self.origin_access_control.id,
            "replica_bucket": self.replica.id if self.replica else None,
        })

    def _replicate(self, name: str, cfg: StackConfig,
                   provider: pulumi.ProviderResource | None) -> PrivateBucket:
        replica = PrivateBucket(
            f"{name}-replica",
            _stack_bucket(cfg, "replica"),
            opts=pulumi.ResourceOptions(parent=self, providers={"aws": provider} if provider
                                        else None),
        )
        role = aws.iam.Role(
            f"{name}-replication",
            assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"},
                "Action": "sts:AssumeRole"}]}),
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.iam.RolePolicy(
            f"{name}-replication",
            role=role.id,
            policy=pulumi.Output.all(self.media.arn, replica.arn).apply(
                lambda arns: policy_document(
                    {"Effect": "Allow",
                     "Action": ["s3:GetReplicationConfiguration", "s3:ListBucket"],
                     "Resource": arns[0]},
                    {"Effect": "Allow",
                     "Action": ["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl",
                                "s3:GetObjectVersionTagging"],
                     "Resource": f"{arns[0]}/*"},
                    {"Effect": "Allow",
                     "Action": ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"],
                     "Resource": f"{arns[1]}/*"},
                )),
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.s3.BucketReplicationConfig(
            f"{name}-replication",
            bucket=self.media.id,
            role=role.arn,
            rules=[aws.s3.BucketReplicationConfigRuleArgs(
                id="media-to-replica",
                status="Enabled",
                filter=aws.s3.BucketReplicationConfigRuleFilterArgs(prefix=""),
                delete_marker_replication=aws.s3.
                BucketReplicationConfigRuleDeleteMarkerReplicationArgs(status="Enabled"),
                destination=aws.s3.BucketReplicationConfigRuleDestinationArgs(
                    bucket=replica.arn, storage_class="STANDARD"),
            )],
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[self.media.versioning, replica.versioning]),
        )
        return replica

    def allow_distribution(self, distribution_arn: pulumi.Input[str],
                           *more_arns: pulumi.Input[str]) -> None:
        """Bucket policies: TLS only, and reads by this stack's distributions
        (AWS:SourceArn): the primary, and a staging distribution when there is one (with OAC
        the bucket must admit it too: "Quotas and other considerations for continuous
        deployment")."""
        for bucket in (self.media, self.replica):
            if bucket is None:
                continue
            bucket.set_policy(pulumi.Output.all(bucket.arn, distribution_arn, *more_arns).apply(
                lambda args: policy_document(
                    tls_only_statement(args[0]),
                    cloudfront_read_statement(args[0], args[1] if len(args) == 2
                                              else list(args[1:])))))
