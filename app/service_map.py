"""Which service answers which path: the one map the API, the twin and the Pulumi program share.

edgeflix's API is four services that fail alone (README "Services that fail alone"):

- `catalog`: titles, playback grants and their renewal, trending, the OpenAPI
  document. The ALB listener's default action, so an unknown path gets the
  catalog service's 404 problem+json.
- `accounts`: sign-up, confirmation, sessions (Cognito) and profiles.
- `plans`: the plans on offer and an account's plan.
- `recommendations`: because-you-watched and top picks for a profile.

Each runs as its own gunicorn process group on its own port with its own health
check, behind its own ALB target group reached by a path-pattern listener rule
(Elastic Load Balancing User Guide for Application Load Balancers, "Listener
rules": path patterns are case-sensitive, `*` matches any run of characters, and
a rule takes at most five condition values). The twin's HAProxy routes the same
patterns to the same groups. `ALL` is every service in one process: local
development, unit tests and `make bench-api`'s baseline.

Importing this module loads neither Flask nor boto3.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase

ALL = "all"


@dataclass(frozen=True)
class ServiceRoute:
    """One service: its name, the ALB path patterns routed to it, its port on a
    shared instance (the catalog service's is the stack's `apiPort`; the others
    follow it by `port_offset`), and its listener-rule priority (lower first;
    None for the default action)."""

    name: str
    path_patterns: tuple[str, ...]
    port_offset: int
    priority: int | None

    def port(self, base_port: int) -> int:
        """This service's port on an instance whose catalog service listens on `base_port`."""
        return base_port + self.port_offset

    def matches(self, path: str) -> bool:
        """Whether a request for `path` is routed here by a path-pattern rule (case-sensitive)."""
        return any(fnmatchcase(path, pattern) for pattern in self.path_patterns)


CATALOG = ServiceRoute("catalog", (), 0, None)
ACCOUNTS = ServiceRoute(
    "accounts", ("/api/v1/accounts*", "/api/v1/sessions*", "/api/v1/profiles*"), 1, 10)
PLANS = ServiceRoute("plans", ("/api/v1/plans*", "/api/v1/account/plan*"), 2, 20)
RECOMMENDATIONS = ServiceRoute("recommendations", ("/api/v1/recommendations*",), 3, 30)

SERVICES: tuple[ServiceRoute, ...] = (CATALOG, ACCOUNTS, PLANS, RECOMMENDATIONS)
SERVICE_NAMES: tuple[str, ...] = tuple(s.name for s in SERVICES)
# The services reached by a listener rule, in rule order; the rest is the default action's.
RULED: tuple[ServiceRoute, ...] = tuple(
    sorted((s for s in SERVICES if s.priority is not None), key=lambda s: s.priority or 0))


def service_named(name: str) -> ServiceRoute:
    """The service called `name`; ValueError naming the known ones otherwise."""
    for service in SERVICES:
        if service.name == name:
            return service
    raise ValueError(f"unknown service {name!r}: expected one of {', '.join(SERVICE_NAMES)}")


def route(path: str) -> ServiceRoute:
    """The service the ALB sends a request for `path` to: the first matching rule, else catalog."""
    for service in RULED:
        if service.matches(path):
            return service
    return CATALOG
