"""ApiFleet: the API's four services (app/service_map.py) on auto-scaling EC2 instances.

`serviceLayout` decides where they run (README "Service layout"). `shared`: one launch
template and one Auto Scaling group whose every instance runs the four services as four
systemd units (one template unit, `edgeflix@<service>.service`), each gunicorn on its own
port, the group registered in the four target groups; the catalog service asks the plans
service on the same instance (loopback) for an account's plan. `dedicated`: one launch
template, security group and Auto Scaling group per service, one unit each, each group in
its own target group and scaled on its own; there is no plans service on the instance, so
the catalog service reads the plan of record from the table itself (EDGEFLIX_PLANS_URL
unset). One instance role serves every layout and service.
"""

from __future__ import annotations

import base64
import json
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from app.catalog import CATALOG_KEY
from app.service_map import CATALOG, PLANS, SERVICES, ServiceRoute
from app.settings import environment_from_settings
from infra import app_bundle
from infra.config import API_GRACEFUL_TIMEOUT_SECONDS, StackConfig

INSTALL_DIR = "/opt/edgeflix"
UNIT_TEMPLATE = "edgeflix@.service"  # one instance per service: edgeflix@<service>.service


def unit_name(service: str) -> str:
    """The systemd unit that runs `service` on an instance: `edgeflix@<service>.service`."""
    return UNIT_TEMPLATE.replace("@", f"@{service}")


def service_environment(service: ServiceRoute, api_port: int, *, plans_nearby: bool,
                        ) -> dict[str, str]:
    """What one service's unit adds to the shared environment: which service it runs
    (EDGEFLIX_SERVICE), where gunicorn binds (its port for `api_port`, every interface:
    the ALB's health checks and requests come from outside) and, for the catalog service
    when `plans_nearby` (shared layout), the plans service's URL on the loopback."""
    settings: dict[str, object] = {"service": service.name}
    if service is CATALOG and plans_nearby:
        settings["plans_url"] = f"http://127.0.0.1:{PLANS.port(api_port)}"
    return {**environment_from_settings(settings),
            "GUNICORN_BIND": f"0.0.0.0:{service.port(api_port)}"}


def _env_file(env: Mapping[str, str]) -> str:
    return "".join(f"{name}={shlex.quote(value)}\n" for name, value in sorted(env.items()))


def render_user_data(env: dict[str, str], bucket: str, key: str, region: str,
                     has_wheels: bool, services: Mapping[str, Mapping[str, str]]) -> str:
    """cloud-init user data: fetch the bundle, install it, hand each service to systemd.

    `env` is every service's environment (/etc/edgeflix/api.env); `services` maps each
    service this instance runs to what its unit adds (/etc/edgeflix/<service>.env, see
    `service_environment`). Holds names and ARNs only; the API reads its signing key from
    Secrets Manager.
    """
    pip = ("pip install --no-index --find-links wheels -r requirements.txt" if has_wheels
           else "pip install -r requirements.txt")
    release = f"{INSTALL_DIR}/releases/{key.rsplit('/', 1)[-1].removesuffix('.zip')}"
    service_files = "".join(
        f"cat > /etc/edgeflix/{name}.env <<'ENV'\n{_env_file(extra)}ENV\n"
        for name, extra in services.items())
    units = " ".join(unit_name(name) for name in services)
    return f"""#!/bin/bash
# edgeflix API instance bootstrap (runs once per instance, as root).
set -euo pipefail
dnf install -y -q python3.11
id edgeflix >/dev/null 2>&1 || \\
  useradd --system --home-dir {INSTALL_DIR} --shell /sbin/nologin edgeflix
mkdir -p {release} /etc/edgeflix
aws s3 cp --only-show-errors --region {region} s3://{bucket}/{key} /tmp/api-bundle.zip
python3.11 -m zipfile -e /tmp/api-bundle.zip {release}
python3.11 -m venv {release}/venv
cd {release} && {release}/venv/bin/{pip}
ln -sfn {release} {INSTALL_DIR}/current
cat > /etc/edgeflix/api.env <<'ENV'
{_env_file(env)}ENV
{service_files}cat > /etc/systemd/system/{UNIT_TEMPLATE} <<'UNIT'
[Unit]
Description=edgeflix API service %i (gunicorn)
After=network-online.target
Wants=network-online.target

[Service]
User=edgeflix
Group=edgeflix
WorkingDirectory={INSTALL_DIR}/current
# The shared environment, then the service's own (EDGEFLIX_SERVICE, its port).
EnvironmentFile=/etc/edgeflix/api.env
EnvironmentFile=/etc/edgeflix/%i.env
ExecStart={INSTALL_DIR}/current/venv/bin/gunicorn -c app/gunicorn.conf.py app.wsgi:app
# SIGTERM lets gunicorn drain in-flight requests within its graceful timeout.
KillSignal=SIGTERM
KillMode=mixed
TimeoutStopSec={API_GRACEFUL_TIMEOUT_SECONDS + 5}
Restart=on-failure
RestartSec=2
NoNewPrivileges=yes
PrivateTmp=yes
ProtectSystem=strict
ProtectHome=yes
LimitNOFILE=65536

[Install]
WantedBy=multi-user.target
UNIT
systemctl daemon-reload
systemctl enable --now {units}
"""


