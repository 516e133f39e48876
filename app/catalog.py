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

from app.plans import PlanName

log = logging.getLogger(__name__)

CATALOG_KEY = "catalog.json"
TITLE_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
TitleId = Annotated[str, Field(pattern=TITLE_ID.pattern)]
# Validation context of the API's tolerant reader (see the module docstring).
_READER = {"unknown_fields": "ignore"}


def title_prefix(title_id: str) -> str:
    """The key prefix of everything a title plays from: `video/{id}/`."""
    return f"video/{title_id}/"


def master_key(title_id: str) -> str:
    """The title's master playlist: `video/{id}/master.m3u8`."""
    return f"{title_prefix(title_id)}master.m3u8"


def variant_key(title_id: str, rendition: str) -> str:
    """One rendition's playlist: `video/{id}/{rendition}/index.m3u8`."""
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
    def _keys_follow_layout(self) -> Title:
        expected = {"poster": poster_key(self.id), "master": master_key(self.id)}
        for field, key in expected.items():
            if getattr(self, field) != key:
                raise ValueError(f"{field} must be {key!r}")
        for r in self.renditions:
            if r.playlist != variant_key(self.id, r.name):
                raise ValueError(f"rendition {r.name}: playlist must be "
                                 f"{variant_key(self.id, r.name)!r}")
        return self


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


def load_catalog(path: Path) -> Catalog:
    """Read and validate catalog.json strictly; CatalogError names the file and the field."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise CatalogError(f"{path}: cannot read catalog: {exc}") from None
    try:
        return Catalog.model_validate(data)
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
