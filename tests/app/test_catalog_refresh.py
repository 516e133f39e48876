"""The catalog refresher (app/catalog_store.py) survives every kind of failed read."""

from __future__ import annotations

import io
import json
import threading
from typing import Any

from tests_app_support import make_title
from urllib3.exceptions import ReadTimeoutError

from app.catalog_store import CatalogStore

CATALOG = json.dumps(
    {"version": 1, "titles": [make_title(1, "ocean-deep", ["Drama"], [], 0.5)]}).encode()


class TimedOutBody:
    """A body whose read times out after the headers came (urllib3, not botocore)."""

    def read(self) -> bytes:
        raise ReadTimeoutError(None, None, "Read timed out.")


class FlakyS3:
    """get_object answers from `script` in turn: an exception to raise, or a body."""

    def __init__(self, script: list[Any]) -> None:
        self.script = script
        self.calls = 0
        self.loaded = threading.Event()

    def get_object(self, **_: Any) -> dict[str, Any]:
        step = self.script[min(self.calls, len(self.script) - 1)]
        self.calls += 1
        if isinstance(step, BaseException):
            raise step
        if step is CATALOG:
            self.loaded.set()
            return {"Body": io.BytesIO(step), "ETag": '"v1"'}
        return {"Body": step, "ETag": '"v0"'}


def test_a_body_read_that_times_out_is_an_outage_not_a_crash(caplog):
    store = CatalogStore(FlakyS3([TimedOutBody()]), "media", "catalog.json")
    assert store.refresh() is False and store.catalog is None
    assert "unavailable" in caplog.text


def test_the_refresher_outlives_any_failure_and_loads_the_catalog_later():
    s3 = FlakyS3([TimedOutBody(), RuntimeError("something unforeseen"), CATALOG])
    store = CatalogStore(s3, "media", "catalog.json")
    store.start(interval=60)  # every 2 s until loaded
    try:
        assert s3.loaded.wait(timeout=15), f"not loaded after {s3.calls} reads"
        for _ in range(100):  # the load completes right after the read
            if store.catalog is not None:
                break
            threading.Event().wait(0.05)
        assert store.catalog is not None and [t.id for t in store.catalog.titles] == [
            "t01-ocean-deep"]
        assert s3.calls == 3
    finally:
        store.stop()