@dataclass
class ApiFleetArgs:
    config: StackConfig
    vpc_id: pulumi.Input[str]
    private_subnet_ids: list[pulumi.Input[str]]
    alb_security_group_id: pulumi.Input[str]
    alb_arn_suffix: pulumi.Input[str]
    # Per service name (app/service_map.py): its target group's ARN and ARN suffix, and the
    # listener rule that attaches that group to the ALB.
    target_group_arns: Mapping[str, pulumi.Input[str]]
    target_group_arn_suffixes: Mapping[str, pulumi.Input[str]]
    listener_rules: Mapping[str, pulumi.Resource]
    artifacts_bucket: pulumi.Input[str]
    artifacts_bucket_arn: pulumi.Input[str]
    media_bucket: pulumi.Input[str]
    media_bucket_arn: pulumi.Input[str]
    signing_secret_arn: pulumi.Input[str]
    table_name: pulumi.Input[str]
    table_arn: pulumi.Input[str]
    key_pair_id: pulumi.Input[str]
    cdn_url: pulumi.Input[str]
    # The alarms that stop and roll back an instance refresh: the load balancer's (a shared
    # group runs every service) and, per service, a dedicated group's.
    rollback_alarm_names: list[pulumi.Input[str]]
    service_rollback_alarm_names: Mapping[str, list[pulumi.Input[str]]] = field(
        default_factory=dict)
    # The viewers' user pool and app client (infra/accounts.py); unset, sign-in is off.
    user_pool_id: pulumi.Input[str] | None = None
    user_pool_client_id: pulumi.Input[str] | None = None


