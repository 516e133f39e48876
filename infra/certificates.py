"""ACM certificates validated through a Route 53 zone: CloudFront's and the ALB's."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws


def dns_validated_certificate(name: str, domain_name: str, zone_id: str,
                              parent: pulumi.Resource,
                              provider: pulumi.ProviderResource | None = None,
                              ) -> pulumi.Output[str]:
    """A DNS-validated certificate for `domain_name`; its ARN once ACM has issued it.

    The certificate and its validation live in the provider's region (us-east-1 for
    CloudFront, the stack's own region for an ALB); the record goes in the zone.
    """
    in_region = pulumi.ResourceOptions(parent=parent, provider=provider)
    cert = aws.acm.Certificate(
        name,
        domain_name=domain_name,
        validation_method="DNS",
        opts=in_region,
    )
    option = cert.domain_validation_options[0]
    record = aws.route53.Record(
        f"{name}-validation",
        zone_id=zone_id,
        name=option.resource_record_name,
        type=option.resource_record_type,
        records=[option.resource_record_value],
        ttl=300,
        allow_overwrite=True,
        opts=pulumi.ResourceOptions(parent=parent),
    )
    validation = aws.acm.CertificateValidation(
        name,
        certificate_arn=cert.arn,
        validation_record_fqdns=[record.fqdn],
        opts=in_region,
    )
    return validation.certificate_arn
