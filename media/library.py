"""A library: a generated directory of titles, with its catalog.

Laid out as ffmpeg writes it (the generated layout: `video/{id}/master.m3u8`,
`video/{id}/{rendition}/...`, `posters/{id}.jpg`, `catalog.json`); the publisher
nests the renditions per plan and writes each plan's master playlist on the way
to the bucket (media/tiers.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from app.catalog import CATALOG_KEY, Catalog, load_catalog


@dataclass(frozen=True)
class Library:
    """Files under `root` keyed by their path in the generated layout, plus the parsed
    catalog.json (which describes that layout)."""

    root: Path
    catalog: Catalog

    @classmethod
    def open(cls, root: Path | str) -> Library:
        root = Path(root)
        return cls(root=root, catalog=load_catalog(root / CATALOG_KEY, generated=True))

    def files(self) -> dict[str, Path]:
        """Every file of the library by its key in the generated layout (dotfiles excluded)."""
        found = {}
        for path in sorted(self.root.rglob("*")):
            rel = path.relative_to(self.root)
            if path.is_file() and not any(part.startswith(".") for part in rel.parts):
                found[rel.as_posix()] = path
        return found

    def size_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.files().values())
