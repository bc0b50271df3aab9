"""The builtin POS's ledger (table `ledger`): purchase orders, ticket groups and seats.

Items in the tenant's partition, keyed by `entity`:
- `PO#<poid>`: the purchase order (rid, vendor, card, stock, cost, its ticket group ids);
- `TG#<tgid>`: a ticket group (rid, poid, event, venue, event_date, section, row, quantity);
- `SEAT#<tgid>#<seatnumber>`: one item per seat with its `status` (available | held | sold), so
  a hold or an invoice is one conditional write per seat (`status = available`); a held seat
  also carries its order (`held_by`), the hold's expiry (`held_until`, epoch seconds) and
  whether the hold is binding (`held_binding`), so a hold looking for seats sees which holds
  have expired or may be displaced without reading their orders;
- `ORDER#<marketplaceid>#<orderid>`: a marketplace order's hold, then invoice or release: its
  ticket group, seats, price, state (held | invoiced | released), `hold_until` (epoch seconds),
  `binding`, and a copy of the ticket group's description for the sale record.

A PO is written in ONE transaction with its uniqueness claim `po#<tenant>#<rid>#builtin` (table
`claims`): whoever races (a pipeline retry, QuickPO during AutoPO, a duplicate start), exactly
one PO per purchase exists, and every loser reads the winner's PO number from the claim.

Every change of an order is ONE transaction over the order item and each of its seat items,
with conditions on the seats (`status = available` to hold; `status = held AND held_by = <order>`
to invoice or release), so no seat is ever held or sold for two orders whoever races. Invoicing
also requires the hold not to have expired (`hold_until > now`), releasing an expired or
displaced hold that it still is: a hold invoiced at the moment it expires is either invoiced or
released, never both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from tixpilot.repositories.dynamo import Table, from_item, to_item, to_value

MAX_SEATS_PER_PO = 95  # a transaction holds 100 items: claim, PO, ticket group and the seats


def po_claim(tenant_id: str, rid: int, pos: str) -> str:
    return f"po#{tenant_id}#{rid}#{pos}"


def order_entity(marketplace_id: int, order_id: str) -> str:
    return f"ORDER#{marketplace_id}#{order_id}"


# What writing a hold came to: held, the order id already recorded, or a seat no longer available.
HoldWrite = Literal["held", "order_exists", "taken"]
# What changing an order came to: done, or its state (or expiry, or a seat) was not as required.
ChangeWrite = Literal["done", "refused"]
# Conditions a change of a held order may add: the hold has not expired (to invoice), has expired
# or is non-binding (to release it for another order).
OrderGuard = Literal["unexpired", "expired", "non_binding"]


@dataclass(frozen=True)
class LedgerPo:
    """A PO to write: the PO item, its ticket group and seat numbers (already numbered)."""

    tenant_id: str
    rid: int
    poid: int
    tgid: int
    po: dict[str, Any]
    ticket_group: dict[str, Any]
    seats: list[str]


class LedgerRepository:
    def __init__(self, client: Any | None = None) -> None:
        self.table = Table("ledger", client)
        self.claims = Table("claims", client)

    def po_for(self, tenant_id: str, rid: int, pos: str = "builtin") -> str | None:
        item = self.claims.client.get_item(
            TableName=self.claims.name,
            Key={"claim": {"S": po_claim(tenant_id, rid, pos)}},
            ConsistentRead=True,
        ).get("Item")
        return str(item["poid"]["S"]) if item else None

    def create_po(self, entry: LedgerPo) -> tuple[str, bool]:
        """Write the PO, its ticket group, its seats and its claim at once. Returns (poid, created):
        when the purchase already has a builtin PO, nothing is written and its number returned."""
        tenant = entry.tenant_id
        poid = str(entry.poid)
        items: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self.claims.name,
                    "Item": to_item(
                        {"claim": po_claim(tenant, entry.rid, "builtin"), "poid": poid, "rid": entry.rid}
                    ),
                    "ConditionExpression": "attribute_not_exists(claim)",
                }
            },
            {
                "Put": {
                    "TableName": self.table.name,
                    "Item": to_item(
                        {
                            **entry.po,
                            "tenant_id": tenant,
                            "entity": f"PO#{poid}",
                            "poid": poid,
                            "rid": entry.rid,
                            "tgids": [str(entry.tgid)],
                        }
                    ),
                    "ConditionExpression": "attribute_not_exists(entity)",
                }
            },
            {
                "Put": {
                    "TableName": self.table.name,
                    "Item": to_item(
                        {
                            **entry.ticket_group,
                            "tenant_id": tenant,
                            "entity": f"TG#{entry.tgid}",
                            "tgid": str(entry.tgid),
                            "poid": poid,
                            "rid": entry.rid,
                            "quantity": len(entry.seats),
                        }
                    ),
                    "ConditionExpression": "attribute_not_exists(entity)",
                }
            },
        ]
        for seat in entry.seats:
            items.append(
                {
                    "Put": {
                        "TableName": self.table.name,
                        "Item": to_item(
                            {
                                "tenant_id": tenant,
                                "entity": f"SEAT#{entry.tgid}#{seat}",
                                "tgid": str(entry.tgid),
                                "poid": poid,
                                "rid": entry.rid,
                                "seatnumber": seat,
                                "status": "available",
                            }
                        ),
                        "ConditionExpression": "attribute_not_exists(entity)",
                    }
                }
            )
        client = self.table.client
        try:
            client.transact_write_items(TransactItems=items)
        except client.exceptions.TransactionCanceledException:
            existing = self.po_for(tenant, entry.rid)
            if existing is None:
                raise
            return existing, False
        return poid, True

    def ticket_group(self, tenant_id: str, tgid: str) -> dict[str, Any] | None:
        item = self.table.client.get_item(
            TableName=self.table.name,
            Key={"tenant_id": {"S": tenant_id}, "entity": {"S": f"TG#{tgid}"}},
        ).get("Item")
        return from_item(item) if item else None

    def _get(self, tenant_id: str, entity: str) -> dict[str, Any] | None:
        item = self.table.client.get_item(
            TableName=self.table.name,
            Key={"tenant_id": {"S": tenant_id}, "entity": {"S": entity}},
            ConsistentRead=True,
        ).get("Item")
        return from_item(item) if item else None

    def ticket_groups(
        self, tenant_id: str, rid: int | None = None, event_date: str | None = None
    ) -> list[dict[str, Any]]:
        """The tenant's ticket groups. By rid: the purchase's PO claim, its PO, its groups (reads by
        key only); otherwise a Query of the partition's TG# items (filtered by event date)."""
        if rid is not None:
            poid = self.po_for(tenant_id, rid)
            po = self._get(tenant_id, f"PO#{poid}") if poid else None
            groups = [g for t in (po or {}).get("tgids", []) if (g := self._get(tenant_id, f"TG#{t}"))]
            return [g for g in groups if event_date is None or g.get("event_date") == event_date]
        filters: list[str] = []
        values: dict[str, Any] = {":t": {"S": tenant_id}, ":p": {"S": "TG#"}}
        if event_date is not None:
            filters.append("event_date = :d")
            values[":d"] = {"S": event_date}
        request: dict[str, Any] = {
            "KeyConditionExpression": "tenant_id = :t AND begins_with(entity, :p)",
            "ExpressionAttributeValues": values,
        }
        if filters:
            request["FilterExpression"] = " AND ".join(filters)
        return list(self.table.query_all(**request))

    def seats(self, tenant_id: str, tgid: str) -> list[dict[str, Any]]:
        return list(
            self.table.query_all(
                KeyConditionExpression="tenant_id = :t AND begins_with(entity, :p)",
                ExpressionAttributeValues={":t": {"S": tenant_id}, ":p": {"S": f"SEAT#{tgid}#"}},
                ConsistentRead=True,
            )
        )

    # --- marketplace orders ------------------------------------------------------------------

    def _key(self, tenant_id: str, entity: str) -> dict[str, Any]:
        return {"tenant_id": {"S": tenant_id}, "entity": {"S": entity}}

    def order(self, tenant_id: str, marketplace_id: int, order_id: str) -> dict[str, Any] | None:
        return self._get(tenant_id, order_entity(marketplace_id, order_id))

    def order_by_entity(self, tenant_id: str, entity: str) -> dict[str, Any] | None:
        return self._get(tenant_id, entity)

    def hold(self, tenant_id: str, order: dict[str, Any]) -> HoldWrite:
        """Write the order item and hold its seats at once: "held", "order_exists" (this order id
        is already recorded) or "taken" (a seat is no longer available)."""
        entity = order_entity(int(order["marketplace_id"]), str(order["order_id"]))
        items: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self.table.name,
                    "Item": to_item({**order, "tenant_id": tenant_id, "entity": entity}),
                    "ConditionExpression": "attribute_not_exists(entity)",
                }
            }
        ]
        hold_seat = "SET #s = :held, held_by = :o, held_until = :u, held_binding = :b"
        values = {
            ":held": {"S": "held"},
            ":available": {"S": "available"},
            ":o": {"S": entity},
            ":u": {"N": str(int(order["hold_until"]))},
            ":b": {"BOOL": bool(order["binding"])},
        }
        for seat in order["seats"]:
            items.append(
                {
                    "Update": {
                        "TableName": self.table.name,
                        "Key": self._key(tenant_id, f"SEAT#{order['tgid']}#{seat}"),
                        "UpdateExpression": hold_seat,
                        "ConditionExpression": "#s = :available",
                        "ExpressionAttributeNames": {"#s": "status"},
                        "ExpressionAttributeValues": values,
                    }
                }
            )
        client = self.table.client
        try:
            client.transact_write_items(TransactItems=items)
        except client.exceptions.TransactionCanceledException as exc:
            reasons = [r.get("Code") for r in exc.response.get("CancellationReasons", [])]
            if reasons and reasons[0] == "ConditionalCheckFailed":
                return "order_exists"
            if "ConditionalCheckFailed" in reasons:
                return "taken"
            raise
        return "held"

    def change_order(
        self,
        tenant_id: str,
        order: dict[str, Any],
        *,
        state: Literal["invoiced", "released"],
        sets: dict[str, Any],
        now_s: int,
        guard: OrderGuard | None = None,
    ) -> ChangeWrite:
        """Move a held order to `state` in one transaction: the order item (held, and `guard`
        against `now_s`) and its seats (held by it: sold on invoice, available on release)."""
        entity = order_entity(int(order["marketplace_id"]), str(order["order_id"]))
        names: dict[str, str] = {"#state": "state"}
        values: dict[str, Any] = {":was": {"S": "held"}}
        clauses = []
        for index, (name, value) in enumerate({"state": state, **sets}.items()):
            names[f"#n{index}"] = name
            values[f":v{index}"] = to_value(value)
            clauses.append(f"#n{index} = :v{index}")
        condition = "#state = :was"
        if guard is not None:
            values[":now"] = {"N": str(now_s)}
            if guard == "unexpired":
                condition += " AND hold_until > :now"
            elif guard == "expired":
                condition += " AND hold_until <= :now"
            else:
                values[":binding"] = {"BOOL": True}
                condition += " AND binding <> :binding"
        items: list[dict[str, Any]] = [
            {
                "Update": {
                    "TableName": self.table.name,
                    "Key": self._key(tenant_id, entity),
                    "UpdateExpression": "SET " + ", ".join(clauses),
                    "ConditionExpression": condition,
                    "ExpressionAttributeNames": names,
                    "ExpressionAttributeValues": values,
                }
            }
        ]
        seat_values: dict[str, Any] = {":held": {"S": "held"}, ":o": {"S": entity}}
        if state == "invoiced":
            seat_expression = "SET #s = :new"
            seat_values[":new"] = {"S": "sold"}
        else:
            seat_expression = "SET #s = :new REMOVE held_by, held_until, held_binding"
            seat_values[":new"] = {"S": "available"}
        for seat in order["seats"]:
            items.append(
                {
                    "Update": {
                        "TableName": self.table.name,
                        "Key": self._key(tenant_id, f"SEAT#{order['tgid']}#{seat}"),
                        "UpdateExpression": seat_expression,
                        "ConditionExpression": "#s = :held AND held_by = :o",
                        "ExpressionAttributeNames": {"#s": "status"},
                        "ExpressionAttributeValues": seat_values,
                    }
                }
            )
        client = self.table.client
        try:
            client.transact_write_items(TransactItems=items)
        except client.exceptions.TransactionCanceledException as exc:
            reasons = [r.get("Code") for r in exc.response.get("CancellationReasons", [])]
            if "ConditionalCheckFailed" in reasons:
                return "refused"
            raise
        return "done"

    def complete_order(self, tenant_id: str, order: dict[str, Any], completed_at: str) -> bool:
        """Mark an invoiced order fulfilled; False when it is not invoiced."""
        entity = order_entity(int(order["marketplace_id"]), str(order["order_id"]))
        client = self.table.client
        try:
            client.update_item(
                TableName=self.table.name,
                Key=self._key(tenant_id, entity),
                UpdateExpression="SET completed_at = if_not_exists(completed_at, :at)",
                ConditionExpression="#state = :invoiced",
                ExpressionAttributeNames={"#state": "state"},
                ExpressionAttributeValues={":at": {"S": completed_at}, ":invoiced": {"S": "invoiced"}},
            )
        except client.exceptions.ConditionalCheckFailedException:
            return False
        return True
