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

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from infra.config import INSTANCE_FAMILIES, INSTANCE_SIZE, REGION

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
        unknown = sorted(k for k in values if k not in _KEYS)
        if unknown:
            raise ConfigError(
                f"{source}: unknown key(s) {', '.join(f'{NAMESPACE}:{k}' for k in unknown)}; "
                f"known keys: {', '.join(sorted(_KEYS))}")
        try:
            return cls.model_validate(dict(values))
        except ValidationError as exc:
            raise ConfigError(_format_errors(source, exc)) from None


_KEYS = {field.alias or name for name, field in LoadgenConfig.model_fields.items()}


def _key(alias: str) -> str:
    return "aws:region" if alias == "region" else f"{NAMESPACE}:{alias}"


def _format_errors(source: str, exc: ValidationError) -> str:
    lines = [f"{source}: invalid configuration"]
    fields = {f.alias or n: f for n, f in LoadgenConfig.model_fields.items()}
    for err in exc.errors():
        msg = err["msg"].removeprefix("Value error, ")
        if not err["loc"]:
            lines.append(f"  {msg}")
            continue
        name = str(err["loc"][0])
        field = fields.get(name) or fields.get(to_camel(name))
        if field is None:
            lines.append(f"  {name}: {msg}")
            continue
        where = _key(field.alias or name) + "".join(f"[{p}]" for p in err["loc"][1:])
        lines.append(f"  {where}: {msg} (got {err.get('input')!r}); "
                     f"allowed: {field.description}")
    return "\n".join(lines)


def _strip_namespace(values: Mapping[str, object], source: str) -> dict[str, object]:
    mapping: dict[str, object] = {}
    for key, value in values.items():
        namespace, _, name = key.partition(":")
        if key == "aws:region":
            mapping["region"] = value
        elif namespace == NAMESPACE and name:
            mapping[name] = value
        elif namespace not in ("aws", "pulumi"):
            raise ConfigError(f"{source}: unknown key {key}; keys live in {NAMESPACE}:<name>")
    return mapping


def stack_file(stack: str, root: Path = LOADGEN_ROOT) -> Path:
    """`loadgen/Pulumi.<stack>.yaml`: where Pulumi keeps the stack's settings."""
    return root / f"Pulumi.{stack}.yaml"


def load_stack_file(path: Path | str) -> LoadgenConfig:
    """Read and validate a `Pulumi.<stack>.yaml` of this project (no Pulumi engine needed)."""
    path = Path(path)
    try:
        document = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read stack file: {exc}") from None
    values = document.get("config") or {}
    if not isinstance(values, Mapping):
        raise ConfigError(f"{path}: 'config' must be a mapping of keys to values")
    return LoadgenConfig.from_mapping(_strip_namespace(values, str(path)), str(path))


def from_pulumi() -> LoadgenConfig:
    """The running stack's configuration (the project's keys plus aws:region)."""
    import pulumi
    from pulumi.runtime import config as runtime_config

    values: dict[str, object] = dict(runtime_config.get_config_env())
    values.update(runtime_config.CONFIG.get())
    mapping = _strip_namespace(
        {k: v for k, v in values.items() if k.startswith(f"{NAMESPACE}:") or k == "aws:region"},
        f"stack {pulumi.get_stack()}")
    return LoadgenConfig.from_mapping(mapping, stack_file(pulumi.get_stack()).name)


def config_table() -> list[tuple[str, str, str]]:
    """(key, default, allowed) for every setting: the README's load-generator table."""
    rows = []
    for name, field in LoadgenConfig.model_fields.items():
        default = field.default
        if isinstance(default, bool):
            default = str(default).lower()
        elif default is None:
            default = "(unset)"
        elif isinstance(default, dict | list):
            default = json.dumps(default)
        rows.append((_key(field.alias or name), str(default), field.description or ""))
    return rows
