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

Enforced at playback (app/playback_api.py):
- Titles. A title above the account's plan is a 403 problem+json.
- Renditions. A signed-cookie custom policy has one statement with one Resource
  (CloudFront Developer Guide, "Set signed cookies using a custom policy"), whose
  `*` also matches "/". Plans nest (basic within standard within premium), so the
  publisher nests the rendition folders the same way (media/tiers.py), each plan
  with its own master playlist listing only the renditions it plays:
  `video/{id}/` premium-only renditions and the full master, `video/{id}/standard/`
  standard's, `video/{id}/standard/basic/` basic's (app/catalog.py, `plan_prefix`).
  A grant's Resource is the plan's folder plus `*`, and its manifest URL that
  folder's master: one static object per plan, cached by CloudFront and the twin's
  edge like any playlist, nothing rendered per request.
- Concurrent streams. A play holds one of the plan's `streams` for its profile
  (one profile, one screen) until its cookies expire; a new play by the same
  profile takes its screen over, renewal extends it, the player releases it when
  playback ends, and another profile beyond the limit is a 409 problem+json
  (app/streams.py: one item per account, one conditional write per play).
A plan change takes effect at the account's next play; renewals keep the play's
plan (app/playback_renewal.py).
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
