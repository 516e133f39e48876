"""LocustMaster and LocustWorkers: the spot instances that run the viewer model.

One master, in the stack's region; workers in every region of `workers`. Workers in the
master's region reach it on its private IP, and the master's security group admits
them by their security group; workers elsewhere reach its public IP, and it admits each
of them by its public IP (/32) only. Each instance gets an auto-assigned public IP (no
Elastic IPs: the default quota is 5 per region), which is fixed for its life because
these instances are never stopped and started: they power off once, and terminate.

Every instance: one-time spot unless `spot: false`, IMDSv2 required with a hop limit of
1, an encrypted root volume, no key pair (no SSH), instance-initiated shutdown =
terminate, the least-privilege InstanceRole.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from .config import MASTER_PORT, LoadgenConfig
from .region import GeneratorRegion
from .user_data import RunSettings, master_script, worker_script


@dataclass
class RunArgs:
    """What every instance's user data needs, as Pulumi inputs."""

    bucket: pulumi.Input[str]
    bucket_region: str
    bundle_key: str
    target_url: pulumi.Input[str]
    profile_name: pulumi.Input[str]


def _settings(cfg: LoadgenConfig, run: RunArgs, bucket: str, target: str) -> RunSettings:
    return RunSettings(bucket=bucket, bucket_region=run.bucket_region,
                       bundle_key=run.bundle_key, results_prefix=cfg.results_prefix,
                       target_url=target, max_run_minutes=cfg.max_run_minutes)


def _instance(name: str, cfg: LoadgenConfig, region: GeneratorRegion, run: RunArgs,
              security_group_id: pulumi.Input[str], user_data: pulumi.Input[str],
              role: str, parent: pulumi.Resource) -> aws.ec2.Instance:
    market = aws.ec2.InstanceInstanceMarketOptionsArgs(
        market_type="spot",
        spot_options=aws.ec2.InstanceInstanceMarketOptionsSpotOptionsArgs(
            spot_instance_type="one-time", instance_interruption_behavior="terminate"),
    ) if cfg.spot else None
    return aws.ec2.Instance(
        name,
        ami=region.ami_id,
        instance_type=cfg.instance_type,
        subnet_id=region.subnet_id,
        vpc_security_group_ids=[security_group_id],
        associate_public_ip_address=True,
        iam_instance_profile=run.profile_name,
        instance_market_options=market,
        instance_initiated_shutdown_behavior="terminate",
        metadata_options=aws.ec2.InstanceMetadataOptionsArgs(
            http_endpoint="enabled", http_tokens="required", http_put_response_hop_limit=1),
        root_block_device=aws.ec2.InstanceRootBlockDeviceArgs(
            encrypted=True, volume_type="gp3", volume_size=16, delete_on_termination=True),
        user_data=user_data,
        user_data_replace_on_change=True,
        tags={"Name": name, "edgeflix:purpose": "loadgen", "edgeflix-loadgen:role": role,
              "edgeflix-loadgen:run": cfg.run_id},
        opts=pulumi.ResourceOptions(parent=parent, provider=region.provider),
    )


@dataclass
class LocustMasterArgs:
    config: LoadgenConfig
    region: GeneratorRegion
    run: RunArgs


class LocustMaster(pulumi.ComponentResource):
    """The master instance and its security group (ingress: the master port, from workers)."""

    def __init__(self, name: str, args: LocustMasterArgs,
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__("edgeflix-loadgen:fleet:LocustMaster", name, None, opts)
        cfg, region = args.config, args.region
        self.region = region
        self._child = pulumi.ResourceOptions(parent=self, provider=region.provider)
        self.security_group = aws.ec2.SecurityGroup(
            name, vpc_id=region.vpc.id,
            description="Locust master: the master port from the workers only",
            tags={"edgeflix:purpose": "loadgen"}, opts=self._child)
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-egress-443", security_group_id=self.security_group.id, ip_protocol="tcp",
            from_port=443, to_port=443, cidr_ipv4="0.0.0.0/0",
            description="S3 and package mirrors", opts=self._child)
        user_data = pulumi.Output.all(args.run.bucket, args.run.target_url).apply(
            lambda a: master_script(_settings(cfg, args.run, a[0], a[1]),
                                    workers=cfg.worker_count, users=cfg.users,
                                    spawn_rate=cfg.spawn_rate))
        self.instance = _instance(name, cfg, region, args.run, self.security_group.id,
                                  user_data, "master", self)
        self.public_ip = self.instance.public_ip
        self.private_ip = self.instance.private_ip
        self.register_outputs({"instance": self.instance.id, "public_ip": self.public_ip,
                               "private_ip": self.private_ip})

    def admit(self, workers: LocustWorkers) -> None:
        """Let `workers` reach the master port: by security group in the master's region,
        by each worker's public IP (/32) elsewhere."""
        if workers.region is self.region:
            aws.vpc.SecurityGroupIngressRule(
                f"{workers.name}-to-master", security_group_id=self.security_group.id,
                ip_protocol="tcp", from_port=MASTER_PORT, to_port=MASTER_PORT,
                referenced_security_group_id=workers.region.security_group_id,
                description="Locust workers of this region", opts=self._child)
            return
        for i, ip in enumerate(workers.public_ips):
            aws.vpc.SecurityGroupIngressRule(
                f"{workers.name}-{i}-to-master", security_group_id=self.security_group.id,
                ip_protocol="tcp", from_port=MASTER_PORT, to_port=MASTER_PORT,
                cidr_ipv4=pulumi.Output.concat(ip, "/32"),
                description=f"Locust worker {i} in {workers.region.region}", opts=self._child)


@dataclass
class LocustWorkersArgs:
    config: LoadgenConfig
    region: GeneratorRegion
    run: RunArgs
    master: LocustMaster


class LocustWorkers(pulumi.ComponentResource):
    """One region's workers (`workers[region]` instances) and their egress to the master."""

    def __init__(self, name: str, args: LocustWorkersArgs,
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__("edgeflix-loadgen:fleet:LocustWorkers", name, None, opts)
        cfg, region, master = args.config, args.region, args.master
        self.name = name
        self.region = region
        child = pulumi.ResourceOptions(parent=self, provider=region.provider)
        same_region = region is master.region
        master_host = master.private_ip if same_region else master.public_ip
        if same_region:
            aws.vpc.SecurityGroupEgressRule(
                f"{name}-to-master", security_group_id=region.security_group_id,
                ip_protocol="tcp", from_port=MASTER_PORT, to_port=MASTER_PORT,
                referenced_security_group_id=master.security_group.id,
                description="the Locust master", opts=child)
        else:
            aws.vpc.SecurityGroupEgressRule(
                f"{name}-to-master", security_group_id=region.security_group_id,
                ip_protocol="tcp", from_port=MASTER_PORT, to_port=MASTER_PORT,
                cidr_ipv4=pulumi.Output.concat(master.public_ip, "/32"),
                description="the Locust master", opts=child)
        self.instances = []
        for i in range(cfg.workers[region.region]):
            worker_name = f"{region.region}-{i}"
            user_data = pulumi.Output.all(args.run.bucket, args.run.target_url,
                                          master_host).apply(
                lambda a, w=worker_name: worker_script(
                    _settings(cfg, args.run, a[0], a[1]), master_host=a[2], worker_name=w))
            self.instances.append(_instance(f"{name}-{i}", cfg, region, args.run,
                                            region.security_group_id, user_data, "worker",
                                            self))
        self.public_ips = [instance.public_ip for instance in self.instances]
        self.register_outputs({"public_ips": self.public_ips})
