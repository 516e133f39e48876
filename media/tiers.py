"""The published layout: a generated library's renditions nested per plan, a master per plan.

ffmpeg writes every rendition of a title side by side (`video/{id}/{rendition}/`,
media/generate.py) and one master listing them all. The bucket holds them nested
the way plans nest (app/catalog.py, `plan_prefix`): a rendition moves into the
folder of the least plan that plays it, and every plan's folder gets its own
master playlist listing only the renditions that plan plays, with URIs relative
to that folder (RFC 8216, section 4.1: a URI in a playlist is relative to the
playlist's own URI). Variant playlists name their segments relatively, so they
move unchanged. The catalog uploaded with them names the nested keys.

Nothing is re-encoded: a generated library (minutes to hours of ffmpeg) is
restructured on each publish, in milliseconds. Importing this module loads
neither Flask nor boto3.
"""

from __future__ import annotations

import posixpath
from pathlib import Path

from app.catalog import (
    CATALOG_KEY,
    Catalog,
    Title,
    dump_catalog,
    master_key,
    title_prefix,
    variant_key,
)
from app.plans import PLANS
from media.library import Library

STREAM_INF = "#EXT-X-STREAM-INF:"


class LayoutError(ValueError):
    """The generated library cannot be laid out per plan (its master disagrees with it)."""


def published_catalog(catalog: Catalog) -> Catalog:
    """The catalog with each rendition's playlist at its published (nested) key."""
    data = catalog.model_dump()
    for title in data["titles"]:
        for r in title["renditions"]:
            r["playlist"] = variant_key(title["id"], r["name"], r["height"])
    return Catalog.model_validate(data)


def plan_master(generated_master: str, title: Title, plan: str) -> str:
    """`plan`'s master playlist, from the generated master's text.

    Keeps the header tags and, for each rendition `plan` plays, its
    `#EXT-X-STREAM-INF` line (attributes as measured at generation) with the URI
    made relative to the plan's folder. Raises LayoutError when the generated master
    lists a rendition the catalog does not have, or misses one it has.
    """
    by_uri = {f"{r.name}/index.m3u8": r for r in title.renditions}
    folder = master_key(title.id, plan).rsplit("/", 1)[0]
    plays = {r.name for r in title.renditions_for(PLANS[plan])}
    lines = generated_master.splitlines()
    out: list[str] = []
    listed: set[str] = set()
    index = 0
    while index < len(lines):
        line = lines[index]
        if not line.startswith(STREAM_INF):
            if line.strip() and not line.startswith("#"):
                raise LayoutError(f"{master_key(title.id)}: URI {line!r} without "
                                  "#EXT-X-STREAM-INF")
            out.append(line)
            index += 1
            continue
        uri = lines[index + 1].strip() if index + 1 < len(lines) else ""
        rendition = by_uri.get(uri)
        if rendition is None:
            raise LayoutError(f"{master_key(title.id)}: lists {uri!r}, which the catalog "
                              f"does not have")
        listed.add(rendition.name)
        if rendition.name in plays:
            key = variant_key(title.id, rendition.name, rendition.height)
            out += [line, posixpath.relpath(key, folder)]
        index += 2
    missing = sorted({r.name for r in title.renditions} - listed)
    if missing:
        raise LayoutError(f"{master_key(title.id)}: does not list {missing}")
    return "\n".join(out).rstrip("\n") + "\n"


def published_files(library: Library, scratch: Path) -> dict[str, Path]:
    """Every file to upload, by its published key.

    Renditions' files under their nested keys, the library's own files for
    everything else (posters, ...), and, written into `scratch`, each plan's master
    playlist per title and the published catalog.json. Raises LayoutError (see
    `plan_master`).
    """
    generated = library.files()
    catalog = library.catalog
    moves: dict[str, str] = {}
    for title in catalog.titles:
        for r in title.renditions:
            moves[f"{title_prefix(title.id)}{r.name}/"] = (
                variant_key(title.id, r.name, r.height).rsplit("/", 1)[0] + "/")
    replaced = {master_key(t.id) for t in catalog.titles} | {CATALOG_KEY}
    files: dict[str, Path] = {}
    for key, path in generated.items():
        if key in replaced:
            continue
        folder = key.rsplit("/", 1)[0] + "/" if "/" in key else ""
        target = moves.get(folder)
        files[target + key.rsplit("/", 1)[1] if target else key] = path
    for title in catalog.titles:
        text = (library.root / master_key(title.id)).read_text()
        for plan in PLANS:
            key = master_key(title.id, plan)
            out = scratch / key
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(plan_master(text, title, plan))
            files[key] = out
    dump_catalog(published_catalog(catalog), scratch / CATALOG_KEY)
    files[CATALOG_KEY] = scratch / CATALOG_KEY
    return files
