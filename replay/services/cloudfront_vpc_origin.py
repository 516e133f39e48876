"""CloudFront VPC origins: the request validated only.

moto does not model VPC origins, so the translator builds the CreateVpcOrigin request,
checks it against botocore's model (enums, required members), judges the ports and TLS
versions CloudFront accepts, hands the endpoint to replay/checks/vpc_origin.py for the
wiring (an internal ALB of the stack, private subnets, CloudFront-only ingress, a
listener), and returns realistic outputs.
"""

from __future__ import annotations

from ..checks import vpc_origin as checks
from ..context import Ctx
from ..registry import resource
from . import quantity

SSL_PROTOCOLS = ("SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2")


@resource("aws:cloudfront/vpcOrigin:VpcOrigin")
def vpc_origin(ctx: Ctx) -> dict:
    wp, ap = "vpcOriginEndpointConfig", "VpcOriginEndpointConfig"
    config = ctx.inputs.get("vpcOriginEndpointConfig") or {}
    where: dict[str, str] = {}
    endpoint = ctx.pick(config, {"Name": "name", "Arn": "arn", "HTTPPort": "httpPort",
                                 "HTTPSPort": "httpsPort",
                                 "OriginProtocolPolicy": "originProtocolPolicy"},
                        where, ap, wp)
    ssl = (config.get("originSslProtocols") or {}).get("items")
    if ssl is not None:
        endpoint["OriginSslProtocols"] = quantity(ssl)
        where[f"{ap}.OriginSslProtocols.Items"] = f"{wp}.originSslProtocols.items"
    quantity_given = (config.get("originSslProtocols") or {}).get("quantity")
    if ssl is not None and quantity_given is not None and quantity_given != len(ssl):
        ctx.problem(f"{wp}.originSslProtocols.quantity",
                    f"{quantity_given} but {len(ssl)} items")
    for i, version in enumerate(ssl or []):
        if version not in SSL_PROTOCOLS:
            ctx.problem(f"{wp}.originSslProtocols.items[{i}]",
                        f"{version!r} not one of {list(SSL_PROTOCOLS)}")
    for key in ("httpPort", "httpsPort"):
        port = config.get(key)
        if port is not None and not (port in (80, 443) or 1024 <= port <= 65535):
            ctx.problem(f"{wp}.{key}", f"{port}: CloudFront allows 80, 443 or 1024-65535")
    params = {"VpcOriginEndpointConfig": endpoint}
    if ctx.inputs.get("tags"):
        params["Tags"] = {"Items": ctx.tags(ctx.inputs["tags"])}
    ctx.check("cloudfront", "CreateVpcOrigin", params, where)
    checks.vpc_origin_target(ctx, config.get("arn"))
    vid = ctx.fake_id("vo_", 22)
    return {"id": vid, "arn": ctx.arn("cloudfront", f"vpcorigin/{vid}", region=""),
            "etag": "E1VPCORIGIN",
            "__summary__": f"{config.get('originProtocolPolicy')} to "
                           f"{str(config.get('arn', '')).rsplit('/', 2)[-2]}"}
