"""TixPilot's record of each marketplace order held in an outside POS (SkyBox).

The POS keeps the seats (its holds and invoices); this record keeps what the POS has no field for
and what makes every call idempotent per order: the order's request (ticket group, quantity,
price, binding), the POS's hold and invoice ids, and the order's state. One item per order in the
tenant's partition of the `ledger` table, `POSORDER#<pos>#<marketplace id>#<order id>`.

The state moves by conditional writes only, so two calls for one order never act at once:
`placing` -> `held` -> `invoicing` -> `invoiced`, or `held` -> `releasing` -> `released`. The
three transitional states carry a lease (`lease_until`, epoch seconds): the call that set it is
talking to the POS; when it dies, the lease runs out and a later call finishes the move.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping
from typing import Any

from tixpilot.repositories.dynamo import Table, from_item, to_item, to_value


def entity(pos: str, marketplace_id: int, order_id: str) -> str:
    return f"POSORDER#{pos}#{marketplace_id}#{order_id}"


class PosOrderRecords:
    def __init__(self, client: Any | None = None) -> None:
        self.table = Table("ledger", client)

    def _key(self, tenant_id: str, pos: str, marketplace_id: int, order_id: str) -> dict[str, Any]:
        return {"tenant_id": {"S": tenant_id}, "entity": {"S": entity(pos, marketplace_id, order_id)}}

    def get(self, tenant_id: str, pos: str, marketplace_id: int, order_id: str) -> dict[str, Any] | None:
        item = self.table.client.get_item(
            TableName=self.table.name,
            Key=self._key(tenant_id, pos, marketplace_id, order_id),
            ConsistentRead=True,
        ).get("Item")
        return from_item(item) if item else None

    def create(self, tenant_id: str, record: Mapping[str, Any]) -> bool:
        """Write a new order's record; False when the order has one already."""
        name = entity(str(record["pos"]), int(record["marketplace_id"]), str(record["order_id"]))
        client = self.table.client
        try:
            client.put_item(
                TableName=self.table.name,
                Item=to_item({**record, "tenant_id": tenant_id, "entity": name}),
                ConditionExpression="attribute_not_exists(entity)",
            )
        except client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def change(
        self,
        tenant_id: str,
        pos: str,
        marketplace_id: int,
        order_id: str,
        *,
        states: Iterable[str],
        sets: Mapping[str, Any],
        removes: Iterable[str] = (),
        require: Mapping[str, Any] | None = None,
    ) -> dict[str, Any] | None:
        """Update the record if its state is one of `states` (and each `require` attribute has
        that value, None meaning absent); the record as written, or None when it was not."""
        names: dict[str, str] = {"#state": "state"}
        values: dict[str, Any] = {}
        allowed = []
        for n, state in enumerate(states):
            values[f":s{n}"] = {"S": state}
            allowed.append(f":s{n}")
        conditions = [f"#state IN ({', '.join(allowed)})"]
        for n, (name, value) in enumerate((require or {}).items()):
            names[f"#r{n}"] = name
            if value is None:
                conditions.append(f"attribute_not_exists(#r{n})")
            else:
                values[f":r{n}"] = to_value(value)
                conditions.append(f"#r{n} = :r{n}")
        assignments = []
        for n, (name, value) in enumerate(sets.items()):
            names[f"#u{n}"] = name
            values[f":u{n}"] = to_value(value)
            assignments.append(f"#u{n} = :u{n}")
        expression = "SET " + ", ".join(assignments)
        dropped = list(removes)
        if dropped:
            for n, name in enumerate(dropped):
                names[f"#d{n}"] = name
            expression += " REMOVE " + ", ".join(f"#d{n}" for n in range(len(dropped)))
        client = self.table.client
        try:
            response = client.update_item(
                TableName=self.table.name,
                Key=self._key(tenant_id, pos, marketplace_id, order_id),
                UpdateExpression=expression,
                ConditionExpression=" AND ".join(conditions),
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
            )
        except client.exceptions.ConditionalCheckFailedException:
            return None
        return from_item(response["Attributes"])

    def delete(self, tenant_id: str, pos: str, marketplace_id: int, order_id: str, *, owner: str) -> None:
        """Forget an order whose hold could not be placed (so the order id may be tried again),
        unless another call has taken it over meanwhile."""
        client = self.table.client
        with contextlib.suppress(client.exceptions.ConditionalCheckFailedException):
            client.delete_item(
                TableName=self.table.name,
                Key=self._key(tenant_id, pos, marketplace_id, order_id),
                ConditionExpression="#state = :placing AND #owner = :owner",
                ExpressionAttributeNames={"#state": "state", "#owner": "owner"},
                ExpressionAttributeValues={":placing": {"S": "placing"}, ":owner": {"S": owner}},
            )
