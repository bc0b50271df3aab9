"""Numeric ids, as the legacy API exposes them (rid, accountid, domain_id, userid)."""

from __future__ import annotations

from typing import Any

from tixpilot.repositories.dynamo import Table

# Where each sequence starts: ids look like the legacy ones and never collide between kinds.
_START = {"tenant": 9000, "domain": 100, "account": 300000, "rid": 17000000, "credential": 4000}


class SequenceRepository:
    def __init__(self, client: Any | None = None) -> None:
        self.table = Table("sequences", client)

    def next(self, name: str) -> int:
        """The next value of a counter: one atomic UpdateItem, safe under concurrency."""
        response = self.table.client.update_item(
            TableName=self.table.name,
            Key={"name": {"S": name}},
            UpdateExpression="ADD #v :one",
            ExpressionAttributeNames={"#v": "value"},
            ExpressionAttributeValues={":one": {"N": "1"}},
            ReturnValues="UPDATED_NEW",
        )
        return _START.get(name, 0) + int(response["Attributes"]["value"]["N"])

    def reserve(self, name: str, count: int) -> int:
        """Reserve `count` consecutive values in one UpdateItem (bulk loads); the first one."""
        response = self.table.client.update_item(
            TableName=self.table.name,
            Key={"name": {"S": name}},
            UpdateExpression="ADD #v :n",
            ExpressionAttributeNames={"#v": "value"},
            ExpressionAttributeValues={":n": {"N": str(count)}},
            ReturnValues="UPDATED_NEW",
        )
        return _START.get(name, 0) + int(response["Attributes"]["value"]["N"]) - count + 1
