"""InstanceRole: the one identity of the master and the workers, least privilege.

The instances read the Locust bundle (one object key) and write this run's results
(runs/<runId>/*); nothing else. No SSM, no SSH: the instances are never logged into.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from .config import LoadgenConfig


def instance_policy(bucket_arn: str, bundle_key: str, results_prefix: str) -> dict:
    """The role's only policy: GetObject on the bundle, PutObject under the run's prefix."""
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": "ReadTheBundle", "Effect": "Allow", "Action": "s3:GetObject",
         "Resource": f"{bucket_arn}/{bundle_key}"},
        {"Sid": "WriteThisRunsResults", "Effect": "Allow", "Action": "s3:PutObject",
         "Resource": f"{bucket_arn}/{results_prefix}*"},
    ]}


@dataclass
class InstanceRoleArgs:
    config: LoadgenConfig
    bucket_arn: pulumi.Input[str]
    bundle_key: str


class InstanceRole(pulumi.ComponentResource):
    """An EC2 role and instance profile (IAM is global: one for every region)."""

    def __init__(self, name: str, args: InstanceRoleArgs,
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__("edgeflix-loadgen:identity:InstanceRole", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.role = aws.iam.Role(
            name, description="edgeflix load generator instances",
            assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                "Action": "sts:AssumeRole"}]}),
            opts=child)
        aws.iam.RolePolicy(
            f"{name}-least-privilege", role=self.role.id,
            policy=pulumi.Output.from_input(args.bucket_arn).apply(
                lambda arn: json.dumps(instance_policy(arn, args.bundle_key,
                                                       args.config.results_prefix),
                                       sort_keys=True)),
            opts=child)
        self.profile = aws.iam.InstanceProfile(name, role=self.role.name, opts=child)
        self.profile_name = self.profile.name
        self.register_outputs({"role": self.role.arn, "profile": self.profile.name})
