"""edgeflix-loadgen: Locust on EC2 aimed at one edgeflix stack. This module only composes.

Pulumi runs it as __main__ (loadgen/Pulumi.yaml); the mocks tests and the replay
(`make loadgen-plan`) import it and call `main()` under their own mocks.
"""

from __future__ import annotations

import pulumi

from loadgen import bundle, config, cost, outputs
from loadgen.fleet import (
    LocustMaster,
    LocustMasterArgs,
    LocustWorkers,
    LocustWorkersArgs,
    RunArgs,
)
from loadgen.instance_role import InstanceRole, InstanceRoleArgs
from loadgen.region import GeneratorRegion, GeneratorRegionArgs
from loadgen.results_bucket import ResultsBucket, ResultsBucketArgs
from loadgen.target import target_url


def main() -> None:
    cfg = config.from_pulumi()  # raises ConfigError before any resource exists
    target = target_url(cfg)  # raises TargetRefused at preview for a URL it may not load
    try:
        estimate = cost.estimate(cfg)
        pulumi.log.info("\n".join(estimate.lines()))
    except cost.PriceMissing as exc:
        estimate = None
        pulumi.log.warn(f"no cost estimate: {exc}")

    results = ResultsBucket("results", ResultsBucketArgs(cfg, bundle.collect()))
    role = InstanceRole("loadgen", InstanceRoleArgs(cfg, results.arn, results.bundle_key))
    run = RunArgs(bucket=results.name, bucket_region=cfg.region, bundle_key=results.bundle_key,
                  target_url=target, profile_name=role.profile_name)
    regions = {name: GeneratorRegion(name, GeneratorRegionArgs(cfg, name))
               for name in cfg.regions}
    master = LocustMaster("master", LocustMasterArgs(cfg, regions[cfg.region], run))
    workers = {}
    for name in sorted(cfg.workers):
        workers[name] = LocustWorkers(f"workers-{name}", LocustWorkersArgs(
            cfg, regions[name], run, master))
        master.admit(workers[name])

    pulumi.export(outputs.RESULTS_BUCKET, results.name)
    pulumi.export(outputs.RESULTS_PREFIX, cfg.results_prefix)
    pulumi.export(outputs.RESULTS_REGION, cfg.region)
    pulumi.export(outputs.TARGET_URL, target)
    pulumi.export(outputs.MASTER_PUBLIC_IP, master.public_ip)
    pulumi.export(outputs.WORKER_PUBLIC_IPS, {name: w.public_ips for name, w in workers.items()})
    pulumi.export(outputs.MAX_RUN_MINUTES, cfg.max_run_minutes)
    if estimate is not None:
        pulumi.export(outputs.ESTIMATED_COST_USD, round(estimate.usd, 2))


if __name__ == "__main__":
    main()
