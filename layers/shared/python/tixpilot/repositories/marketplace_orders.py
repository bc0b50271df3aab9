"""Marketplace orders (Order Integration) in the builtin POS's ledger: holds, invoices, releases.

An order is the item `OI#<marketplaceid>#<orderid>` in the tenant's ledger partition: its ticket
group, the seats it holds, its state (held | invoiced | released) and the sale it made. Every
state change is ONE transaction over the order item and each of its seat items, with conditions
on the seats (`status = available` to hold; `status = held AND held_by = <order>` to invoice or
release), so no seat is ever held or sold twice whoever races. Invoice and release update the
sale (table `sales`) in the same transaction.
"""

from __future__ import annotations

from typing import Any, Literal

from tixpilot.repositories.dynamo import Table, from_item, to_item, to_value
from tixpilot.repositories.sales import sale_key

HoldOutcome = Literal["held", "order_exists", "taken"]
ChangeOutcome = Literal["done", "state", "no_sale"]


def order_entity(marketplace_id: int, order_id: str) -> str:
    return f"OI#{marketplace_id}#{order_id}"


class MarketplaceOrderRepository:
    def __init__(self, client: Any | None = None) -> None:
        self.ledger = Table("ledger", client)
        self.sales = Table("sales", client)

    @property
    def client(self) -> Any:
        return self.ledger.client

    def _key(self, tenant_id: str, entity: str) -> dict[str, Any]:
        return {"tenant_id": {"S": tenant_id}, "entity": {"S": entity}}

    def order(self, tenant_id: str, marketplace_id: int, order_id: str) -> dict[str, Any] | None:
        item = self.client.get_item(
            TableName=self.ledger.name,
            Key=self._key(tenant_id, order_entity(marketplace_id, order_id)),
            ConsistentRead=True,
        ).get("Item")
        return from_item(item) if item else None

    def hold(self, tenant_id: str, order: dict[str, Any]) -> HoldOutcome:
        """Write the order item and hold its seats at once: "held", "order_exists" (this order id
        is already recorded) or "taken" (a seat is no longer available)."""
        entity = order_entity(int(order["marketplace_id"]), str(order["order_id"]))
        items: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self.ledger.name,
                    "Item": to_item({**order, "tenant_id": tenant_id, "entity": entity}),
                    "ConditionExpression": "attribute_not_exists(entity)",
                }
            }
        ]
        for seat in order["seats"]:
            items.append(
                {
                    "Update": {
                        "TableName": self.ledger.name,
                        "Key": self._key(tenant_id, f"SEAT#{order['tgid']}#{seat}"),
                        "UpdateExpression": "SET #s = :held, held_by = :o",
                        "ConditionExpression": "#s = :available",
                        "ExpressionAttributeNames": {"#s": "status"},
                        "ExpressionAttributeValues": {
                            ":held": {"S": "held"},
                            ":available": {"S": "available"},
                            ":o": {"S": entity},
                        },
                    }
                }
            )
        try:
            self.client.transact_write_items(TransactItems=items)
        except self.client.exceptions.TransactionCanceledException as exc:
            reasons = [r.get("Code") for r in exc.response.get("CancellationReasons", [])]
            if reasons and reasons[0] == "ConditionalCheckFailed":
                return "order_exists"
            if "ConditionalCheckFailed" in reasons:
                return "taken"
            raise
        return "held"

    def change(
        self,
        tenant_id: str,
        order: dict[str, Any],
        *,
        state: Literal["invoiced", "released"],
        order_sets: dict[str, Any],
        sale_sets: dict[str, Any],
        sale_removes: tuple[str, ...] = (),
    ) -> ChangeOutcome:
        """Move a held order to `state` in one transaction: the order item (must be held), its
        seats (must be held by it: sold on invoice, available again on release) and its sale.
        `order_sets`/`sale_sets`: attribute path (dot-separated) -> value to set."""
        marketplace_id, order_id = int(order["marketplace_id"]), str(order["order_id"])
        entity = order_entity(marketplace_id, order_id)
        order_update = _update({"state": state, **order_sets})
        order_update["ExpressionAttributeNames"]["#state"] = "state"
        order_update["ExpressionAttributeValues"][":was"] = {"S": "held"}
        items: list[dict[str, Any]] = [
            {
                "Update": {
                    "TableName": self.ledger.name,
                    "Key": self._key(tenant_id, entity),
                    "ConditionExpression": "#state = :was",
                    **order_update,
                }
            }
        ]
        seat_values: dict[str, Any] = {":held": {"S": "held"}, ":o": {"S": entity}}
        if state == "invoiced":
            seat_expression = "SET #s = :new"
            seat_values[":new"] = {"S": "sold"}
        else:
            seat_expression = "SET #s = :new REMOVE held_by"
            seat_values[":new"] = {"S": "available"}
        for seat in order["seats"]:
            items.append(
                {
                    "Update": {
                        "TableName": self.ledger.name,
                        "Key": self._key(tenant_id, f"SEAT#{order['tgid']}#{seat}"),
                        "UpdateExpression": seat_expression,
                        "ConditionExpression": "#s = :held AND held_by = :o",
                        "ExpressionAttributeNames": {"#s": "status"},
                        "ExpressionAttributeValues": seat_values,
                    }
                }
            )
        sale_update = _update(sale_sets, sale_removes)
        items.append(
            {
                "Update": {
                    "TableName": self.sales.name,
                    "Key": {
                        "tenant_id": {"S": tenant_id},
                        "sale_key": {"S": sale_key(marketplace_id, order_id)},
                    },
                    "ConditionExpression": "attribute_exists(sale_key)",
                    **sale_update,
                }
            }
        )
        try:
            self.client.transact_write_items(TransactItems=items)
        except self.client.exceptions.TransactionCanceledException as exc:
            reasons = [r.get("Code") for r in exc.response.get("CancellationReasons", [])]
            if "ConditionalCheckFailed" in reasons[:-1]:
                return "state"
            if reasons and reasons[-1] == "ConditionalCheckFailed":
                return "no_sale"
            raise
        return "done"


def _update(sets: dict[str, Any], removes: tuple[str, ...] = ()) -> dict[str, Any]:
    """An UpdateExpression setting (and removing) dotted attribute paths, every name aliased."""
    names: dict[str, str] = {}
    values: dict[str, Any] = {}

    def path(dotted: str) -> str:
        parts = []
        for part in dotted.split("."):
            alias = f"#n{len(names)}"
            names[alias] = part
            parts.append(alias)
        return ".".join(parts)

    clauses = []
    for index, (name, value) in enumerate(sets.items()):
        values[f":v{index}"] = to_value(value)
        clauses.append(f"{path(name)} = :v{index}")
    expression = "SET " + ", ".join(clauses)
    if removes:
        expression += " REMOVE " + ", ".join(path(name) for name in removes)
    return {
        "UpdateExpression": expression,
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
    }
