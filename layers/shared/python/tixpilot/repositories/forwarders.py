"""Trusted forwarders: items of the domains table (the table that routes inbound mail), one per
tenant and address, keyed `forwarder#<tenant>#<address>` so intake checks a sender with one
GetItem. They carry no `tenant_id` attribute, so the domains' by_tenant index never lists them."""

from __future__ import annotations

from typing import Any

from tixpilot.models.domains import Forwarder
from tixpilot.repositories.dynamo import Table, from_item, to_item


def forwarder_key(tenant_id: str, address: str) -> str:
    # '#' and '@' never occur in a domain name, so no key here can be a domain's.
    return f"forwarder#{tenant_id}#{address.lower()}"


class ForwarderRepository:
    def __init__(self, client: Any | None = None) -> None:
        self.table = Table("domains", client)

    def add(self, forwarder: Forwarder) -> Forwarder:
        """Trust an address for a tenant; adding it again answers the row already there."""
        client = self.table.client
        key = forwarder_key(forwarder.tenant_id, forwarder.address)
        try:
            client.put_item(
                TableName=self.table.name,
                Item=to_item(
                    {
                        "domain": key,
                        "kind": "forwarder",
                        "owner": forwarder.tenant_id,
                        "address": forwarder.address,
                        "added": forwarder.added.isoformat(),
                    }
                ),
                ConditionExpression="attribute_not_exists(#d)",
                ExpressionAttributeNames={"#d": "domain"},
            )
        except client.exceptions.ConditionalCheckFailedException:
            existing = self.get(forwarder.tenant_id, forwarder.address)
            if existing is not None:
                return existing
            raise
        return forwarder

    def get(self, tenant_id: str, address: str) -> Forwarder | None:
        item = self.table.client.get_item(
            TableName=self.table.name,
            Key={"domain": {"S": forwarder_key(tenant_id, address)}},
            ConsistentRead=True,
        ).get("Item")
        if not item:
            return None
        row = from_item(item)
        return Forwarder(tenant_id=row["owner"], address=row["address"], added=row["added"])

    def is_trusted(self, tenant_id: str, address: str) -> bool:
        """Whether the tenant trusts mail forwarded from this address (one GetItem)."""
        return self.get(tenant_id, address) is not None
