"""Reference data: buying and resale marketplaces, disclosures. One Query per kind."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tixpilot.models.reference import ReferenceKind
from tixpilot.repositories.dynamo import Table, to_item


class ReferenceRepository:
    def __init__(self, client: Any | None = None) -> None:
        self.table = Table("reference", client)

    def entries(self, kind: ReferenceKind) -> list[dict[str, Any]]:
        """Every entry of one kind, ordered by id."""
        return [
            {k: v for k, v in item.items() if k != "kind"}
            for item in self.table.query_all(
                KeyConditionExpression="kind = :k", ExpressionAttributeValues={":k": {"S": kind}}
            )
        ]

    def put_all(self, kind: ReferenceKind, entries: Iterable[dict[str, Any]]) -> int:
        """Seed or refresh one kind (admin path, batched)."""
        requests = [{"PutRequest": {"Item": to_item({**entry, "kind": kind})}} for entry in entries]
        for start in range(0, len(requests), 25):
            pending: dict[str, Any] = {self.table.name: requests[start : start + 25]}
            while pending:
                response = self.table.client.batch_write_item(RequestItems=pending)
                pending = response.get("UnprocessedItems") or {}
        return len(requests)
