"""Edge: the CloudFront distribution, rendered from edge-config/ (the `edge` package).

Named distribution.py, not edge.py: Pulumi runs infra/ with infra/ first on sys.path, where
an edge.py would hide the `edge` package from every `import edge`.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from edge.cloudfront import MANAGED_CACHE_POLICIES, MANAGED_ORIGIN_REQUEST_POLICIES
from edge.config import (
    Behavior,
    CacheKey,
    CachePolicy,
    EdgeConfig,
    OriginRequestPolicy,
    ResponseHeadersPolicy,
)
from edge.origin import ORIGIN_VERIFY_HEADER, ApiOriginTransport
from infra.certificates import dns_validated_certificate
from infra.config import StackConfig
from infra.load_balancer import HTTP_PORT, HTTPS_PORT
from infra.media_origin import LOG_PREFIX_CDN
from infra.staging import StagedDeployment, StagedDeploymentArgs

# The primary's fields edge-config renders: while staging is on, changes to them go to the
# staging distribution and reach the primary only by promotion.
STAGED_FIELDS = ("origins", "originGroups", "defaultCacheBehavior", "orderedCacheBehaviors",
                 "customErrorResponses")
FAILOVER_STATUS_CODES = [500, 502, 503, 504, 403, 404]
VIEWER_TLS_MINIMUM = "TLSv1.2_2021"
# The stack's allow/deny words as CloudFront's GeoRestriction RestrictionType.
GEO_RESTRICTION_TYPES = {"none": "none", "allow": "whitelist", "deny": "blacklist"}


@dataclass
class EdgeArgs:
    config: StackConfig
    edge: EdgeConfig
    media_domain_name: pulumi.Input[str]
    origin_access_control_id: pulumi.Input[str]
    # The load balancer's origin_domain_name: api_transport's name once it resolves, else
    # the ALB's DNS name.
    api_domain_name: pulumi.Input[str]
    origin_verify: pulumi.Input[str]
    key_group_id: pulumi.Input[str]
    log_bucket_domain_name: pulumi.Input[str]
    # The log bucket's ARN: standard logging v2's S3 destination.
    log_bucket_arn: pulumi.Input[str] | None = None
    replica_domain_name: pulumi.Input[str] | None = None
    # How CloudFront reaches the ALB (edge.origin.api_origin_transport, decided once).
    api_transport: ApiOriginTransport = ApiOriginTransport()
    # The load balancer's VPC origin (apiOrigin vpc): the API origin then goes through it.
    api_vpc_origin_id: pulumi.Input[str] | None = None
    # ACM certificates for CloudFront live in us-east-1; None when the stack lives there.
    global_provider: pulumi.ProviderResource | None = None
    # The CLOUDFRONT-scope WAFv2 web ACL (EdgeFirewall): WAFv2 takes its ARN, not its id.
    web_acl_arn: pulumi.Input[str] | None = None


def _key_items(value: str | list[str]) -> tuple[str, list[str] | None]:
    """edge-config's none/all/[names] as CloudFront's behaviour and items."""
    if isinstance(value, list):
        return "whitelist", value
    return value, None


class Edge(pulumi.ComponentResource):
    """The distribution: S3 origin via OAC, ALB origin (direct or through a VPC origin) with
    the secret header, and the
    behaviours, policies and functions edge-config declares, in its order."""

    def __init__(self, name: str, args: EdgeArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("edgeflix:edge:Edge", name, None, opts)
        self._prefix = name
        cfg, edge = args.config, args.edge
        child = pulumi.ResourceOptions(parent=self)

        cache_ids = {key: self._cache_policy(key, p, cfg, child)
                     for key, p in edge.cache_policies.items()}
        request_ids = {key: self._origin_request_policy(key, p, cfg, child)
                       for key, p in edge.origin_request_policies.items()}
        header_ids = {key: self._response_headers_policy(key, p, cfg, child).id
                      for key, p in edge.response_headers_policies.items()}
        self.functions = {
            key: aws.cloudfront.Function(
                f"{name}-fn-{key}",
                name=cfg.name(key),
                runtime="cloudfront-js-2.0",
                comment=fn.comment[:128],
                code=fn.path.read_text(),
                publish=True,
                opts=child,
            )
            for key, fn in edge.functions.items()
        }

        origins, groups, targets = self._origins(args)
        ordered = [self._behavior(b, aws.cloudfront.DistributionOrderedCacheBehaviorArgs,
                                  aws.cloudfront.DistributionOrderedCacheBehaviorFunctionAssociationArgs,
                                  targets, cache_ids, request_ids, header_ids, args)
                   for b in edge.behaviors[:-1]]
        default = self._behavior(edge.behaviors[-1],
                                 aws.cloudfront.DistributionDefaultCacheBehaviorArgs,
                                 aws.cloudfront.DistributionDefaultCacheBehaviorFunctionAssociationArgs,
                                 targets, cache_ids, request_ids, header_ids, args)

        aliases, viewer_certificate = self._certificate(cfg, args.global_provider)
        # Everything edge-config renders, shared by the primary and a staging distribution.
        rendered = dict(
            enabled=True,
            is_ipv6_enabled=True,
            http_version=cfg.http_version,
            price_class=cfg.price_class,
            wait_for_deployment=cfg.wait_for_deployment,
            default_root_object="index.html",
            origins=origins,
            origin_groups=groups,
            default_cache_behavior=default,
            ordered_cache_behaviors=ordered,
            # No custom pages: each entry only sets how long an origin's error is cached.
            custom_error_responses=[
                aws.cloudfront.DistributionCustomErrorResponseArgs(
                    error_code=e.code, error_caching_min_ttl=e.min_ttl)
                for e in edge.error_caching
            ] or None,
            restrictions=aws.cloudfront.DistributionRestrictionsArgs(
                geo_restriction=aws.cloudfront.DistributionRestrictionsGeoRestrictionArgs(
                    restriction_type=GEO_RESTRICTION_TYPES[cfg.geo_restriction_type],
                    locations=list(cfg.geo_restriction_locations) or None)),
            viewer_certificate=viewer_certificate,
            web_acl_id=args.web_acl_arn,
        )
        staged = cfg.staging_mode != "off"
        self.staging = StagedDeployment(f"{name}-staging", StagedDeploymentArgs(
            cfg, rendered, args.log_bucket_domain_name), pulumi.ResourceOptions(parent=self),
        ) if staged else None
        self.distribution = aws.cloudfront.Distribution(
            f"{name}-cdn",
            comment=cfg.name("cdn"),
            aliases=aliases,
            logging_config=None if cfg.standard_logging_v2_enabled else
            aws.cloudfront.DistributionLoggingConfigArgs(
                bucket=args.log_bucket_domain_name, prefix=LOG_PREFIX_CDN, include_cookies=False),
            continuous_deployment_policy_id=self.staging.policy_id if self.staging else None,
            # While staging is on, edge-config changes reach the staging distribution only;
            # promotion (UpdateDistributionWithStagingConfig) copies them onto this one.
            opts=pulumi.ResourceOptions(
                parent=self, ignore_changes=list(STAGED_FIELDS) if staged else None),
            **rendered,
        )
        if cfg.standard_logging_v2_enabled:
            self._access_logs_v2(name, cfg, args)
        # CloudFront's additional metrics (cache hit rate, origin latency, ...): the
        # subscription is a resource of its own, in CloudFront's global API.
        self.monitoring = aws.cloudfront.MonitoringSubscription(
            f"{name}-metrics",
            distribution_id=self.distribution.id,
            monitoring_subscription=aws.cloudfront.MonitoringSubscriptionMonitoringSubscriptionArgs(
                realtime_metrics_subscription_config=aws.cloudfront.
                MonitoringSubscriptionMonitoringSubscriptionRealtimeMetricsSubscriptionConfigArgs(
                    realtime_metrics_subscription_status="Enabled")),
            opts=child,
        ) if cfg.additional_metrics_enabled else None
        if cfg.domain_name and cfg.hosted_zone_id:
            for record_type in ("A", "AAAA"):
                aws.route53.Record(
                    f"{name}-alias-{record_type.lower()}",
                    zone_id=cfg.hosted_zone_id,
                    name=cfg.domain_name,
                    type=record_type,
                    aliases=[aws.route53.RecordAliasArgs(
                        name=self.distribution.domain_name,
                        zone_id=self.distribution.hosted_zone_id,
                        evaluate_target_health=False)],
                    opts=child,
                )

        host = (pulumi.Output.from_input(cfg.domain_name) if cfg.domain_name
                else self.distribution.domain_name)
        self.cdn_url = pulumi.Output.concat("https://", host)
        self.distribution_id = self.distribution.id
        self.distribution_arn = self.distribution.arn
        # Every distribution the media bucket must admit (OAC): the staging one too.
        self.distribution_arns = [self.distribution_arn] + (
            [self.staging.distribution.arn] if self.staging else [])
        self.register_outputs({
            "cdn_url": self.cdn_url,
            "distribution_id": self.distribution_id,
            "distribution_arn": self.distribution_arn,
            "staging_distribution_id": self.staging.distribution.id if self.staging else None,
        })

    def _access_logs_v2(self, name: str, cfg: StackConfig, args: EdgeArgs) -> None:
        """Standard logging v2 (CloudFront Developer Guide, "Configure standard logging
        (v2)"): a delivery source for the distribution in us-east-1, an S3 delivery
        destination on the log bucket, and the delivery joining them."""
        if args.log_bucket_arn is None:
            raise ValueError("standardLoggingV2Enabled needs EdgeArgs.log_bucket_arn")
        opts = pulumi.ResourceOptions(parent=self, provider=args.global_provider)
        source = aws.cloudwatch.LogDeliverySource(
            f"{name}-access-logs",
            name=cfg.cdn_log_source_name,
            log_type="ACCESS_LOGS",
            resource_arn=self.distribution.arn,
            opts=opts,
        )
        destination = aws.cloudwatch.LogDeliveryDestination(
            f"{name}-access-logs",
            name=cfg.name("cdn-log-bucket"),
            output_format="json",
            delivery_destination_configuration=aws.cloudwatch.
            LogDeliveryDestinationDeliveryDestinationConfigurationArgs(
                destination_resource_arn=args.log_bucket_arn),
            opts=opts,
        )
        self.access_log_delivery = aws.cloudwatch.LogDelivery(
            f"{name}-access-logs",
            delivery_source_name=source.name,
            delivery_destination_arn=destination.arn,
            s3_delivery_configurations=[aws.cloudwatch.LogDeliveryS3DeliveryConfigurationArgs(
                suffix_path="{DistributionId}/{yyyy}/{MM}/{dd}/{HH}",
                enable_hive_compatible_path=False)],
            opts=opts,
        )

    # ---- policies ---------------------------------------------------------------

    def _cache_policy(self, key: str, policy: CachePolicy, cfg: StackConfig,
                      opts: pulumi.ResourceOptions) -> pulumi.Input[str]:
        if policy.managed:
            return MANAGED_CACHE_POLICIES[policy.managed]
        ck: CacheKey = policy.key
        qs_behavior, qs_items = _key_items(ck.query_strings)
        cookie_behavior, cookie_items = _key_items(ck.cookies)
        params = aws.cloudfront.CachePolicyParametersInCacheKeyAndForwardedToOriginArgs(
            enable_accept_encoding_gzip=policy.compress,
            enable_accept_encoding_brotli=policy.compress,
            query_strings_config=aws.cloudfront.
            CachePolicyParametersInCacheKeyAndForwardedToOriginQueryStringsConfigArgs(
                query_string_behavior=qs_behavior,
                query_strings=aws.cloudfront.
                CachePolicyParametersInCacheKeyAndForwardedToOriginQueryStringsConfigQueryStringsArgs(
                    items=qs_items) if qs_items else None,
            ),
            cookies_config=aws.cloudfront.
            CachePolicyParametersInCacheKeyAndForwardedToOriginCookiesConfigArgs(
                cookie_behavior=cookie_behavior,
                cookies=aws.cloudfront.
                CachePolicyParametersInCacheKeyAndForwardedToOriginCookiesConfigCookiesArgs(
                    items=cookie_items) if cookie_items else None,
            ),
            headers_config=aws.cloudfront.
            CachePolicyParametersInCacheKeyAndForwardedToOriginHeadersConfigArgs(
                header_behavior="whitelist" if ck.headers else "none",
                headers=aws.cloudfront.
                CachePolicyParametersInCacheKeyAndForwardedToOriginHeadersConfigHeadersArgs(
                    items=list(ck.headers)) if ck.headers else None,
            ),
        )
        return aws.cloudfront.CachePolicy(
            f"{self._prefix}-cache-{key}",
            name=cfg.name(key),
            comment=policy.comment[:128],
            min_ttl=policy.min_ttl,
            default_ttl=policy.default_ttl,
            max_ttl=policy.max_ttl,
            parameters_in_cache_key_and_forwarded_to_origin=params,
            opts=opts,
        ).id

    def _origin_request_policy(self, key: str, policy: OriginRequestPolicy, cfg: StackConfig,
                               opts: pulumi.ResourceOptions) -> pulumi.Input[str]:
        if policy.managed:
            return MANAGED_ORIGIN_REQUEST_POLICIES[policy.managed]
        return aws.cloudfront.OriginRequestPolicy(
            f"{self._prefix}-request-{key}",
            name=cfg.name(key),
            comment=policy.comment[:128],
            headers_config=aws.cloudfront.OriginRequestPolicyHeadersConfigArgs(
                header_behavior="whitelist" if policy.headers else "none",
                headers=aws.cloudfront.OriginRequestPolicyHeadersConfigHeadersArgs(
                    items=list(policy.headers)) if policy.headers else None,
            ),
            cookies_config=aws.cloudfront.OriginRequestPolicyCookiesConfigArgs(
                cookie_behavior=policy.cookies),
            query_strings_config=aws.cloudfront.OriginRequestPolicyQueryStringsConfigArgs(
                query_string_behavior=policy.query_strings),
            opts=opts,
        ).id

    def _response_headers_policy(self, key: str, policy: ResponseHeadersPolicy,
                                 cfg: StackConfig, opts: pulumi.ResourceOptions,
                                 ) -> aws.cloudfront.ResponseHeadersPolicy:
        sec = policy.security
        cf = aws.cloudfront
        security = cf.ResponseHeadersPolicySecurityHeadersConfigArgs(
            strict_transport_security=cf.
            ResponseHeadersPolicySecurityHeadersConfigStrictTransportSecurityArgs(
                access_control_max_age_sec=sec.hsts.max_age,
                include_subdomains=sec.hsts.include_subdomains,
                preload=sec.hsts.preload,
                override=True,
            ),
            content_type_options=cf.
            ResponseHeadersPolicySecurityHeadersConfigContentTypeOptionsArgs(override=True)
            if sec.content_type_options else None,
            frame_options=cf.ResponseHeadersPolicySecurityHeadersConfigFrameOptionsArgs(
                frame_option=sec.frame_options, override=True),
            referrer_policy=cf.ResponseHeadersPolicySecurityHeadersConfigReferrerPolicyArgs(
                referrer_policy=sec.referrer_policy, override=True),
        )
        cors = None
        if policy.cors is not None:
            c = policy.cors
            cors = cf.ResponseHeadersPolicyCorsConfigArgs(
                access_control_allow_credentials=c.allow_credentials,
                access_control_allow_origins=cf.
                ResponseHeadersPolicyCorsConfigAccessControlAllowOriginsArgs(
                    items=list(c.allow_origins)),
                access_control_allow_methods=cf.
                ResponseHeadersPolicyCorsConfigAccessControlAllowMethodsArgs(
                    items=list(c.allow_methods)),
                access_control_allow_headers=cf.
                ResponseHeadersPolicyCorsConfigAccessControlAllowHeadersArgs(
                    items=list(c.allow_headers)),
                access_control_expose_headers=cf.
                ResponseHeadersPolicyCorsConfigAccessControlExposeHeadersArgs(
                    items=list(c.expose_headers)) if c.expose_headers else None,
                access_control_max_age_sec=c.max_age,
                origin_override=True,
            )
        return cf.ResponseHeadersPolicy(
            f"{self._prefix}-headers-{key}",
            name=cfg.name(key),
            comment=policy.comment[:128],
            security_headers_config=security,
            cors_config=cors,
            opts=opts,
        )

    # ---- origins and behaviours --------------------------------------------------------

    def _origins(self, args: EdgeArgs):
        """Origins by edge-config key, failover groups, and the id each key routes to.
        With Origin Shield on, the media origins (and replica) go through it in the configured
        region; the API origin does not: its answers are mostly uncacheable (playback POSTs,
        private JSON), so a shield would add a hop and a per-request charge for no hits."""
        cf = aws.cloudfront
        origins, groups, targets = [], [], {}
        region = args.config.shield_region
        shield = (cf.DistributionOriginOriginShieldArgs(enabled=True, origin_shield_region=region)
                  if region else None)
        for key, origin in args.edge.origins.items():
            if origin.kind == "s3":
                origins.append(cf.DistributionOriginArgs(
                    origin_id=key,
                    domain_name=args.media_domain_name,
                    origin_access_control_id=args.origin_access_control_id,
                    origin_shield=shield,
                ))
                targets[key] = key
                if args.replica_domain_name is not None:
                    origins.append(cf.DistributionOriginArgs(
                        origin_id=f"{key}-replica",
                        domain_name=args.replica_domain_name,
                        origin_access_control_id=args.origin_access_control_id,
                        origin_shield=shield,
                    ))
                    groups.append(cf.DistributionOriginGroupArgs(
                        origin_id=f"{key}-failover",
                        failover_criteria=cf.DistributionOriginGroupFailoverCriteriaArgs(
                            status_codes=FAILOVER_STATUS_CODES),
                        members=[cf.DistributionOriginGroupMemberArgs(origin_id=key),
                                 cf.DistributionOriginGroupMemberArgs(origin_id=f"{key}-replica")],
                    ))
                    targets[key] = f"{key}-failover"
            elif args.api_vpc_origin_id is not None:
                # Through the VPC origin: its endpoint config holds protocol and ports; the
                # secret header stays as defence in depth.
                origins.append(cf.DistributionOriginArgs(
                    origin_id=key,
                    domain_name=args.api_domain_name,
                    vpc_origin_config=cf.DistributionOriginVpcOriginConfigArgs(
                        vpc_origin_id=args.api_vpc_origin_id,
                        origin_read_timeout=origin.read_timeout,
                        origin_keepalive_timeout=origin.keepalive_timeout,
                    ),
                    custom_headers=[cf.DistributionOriginCustomHeaderArgs(
                        name=ORIGIN_VERIFY_HEADER, value=args.origin_verify)],
                ))
                targets[key] = key
            else:
                origins.append(cf.DistributionOriginArgs(
                    origin_id=key,
                    domain_name=args.api_domain_name,
                    custom_origin_config=cf.DistributionOriginCustomOriginConfigArgs(
                        http_port=HTTP_PORT,
                        https_port=HTTPS_PORT,
                        origin_protocol_policy=args.api_transport.protocol,
                        origin_ssl_protocols=["TLSv1.2"],
                        origin_read_timeout=origin.read_timeout,
                        origin_keepalive_timeout=origin.keepalive_timeout,
                    ),
                    custom_headers=[cf.DistributionOriginCustomHeaderArgs(
                        name=ORIGIN_VERIFY_HEADER, value=args.origin_verify)],
                ))
                targets[key] = key
        return origins, groups or None, targets

    def _behavior(self, b: Behavior, args_type, fn_type, targets, cache_ids, request_ids,
                  header_ids, args: EdgeArgs):
        fields = dict(
            target_origin_id=targets[b.origin],
            viewer_protocol_policy=b.viewer_protocol,
            allowed_methods=list(b.allowed_methods),
            cached_methods=b.cached_methods,
            compress=args.edge.cache_policies[b.cache_policy].compress,
            cache_policy_id=cache_ids[b.cache_policy],
            origin_request_policy_id=(request_ids[b.origin_request_policy]
                                      if b.origin_request_policy else None),
            response_headers_policy_id=header_ids[b.response_headers_policy],
            trusted_key_groups=[args.key_group_id] if b.signed else None,
            function_associations=[
                fn_type(event_type=event, function_arn=self.functions[fn].arn)
                for event, fn in b.functions.items()
            ] or None,
        )
        if not b.is_default:
            fields["path_pattern"] = b.path
        return args_type(**fields)

    def _certificate(self, cfg: StackConfig, global_provider: pulumi.ProviderResource | None):
        cf = aws.cloudfront
        if not cfg.domain_name:
            # The default *.cloudfront.net certificate cannot raise the viewer TLS floor.
            return None, cf.DistributionViewerCertificateArgs(cloudfront_default_certificate=True)
        certificate_arn: pulumi.Input[str]
        if cfg.certificate_arn:
            certificate_arn = cfg.certificate_arn
        else:
            certificate_arn = dns_validated_certificate(
                f"{self._prefix}-cert", cfg.domain_name, cfg.hosted_zone_id, parent=self,
                provider=global_provider)  # CloudFront's certificates live in us-east-1
        return [cfg.domain_name], cf.DistributionViewerCertificateArgs(
            acm_certificate_arn=certificate_arn,
            ssl_support_method="sni-only",
            minimum_protocol_version=VIEWER_TLS_MINIMUM,
        )
