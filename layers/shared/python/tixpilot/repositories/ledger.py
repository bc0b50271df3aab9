"""The builtin POS's ledger (table `ledger`): purchase orders, ticket groups and seats.

Items in the tenant's partition, keyed by `entity`:
- `PO#<poid>`: the purchase order (rid, vendor, card, stock, cost, its ticket group ids);
- `TG#<tgid>`: a ticket group (rid, poid, event, venue, event_date, section, row, quantity);
- `SEAT#<tgid>#<seatnumber>`: one item per seat with its `status` (available | held | sold), so
  a hold or an invoice is one conditional write per seat (`status = available`).

A PO is written in ONE transaction with its uniqueness claim `po#<tenant>#<rid>#builtin` (table
`claims`): whoever races (a pipeline retry, QuickPO during AutoPO, a duplicate start), exactly
one PO per purchase exists, and every loser reads the winner's PO number from the claim.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tixpilot.repositories.dynamo import Table, from_item, to_item

MAX_SEATS_PER_PO = 95  # a transaction holds 100 items: claim, PO, ticket group and the seats


def po_claim(tenant_id: str, rid: int, pos: str) -> str:
    return f"po#{tenant_id}#{rid}#{pos}"


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
