"""The DynamoDB calls-per-play counter, and the read caches' effect on it, on moto in-process."""

from __future__ import annotations

import pytest

from app.plays import PlayRecorder
from bench import dynamodb_calls


def test_cached_reads_cut_dynamodb_calls_per_play(moto_credentials: None) -> None:
    results = dynamodb_calls.measure(viewers=40, plays=2, instances=2)
    uncached, cached = results["uncached"][0], results["cached"][0]
    assert uncached.plays == cached.plays == 80
    # Every play writes its profile's recent titles and counters (UpdateItem), whatever the
    # caches do; no play item of its own (BatchWriteItem) and no read for its co-play seeds.
    for tally in (uncached, cached):
        assert tally.calls["UpdateItem"] > 0 and tally.calls["BatchWriteItem"] == 0
    assert uncached.calls["GetItem"] > 0 and uncached.calls["BatchGetItem"] > 0
    # Queries are the recommendations' co-play reads only: 3 seeds at most each.
    assert uncached.calls["Query"] <= 3 * uncached.calls["GetItem"]
    # At most one write of a profile's recent titles per play, and its counters and co-play
    # pairs summed over intervals: fewer than one ADD per play and pair.
    for tally in (uncached, cached):
        assert sum(tally.updates.values()) == tally.calls["UpdateItem"]
        assert 0 < tally.updates["RECENT"] <= tally.plays
        assert tally.updates["STATS"] < tally.plays
        assert tally.updates["COPLAY#"] < 2 * PlayRecorder.COPLAY_SEEDS * tally.plays
    reads = ("Query", "BatchGetItem", "GetItem")
    assert sum(cached.calls[op] for op in reads) < sum(uncached.calls[op] for op in reads)
    assert cached.per_play < uncached.per_play


def test_the_counter_counts_each_api_call_by_operation(moto_credentials: None) -> None:
    import boto3
    from moto import mock_aws

    with mock_aws():
        client = boto3.client("dynamodb", region_name=dynamodb_calls.REGION)
        with dynamodb_calls.counted_calls(client) as calls:
            client.list_tables()
            client.list_tables()
            with pytest.raises(client.exceptions.ResourceNotFoundException):
                client.describe_table(TableName="missing")
        client.list_tables()  # outside: not counted
    assert calls == {"ListTables": 2, "DescribeTable": 1}


def test_updates_are_counted_by_the_kind_of_item_they_write(moto_credentials: None) -> None:
    import boto3
    from moto import mock_aws

    from twin.seed import create_plays_table

    with mock_aws():
        client = boto3.client("dynamodb", region_name=dynamodb_calls.REGION)
        create_plays_table(client, "plays")
        with dynamodb_calls.counted_updates(client) as updates:
            for sk in ("STATS", "COPLAY#b", "COPLAY#c", "RECENT"):
                client.update_item(TableName="plays", Key={"pk": {"S": "TITLE#a"}, "sk": {"S": sk}},
                                   UpdateExpression="ADD plays :n",
                                   ExpressionAttributeValues={":n": {"N": "1"}})
            client.get_item(TableName="plays", Key={"pk": {"S": "x"}, "sk": {"S": "STATS"}})
    assert updates == {"STATS": 1, "COPLAY#": 2, "RECENT": 1}
