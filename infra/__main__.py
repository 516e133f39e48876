"""edgeflix: the streaming stack on AWS. This module only composes the components.

Pulumi runs it as __main__; tests and the replay engine import it and call `main()`
under their own mocks.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from edge.config import load_edge_config
from edge.origin import api_origin_transport
from infra import config, outputs
from infra.accounts import Accounts, AccountsArgs
from infra.alarms import Alarms, AlarmsArgs
from infra.api_fleet import ApiFleet, ApiFleetArgs
from infra.dashboard import ViewerPathDashboard, ViewerPathDashboardArgs
from infra.data import Data, DataArgs
from infra.distribution import Edge, EdgeArgs
from infra.load_balancer import LoadBalancer, LoadBalancerArgs
from infra.media_origin import MediaOrigin, MediaOriginArgs
from infra.network import Network, NetworkArgs
from infra.signing import Signing, SigningArgs
from infra.waf import EdgeFirewall, EdgeFirewallArgs

GLOBAL_REGION = "us-east-1"  # CloudFront's certificates and metrics live here


def main() -> None:
    cfg = config.from_pulumi()  # raises ConfigError before any resource exists
    edge_config = load_edge_config()

    global_provider = (None if cfg.region == GLOBAL_REGION
                       else aws.Provider("us-east-1", region=GLOBAL_REGION))
    replica_provider = (aws.Provider("replica", region=cfg.replica_region)
                        if cfg.replica_region else None)

    network = Network("network", NetworkArgs(cfg))
    data = Data("data", DataArgs(cfg))
    accounts = Accounts("accounts", AccountsArgs(cfg))
    signing = Signing("signing", SigningArgs(cfg))
    media = MediaOrigin("media", MediaOriginArgs(cfg, replica_provider=replica_provider))
    # TLS from CloudFront to the ALB needs a name the stack can certify (hostedZoneId):
    # edge-config's api origin then says https-only, else its fallback, http-only.
    api_transport = api_origin_transport(edge_config, cfg.origin_domain_name)
    lb = LoadBalancer("api-lb", LoadBalancerArgs(
        config=cfg,
        vpc_id=network.vpc_id,
        # An internal ALB (apiOrigin vpc) lives with the fleet in the private subnets.
        subnet_ids=(network.private_subnet_ids if cfg.api_origin == "vpc"
                    else network.public_subnet_ids),
        log_bucket=media.logs.id,
        log_bucket_policy=media.logs_policy,
        transport=api_transport,
    ))
    # A CLOUDFRONT-scope web ACL, in us-east-1 like CloudFront's certificates and metrics.
    waf = (EdgeFirewall("waf", EdgeFirewallArgs(cfg, global_provider=global_provider))
           if cfg.waf_enabled else None)
    edge = Edge("edge", EdgeArgs(
        config=cfg,
        edge=edge_config,
        media_domain_name=media.bucket_regional_domain_name,
        origin_access_control_id=media.origin_access_control.id,
        api_domain_name=lb.origin_domain_name,
        api_transport=api_transport,
        api_vpc_origin_id=lb.vpc_origin_id,
        origin_verify=lb.origin_verify_value,
        key_group_id=signing.key_group_id,
        log_bucket_domain_name=media.logs.bucket.bucket_domain_name,
        log_bucket_arn=media.logs.arn,
        replica_domain_name=(media.replica.bucket.bucket_regional_domain_name
                             if media.replica else None),
        global_provider=global_provider,
        web_acl_arn=waf.web_acl_arn if waf is not None else None,
    ))
    media.allow_distribution(*edge.distribution_arns)
    alarms = Alarms("alarms", AlarmsArgs(
        config=cfg,
        alb_arn_suffix=lb.arn_suffix,
        target_group_arn_suffixes=lb.target_group_arn_suffixes,
        global_provider=global_provider,
    ))
    alarms.watch_edge(edge.distribution_id)
    if cfg.additional_metrics_enabled:
        alarms.watch_cache(edge.distribution_id)
    if waf is not None:
        alarms.watch_firewall(waf.metric_name, waf.rate_rule_metric_name)
    fleet = ApiFleet("api", ApiFleetArgs(
        config=cfg,
        vpc_id=network.vpc_id,
        private_subnet_ids=network.private_subnet_ids,
        alb_security_group_id=lb.security_group_id,
        alb_arn_suffix=lb.arn_suffix,
        target_group_arns=lb.target_group_arns,
        target_group_arn_suffixes=lb.target_group_arn_suffixes,
        listener_rules=lb.service_rules,
        artifacts_bucket=media.artifacts.id,
        artifacts_bucket_arn=media.artifacts.arn,
        media_bucket=media.bucket_name,
        media_bucket_arn=media.bucket_arn,
        signing_secret_arn=signing.secret_arn,
        table_name=data.table_name,
        table_arn=data.table_arn,
        key_pair_id=signing.key_pair_id,
        cdn_url=edge.cdn_url,
        rollback_alarm_names=alarms.rollback_alarm_names,
        service_rollback_alarm_names=alarms.service_rollback_alarm_names,
        user_pool_id=accounts.user_pool_id,
        user_pool_client_id=accounts.client_id,
    ))

    ViewerPathDashboard("viewer-path", ViewerPathDashboardArgs(
        config=cfg,
        distribution_id=edge.distribution_id,
        alb_arn_suffix=lb.arn_suffix,
        target_group_arn_suffixes=lb.target_group_arn_suffixes,
        asg_names=fleet.asg_names,
        table_name=data.table_name,
    ))

    pulumi.export(outputs.CDN_URL, edge.cdn_url)
    pulumi.export(outputs.API_HEALTH_URL,
                  pulumi.Output.concat(edge.cdn_url, cfg.health_check_path))
    pulumi.export(outputs.MEDIA_BUCKET, media.bucket_name)
    pulumi.export(outputs.ASG_NAME, fleet.asg_name)
    pulumi.export(outputs.SERVICE_ASG_NAMES, fleet.asg_names)
    pulumi.export(outputs.TABLE_NAME, data.table_name)
    pulumi.export(outputs.SIGNING_SECRET_NAME, signing.secret_name)
    pulumi.export(outputs.KEY_PAIR_ID, signing.key_pair_id)
    pulumi.export(outputs.DISTRIBUTION_ID, edge.distribution_id)
    pulumi.export(outputs.ALB_DNS_NAME, lb.dns_name)
    pulumi.export(outputs.ALB_URL, lb.url)
    pulumi.export(outputs.USER_POOL_ID, accounts.user_pool_id)
    pulumi.export(outputs.USER_POOL_CLIENT_ID, accounts.client_id)
    if waf is not None:
        pulumi.export(outputs.WEB_ACL_ARN, waf.web_acl_arn)
    if edge.staging is not None:
        pulumi.export(outputs.STAGING_DISTRIBUTION_ID, edge.staging.distribution.id)

if __name__ == "__main__":
    main()
