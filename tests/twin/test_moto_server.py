"""The twin's moto server (twin/moto_server.py): a base-table Query reads one partition and
answers exactly what moto answers without the patch."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws
from moto.dynamodb.models.table import Table

from twin import moto_server

TABLE = "plays"


@pytest.fixture
def dynamodb(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName=TABLE,
            AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"}
                                  for n in ("pk", "sk", "gpk")],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                       {"AttributeName": "sk", "KeyType": "RANGE"}],
            GlobalSecondaryIndexes=[{
                "IndexName": "by-gpk",
                "KeySchema": [{"AttributeName": "gpk", "KeyType": "HASH"},
                              {"AttributeName": "sk", "KeyType": "RANGE"}],
                "Projection": {"ProjectionType": "ALL"},
            }],
            BillingMode="PAY_PER_REQUEST",
        )
        for p in range(12):
            for s in range(30):
                kind = "COPLAY" if s % 3 else "DAY"
                item = {"pk": {"S": f"TITLE#{p:02d}"}, "sk": {"S": f"{kind}#{s:03d}"},
                        "plays": {"N": str((p * 31 + s * 7) % 50)}, "gpk": {"S": f"G#{s % 4}"},
                        "blob": {"S": "x" * (s * 40)}}
                client.put_item(TableName=TABLE, Item=item)
        yield client


QUERIES = [
    {"KeyConditionExpression": "pk = :pk",
     "ExpressionAttributeValues": {":pk": {"S": "TITLE#03"}}},
    {"KeyConditionExpression": "pk = :pk AND begins_with(sk, :co)",
     "ExpressionAttributeValues": {":pk": {"S": "TITLE#07"}, ":co": {"S": "COPLAY#"}},
     "Limit": 7},
    {"KeyConditionExpression": "pk = :pk AND sk BETWEEN :a AND :b",
     "ExpressionAttributeValues": {":pk": {"S": "TITLE#11"}, ":a": {"S": "COPLAY#005"},
                                   ":b": {"S": "DAY#020"}},
     "ScanIndexForward": False, "Limit": 4},
    {"KeyConditionExpression": "pk = :pk",
     "FilterExpression": "plays > :n",
     "ExpressionAttributeValues": {":pk": {"S": "TITLE#00"}, ":n": {"N": "20"}},
     "ProjectionExpression": "sk, plays", "Limit": 9},
    {"KeyConditionExpression": "pk = :pk", "Select": "COUNT",
     "ExpressionAttributeValues": {":pk": {"S": "TITLE#05"}}},
    {"KeyConditionExpression": "pk = :pk",
     "ExpressionAttributeValues": {":pk": {"S": "TITLE#99"}}},  # no such partition
    {"IndexName": "by-gpk", "KeyConditionExpression": "gpk = :g",
     "ExpressionAttributeValues": {":g": {"S": "G#2"}}, "Limit": 25},
]


def _pages(client, query: dict) -> list[dict]:
    """Every page of a Query, following LastEvaluatedKey (bounded)."""
    pages, start = [], None
    for _ in range(100):
        answer = client.query(TableName=TABLE, **query,
                              **({"ExclusiveStartKey": start} if start else {}))
        answer.pop("ResponseMetadata", None)
        pages.append(answer)
        start = answer.get("LastEvaluatedKey")
        if not start:
            return pages
    raise AssertionError(f"more than 100 pages for {query}")


def test_patched_queries_answer_as_moto_does_page_by_page(dynamodb, monkeypatch):
    expected = [_pages(dynamodb, q) for q in QUERIES]
    assert any(len(pages) > 1 for pages in expected)  # the paging path is exercised
    monkeypatch.setattr(Table, "query", moto_server.partition_query(Table.query))
    monkeypatch.setattr(Table, "all_items", moto_server.partition_all_items(Table.all_items))
    assert [_pages(dynamodb, q) for q in QUERIES] == expected


def test_a_base_table_query_does_not_read_the_whole_table(dynamodb, monkeypatch):
    whole_table_reads = []
    original = Table.all_items

    def counted(self):
        whole_table_reads.append(self.name)
        return original(self)

    monkeypatch.setattr(Table, "query", moto_server.partition_query(Table.query))
    monkeypatch.setattr(Table, "all_items", moto_server.partition_all_items(counted))
    answer = dynamodb.query(TableName=TABLE, **QUERIES[0])
    assert answer["Count"] == 30 and whole_table_reads == []
    dynamodb.query(TableName=TABLE, **QUERIES[-1])  # an index Query reads as before
    dynamodb.scan(TableName=TABLE, Limit=5)  # and so does a Scan
    assert len(whole_table_reads) == 2


def test_install_is_idempotent(monkeypatch):
    monkeypatch.setattr(Table, "query", Table.query)
    monkeypatch.setattr(Table, "all_items", Table.all_items)
    moto_server.install()
    patched = Table.query, Table.all_items
    moto_server.install()
    assert (Table.query, Table.all_items) == patched
    assert patched[0].__wrapped__ is not None