class ApiFleet(pulumi.ComponentResource):
    """Instances in private subnets behind the services' target groups, in one shared
    Auto Scaling group or one per service (serviceLayout), replaced by rolling instance
    refresh (auto-rollback on the 5xx alarms) whenever the bundle, AMI or settings
    change, and scaled on requests per target and CPU."""

    def __init__(self, name: str, args: ApiFleetArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("edgeflix:fleet:ApiFleet", name, None, opts)
        cfg = self._config = args.config
        child = pulumi.ResourceOptions(parent=self)

        bundle = app_bundle.collect(cfg.architecture)
        if cfg.nat_mode == "none" and not bundle.has_wheels:
            pulumi.log.warn(
                "edgeflix:natMode is none but build/wheels/ holds no wheels: instances cannot "
                "reach PyPI. Run `python -m infra.app_bundle wheels` before `pulumi up`.",
                resource=self,
            )
        self.bundle = aws.s3.BucketObjectv2(
            f"{name}-bundle",
            bucket=args.artifacts_bucket,
            key=bundle.key,
            source=app_bundle.archive(bundle),
            content_type="application/zip",
            opts=child,
        )

        self.role = aws.iam.Role(
            f"{name}-role",
            description="edgeflix API instances",
            assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                "Action": "sts:AssumeRole"}]}),
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-least-privilege",
            role=self.role.id,
            policy=pulumi.Output.all(
                args.media_bucket_arn, args.artifacts_bucket_arn, args.signing_secret_arn,
                args.table_arn,
            ).apply(lambda a: json.dumps(_instance_policy(*a),
                                         sort_keys=True)),
            opts=child,
        )
        profile = aws.iam.InstanceProfile(f"{name}-profile", role=self.role.name, opts=child)

        self._args = args
        self._profile_arn = profile.arn
        self._ami = aws.ssm.get_parameter(name=cfg.ami_parameter,
                                          opts=pulumi.InvokeOptions(parent=self))
        self._has_wheels = bundle.has_wheels
        self._env = pulumi.Output.all(
            bucket=args.media_bucket, signing_secret_id=args.signing_secret_arn,
            table=args.table_name, key_pair_id=args.key_pair_id, cdn_url=args.cdn_url,
            user_pool_id=args.user_pool_id, user_pool_client_id=args.user_pool_client_id,
        ).apply(lambda settings: {
            **environment_from_settings({
                **settings, "catalog_key": CATALOG_KEY, "cookie_ttl": cfg.signed_cookie_ttl,
                "region": cfg.region,
            }),
            # Only the ALB may set X-Forwarded-*: its nodes sit in the public subnets, or in
            # the private ones when it is internal (apiOrigin vpc).
            "FORWARDED_ALLOW_IPS": ",".join(str(c) for c in (
                cfg.private_subnet_cidrs if cfg.api_origin == "vpc"
                else cfg.public_subnet_cidrs)),
        })

        # Per service name: the group its instances run in (the same one when shared).
        self.groups: dict[str, ServiceGroup] = {}
        if cfg.service_layout == "shared":
            shared = self._service_group(name, "api", SERVICES, args.rollback_alarm_names)
            self.groups = dict.fromkeys((s.name for s in SERVICES), shared)
        else:
            for service in SERVICES:
                self.groups[service.name] = self._service_group(
                    f"{name}-{service.name}", f"api-{service.name}", (service,),
                    args.service_rollback_alarm_names.get(service.name,
                                                          args.rollback_alarm_names))
        catalog = self.groups[CATALOG.name]
        self.security_group = catalog.security_group
        self.launch_template = catalog.launch_template
        self.group = catalog.group
        self.user_data = catalog.user_data
        self.asg_name = self.group.name
        self.asg_names = {service: g.group.name for service, g in self.groups.items()}
        self.register_outputs({
            "asg_name": self.asg_name,
            "asg_names": self.asg_names,
            "launch_template_id": self.launch_template.id,
            "launch_template_version": self.launch_template.latest_version,
            "bundle_key": self.bundle.key,
            "role_arn": self.role.arn,
            "security_group_id": self.security_group.id,
        })

    def _service_group(self, name: str, tag: str, services: tuple[ServiceRoute, ...],
                       rollback_alarm_names: list[pulumi.Input[str]]) -> ServiceGroup:
        """A security group, launch template and Auto Scaling group whose instances run
        `services` (each its own unit on its own port), registered in their target groups
        and scaled on the first one's requests per target and on CPU. `tag` names the
        instances (edgeflix-<env>-<tag>)."""
        cfg, args = self._config, self._args
        child = pulumi.ResourceOptions(parent=self)
        shared = len(services) > 1
        security_group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            vpc_id=args.vpc_id,
            description=("API instances: the API services' ports from the ALB only" if shared
                         else f"API {services[0].name} instances: its port from the ALB only"),
            tags={"Name": cfg.name(tag)},
            opts=child,
        )
        for service in services:
            port = service.port(cfg.api_port)
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-from-alb" + (f"-{service.name}" if shared else ""),
                security_group_id=security_group.id,
                ip_protocol="tcp",
                from_port=port,
                to_port=port,
                referenced_security_group_id=args.alb_security_group_id,
                description=f"the {service.name} service's port from the ALB",
                opts=child,
            )
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-https-out",
            security_group_id=security_group.id,
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            cidr_ipv4="0.0.0.0/0",
            description="HTTPS to AWS APIs (S3, DynamoDB, Secrets Manager) and package repos",
            opts=child,
        )

        units = {s.name: service_environment(s, cfg.api_port, plans_nearby=PLANS in services)
                 for s in services}
        user_data = pulumi.Output.all(self._env, args.artifacts_bucket, self.bundle.key).apply(
            lambda a: render_user_data(a[0], a[1], a[2], cfg.region, self._has_wheels, units))

        launch_template = aws.ec2.LaunchTemplate(
            f"{name}-lt",
            description=("edgeflix API instance" if shared
                         else f"edgeflix API {services[0].name} instance"),
            image_id=self._ami.value,
            instance_type=cfg.instance_type,
            update_default_version=True,
            iam_instance_profile=aws.ec2.LaunchTemplateIamInstanceProfileArgs(
                arn=self._profile_arn),
            network_interfaces=[aws.ec2.LaunchTemplateNetworkInterfaceArgs(
                device_index=0,
                associate_public_ip_address="false",
                delete_on_termination="true",
                security_groups=[security_group.id],
            )],
            metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
                http_endpoint="enabled",
                http_tokens="required",
                http_put_response_hop_limit=1,
                instance_metadata_tags="disabled",
            ),
            block_device_mappings=[aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
                device_name="/dev/xvda",
                ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                    volume_size=cfg.root_volume_size,
                    volume_type="gp3",
                    encrypted="true",
                    delete_on_termination="true",
                ),
            )],
            monitoring=aws.ec2.LaunchTemplateMonitoringArgs(enabled=True),
            user_data=user_data.apply(lambda s: base64.b64encode(s.encode()).decode()),
            tag_specifications=[
                aws.ec2.LaunchTemplateTagSpecificationArgs(
                    resource_type=kind, tags={"Name": cfg.name(tag),
                                              "edgeflix:environment": cfg.environment})
                for kind in ("instance", "volume")
            ],
            opts=child,
        )

        group = aws.autoscaling.Group(
            f"{name}-asg",
            vpc_zone_identifiers=args.private_subnet_ids,
            # A dedicated group takes the fleet's sizes too (README "Service layout").
            min_size=cfg.min_size,
            max_size=cfg.max_size,
            desired_capacity=cfg.desired_capacity,
            launch_template=aws.autoscaling.GroupLaunchTemplateArgs(
                id=launch_template.id,
                # A pinned version: `$Latest` never triggers a refresh and cannot roll back.
                version=launch_template.latest_version.apply(str),
            ),
            target_group_arns=[args.target_group_arns[s.name] for s in services],
            health_check_type="ELB",
            health_check_grace_period=cfg.health_check_grace_period,
            default_instance_warmup=cfg.instance_warmup,
            wait_for_capacity_timeout="15m",
            enabled_metrics=["GroupInServiceInstances", "GroupDesiredCapacity",
                             "GroupPendingInstances", "GroupTerminatingInstances"],
            instance_refresh=aws.autoscaling.GroupInstanceRefreshArgs(
                strategy="Rolling",
                preferences=aws.autoscaling.GroupInstanceRefreshPreferencesArgs(
                    min_healthy_percentage=cfg.instance_refresh_min_healthy,
                    # Launch replacements before terminating (AWS caps max - min at 100).
                    max_healthy_percentage=min(200, cfg.instance_refresh_min_healthy + 100),
                    auto_rollback=True,
                    alarm_specification=aws.autoscaling.
                    GroupInstanceRefreshPreferencesAlarmSpecificationArgs(
                        alarms=rollback_alarm_names),
                    skip_matching=True,
                ),
            ),
            tags=[
                aws.autoscaling.GroupTagArgs(key="Name", value=cfg.name(tag),
                                             propagate_at_launch=True),
            ],
            # Scaling owns desired capacity after the first deploy; `up` must not reset it.
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["desiredCapacity"]),
        )
        # A shared group scales on the catalog service's requests (titles, playback: most of
        # them) and on CPU, which every service's work shows.
        self._scaling_policies(name, group, services[0])
        return ServiceGroup(security_group, launch_template, group, user_data)

    def _scaling_policies(self, name: str, group: aws.autoscaling.Group,
                          service: ServiceRoute) -> None:
        """Target tracking on `service`'s requests per target and on average CPU."""
        cfg, args = self._config, self._args
        child = pulumi.ResourceOptions(parent=self)
        # The resource label needs the target group attached to the ALB (the rule).
        scaling_opts = pulumi.ResourceOptions(
            parent=self, depends_on=[args.listener_rules[service.name]])
        aws.autoscaling.Policy(
            f"{name}-requests-per-target",
            autoscaling_group_name=group.name,
            policy_type="TargetTrackingScaling",
            estimated_instance_warmup=cfg.instance_warmup,
            target_tracking_configuration=aws.autoscaling.PolicyTargetTrackingConfigurationArgs(
                target_value=cfg.target_requests_per_target,
                predefined_metric_specification=aws.autoscaling.
                PolicyTargetTrackingConfigurationPredefinedMetricSpecificationArgs(
                    predefined_metric_type="ALBRequestCountPerTarget",
                    resource_label=pulumi.Output.concat(
                        args.alb_arn_suffix, "/",
                        args.target_group_arn_suffixes[service.name]),
                ),
            ),
            opts=scaling_opts,
        )
        aws.autoscaling.Policy(
            f"{name}-cpu",
            autoscaling_group_name=group.name,
            policy_type="TargetTrackingScaling",
            estimated_instance_warmup=cfg.instance_warmup,
            target_tracking_configuration=aws.autoscaling.PolicyTargetTrackingConfigurationArgs(
                target_value=cfg.target_cpu_percent,
                predefined_metric_specification=aws.autoscaling.
                PolicyTargetTrackingConfigurationPredefinedMetricSpecificationArgs(
                    predefined_metric_type="ASGAverageCPUUtilization"),
            ),
            opts=child,
        )


