"""The load-generator stack's outputs: the names `__main__.py` exports and
`python -m loadgen.results` reads (plain Python, no Pulumi SDK)."""

from __future__ import annotations

RESULTS_BUCKET = "results_bucket"  # the private bucket holding runs/<runId>/...
RESULTS_PREFIX = "results_prefix"  # runs/<runId>/: this run's files
RESULTS_REGION = "results_region"  # the bucket's region
TARGET_URL = "target_url"  # the CDN URL the viewers load
MASTER_PUBLIC_IP = "master_public_ip"  # the Locust master (port 5557 for workers only)
WORKER_PUBLIC_IPS = "worker_public_ips"  # region -> the workers' public IPs (client IPs)
MAX_RUN_MINUTES = "max_run_minutes"  # Locust's --run-time; instances power off after it
ESTIMATED_COST_USD = "estimated_cost_usd"  # upper bound of the run's EC2 cost (cost.py)
