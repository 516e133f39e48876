"""The load generator's cost estimate, printed before `pulumi up` (`make loadgen-cost`,
and by the program itself at preview).

Each instance runs at most maxRunMinutes + the setup allowance of user_data.py (the
safety net powers it off then); EC2 bills Linux per second. Per instance and hour: the
On-Demand price of loadgen/prices.yaml (also the upper bound of a spot run, see there),
its public IPv4 address, and its gp3 root volume. What the target stack pays (CloudFront
requests and bytes, its API fleet) is not in this figure.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

from .config import ConfigError, LoadgenConfig, load_stack_file, stack_file
from .user_data import deadline_minutes

PRICES_FILE = Path(__file__).resolve().parent / "prices.yaml"
ROOT_VOLUME_GB = 16  # fleet.py's root_block_device
HOURS_PER_MONTH = 730


class PriceMissing(LookupError):
    """The price table has no price for an instance type in a region."""


@dataclass(frozen=True)
class RegionCost:
    region: str
    instances: int
    hourly_usd: float  # per instance: instance + public IPv4 + root volume
    usd: float


@dataclass(frozen=True)
class Estimate:
    hours: float  # per instance, at most
    regions: list[RegionCost]
    spot: bool
    instance_type: str
    as_of: str

    @property
    def usd(self) -> float:
        """The whole run, USD, at most."""
        return sum(r.usd for r in self.regions)

    def lines(self) -> list[str]:
        """The estimate as printed: a header, one line per region, the total."""
        market = "spot (On-Demand price as the upper bound)" if self.spot else "On-Demand"
        out = [f"load generator cost, at most {self.hours:.2f} h per instance, "
               f"{self.instance_type}, {market}; prices as of {self.as_of}:"]
        for r in self.regions:
            out.append(f"  {r.region:<15} {r.instances:>3} x {self.hours:.2f} h x "
                       f"${r.hourly_usd:.4f}/h = ${r.usd:.2f}")
        out.append(f"total at most ${self.usd:.2f} (CloudFront and the target stack's own "
                   "costs not included)")
        return out


def load_prices(path: Path = PRICES_FILE) -> dict:
    """The price table (loadgen/prices.yaml) as a dict."""
    return yaml.safe_load(path.read_text())


def estimate(cfg: LoadgenConfig, prices: dict | None = None) -> Estimate:
    """The run's EC2 cost upper bound. Raises PriceMissing for a type/region not listed."""
    prices = load_prices() if prices is None else prices
    hours = deadline_minutes(cfg.max_run_minutes) / 60
    extras = prices["public_ipv4_per_hour"] + \
        prices["gp3_per_gb_month"] * ROOT_VOLUME_GB / HOURS_PER_MONTH
    regions = []
    for region in cfg.regions:
        count = cfg.workers.get(region, 0) + (1 if region == cfg.region else 0)
        price = prices["on_demand_per_hour"].get(region, {}).get(cfg.instance_type)
        if price is None:
            raise PriceMissing(f"{PRICES_FILE.name} has no price for {cfg.instance_type} in "
                               f"{region}; add it (source: {prices['source']})")
        hourly = price + extras
        regions.append(RegionCost(region, count, hourly, count * hours * hourly))
    return Estimate(hours, regions, cfg.spot, cfg.instance_type, str(prices["as_of"]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m loadgen.cost", description=__doc__)
    parser.add_argument("--stack", default="sample", help="reads loadgen/Pulumi.<stack>.yaml")
    args = parser.parse_args(argv)
    try:
        cfg = load_stack_file(stack_file(args.stack))
        print("\n".join(estimate(cfg).lines()))
        print(f"{cfg.worker_count} workers = {cfg.worker_count} client IPs, "
              f"{cfg.users / cfg.worker_count:.0f} viewers per IP (README, \"Load from many "
              "machines\": the edge WAF's per-IP playback limit)")
    except (ConfigError, PriceMissing) as exc:
        print(f"loadgen cost: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
