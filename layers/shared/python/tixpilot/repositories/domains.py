"""Email domains. Keyed by the domain itself so inbound mail routes with one GetItem."""

from __future__ import annotations

from typing import Any

from tixpilot.errors import Conflict
from tixpilot.models.domains import Domain
from tixpilot.repositories.dynamo import Table, from_item, to_item


class DomainRepository:
    def __init__(self, client: Any | None = None) -> None:
        self.table = Table("domains", client)

    def list_for_tenant(self, tenant_id: str, domain: str | None = None) -> list[Domain]:
        """The tenant's domains (Query on by_tenant), optionally only the one named."""
        condition = "tenant_id = :t"
        values: dict[str, Any] = {":t": {"S": tenant_id}}
        if domain is not None:
            condition += " AND #d = :d"
            values[":d"] = {"S": domain}
        items = self.table.query_all(
            IndexName="by_tenant",
            KeyConditionExpression=condition,
            ExpressionAttributeValues=values,
            **({"ExpressionAttributeNames": {"#d": "domain"}} if domain is not None else {}),
        )
        return [Domain.model_validate(item) for item in items]

    def owner_of(self, domain: str) -> Domain | None:
        """Who owns a domain, for routing inbound mail (not a tenant-scoped request path)."""
        item = self.table.client.get_item(TableName=self.table.name, Key={"domain": {"S": domain}}).get(
            "Item"
        )
        return Domain.model_validate(from_item(item)) if item else None

    def add(self, domain: Domain) -> None:
        """Claim a domain for a tenant; a domain already claimed (by anyone) is a Conflict."""
        client = self.table.client
        try:
            client.put_item(
                TableName=self.table.name,
                Item=to_item(domain.model_dump(mode="json")),
                ConditionExpression="attribute_not_exists(#d)",
                ExpressionAttributeNames={"#d": "domain"},
            )
        except client.exceptions.ConditionalCheckFailedException as exc:
            raise Conflict(f"the domain {domain.domain} is already registered") from exc
