"""CloudFront's contract with the API origin (the ALB): the secret header it adds, and the one
decision of how it reaches the ALB.

`ORIGIN_VERIFY_HEADER` is added by CloudFront to every request for the API origin and
required by the ALB's listener rule (`infra/distribution.py`, `infra/load_balancer.py`), by
the twin's Varnish and HAProxy (`twin/edge/varnish.py`, `twin/alb.py`), and probed by
`loadtest.verify`; the policy pack looks for it in user data.

`api_origin_transport()` decides once per stack whether CloudFront → ALB is TLS; the program
(`infra/__main__.py`) passes the value to the load balancer (its listener, certificate and
name) and to the distribution (the origin protocol policy).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the header name alone must not load pydantic (loadtest.verify)
    from edge.cloudfront import OriginProtocol
    from edge.config import EdgeConfig

ORIGIN_VERIFY_HEADER = "X-Origin-Verify"


@dataclass(frozen=True)
class ApiOriginTransport:
    """How CloudFront reaches the API origin: `protocol` is its origin protocol policy;
    `domain_name` the ALB's own certified name (origin.<domainName>) when that is TLS, else
    None (CloudFront then reaches the ALB's DNS name, over plain HTTP)."""

    protocol: OriginProtocol = "http-only"
    domain_name: str | None = None

    def __post_init__(self) -> None:
        if self.tls != (self.domain_name is not None):
            raise ValueError(f"origin protocol {self.protocol!r} with domain name "
                             f"{self.domain_name!r}: TLS needs the certified name, HTTP none")

    @property
    def tls(self) -> bool:
        """Whether CloudFront speaks HTTPS to the ALB."""
        return self.protocol != "http-only"


def api_origin_transport(edge: EdgeConfig, origin_domain_name: str | None) -> ApiOriginTransport:
    """The API origin's transport for a stack.

    `origin_domain_name` is the ALB name the stack can certify (`StackConfig.origin_domain_name`:
    origin.<domainName> when it has a hosted zone), or None. edge-config's ALB origin then
    says its `protocol`; without such a name its `fallback_protocol` (http-only), as nothing
    can certify the ALB's default *.elb.amazonaws.com name. No ALB origin in edge-config:
    plain HTTP.
    """
    origin = edge.alb_origin
    if origin is None:
        return ApiOriginTransport()
    protocol = origin.protocol_for(origin_certificate=origin_domain_name is not None)
    if protocol == "http-only":
        return ApiOriginTransport(protocol)
    return ApiOriginTransport(protocol, origin_domain_name)
