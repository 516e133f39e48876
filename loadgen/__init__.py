"""The load-generator stack: a second Pulumi project (loadgen/Pulumi.yaml) that puts a
Locust master and workers on EC2, in one or more regions, aimed at one edgeflix stack's
CDN URL, and stops itself after a maximum run time.

  config.py          the typed, validated stack configuration (LoadgenConfig)
  target.py          which URL the viewers load: the target stack's CDN URL, checked
  bundle.py          loadtest/ (and what it imports) as a zip, via infra.app_bundle
  user_data.py       the instances' boot scripts (master, worker)
  results_bucket.py  ResultsBucket: private, encrypted, TLS-only, expiring; the bundle
  instance_role.py   InstanceRole: read the bundle, write this run's results, nothing else
  region.py          GeneratorRegion: VPC, public subnet, security group, per region
  fleet.py           LocustMaster, LocustWorkers: the spot instances and the 5557 rules
  prices.yaml, cost.py   the cost estimate (`make loadgen-cost`)
  results.py         `make loadgen-results`: a run's files from S3 into reports/loadgen/
  outputs.py         the names this stack exports
  __main__.py        the Pulumi program: only composes
"""
