"""ACM certificates (CloudFront's must live in us-east-1) and their DNS validation."""

from __future__ import annotations

from typing import Any

from ..registry import resource
from . import failed


@resource("aws:acm/certificate:Certificate")
def certificate(ctx) -> dict:
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
def certificate_validation(ctx) -> dict:
    """No API call (Terraform waits for ISSUED): check the certificate and its records."""
    arn = ctx.inputs.get("certificateArn")
    certs = {r.id: r for r in ctx.engine.find("aws:acm/certificate")}
    if arn not in certs:
        ctx.problem("certificateArn", f"{arn!r} is not a certificate of this stack")
        return {"id": str(arn)}
    wanted = {o.get("resourceRecordName", "").rstrip(".")
              for o in certs[arn].outputs.get("domainValidationOptions") or []}
    given = {f.rstrip(".") for f in ctx.inputs.get("validationRecordFqdns") or []}
    if given and wanted - given:
        ctx.problem("validationRecordFqdns", f"missing validation records {sorted(wanted - given)}")
    return {"id": arn, "certificateArn": arn}
