"""catalog.json: the list of titles the publisher promises the playback API.

The shape is a contract with the API and the load test (DESIGN.md); this
module is the one place that writes it, and the publisher re-reads it through
`load_catalog()` before anything is uploaded.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from app.catalog import TITLE_ID

CATALOG_KEY = "catalog.json"
# The id contract is the API's: what the publisher writes, the API must accept.
TITLE_ID_PATTERN = TITLE_ID.pattern
TitleId = Annotated[str, Field(pattern=TITLE_ID_PATTERN)]


class CatalogError(ValueError):
    """catalog.json is missing or not in the promised shape."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Rendition(_Model):
    name: str = Field(pattern=r"^[0-9]{3,4}p$")
    width: int = Field(gt=0)
    height: int = Field(gt=0)
    bandwidth: int = Field(gt=0, description="peak bits per second, as in the master playlist")
    playlist: str


class Title(_Model):
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


def master_key(title_id: str) -> str:
    return f"video/{title_id}/master.m3u8"


def variant_key(title_id: str, rendition: str) -> str:
    return f"video/{title_id}/{rendition}/index.m3u8"


def poster_key(title_id: str) -> str:
    return f"posters/{title_id}.jpg"


def load_catalog(path: Path) -> Catalog:
    """Read and validate catalog.json; CatalogError names the file and the field."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise CatalogError(f"{path}: cannot read catalog: {exc}") from None
    try:
        return Catalog.model_validate(data)
    except ValidationError as exc:
        lines = [f"{path}: invalid catalog"]
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"]) or "(top level)"
            lines.append(f"  {loc}: {err['msg']}")
        raise CatalogError("\n".join(lines)) from None


def dump_catalog(catalog: Catalog, path: Path) -> None:
    """Write catalog.json deterministically (stable key order, trailing newline)."""
    path.write_text(json.dumps(catalog.model_dump(), indent=2, ensure_ascii=False) + "\n")
