"""Plans and entitlements ("payments" without a processor): what each plan allows.

Plans (`PLANS`): basic (renditions up to 480p, 1 stream), standard (up to 720p,
2 streams), premium (every rendition, 4 streams). A title may require a plan
(catalog.json's optional `required_plan`, app/catalog.py); a plan covers the
plans ranked at or below it.

Every account has a plan: an account with no recorded plan is on `DEFAULT_PLAN`
(basic). Sign-up (app/accounts.py, Cognito) therefore writes nothing, and an
account created any other way (the console, a migration) has a plan too. Where
plans are recorded and how they change: app/plan_store.py. Importing this module
loads neither Flask nor boto3 (app/catalog.py imports it).

Enforced today: a title above the account's plan is a 403 at playback. Designed,
not built yet:
- Renditions. A signed-cookie custom policy has one statement with one Resource
  (CloudFront Developer Guide, "Set signed cookies using a custom policy"), whose
  `*` also matches "/". Plans nest (basic within standard within premium), so the
  publisher would nest the rendition folders the same way, each tier with its own
  master playlist listing only the renditions below it: `video/{id}/` premium-only
  renditions and the full master, `video/{id}/s/` standard's, `video/{id}/s/b/`
  basic's. A grant's Resource is then the plan's folder plus `*`, and the
  manifest URL its master: one static object per tier, cached by CloudFront and
  the twin's edge like any playlist, nothing rendered per request.
- Concurrent streams. One item per stream slot (`ACCOUNT#{sub}` / `STREAM#{n}`,
  n < the plan's streams) claimed with a conditional write that succeeds when the
  slot is free or its grant has lapsed, and extended by each renewal; no free
  slot is a 409 problem+json. Clients would release a slot when a play ends, or a
  viewer switching titles would wait for the TTL.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, get_args

PlanName = Literal["basic", "standard", "premium"]
PLAN_NAMES: tuple[str, ...] = get_args(PlanName)
DEFAULT_PLAN = "basic"


@dataclass(frozen=True)
class Plan:
    """One plan: its rank among plans, the tallest rendition it plays (pixels; None for
    all) and how many streams an account on it may play at once."""

    name: str
    rank: int
    max_height: int | None
    streams: int

    def covers(self, required: str | None) -> bool:
        """Whether a title requiring plan `required` (None: any plan) plays on this plan."""
        return required is None or PLANS[required].rank <= self.rank

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape."""
        return {"name": self.name, "max_height": self.max_height, "streams": self.streams}


PLANS: dict[str, Plan] = {
    "basic": Plan("basic", 0, 480, 1),
    "standard": Plan("standard", 1, 720, 2),
    "premium": Plan("premium", 2, None, 4),
}
