"""Signing: the two key pairs behind CloudFront signed cookies, ready for rotation.

Two key slots, `a` and `b`, each an RSA 2048 key pair whose public half is in the
trusted key group. Stack config names the current slot (`signingKeyCurrent`); the
secret the API reads holds
`{"current": {"key_pair_id", "private_key_pem"}, "next": {...}}` (app/signing.py),
so switching slots changes the signing key without touching the key group, and a
cookie signed with either key verifies at the edge. A slot's generation
(`signingKeyGenerationA|B`) is part of its resource names: bumping it replaces that
slot's key (create-before-delete), which is how an old key is retired once no live
grant carries it. The sequence is in infra/rotation.py and the README.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_tls as tls

from app.signing import signing_secret_document
from infra.config import StackConfig

SLOTS = ("a", "b")


@dataclass
class SigningArgs:
    config: StackConfig


def slot_generation(cfg: StackConfig, slot: str) -> int:
    """The generation of a key slot (`a` or `b`) from stack config."""
    return cfg.signing_key_generation_a if slot == "a" else cfg.signing_key_generation_b


class Signing(pulumi.ComponentResource):
    """Two RSA 2048 key pairs (CloudFront's SHA-1 signed cookies need RSA here: see the
    README's key-type measurement), both public keys in one trusted key group, and a
    secret naming the current one, for the API to sign cookies with."""

    def __init__(self, name: str, args: SigningArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("edgeflix:signing:Signing", name, None, opts)
        cfg = args.config
        child = pulumi.ResourceOptions(parent=self)

        keys: dict[str, tls.PrivateKey] = {}
        self.public_keys: dict[str, aws.cloudfront.PublicKey] = {}
        for slot in SLOTS:
            generation = slot_generation(cfg, slot)
            keys[slot] = tls.PrivateKey(
                f"{name}-key-{slot}{generation}", algorithm="RSA", rsa_bits=2048, opts=child)
            self.public_keys[slot] = aws.cloudfront.PublicKey(
                f"{name}-public-key-{slot}{generation}",
                # A prefix, not a name: a new generation replaces it create-before-delete.
                name_prefix=cfg.name(f"signing-{slot}-"),
                comment=f"Verifies edgeflix signed cookies (slot {slot}, generation {generation})",
                encoded_key=keys[slot].public_key_pem,
                opts=child,
            )
        current = cfg.signing_key_current
        upcoming = "b" if current == "a" else "a"
        self.key_group = aws.cloudfront.KeyGroup(
            f"{name}-key-group",
            name=cfg.name("viewers"),
            comment="Signers of edgeflix video cookies: the current and the next key",
            items=[self.public_keys[slot].id for slot in SLOTS],
            opts=child,
        )
        self.secret = aws.secretsmanager.Secret(
            f"{name}-secret",
            name_prefix=cfg.name("signing-key-"),
            description="CloudFront signing keys for the API: current and next key pair "
                        "id with PEM private key (JSON)",
            recovery_window_in_days=0 if cfg.force_destroy else 7,
            opts=child,
        )
        document = pulumi.Output.all(
            self.public_keys[current].id, keys[current].private_key_pem,
            self.public_keys[upcoming].id, keys[upcoming].private_key_pem,
        ).apply(lambda v: signing_secret_document(*v))
        aws.secretsmanager.SecretVersion(
            f"{name}-secret",
            secret_id=self.secret.id,
            secret_string=pulumi.Output.secret(document),
            opts=child,
        )
        self.key_pair_id = self.public_keys[current].id
        self.next_key_pair_id = self.public_keys[upcoming].id
        self.key_group_id = self.key_group.id
        self.secret_arn = self.secret.arn
        self.secret_name = self.secret.name
        self.register_outputs({
            "key_pair_id": self.key_pair_id,
            "next_key_pair_id": self.next_key_pair_id,
            "key_group_id": self.key_group_id,
            "secret_arn": self.secret_arn,
            "secret_name": self.secret_name,
        })
