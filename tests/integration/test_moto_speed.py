"""The emulator's speed-ups (infra/local/moto_speed.py) change no answer: the same requests over
HTTP, once through moto's own code and once through the faster one, get identical responses."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from infra.local.moto_speed import ITEM_SIZE_LIMIT, ORIGINALS
from tixpilot import aws


@contextmanager
def moto_own_code() -> Iterator[None]:
    """moto's unpatched functions for the requests made inside (the server runs in this process)."""
    from moto.dynamodb.models.dynamo_type import Item
    from moto.dynamodb.models.table import Table

    patched = (Table.all_items, Table.sorted_items, Table.query, Item.__init__)
    Table.all_items = ORIGINALS["all_items"]  # type: ignore[method-assign]
    Table.sorted_items = ORIGINALS["sorted_items"]  # type: ignore[method-assign]
    Table.query = ORIGINALS["query"]  # type: ignore[method-assign]
    Item.__init__ = ORIGINALS["item_init"]  # type: ignore[method-assign]
    try:
        yield
    finally:
        Table.all_items, Table.sorted_items, Table.query, Item.__init__ = patched  # type: ignore[method-assign]


def both(call: Callable[[], Any]) -> tuple[Any, Any]:
    """The answer of moto's own code and the patched one's (an error answers with its text)."""

    def answer() -> Any:
        try:
            result = call()
        except Exception as exc:
            return ("error", type(exc).__name__, str(exc))
        if isinstance(result, dict):
            result.pop("ResponseMetadata", None)
        return result

    with moto_own_code():
        own = answer()
    return own, answer()


def pages(client: Any, method: str, **request: Any) -> list[dict[str, Any]]:
    """Every page of a Query or Scan, following LastEvaluatedKey (a bounded number of pages)."""
    out = []
    for _ in range(200):
        page = getattr(client, method)(**request)
        page.pop("ResponseMetadata", None)
        out.append(page)
        if "LastEvaluatedKey" not in page:
            return out
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    raise AssertionError("more than 200 pages")


@pytest.fixture(scope="module")
def table(moto_server: str) -> Iterator[tuple[Any, str]]:
    """A table whose keys sort differently as text and as numbers: partitions of string sort keys
    (some sharing prefixes, some non-ASCII), a sparse GSI with a number sort key (negative,
    decimal, repeated values) and a GSI without a sort key."""
    client = aws.dynamodb()
    name = f"speed-{uuid.uuid4().hex[:8]}"
    client.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": a, "AttributeType": t}
            for a, t in (("pk", "S"), ("sk", "S"), ("g", "S"), ("n", "N"))
        ],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by_n",
                "KeySchema": [
                    {"AttributeName": "g", "KeyType": "HASH"},
                    {"AttributeName": "n", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            },
            {
                "IndexName": "by_g",
                "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            },
        ],
    )
    rng = random.Random(11)
    numbers = ["-5", "-0.5", "0", "2", "9", "9.5", "10", "11", "100", "1e3", "7"]
    for i in range(120):
        item: dict[str, Any] = {
            "pk": {"S": f"p{i % 3}"},
            "sk": {"S": rng.choice(["a", "ab", "b", "é", "Z", "a#"]) + f"{rng.randrange(1000)}#{i}"},
            "v": {"M": {"x": {"N": str(i)}, "l": {"L": [{"S": "s"}, {"BOOL": True}, {"NULL": True}]}}},
        }
        if i % 4:
            item["g"] = {"S": f"g{i % 2}"}
            item["n"] = {"N": rng.choice(numbers)}
        if i % 5 == 0:
            item["tags"] = {"SS": ["x", f"t{i}"]}
        client.put_item(TableName=name, Item=item)
    yield client, name
    client.delete_table(TableName=name)


