"""Fulfillment's lease per sale: one worker at a time delivers or completes a sale.

The lease lives in the sales table beside the sale, keyed `fulfill#<marketplaceid>#<orderid>`
(no index key attributes, so no sales query sees it): `lease_owner`, `lease_until` (epoch
seconds). A worker that dies holding it blocks the sale only until `lease_until`.
"""

from __future__ import annotations

import contextlib
from typing import Any

from tixpilot.repositories.dynamo import Table


def lease_key(marketplace_id: int, order_id: str) -> str:
    return f"fulfill#{marketplace_id}#{order_id}"


class FulfillmentLocks:
    def __init__(self, client: Any | None = None) -> None:
        self.table = Table("sales", client)

    def _key(self, tenant_id: str, marketplace_id: int, order_id: str) -> dict[str, Any]:
        return {"tenant_id": {"S": tenant_id}, "sale_key": {"S": lease_key(marketplace_id, order_id)}}

    def lock(
        self, tenant_id: str, marketplace_id: int, order_id: str, owner: str, now_s: int, lease_s: int
    ) -> bool:
        """Take the sale's lease; False while another worker holds an unexpired one."""
        client = self.table.client
        try:
            client.update_item(
                TableName=self.table.name,
                Key=self._key(tenant_id, marketplace_id, order_id),
                UpdateExpression="SET lease_owner = :o, lease_until = :u",
                ConditionExpression=(
                    "attribute_not_exists(lease_until) OR lease_until < :now OR lease_owner = :o"
                ),
                ExpressionAttributeValues={
                    ":o": {"S": owner},
                    ":u": {"N": str(now_s + lease_s)},
                    ":now": {"N": str(now_s)},
                },
            )
        except client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def unlock(self, tenant_id: str, marketplace_id: int, order_id: str, owner: str) -> None:
        """Give the lease back (one that expired meanwhile, maybe someone else's now, is left alone)."""
        client = self.table.client
        with contextlib.suppress(client.exceptions.ConditionalCheckFailedException):
            client.delete_item(
                TableName=self.table.name,
                Key=self._key(tenant_id, marketplace_id, order_id),
                ConditionExpression="lease_owner = :o",
                ExpressionAttributeValues={":o": {"S": owner}},
            )
