"""The dated price table (`capacity/prices.yaml`): loaded, validated, and priced by tier.

Every entry names the AWS pricing page it comes from and how sure the figure is
(`read`, `secondary`, `unconfirmed`); the loader refuses an entry without them, so no
price enters the model without its source.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

PRICES_PATH = Path(__file__).with_name("prices.yaml")
GIB = 2**30  # AWS bills data transfer per GB of 2^30 bytes


class PriceError(ValueError):
    """The price table is missing, malformed, or lacks an entry the model needs."""


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str = Field(pattern=r"^https://")
    status: Literal["read", "secondary", "unconfirmed"]
    seen_at: str | None = None
    note: str | None = None


class UnitPrice(_Entry):
    """`usd` for each `per` (the text names the count and the unit)."""

    usd: float = Field(ge=0)
    per: str


class TieredPrice(_Entry):
    """USD per `unit` with monthly volume tiers: [upper bound in TB or None, USD per GB]."""

    unit: Literal["GB"]
    tiers: list[tuple[float | None, float]] = Field(min_length=1)


class InstancePrices(_Entry):
    """USD per instance-hour and vCPUs by instance type."""

    per: str
    instances: dict[str, tuple[float, int]]


class PriceTable(BaseModel):
    """Every price the capacity model uses; see prices.yaml for the sources."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    read_on: dt.date
    currency: Literal["USD"]
    hours_per_month: float = Field(gt=0)
    cloudfront_data_transfer_out: TieredPrice
    cloudfront_https_requests: UnitPrice
    s3_get_requests: UnitPrice
    ec2_on_demand: InstancePrices
    alb_hour: UnitPrice
    alb_lcu_hour: UnitPrice
    dynamodb_write_request_units: UnitPrice
    dynamodb_read_request_units: UnitPrice
    waf_web_acl_month: UnitPrice
    waf_rule_month: UnitPrice
    waf_requests: UnitPrice

    def instance(self, instance_type: str) -> tuple[float, int]:
        """(USD per hour, vCPUs) of an instance type; PriceError names the table if absent."""
        try:
            return self.ec2_on_demand.instances[instance_type]
        except KeyError:
            known = ", ".join(sorted(self.ec2_on_demand.instances))
            raise PriceError(
                f"{PRICES_PATH.name}: ec2_on_demand.instances has no {instance_type!r} "
                f"(has {known}); add it with its source"
            ) from None


def load_prices(path: Path = PRICES_PATH) -> PriceTable:
    """Read and validate the price table; PriceError names the file and the key."""
    try:
        document = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise PriceError(f"{path}: cannot read the price table: {exc}") from None
    try:
        return PriceTable.model_validate(document)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise PriceError(f"{path}: {where}: {first['msg']}") from None


def tiered_cost(quantity_gb: float, tiers: list[tuple[float | None, float]]) -> float:
    """USD for `quantity_gb` in a month under volume tiers whose bounds are in TB (1024 GB).

    Each GB is charged at the rate of the tier it falls in (CloudFront pricing page).
    """
    if quantity_gb < 0:
        raise ValueError(f"quantity must be >= 0 GB, got {quantity_gb}")
    cost, lower = 0.0, 0.0
    for bound_tb, usd_per_gb in tiers:
        upper = float("inf") if bound_tb is None else bound_tb * 1024
        if quantity_gb <= lower:
            break
        cost += (min(quantity_gb, upper) - lower) * usd_per_gb
        lower = upper
    return cost
