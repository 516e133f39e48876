"""ACM certificates (CloudFront's must live in us-east-1) and their DNS validation."""

from __future__ import annotations

from typing import Any

from ..checks import acm as checks
from ..context import Ctx
from ..registry import resource
from . import failed


@resource("aws:acm/certificate:Certificate")
def certificate(ctx: Ctx) -> dict:
    where: dict[str, str] = {}
    params: dict[str, Any] = ctx.pick(ctx.inputs, {
        "DomainName": "domainName", "ValidationMethod": "validationMethod",
        "SubjectAlternativeNames": "subjectAlternativeNames", "KeyAlgorithm": "keyAlgorithm",
        "CertificateAuthorityArn": "certificateAuthorityArn"}, where)
    if ctx.inputs.get("privateKey") or ctx.inputs.get("certificateBody"):
        ctx.problem("certificateBody", "imported certificates are not replayed")
    if ctx.inputs.get("tags"):
        params["Tags"] = ctx.tags(ctx.inputs["tags"])
    resp = ctx.call("acm", "RequestCertificate", params, where)
    if resp is None:
        arn = ctx.arn("acm", f"certificate/{ctx.fake_id('', 32)}")
        return failed(ctx, id=arn, arn=arn, domainValidationOptions=[])
    arn = resp["CertificateArn"]
    cert = ctx.client("acm").describe_certificate(CertificateArn=arn)["Certificate"]
    options = [{"domainName": o["DomainName"],
                "resourceRecordName": o.get("ResourceRecord", {}).get("Name"),
                "resourceRecordType": o.get("ResourceRecord", {}).get("Type"),
                "resourceRecordValue": o.get("ResourceRecord", {}).get("Value")}
               for o in cert.get("DomainValidationOptions", [])]
    return {"id": arn, "arn": arn, "domainValidationOptions": options,
            "status": cert.get("Status"), "__summary__": f"{params.get('DomainName')} "
                                                           f"({ctx.region})"}


@resource("aws:acm/certificateValidation:CertificateValidation")
def certificate_validation(ctx: Ctx) -> dict:
    """No API call (Terraform waits for ISSUED): the certificate and its validation records
    are checked against the stack (replay/checks/acm.py)."""
    arn = ctx.inputs.get("certificateArn")
    if not checks.validates_a_stack_certificate(ctx, arn,
                                                ctx.inputs.get("validationRecordFqdns")):
        return {"id": str(arn)}
    return {"id": arn, "certificateArn": arn}
