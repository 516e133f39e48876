"""catalog.json: the title catalog the media publisher writes and the playback API reads.

The one definition of the format: where it lives in the bucket (`CATALOG_KEY`),
the title-id pattern, the key layout of a title's objects, and the models of the
document. Two readers share it. The publisher's `load_catalog()` is strict: any
deviation, unknown fields included, is a CatalogError naming the file and the
field. The API's `read_titles()` is tolerant, so one bad entry cannot take the
catalog down: a bad entry is skipped and logged, a bad document raises, and
fields it does not know are ignored (a newer publisher may add some before the
fleet is upgraded). Importing this module loads neither Flask nor boto3.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    model_validator,
)

from app.plans import PLANS, Plan, PlanName

log = logging.getLogger(__name__)

CATALOG_KEY = "catalog.json"
TITLE_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
TitleId = Annotated[str, Field(pattern=TITLE_ID.pattern)]
# Validation contexts: the API's tolerant reader (see the module docstring), and a
# generated library's own catalog, which describes the generated layout (below).
_READER = {"unknown_fields": "ignore"}
GENERATED = {"layout": "generated"}
# The plans from the least to the most: a plan's folder nests inside the next one's.
_PLANS_UP = tuple(sorted(PLANS.values(), key=lambda p: p.rank))


def title_prefix(title_id: str) -> str:
    """The key prefix of everything a title plays from: `video/{id}/`."""
    return f"video/{title_id}/"


# Published layout (what the bucket holds and the API grants). Plans nest (basic
# within standard within premium), and so do their folders: the top plan's folder is
# the title's, each plan below it is a folder named after it inside the next plan's
# folder, e.g. premium `video/{id}/`, standard `video/{id}/standard/`, basic
# `video/{id}/standard/basic/`. A rendition lives in the folder of the least plan
# that plays it, and each plan's folder has a master playlist listing the renditions
# it plays. A signed-cookie policy has one Resource (CloudFront Developer Guide, "Set
# signed cookies using a custom policy"), so a grant's Resource is the plan's folder
# plus `*`, which covers that plan's renditions and the ones nested below it, and
# nothing above it.


def plan_prefix(title_id: str, plan: str) -> str:
    """The key prefix of what `plan` plays of a title: `video/{id}/` then one folder per
    plan below the top down to `plan` (`video/{id}/standard/basic/` for basic).

    Raises KeyError for an unknown plan.
    """
    rank = PLANS[plan].rank
    below_top = [p.name for p in reversed(_PLANS_UP[:-1]) if p.rank >= rank]
    return title_prefix(title_id) + "".join(f"{name}/" for name in below_top)


def rendition_plan(height: int) -> Plan:
    """The least plan whose `max_height` (pixels) admits a rendition `height` pixels tall."""
    for plan in _PLANS_UP:
        if plan.max_height is None or height <= plan.max_height:
            return plan
    raise ValueError(f"no plan plays a rendition {height} pixels tall")


def master_key(title_id: str, plan: str | None = None) -> str:
    """A plan's master playlist (`plan_prefix` + `master.m3u8`); None: the top plan's,
    `video/{id}/master.m3u8`, which lists every rendition (the catalog's `master`)."""
    return f"{plan_prefix(title_id, plan or _PLANS_UP[-1].name)}master.m3u8"


def variant_key(title_id: str, rendition: str, height: int) -> str:
    """One rendition's playlist in the published layout:
    `{plan_prefix(id, rendition_plan(height))}{rendition}/index.m3u8`."""
    return f"{plan_prefix(title_id, rendition_plan(height).name)}{rendition}/index.m3u8"


def generated_variant_key(title_id: str, rendition: str) -> str:
    """One rendition's playlist as ffmpeg writes it (media/generate.py), before publishing
    nests it: `video/{id}/{rendition}/index.m3u8`."""
    return f"{title_prefix(title_id)}{rendition}/index.m3u8"


def poster_key(title_id: str) -> str:
    """The title's poster: `posters/{id}.jpg`."""
    return f"posters/{title_id}.jpg"


class CatalogError(ValueError):
    """catalog.json is missing or not in the promised shape."""


class _Model(BaseModel):
    # strict: JSON types as written (a year is a number, never "2001").
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    @model_validator(mode="before")
    @classmethod
    def _drop_unknown_fields_when_reading(cls, data: Any, info: ValidationInfo) -> Any:
        if info.context == _READER and isinstance(data, dict):
            return {k: v for k, v in data.items() if k in cls.model_fields}
        return data


class Rendition(_Model):
    """One HLS variant of a title."""

    name: str = Field(pattern=r"^[0-9]{3,4}p$")
    width: int = Field(gt=0)
    height: int = Field(gt=0)
    bandwidth: int = Field(gt=0, description="peak bits per second, as in the master playlist")
    average_bandwidth: int | None = Field(
        default=None, gt=0,
        description="average bits per second (the master's AVERAGE-BANDWIDTH); optional")
    playlist: str


class Title(_Model):
    """One title; its poster and playlists follow the key layout above."""

    id: TitleId
    title: str = Field(min_length=1)
    synopsis: str
    genres: list[str]
    tags: list[str]
    year: int = Field(ge=1888, le=2100)
    duration: float = Field(gt=0, description="seconds")
    popularity: float = Field(ge=0, le=1, description="share of plays (Zipf); all titles sum to 1")
    poster: str
    master: str
    renditions: list[Rendition] = Field(min_length=1)
    required_plan: PlanName | None = Field(
        default=None,
        description="the least plan (app/plans.py) that plays the title; optional, "
        "absent or null: every plan")

    @model_validator(mode="after")
    def _keys_follow_layout(self, info: ValidationInfo) -> Title:
        expected = {"poster": poster_key(self.id), "master": master_key(self.id)}
        for field, key in expected.items():
            if getattr(self, field) != key:
                raise ValueError(f"{field} must be {key!r}")
        generated = info.context == GENERATED
        for r in self.renditions:
            key = (generated_variant_key(self.id, r.name) if generated
                   else variant_key(self.id, r.name, r.height))
            if r.playlist != key:
                raise ValueError(f"rendition {r.name}: playlist must be {key!r}")
        return self

    def renditions_for(self, plan: Plan) -> list[Rendition]:
        """The renditions `plan` plays: those no taller than its `max_height`."""
        return [r for r in self.renditions
                if plan.max_height is None or r.height <= plan.max_height]


class Catalog(_Model):
    """The document: format version 1 and the titles."""

    version: Literal[1] = 1
    titles: list[Title]

    @model_validator(mode="after")
    def _unique_ids(self) -> Catalog:
        ids = [t.id for t in self.titles]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"duplicate title ids: {duplicates}")
        return self

    def top(self, k: int) -> list[Title]:
        """The k most popular titles, most popular first (ties by id)."""
        return sorted(self.titles, key=lambda t: (-t.popularity, t.id))[:max(0, k)]