@dataclass
class ServiceGroup:
    """One Auto Scaling group of API instances and what it is made of."""

    security_group: aws.ec2.SecurityGroup
    launch_template: aws.ec2.LaunchTemplate
    group: aws.autoscaling.Group
    user_data: pulumi.Output[str]


def _instance_policy(media_arn: str, artifacts_arn: str, secret_arn: str,
                     table_arn: str) -> dict:
    """Read the catalog and this bundle, read the one secret, use the one table."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "ReadCatalog", "Effect": "Allow", "Action": "s3:GetObject",
             "Resource": f"{media_arn}/{CATALOG_KEY}"},
            # Every bundle, not just the newest: a rollback boots the previous one.
            {"Sid": "ReadBundles", "Effect": "Allow", "Action": "s3:GetObject",
             "Resource": f"{artifacts_arn}/{app_bundle.BUNDLE_PREFIX}*"},
            {"Sid": "ReadSigningKey", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
             "Resource": secret_arn},
            {"Sid": "PlaysTable", "Effect": "Allow",
             "Action": ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query",
                        "dynamodb:UpdateItem", "dynamodb:PutItem", "dynamodb:BatchWriteItem",
                        # profiles: TransactWriteItems is authorised per item action
                        "dynamodb:DeleteItem"],
             "Resource": table_arn},
        ],
    }
