"""Providers that run locally: pulumi_random and pulumi_tls (no AWS API; realistic outputs)."""

from __future__ import annotations

import base64
import hashlib
import random
import string
import uuid

from ..context import Ctx
from ..registry import resource


def _rng(ctx: Ctx) -> random.Random:
    return random.Random(f"{ctx.type}/{ctx.name}")


def _random_text(ctx: Ctx) -> str:
    length = ctx.inputs.get("length")
    if length is None or length < 1:
        ctx.problem("length", f"{length!r}: length must be at least 1")
        length = 16
    length = int(length)
    classes = []
    for key, chars, min_key in (("upper", string.ascii_uppercase, "minUpper"),
                                ("lower", string.ascii_lowercase, "minLower"),
                                ("numeric", string.digits, "minNumeric"),
                                ("special", ctx.inputs.get("overrideSpecial") or
                                 "!@#$%&*()-_=+[]{}<>:?", "minSpecial")):
        if ctx.inputs.get(key, True) is not False:
            classes.append((chars, int(ctx.inputs.get(min_key) or 0)))
        elif ctx.inputs.get(min_key):
            ctx.problem(min_key, f"{min_key} set while {key} is false")
    if sum(m for _, m in classes) > length:
        ctx.problem("length", f"length {length} is less than the sum of the minimums")
    if not classes:
        ctx.problem("", "every character class is disabled")
        classes = [(string.ascii_lowercase, 0)]
    rng = _rng(ctx)
    chars = [rng.choice(c) for c, m in classes for _ in range(m)]
    pool = "".join(c for c, _ in classes)
    chars += [rng.choice(pool) for _ in range(max(0, length - len(chars)))]
    rng.shuffle(chars)
    return "".join(chars)


@resource("random:index/randomPassword:RandomPassword")
def random_password(ctx: Ctx) -> dict:
    result = _random_text(ctx)
    return {"id": "none", "result": result,
            "bcryptHash": "$2a$10$" + hashlib.sha256(result.encode()).hexdigest()[:53]}


@resource("random:index/randomString:RandomString")
def random_string(ctx: Ctx) -> dict:
    result = _random_text(ctx)
    return {"id": result, "result": result}


@resource("random:index/randomId:RandomId")
def random_id(ctx: Ctx) -> dict:
    n = ctx.inputs.get("byteLength")
    if n is None or n < 1:
        ctx.problem("byteLength", f"{n!r}: must be at least 1")
        n = 8
    raw = bytes(_rng(ctx).getrandbits(8) for _ in range(int(n)))
    prefix = ctx.inputs.get("prefix") or ""
    b64url = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    return {"id": b64url, "hex": prefix + raw.hex(), "dec": prefix + str(int.from_bytes(raw)),
            "b64Url": prefix + b64url, "b64Std": prefix + base64.b64encode(raw).decode()}


@resource("random:index/randomUuid:RandomUuid")
def random_uuid(ctx: Ctx) -> dict:
    value = str(uuid.UUID(int=_rng(ctx).getrandbits(128), version=4))
    return {"id": value, "result": value}


@resource("random:index/randomInteger:RandomInteger")
def random_integer(ctx: Ctx) -> dict:
    lo, hi = ctx.inputs.get("min"), ctx.inputs.get("max")
    if lo is None or hi is None or lo > hi:
        ctx.problem("min", f"min {lo!r} must be <= max {hi!r}")
        lo, hi = 0, 1
    value = _rng(ctx).randint(int(lo), int(hi))
    return {"id": str(value), "result": value}


@resource("random:index/randomPet:RandomPet")
def random_pet(ctx: Ctx) -> dict:
    words = ["brave", "calm", "eager", "otter", "lynx", "heron"]
    rng = _rng(ctx)
    n = int(ctx.inputs.get("length") or 2)
    sep = ctx.inputs.get("separator") or "-"
    value = sep.join(rng.choice(words) for _ in range(n))
    if ctx.inputs.get("prefix"):
        value = ctx.inputs["prefix"] + sep + value
    return {"id": value}


@resource("tls:index/privateKey:PrivateKey")
def private_key(ctx: Ctx) -> dict:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    algorithm = ctx.inputs.get("algorithm")
    if algorithm == "RSA":
        bits = int(ctx.inputs.get("rsaBits") or 2048)
        if bits < 1024 or bits > 16384:
            ctx.problem("rsaBits", f"{bits} not 1024-16384")
            bits = 2048
        key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    elif algorithm == "ECDSA":
        curves = {"P224": ec.SECP224R1, "P256": ec.SECP256R1, "P384": ec.SECP384R1,
                  "P521": ec.SECP521R1}
        curve = ctx.inputs.get("ecdsaCurve") or "P224"
        if curve not in curves:
            ctx.problem("ecdsaCurve", f"{curve!r} not one of {list(curves)}")
            curve = "P256"
        key = ec.generate_private_key(curves[curve]())
    elif algorithm == "ED25519":
        key = ed25519.Ed25519PrivateKey.generate()
    else:
        ctx.problem("algorithm", f"{algorithm!r} not one of ['RSA', 'ECDSA', 'ED25519']")
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pub = key.public_key()
    pub_der = pub.public_bytes(serialization.Encoding.DER,
                               serialization.PublicFormat.SubjectPublicKeyInfo)
    openssh = pub.public_bytes(serialization.Encoding.OpenSSH,
                               serialization.PublicFormat.OpenSSH).decode()
    raw = base64.b64decode(openssh.split()[1])
    pkcs8 = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption()).decode()
    try:
        trad = key.private_bytes(serialization.Encoding.PEM,
                                 serialization.PrivateFormat.TraditionalOpenSSL,
                                 serialization.NoEncryption()).decode()
    except ValueError:
        trad = pkcs8
    return {
        "id": hashlib.sha1(pub_der).hexdigest(),  # noqa: S324 - what the tls provider does
        "privateKeyPem": trad, "privateKeyPemPkcs8": pkcs8,
        "privateKeyOpenssh": key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
            serialization.NoEncryption()).decode(),
        "publicKeyPem": pub.public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode(),
        "publicKeyOpenssh": openssh + "\n",
        "publicKeyFingerprintMd5": ":".join(f"{b:02x}" for b in hashlib.md5(raw).digest()),  # noqa: S324
        "publicKeyFingerprintSha256": "SHA256:" + base64.b64encode(
            hashlib.sha256(raw).digest()).decode().rstrip("="),
        "__summary__": f"{algorithm} {ctx.inputs.get('rsaBits') or ''}".strip(),
    }
