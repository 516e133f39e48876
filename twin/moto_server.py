"""The twin's moto server: `python -m moto.server`, with a DynamoDB Query that reads one
partition instead of sorting the whole table, and that counts the calls it answers.

moto 5.2's Query on a table's primary key calls `Table.all_items()`, which sorts every item
of the table, and then keeps the items of the one partition asked for. Its cost grows with
the table: 63 ms of moto CPU for a Query on a 9,000-item plays table, while DynamoDB reads
only the partition's items and charges by their size (Developer Guide, "Query operations
in DynamoDB"; capacity/model.py counts it that way). With 2,000 viewers listing profiles
and reading co-play counts, the twin gave out before the viewers did: 13 % of requests
failed, most of them playback waiting on moto; with this fix, none (issue 12).

The fix narrows `all_items()` to the asked partition for the length of one base-table
Query in the calling thread. moto's Query then filters, orders, pages and projects exactly
as before, over the items it would have kept anyway; a Query on an index, a Scan and every
other operation are untouched. tests/twin/test_moto_server.py checks that answers are the
same as unpatched moto's, page by page.

Run: `python -m twin.moto_server -H 127.0.0.1 -p PORT` (moto.server's own arguments).
It also counts the calls it answers by operation and item kind (`CallCounter`,
`GET /_edgeflix/calls`): where a load test's moto CPU goes.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
import threading
from collections import Counter
from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # moto is imported by install(), not by readers of CALLS_PATH
    from moto.dynamodb.models.table import Table

_partition = threading.local()


def partition_query(original: Callable[..., Any]) -> Callable[..., Any]:
    """moto's `Table.query` wrapped: a base-table Query marks its table and partition key
    for `partition_all_items` in this thread while it runs."""
    @wraps(original)
    def query(self: Table, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        # moto's DynamoDBBackend.query passes index_name as the 8th positional argument.
        index_name = kwargs.get("index_name", args[6] if len(args) > 6 else None)
        if index_name is not None or hash_key is None:
            return original(self, hash_key, *args, **kwargs)
        _partition.table, _partition.hash_key = self, hash_key
        try:
            return original(self, hash_key, *args, **kwargs)
        finally:
            _partition.table = _partition.hash_key = None

    return query


def partition_all_items(original: Callable[[Table], list]) -> Callable[[Table], list]:
    """moto's `Table.all_items` wrapped: during a marked Query, only that partition's items,
    ordered by range key as all_items orders them; otherwise every item as before."""
    @wraps(original)
    def all_items(self: Table) -> list:
        if getattr(_partition, "table", None) is not self:
            return original(self)
        found = self.items.get(_partition.hash_key)
        if found is None:
            return []
        if not self.range_key_attr:
            return [found]
        return sorted(found.values(), key=lambda item: item.range_key)

    return all_items


def install() -> None:
    """Patch moto's Table once (idempotent): base-table Queries read only their partition."""
    from moto.dynamodb.models.table import Table

    if getattr(Table.query, "_edgeflix_partition_query", False):
        return
    Table.query = partition_query(Table.query)
    Table.query._edgeflix_partition_query = True
    Table.all_items = partition_all_items(Table.all_items)


CALLS_PATH = "/_edgeflix/calls"


class CallCounter:
    """WSGI middleware: counts the calls moto answers, by operation (the X-Amz-Target
    header's action; `GET (REST)` and the like for S3's REST calls) and, for DynamoDB, by
    the kind of item (the `Key`'s sort key up to its first `#`: `UpdateItem STREAMS`).
    `GET /_edgeflix/calls` answers the counts so far as a JSON object; a load test reads
    it before and after a run (loadtest/target_calls.py)."""

    def __init__(self, app: Callable[..., Any]) -> None:
        self._app = app
        self._calls: Counter[str] = Counter()
        self._lock = threading.Lock()

    def __call__(self, environ: dict, start_response: Callable[..., Any]) -> Any:
        if environ.get("PATH_INFO") == CALLS_PATH and environ.get("REQUEST_METHOD") == "GET":
            with self._lock:
                body = json.dumps(dict(self._calls)).encode()
            start_response("200 OK", [("Content-Type", "application/json"),
                                      ("Content-Length", str(len(body)))])
            return [body]
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        name = target.rpartition(".")[2] or f"{environ.get('REQUEST_METHOD')} (REST)"
        if target.startswith("DynamoDB_"):
            body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            environ["wsgi.input"] = io.BytesIO(body)
            with contextlib.suppress(ValueError, AttributeError):
                sort_key = json.loads(body).get("Key", {}).get("sk", {}).get("S")
                name += f" {sort_key.partition('#')[0]}" if sort_key else ""
        with self._lock:
            self._calls[name] += 1
        return self._app(environ, start_response)


def main(argv: list[str] | None = None) -> None:
    install()
    import moto.server
    from moto.server import main as moto_main

    run_simple = moto.server.run_simple

    def counted(host: str, port: int, app: Any, **kwargs: Any) -> None:
        run_simple(host, port, CallCounter(app), **kwargs)

    moto.server.run_simple = counted

    moto_main(argv if argv is not None else sys.argv[1:])


if __name__ == "__main__":
    main()