@pytest.fixture(scope="module")
def numbered(moto_server: str) -> Iterator[tuple[Any, str]]:
    """A table with a number sort key, whose order as text is not its order as numbers."""
    client = aws.dynamodb()
    name = f"speed-n-{uuid.uuid4().hex[:8]}"
    client.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "r", "AttributeType": "N"},
        ],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "r", "KeyType": "RANGE"}],
    )
    for i, r in enumerate(["-5", "-0.5", "0", "2", "9", "9.5", "10", "11", "100", "1e3", "7", "20", "3"] * 2):
        client.put_item(TableName=name, Item={"pk": {"S": f"q{i % 2}"}, "r": {"N": r}})
    yield client, name
    client.delete_table(TableName=name)


def test_a_number_sort_key_orders_scans_and_queries_alike(numbered: tuple[Any, str]) -> None:
    client, name = numbered
    for method, request in (
        ("scan", {}),
        ("scan", {"Limit": 5}),
        ("query", {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "q0"}}}),
        (
            "query",
            {
                "KeyConditionExpression": "pk = :p AND r BETWEEN :a AND :b",
                "ExpressionAttributeValues": {":p": {"S": "q1"}, ":a": {"N": "-1"}, ":b": {"N": "10"}},
                "Limit": 3,
            },
        ),
    ):
        own, fast = both(
            lambda method=method, request=request: pages(client, method, TableName=name, **request)
        )
        assert own == fast, (method, request)
        assert not isinstance(own, tuple), own


def test_queries_and_scans_answer_the_same_pages_in_the_same_order(table: tuple[Any, str]) -> None:
    client, name = table
    requests: list[tuple[str, dict[str, Any]]] = [
        ("scan", {"Limit": 13}),
        ("scan", {"IndexName": "by_n", "Limit": 9}),
        ("scan", {"IndexName": "by_g"}),
    ]
    for pk in ("p0", "p1", "p2", "nobody"):
        key = {":p": {"S": pk}}
        for condition, values in (
            ("pk = :p", {}),
            ("pk = :p AND begins_with(sk, :a)", {":a": {"S": "a"}}),
            ("pk = :p AND sk BETWEEN :a AND :b", {":a": {"S": "ab"}, ":b": {"S": "b5"}}),
            ("pk = :p AND sk > :a", {":a": {"S": "Z9"}}),
        ):
            for extra in ({}, {"Limit": 7}, {"Limit": 4, "ScanIndexForward": False}):
                request = {
                    "KeyConditionExpression": condition,
                    "ExpressionAttributeValues": {**key, **values},
                }
                requests.append(("query", {**request, **extra}))
    for g in ("g0", "g1"):
        key = {":g": {"S": g}}
        for index, condition, values in (
            ("by_n", "g = :g", {}),
            ("by_n", "g = :g AND n BETWEEN :lo AND :hi", {":lo": {"N": "-1"}, ":hi": {"N": "10"}}),
            ("by_n", "g = :g AND n >= :lo", {":lo": {"N": "9"}}),
            ("by_g", "g = :g", {}),
        ):
            for extra in ({}, {"Limit": 6}, {"Limit": 5, "ScanIndexForward": False}):
                request = {
                    "IndexName": index,
                    "KeyConditionExpression": condition,
                    "ExpressionAttributeValues": {**key, **values},
                }
                requests.append(("query", {**request, **extra}))
    for method, request in requests:
        own, fast = both(
            lambda method=method, request=request: pages(client, method, TableName=name, **request)
        )
        assert own == fast, (method, request)
        assert not isinstance(own, tuple), own  # a real answer, not an error on both sides
    assert sum(len(p["Items"]) for p in pages(client, "scan", TableName=name)) == 120


