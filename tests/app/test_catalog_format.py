"""The catalog format (app/catalog.py): one definition, read strictly by the publisher and
tolerantly by the API."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from tests_app_support import make_title

from app.catalog import CatalogError, load_catalog, read_titles


def _document(*titles: Any, **envelope: Any) -> bytes:
    return json.dumps({"version": 1, **envelope, "titles": list(titles)}).encode()


def test_the_api_reads_every_title_the_format_allows() -> None:
    titles = read_titles(_document(make_title(1, "a", ["Drama"], [], 0.5),
                                   make_title(2, "b", ["Comedy"], ["x"], 0.5)))
    assert [t.id for t in titles] == ["t01-a", "t02-b"]
    assert titles[0].renditions[1].playlist == "video/t01-a/standard/720p/index.m3u8"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"id": "Bad Id!"}, "id"),
        ({"year": "2001"}, "year"),
        ({"popularity": 1.5}, "popularity"),
        ({"poster": "elsewhere.jpg"}, "poster must be"),
        ({"renditions": []}, "renditions"),
        ({"duration": True}, "duration"),
    ],
)
def test_the_api_skips_a_bad_entry_and_says_why(
    change: dict, field: str, caplog: pytest.LogCaptureFixture
) -> None:
    good = make_title(1, "good", ["Drama"], [], 0.5)
    bad = {**make_title(2, "bad", ["Drama"], [], 0.5), **change}
    with caplog.at_level(logging.WARNING, logger="app.catalog"):
        titles = read_titles(_document(good, bad))
    assert [t.id for t in titles] == ["t01-good"]
    assert "skipping catalog entry" in caplog.text and field in caplog.text


def test_the_api_keeps_the_first_of_two_entries_with_one_id() -> None:
    first = make_title(1, "twice", ["Drama"], [], 0.5)
    second = {**first, "title": "Second"}
    assert [t.title for t in read_titles(_document(first, second))] == ["Twice"]


def test_the_api_ignores_fields_a_newer_publisher_may_add() -> None:
    entry = make_title(1, "newer", ["Drama"], [], 0.5)
    entry["rating"] = "PG"
    entry["renditions"][0]["codecs"] = "avc1.4d401f"
    titles = read_titles(_document(entry, published_by="publisher 2"))
    assert [t.id for t in titles] == ["t01-newer"]


@pytest.mark.parametrize(
    "document",
    [b"{not json", b"[]", b'{"version": 2, "titles": []}', b'{"version": 1, "titles": {}}',
     b'{"version": 1}'],
)
def test_the_api_refuses_a_bad_document(document: bytes) -> None:
    with pytest.raises(CatalogError):
        read_titles(document)


def test_the_publisher_refuses_what_the_api_would_only_ignore_or_skip(tmp_path: Path) -> None:
    path = tmp_path / "catalog.json"
    entry = make_title(1, "strict", ["Drama"], [], 0.5)
    path.write_bytes(_document({**entry, "rating": "PG"}))
    with pytest.raises(CatalogError, match="titles.0.rating: Extra inputs are not permitted"):
        load_catalog(path)
    path.write_bytes(_document(entry, entry))
    with pytest.raises(CatalogError, match="duplicate title ids"):
        load_catalog(path)
    path.write_bytes(_document(entry))
    assert [t.id for t in load_catalog(path).titles] == ["t01-strict"]
