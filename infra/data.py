"""Data: the DynamoDB table for play counters and viewing history."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from infra.config import StackConfig


@dataclass
class DataArgs:
    config: StackConfig


class Data(pulumi.ComponentResource):
    """One on-demand table (`pk`/`sk` strings) with point-in-time recovery."""

    def __init__(self, name: str, args: DataArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("edgeflix:data:Data", name, None, opts)
        cfg = args.config
        self.table = aws.dynamodb.Table(
            f"{name}-plays",
            name=cfg.name("plays"),
            billing_mode="PAY_PER_REQUEST",
            hash_key="pk",
            range_key="sk",
            attributes=[
                aws.dynamodb.TableAttributeArgs(name="pk", type="S"),
                aws.dynamodb.TableAttributeArgs(name="sk", type="S"),
            ],
            point_in_time_recovery=aws.dynamodb.TablePointInTimeRecoveryArgs(enabled=True),
            server_side_encryption=aws.dynamodb.TableServerSideEncryptionArgs(enabled=True),
            deletion_protection_enabled=not cfg.force_destroy,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.table_name = self.table.name
        self.table_arn = self.table.arn
        self.register_outputs({"table_name": self.table_name, "table_arn": self.table_arn})