def test_items_are_stored_alike_and_refused_at_the_same_size(table: tuple[Any, str]) -> None:
    client, name = table
    overhead = len("pk") + len("k") + len("sk") + len("s") + len("blob")  # moto counts names and values
    for size in (ITEM_SIZE_LIMIT - 1, ITEM_SIZE_LIMIT, ITEM_SIZE_LIMIT + 1):
        item = {"pk": {"S": "k"}, "sk": {"S": "s"}, "blob": {"S": "x" * (size - overhead)}}
        own, fast = both(lambda item=item: client.put_item(TableName=name, Item=item))
        assert own == fast, size
        assert (isinstance(own, tuple) and "Item size has exceeded" in own[2]) == (size > ITEM_SIZE_LIMIT)
    typed = {
        "pk": {"S": "k"},
        "sk": {"S": "typed"},
        "m": {"M": {"a": {"N": "1.50"}, "b": {"L": [{"B": b"\x00\x01"}, {"NS": ["1", "2"]}]}}},
        "flag": {"BOOL": False},
        "none": {"NULL": True},
    }
    key = {"pk": {"S": "k"}, "sk": {"S": "typed"}}
    stored = []
    for mode in (moto_own_code, None):
        client.delete_item(TableName=name, Key=key)
        if mode is None:
            client.put_item(TableName=name, Item=typed)
        else:
            with mode():
                client.put_item(TableName=name, Item=typed)
        stored.append(client.get_item(TableName=name, Key=key)["Item"])
    assert stored[0] == stored[1] == typed


def test_a_query_stops_at_the_same_item_by_count_and_by_size(table: tuple[Any, str]) -> None:
    """Near moto's 1 MB page: what matches the condition, then items after it that stop the page
    only by their size, and pages that start anywhere (before, inside, after what matches)."""
    client, name = table
    sizes = {"a0": 1000, "a1": 300_000, "a2": 300_000, "b0": 50_000, "b1": 404_000, "b2": 1000, "c0": 1000}
    for sk, size in sizes.items():
        client.put_item(TableName=name, Item={"pk": {"S": "big"}, "sk": {"S": sk}, "blob": {"S": "x" * size}})
    key = {":p": {"S": "big"}}
    for condition, values in (
        ("pk = :p AND begins_with(sk, :a)", {":a": {"S": "a"}}),
        ("pk = :p AND begins_with(sk, :a)", {":a": {"S": "b"}}),
        ("pk = :p AND sk BETWEEN :a AND :b", {":a": {"S": "a1"}, ":b": {"S": "a2"}}),
        ("pk = :p AND sk < :a", {":a": {"S": "a2"}}),
        ("pk = :p AND sk <= :a", {":a": {"S": "a2"}}),
        ("pk = :p AND sk >= :a", {":a": {"S": "b1"}}),
        ("pk = :p AND sk = :a", {":a": {"S": "b0"}}),
    ):
        for extra in ({}, {"Limit": 1}, {"Limit": 2}, {"Limit": 3}, {"ScanIndexForward": False}):
            request = {
                "KeyConditionExpression": condition,
                "ExpressionAttributeValues": {**key, **values},
                **extra,
            }
            own, fast = both(lambda request=request: pages(client, "query", TableName=name, **request))
            assert own == fast, request
            for start in sizes:
                first = {**request, "ExclusiveStartKey": {"pk": {"S": "big"}, "sk": {"S": start}}}
                own, fast = both(lambda first=first: client.query(TableName=name, **first))
                assert own == fast, first
    # the case that needs the items after the match: the page stops at b1 by size (a1 + a2 + b1 > 1 MB)
    own = both(
        lambda: client.query(
            TableName=name,
            KeyConditionExpression="pk = :p AND begins_with(sk, :a)",
            ExpressionAttributeValues={**key, ":a": {"S": "a"}},
        )
    )[1]
    assert own["LastEvaluatedKey"] == {"pk": {"S": "big"}, "sk": {"S": "a2"}}


def test_the_dispatcher_knows_the_same_services_from_a_listing_taken_once() -> None:
    from moto import backends

    from infra.local.moto_speed import ORIGINALS, speed_up_dispatch

    speed_up_dispatch()
    speed_up_dispatch()  # idempotent: the original is kept, not the cached one
    original = ORIGINALS["list_of_moto_modules"]
    assert list(backends.list_of_moto_modules()) == list(original())
    assert {"dynamodb", "s3", "sqs", "stepfunctions"} <= set(backends.list_of_moto_modules())
    assert backends.list_of_moto_modules() is backends.list_of_moto_modules()  # no listing per call
