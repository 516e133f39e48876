"""The twin's moto server: `python -m moto.server`, with a DynamoDB Query that reads one
partition instead of sorting the whole table.

moto 5.2's Query on a table's primary key calls `Table.all_items()`, which sorts every item
of the table, and then keeps the items of the one partition asked for. Its cost grows with
the table: 63 ms of moto CPU for a Query on a 9,000-item plays table, while DynamoDB reads
only the partition's items and charges by their size (Developer Guide, "Query operations
in DynamoDB"; capacity/model.py counts it that way). With 2,000 viewers listing profiles
and reading co-play counts, those sorts were most of moto's CPU and the twin gave out
before the viewers did (issue 12).

The fix narrows `all_items()` to the asked partition for the length of one base-table
Query in the calling thread. moto's Query then filters, orders, pages and projects exactly
as before, over the items it would have kept anyway; a Query on an index, a Scan and every
other operation are untouched. tests/twin/test_moto_server.py checks that answers are the
same as unpatched moto's, page by page.

Run: `python -m twin.moto_server -H 127.0.0.1 -p PORT` (moto.server's own arguments).
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from functools import wraps
from typing import Any

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
    if getattr(Table.query, "_edgeflix_partition_query", False):
        return
    Table.query = partition_query(Table.query)
    Table.query._edgeflix_partition_query = True
    Table.all_items = partition_all_items(Table.all_items)


def main(argv: list[str] | None = None) -> None:
    install()
    from moto.server import main as moto_main

    moto_main(argv if argv is not None else sys.argv[1:])


if __name__ == "__main__":
    main()
