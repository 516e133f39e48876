"""A library: a directory laid out exactly like the bucket, with its catalog."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from app.catalog import CATALOG_KEY, Catalog, load_catalog


@dataclass(frozen=True)
class Library:
    """Files under `root` keyed by their bucket key, plus the parsed catalog.json."""

    root: Path
    catalog: Catalog

    @classmethod
    def open(cls, root: Path | str) -> Library:
        root = Path(root)
        return cls(root=root, catalog=load_catalog(root / CATALOG_KEY))

    def files(self) -> dict[str, Path]:
        """Every file of the library by its bucket key (dotfiles excluded)."""
        found = {}
        for path in sorted(self.root.rglob("*")):
            rel = path.relative_to(self.root)
            if path.is_file() and not any(part.startswith(".") for part in rel.parts):
                found[rel.as_posix()] = path
        return found

    def size_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.files().values())
