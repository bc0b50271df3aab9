"""Small helpers shared by the repositories: item (de)serialization and paged queries."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from tixpilot import aws
from tixpilot.settings import get_settings

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def _prepare(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {k: _prepare(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_prepare(v) for v in value]
    return value


def to_item(data: Mapping[str, Any]) -> dict[str, Any]:
    """Python values to a DynamoDB item; None-valued attributes are left out (absent = unknown)."""
    return {k: _serializer.serialize(_prepare(v)) for k, v in data.items() if v is not None}


def to_value(value: Any) -> dict[str, Any]:
    return _serializer.serialize(_prepare(value))


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, set):
        return sorted(_plain(v) for v in value)
    return value


def from_item(item: Mapping[str, Any]) -> dict[str, Any]:
    """A DynamoDB item to plain Python values (numbers as int or float)."""
    return {k: _plain(_deserializer.deserialize(v)) for k, v in item.items()}


def side_by_side(calls: Sequence[Callable[[], None]], workers: int = 16) -> None:
    """Run the calls in parallel and wait for all; the first error is raised."""
    if len(calls) <= 1:
        for call in calls:
            call()
        return
    with ThreadPoolExecutor(max_workers=min(len(calls), workers)) as pool:
        for future in [pool.submit(call) for call in calls]:
            future.result()


class Table:
    """One table's name and client; repositories hold one per table they use."""

    def __init__(self, table_id: str, client: Any | None = None) -> None:
        self.name = get_settings().table_name(table_id)
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = aws.dynamodb()
        return self._client

    def query_all(self, **kwargs: Any) -> Iterator[dict[str, Any]]:
        """Every item a Query matches, following LastEvaluatedKey; for bounded partitions only."""
        kwargs.setdefault("TableName", self.name)
        while True:
            page = self.client.query(**kwargs)
            for item in page.get("Items", []):
                yield from_item(item)
            if "LastEvaluatedKey" not in page:
                return
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
