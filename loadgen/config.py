"""The load-generator stack's configuration: every setting in one typed, validated object.

`loadgen/Pulumi.<stack>.yaml` -> `LoadgenConfig` -> components. A bad value raises
`ConfigError` naming the key (`edgeflix-loadgen:<key>` or `aws:region`) and the allowed
values before any resource is declared. The pure part (`from_mapping`, `load_stack_file`)
needs no Pulumi engine: `python -m loadgen.cost` reads the same stack files through it.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from infra.config import INSTANCE_FAMILIES, INSTANCE_SIZE, REGION
from infra.stack_settings import StackSettings

NAMESPACE = "edgeflix-loadgen"  # the project name in loadgen/Pulumi.yaml
LOADGEN_ROOT = Path(__file__).resolve().parent
# Locust's master listens on one port; workers connect to it (Locust docs, "Distributed
# load generation": --master-bind-port, default 5557).
MASTER_PORT = 5557
# A fully qualified stack name as `pulumi stack ls --all` prints it: org/project/stack.
STACK_NAME = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
RUN_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
MAX_WORKERS_PER_REGION = 50
HOST = re.compile(r"^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


class ConfigError(ValueError):
    """The stack configuration is invalid; the message names the key and the allowed values."""


class LoadgenConfig(BaseModel):
    """Every setting of one load-generator stack. Python names snake_case; keys camelCase."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, alias_generator=to_camel, populate_by_name=True
    )

    region: Annotated[str, Field(description="an AWS region name: the master and the "
                                             "results bucket live here")] = "us-east-1"
    target_stack: Annotated[str | None, Field(
        description="the edgeflix stack to load, org/edgeflix/<stack>: its cdn_url output "
                    "is the target (one of targetStack, targetUrl)")] = None
    target_url: Annotated[str | None, Field(
        description="an https CloudFront URL, instead of targetStack (offline replays and "
                    "tests; a deployed run reads the target stack)")] = None
    allowed_hosts: Annotated[list[str], Field(
        description="host names allowed besides *.cloudfront.net (an edgeflix stack's "
                    "custom domain)")] = []
    allow_any_target: Annotated[bool, Field(
        description="true | false (lift the https + CloudFront host check, and open egress "
                    "port 80 besides 443; never for a host you do not own)")] = False
    workers: Annotated[dict[str, int], Field(
        description=f"region -> Locust workers there (1..{MAX_WORKERS_PER_REGION} each); "
                    "each worker is one client IP")] = {"us-east-1": 2}
    instance_type: Annotated[str, Field(
        description="an x86_64 or arm64 instance type of a known family, e.g. c6i.large")
    ] = "c6i.large"
    spot: Annotated[bool, Field(description="true | false (one-time spot instances; false: "
                                            "on-demand)")] = True
    max_run_minutes: Annotated[int, Field(
        ge=1, le=720, description="1..720 minutes of load (Locust --run-time); the "
                                  "instances power off and terminate after it")] = 30
    users: Annotated[int, Field(
        ge=1, le=1_000_000,
        description="1..1000000 concurrent viewers in total, users / workers per client IP")
    ] = 80
    spawn_rate: Annotated[float, Field(gt=0, le=10_000,
                                       description="0..10000 viewers started per second")] = 10.0
    run_id: Annotated[str, Field(description="1-40 chars a-z, 0-9, '-': results go to "
                                             "runs/<runId>/")] = "run-1"
    results_expiry_days: Annotated[int, Field(
        ge=1, le=3650, description="1..3650 days before results expire")] = 30
    force_destroy: Annotated[bool, Field(
        description="true | false (`pulumi destroy` empties the results bucket: fetch "
                    "them first with `make loadgen-results`)")] = True

    @model_validator(mode="before")
    @classmethod
    def _decode_json(cls, values: Any) -> Any:
        # Pulumi hands structured settings to the program as JSON text.
        if isinstance(values, Mapping):
            # An empty value is an unset one (`--config targetStack=` in a replay).
            values = {k: v for k, v in values.items() if v != ""}
            for key in ("workers", "allowedHosts", "allowed_hosts"):
                if isinstance(values.get(key), str):
                    # Not JSON: left to the field's own error, which names the key.
                    with contextlib.suppress(ValueError):
                        values[key] = json.loads(values[key])
        return values

    @field_validator("region")
    @classmethod
    def _region(cls, value: str) -> str:
        if not REGION.match(value):
            raise ValueError("not an AWS region name")
        return value

    @field_validator("target_stack")
    @classmethod
    def _stack(cls, value: str | None) -> str | None:
        if value is not None and not STACK_NAME.match(value):
            raise ValueError("not a fully qualified stack name org/project/stack")
        return value

    @field_validator("allowed_hosts")
    @classmethod
    def _hosts(cls, value: list[str]) -> list[str]:
        bad = [h for h in value if not HOST.match(h)]
        if bad:
            raise ValueError(f"not host names: {bad}")
        return value

    @field_validator("workers")
    @classmethod
    def _workers(cls, value: dict[str, int]) -> dict[str, int]:
        if not value:
            raise ValueError("at least one region with workers")
        for region, count in value.items():
            if not REGION.match(region):
                raise ValueError(f"{region!r} is not an AWS region name")
            if not 1 <= count <= MAX_WORKERS_PER_REGION:
                raise ValueError(f"{region}: {count} workers, allowed 1..{MAX_WORKERS_PER_REGION}")
        return value

    @field_validator("instance_type")
    @classmethod
    def _instance_type(cls, value: str) -> str:
        family, _, size = value.partition(".")
        if family not in INSTANCE_FAMILIES or not INSTANCE_SIZE.match(size):
            raise ValueError(f"unknown instance type (families: {sorted(INSTANCE_FAMILIES)})")
        return value

    @field_validator("run_id")
    @classmethod
    def _run_id(cls, value: str) -> str:
        if not RUN_ID.match(value):
            raise ValueError("not a run id")
        return value

    @model_validator(mode="after")
    def _one_target(self) -> LoadgenConfig:
        if (self.target_stack is None) == (self.target_url is None):
            raise ValueError(f"set exactly one of {NAMESPACE}:targetStack and "
                             f"{NAMESPACE}:targetUrl")
        return self

    @property
    def architecture(self) -> str:
        """x86_64 or arm64: the instance family's, from infra.config.INSTANCE_FAMILIES."""
        return INSTANCE_FAMILIES[self.instance_type.partition(".")[0]]

    @property
    def ami_parameter(self) -> str:
        """The SSM parameter holding the latest Amazon Linux 2023 AMI for the architecture."""
        return f"/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-{self.architecture}"

    @property
    def regions(self) -> list[str]:
        """The master's region first, then every other region with workers (sorted)."""
        return [self.region, *sorted(r for r in self.workers if r != self.region)]

    @property
    def worker_count(self) -> int:
        """Workers in all regions: the number of client IPs the target sees."""
        return sum(self.workers.values())

    @property
    def results_prefix(self) -> str:
        """runs/<runId>/: where this run's instances write, and the role allows writing."""
        return f"runs/{self.run_id}/"

    @classmethod
    def from_mapping(cls, values: Mapping[str, object],
                     source: str = "stack config") -> LoadgenConfig:
        """Validate stack keys (camelCase, no namespace; `region` for aws:region)."""
        return SETTINGS.validate(values, source)


# The settings files of this project (edgeflix-loadgen): loadgen/Pulumi.<stack>.yaml.
SETTINGS = StackSettings(NAMESPACE, LoadgenConfig, ConfigError, LOADGEN_ROOT)
stack_file = SETTINGS.stack_file
load_stack_file = SETTINGS.load_stack_file
from_pulumi = SETTINGS.from_pulumi
config_table = SETTINGS.config_table