def _problems(exc: ValidationError) -> list[str]:
    return [f"{'.'.join(str(p) for p in err['loc']) or '(top level)'}: {err['msg']}"
            for err in exc.errors()]


def load_catalog(path: Path, *, generated: bool = False) -> Catalog:
    """Read and validate catalog.json strictly; CatalogError names the file and the field.

    `generated`: the catalog of a generated library (media/generate.py), whose playlists
    follow `generated_variant_key` instead of the published layout.
    """
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise CatalogError(f"{path}: cannot read catalog: {exc}") from None
    try:
        return Catalog.model_validate(data, context=GENERATED if generated else None)
    except ValidationError as exc:
        raise CatalogError("\n  ".join([f"{path}: invalid catalog", *_problems(exc)])) from None


def dump_catalog(catalog: Catalog, path: Path) -> None:
    """Write catalog.json deterministically (stable key order, trailing newline).

    `required_plan` is written only when a title has one, so a catalog without plans
    is the same bytes as before the field existed.
    """
    data = catalog.model_dump()
    for title in data["titles"]:
        if title["required_plan"] is None:
            del title["required_plan"]
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def read_titles(document: bytes) -> tuple[Title, ...]:
    """The titles of a catalog.json document, as the API reads it.

    A bad entry (or a later one repeating an id) is skipped and logged as a
    warning; fields the format does not define are ignored. Raises CatalogError
    when the document itself is not JSON, not version 1 or has no list of titles.
    """
    try:
        data = json.loads(document)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CatalogError(f"{CATALOG_KEY} is not JSON: {exc}") from None
    entries = data.get("titles") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise CatalogError(f"{CATALOG_KEY} must be an object with a list of titles")
    try:  # the envelope alone: its version (the titles follow, one at a time)
        Catalog.model_validate({**data, "titles": []}, context=_READER)
    except ValidationError as exc:
        raise CatalogError(f"{CATALOG_KEY}: {'; '.join(_problems(exc))}") from None
    titles: dict[str, Title] = {}
    for entry in entries:
        try:
            title = Title.model_validate(entry, context=_READER)
        except ValidationError as exc:
            label = entry.get("id") if isinstance(entry, dict) else entry
            log.warning("skipping catalog entry %r: %s", label, "; ".join(_problems(exc)))
            continue
        if title.id in titles:
            log.warning("skipping duplicate catalog entry %s", title.id)
            continue
        titles[title.id] = title
    return tuple(titles.values())
