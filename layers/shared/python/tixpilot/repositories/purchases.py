"""Purchases. Keyed by tenant and rid; a confirmation-number index finds the order a second
receipt (or a crawl) belongs to, so one order never becomes two purchases."""

from __future__ import annotations

import base64
import json
from typing import Any

from tixpilot.models.purchases import Purchase
from tixpilot.repositories.dynamo import Table, from_item, to_item


def confirmation_key(tenant_id: str, confirmation_number: str) -> str:
    return f"{tenant_id}#{confirmation_number.strip().upper()}"


NO_REGION = "-"  # the index's sort key cannot be empty: a purchase without region code


def order_claim(tenant_id: str, confirmation_number: str, region: str | None) -> str:
    return f"order#{confirmation_key(tenant_id, confirmation_number)}#{(region or NO_REGION).upper()}"


def _row(purchase: Purchase) -> dict[str, Any]:
    data = purchase.model_dump(mode="json")
    return {
        **data,
        "tenant_confirmation": confirmation_key(purchase.tenant_id, purchase.confirmation_number),
        "confirmation_region": (purchase.confirmation_region or NO_REGION).upper(),
    }


def _purchase(item: dict[str, Any]) -> Purchase:
    data = {k: v for k, v in item.items() if k != "tenant_confirmation"}
    if data.get("confirmation_region") == NO_REGION:
        data["confirmation_region"] = None
    return Purchase.model_validate(data)


_BAD_CURSOR = "cursor is not one this API returned; pass the `cursor` of the previous page"


def encode_cursor(key: dict[str, Any] | None) -> str | None:
    """A page's LastEvaluatedKey as an opaque token. The tenant is left out: it comes from the
    token on the next request, so a cursor can never point into another tenant's rows."""
    if not key:
        return None
    return base64.urlsafe_b64encode(json.dumps({"rid": int(key["rid"]["N"])}).encode()).decode()


def decode_cursor(cursor: str) -> int:
    """The last rid of the previous page; ValueError when the cursor is not one we issued."""
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, TypeError) as exc:
        raise ValueError(_BAD_CURSOR) from exc
    if not isinstance(data, dict) or set(data) != {"rid"} or not isinstance(data["rid"], int):
        raise ValueError(_BAD_CURSOR)
    return data["rid"]


class PurchaseRepository:
    def __init__(self, client: Any | None = None) -> None:
        self.table = Table("purchases", client)
        self.claims = Table("claims", client)

    def get(self, tenant_id: str, rid: int) -> Purchase | None:
        item = self.table.client.get_item(
            TableName=self.table.name, Key={"tenant_id": {"S": tenant_id}, "rid": {"N": str(rid)}}
        ).get("Item")
        return _purchase(from_item(item)) if item else None

    def find_by_confirmation(
        self, tenant_id: str, confirmation_number: str, region: str | None
    ) -> Purchase | None:
        """The purchase for an order (same tenant, confirmation number and region), if any.

        Reads the order's claim, then the purchase, both strongly consistent: a receipt that
        arrives right after another must see the purchase the first one created.
        """
        claim = self.claims.client.get_item(
            TableName=self.claims.name,
            Key={"claim": {"S": order_claim(tenant_id, confirmation_number, region)}},
            ConsistentRead=True,
        ).get("Item")
        return self.get(tenant_id, int(claim["rid"]["N"])) if claim else None

    def create_unique(self, purchase: Purchase) -> bool:
        """Create a purchase and its order claim in one transaction; False if the order exists."""
        client = self.table.client
        claim = order_claim(purchase.tenant_id, purchase.confirmation_number, purchase.confirmation_region)
        try:
            client.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self.claims.name,
                            "Item": {"claim": {"S": claim}, "rid": {"N": str(purchase.rid)}},
                            "ConditionExpression": "attribute_not_exists(claim)",
                        }
                    },
                    {
                        "Put": {
                            "TableName": self.table.name,
                            "Item": to_item(_row(purchase)),
                            "ConditionExpression": "attribute_not_exists(rid)",
                        }
                    },
                ]
            )
        except client.exceptions.TransactionCanceledException:
            return False
        return True

    def replace(self, purchase: Purchase) -> bool:
        """Write a changed purchase (its `version` one above the one read) unless someone else
        wrote it since it was read. False means: read again and re-apply the change."""
        client = self.table.client
        try:
            client.put_item(
                TableName=self.table.name,
                Item=to_item(_row(purchase)),
                ConditionExpression="version = :read",
                ExpressionAttributeValues={":read": {"N": str(purchase.version - 1)}},
            )
        except client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def page(
        self, tenant_id: str, limit: int, after_rid: int | None = None, rid: int | None = None
    ) -> tuple[list[Purchase], dict[str, Any] | None]:
        """Newest first, `limit` at a time; the key to pass for the next page, or None."""
        condition = "tenant_id = :t" + (" AND rid = :r" if rid is not None else "")
        values: dict[str, Any] = {":t": {"S": tenant_id}}
        if rid is not None:
            values[":r"] = {"N": str(rid)}
        kwargs: dict[str, Any] = {
            "TableName": self.table.name,
            "KeyConditionExpression": condition,
            "ExpressionAttributeValues": values,
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if after_rid is not None:
            kwargs["ExclusiveStartKey"] = {"tenant_id": {"S": tenant_id}, "rid": {"N": str(after_rid)}}
        response = self.table.client.query(**kwargs)
        return [_purchase(from_item(i)) for i in response.get("Items", [])], response.get("LastEvaluatedKey")
