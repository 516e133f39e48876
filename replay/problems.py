"""A problem the replay found: which resource, which property, what is wrong."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Problem:
    type: str
    name: str
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.path}: " if self.path else ""
        return f"{self.type} {self.name}: {where}{self.message}"

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


def join(prefix: str, key: str | int) -> str:
    """Property paths read like `origins[1].customOriginConfig.httpPort`."""
    if isinstance(key, int):
        return f"{prefix}[{key}]"
    return f"{prefix}.{key}" if prefix else key
