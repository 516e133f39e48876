"""What a running twin is: its ports and `state.json`, the twin's one record of itself.

`python -m twin` writes it; the load test and `verify` find the twin through
`TwinState.load(DEFAULT_RUN_DIR)` rather than reading the file themselves.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from app.service_map import CATALOG, SERVICES
from twin import processes

REPO_ROOT = Path(__file__).resolve().parent.parent
# Ports one instance takes (its services' port offsets) and the demo's spacing of instances.
INSTANCE_PORTS = max(s.port_offset for s in SERVICES) + 1
INSTANCE_STRIDE = 10
DEFAULT_RUN_DIR = REPO_ROOT / ".run" / "twin"
STATE_FILE = "state.json"


def instance_name(index: int) -> str:
    """Instance `index`'s name (1-based): its ALB server slot, its state.json port key."""
    return f"api-{index}"


def group_name(service: str, instance: str) -> str:
    """The process name of `service`'s gunicorn group on `instance` ("api-N"): the
    catalog's is the instance's own name (as before the services split), the others'
    `<service>-N`."""
    return instance if service == CATALOG.name else f"{service}-{instance.rsplit('-', 1)[1]}"


class StateFileError(RuntimeError):
    """`state.json` exists but is not a twin state; the message names the file."""


@dataclass(frozen=True)
class TwinPorts:
    """Loopback ports of every twin process; `api` has one port per instance: its catalog
    service's, the instance's other services listening after it by their `port_offset`
    (app/service_map.py), so an instance takes INSTANCE_PORTS consecutive ports."""

    edge: int = 8080
    alb: int = 8081
    cache: int = 8082
    cache_admin: int = 8083
    moto: int = 8084
    api: tuple[int, ...] = ()

    @classmethod
    def defaults(cls, instances: int, edge: int = 0) -> TwinPorts:
        """The demo's fixed ports (the viewer's on `edge`, 8080 when 0)."""
        return cls(edge=edge or cls.edge,
                   api=tuple(8101 + INSTANCE_STRIDE * i for i in range(instances)))

    @classmethod
    def free(cls, instances: int) -> TwinPorts:
        """Ports free right now (tests, so they never clash with a running demo)."""
        picked: set[int] = set()
        while len(picked) < 5:
            picked.add(processes.free_port())
        p = sorted(picked)
        api: list[int] = []
        taken = set(picked)
        for _ in range(instances):
            base = processes.free_port_block(INSTANCE_PORTS, avoid=taken)
            taken.update(range(base, base + INSTANCE_PORTS))
            api.append(base)
        return cls(edge=p[0], alb=p[1], cache=p[2], cache_admin=p[3], moto=p[4],
                   api=tuple(api))

    @classmethod
    def from_mapping(cls, ports: dict[str, int]) -> TwinPorts:
        """The inverse of `all()` (ports as recorded in state.json)."""
        p = dict(ports)
        api = sorted((k for k in p if k.startswith("api-")), key=lambda k: int(k[4:]))
        return cls(api=tuple(p.pop(k) for k in api), **p)

    def all(self) -> dict[str, int]:
        ports = {"edge": self.edge, "alb": self.alb, "cache": self.cache,
                 "cache_admin": self.cache_admin, "moto": self.moto}
        ports.update({f"api-{i}": p for i, p in enumerate(self.api, start=1)})
        return ports


@dataclass
class TwinState:
    """What `state.json` records; the load test and `verify` read it too."""

    cdn_url: str
    alb_url: str
    moto_url: str
    bucket: str
    table: str
    secret_id: str
    key_pair_id: str
    catalog_key: str
    stack: str
    run_dir: str
    ports: dict[str, int]
    pids: dict[str, int] = field(default_factory=dict)
    markers: dict[str, str] = field(default_factory=dict)
    titles: list[str] = field(default_factory=list)
    # The viewers' Cognito user pool in moto and its public app client ("" until seeded).
    user_pool_id: str = ""
    user_pool_client_id: str = ""
    started_at: float = 0.0
    startup_seconds: float = 0.0
    # What `Twin.attach` needs to restart a part as it was started (`make chaos ACTION=heal`):
    # the library it published (media.sample profile, title count, forced duration) and
    # the grant lifetime its API instances were given.
    profile: str = "ci"
    library_titles: int = 0
    library_seconds: int | None = None
    cookie_ttl: int = 0
    # Where the stack file lives when not at the repository root (tests' own stacks).
    stack_root: str = ""
    # The autoscaler (twin/fleet.py): whether it runs and its clock's speed-up.
    autoscale: bool = False
    time_scale: float = 0.0

    def save(self, run_dir: Path) -> None:
        path = run_dir / STATE_FILE
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=2) + "\n")
        tmp.replace(path)

    @classmethod
    def load(cls, run_dir: Path) -> TwinState | None:
        """The state recorded in `run_dir`, or None when no twin was started there.

        Raises StateFileError when the file is unreadable or not a twin state.
        """
        path = Path(run_dir) / STATE_FILE
        try:
            recorded = json.loads(path.read_text())
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise StateFileError(f"cannot read the twin's state file {path}: {exc}") from None
        try:
            return cls(**recorded)
        except TypeError as exc:
            raise StateFileError(f"{path} is not a twin state file ({exc}); "
                                 "remove it once no twin runs") from None
