"""Signing: the key pair behind CloudFront signed cookies."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_tls as tls

from infra.config import StackConfig


@dataclass
class SigningArgs:
    config: StackConfig


class Signing(pulumi.ComponentResource):
    """An RSA 2048 key pair (CloudFront accepts no other), its public key in a trusted
    key group, and the private key in Secrets Manager for the API to sign cookies."""

    def __init__(self, name: str, args: SigningArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("edgeflix:signing:Signing", name, None, opts)
        cfg = args.config
        child = pulumi.ResourceOptions(parent=self)

        key = tls.PrivateKey(f"{name}-key", algorithm="RSA", rsa_bits=2048, opts=child)
        self.public_key = aws.cloudfront.PublicKey(
            f"{name}-public-key",
            # A prefix, not a name: rotating the key replaces it create-before-delete.
            name_prefix=cfg.name("signing-"),
            comment="Verifies edgeflix signed cookies",
            encoded_key=key.public_key_pem,
            opts=child,
        )
        self.key_group = aws.cloudfront.KeyGroup(
            f"{name}-key-group",
            name=cfg.name("viewers"),
            comment="Signers of edgeflix video cookies",
            items=[self.public_key.id],
            opts=child,
        )
        self.secret = aws.secretsmanager.Secret(
            f"{name}-secret",
            name_prefix=cfg.name("signing-key-"),
            description="PEM private key for CloudFront signed cookies (read by the API)",
            recovery_window_in_days=0 if cfg.force_destroy else 7,
            opts=child,
        )
        aws.secretsmanager.SecretVersion(
            f"{name}-secret",
            secret_id=self.secret.id,
            secret_string=key.private_key_pem,
            opts=child,
        )
        self.key_pair_id = self.public_key.id
        self.key_group_id = self.key_group.id
        self.secret_arn = self.secret.arn
        self.secret_name = self.secret.name
        self.register_outputs({
            "key_pair_id": self.key_pair_id,
            "key_group_id": self.key_group_id,
            "secret_arn": self.secret_arn,
            "secret_name": self.secret_name,
        })
