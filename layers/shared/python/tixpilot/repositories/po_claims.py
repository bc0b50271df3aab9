"""Claims on making a purchase's PO in a POS whose API cannot make it in our transaction.

The builtin POS writes its claim in the PO's own transaction (repositories/ledger.py). An outside
POS (SkyBox) cannot join a DynamoDB transaction, so its claim (the same item of the `claims`
table, `po#<tenant>#<rid>#<pos>`) is taken first, with a lease: whoever holds it makes the PO
(after asking the POS whether one exists already), then settles the claim with the PO number.
Everyone else waits for that number. A holder that died mid-way leaves a lease that runs out, so
a later run can take over (and finds the PO by its external reference if it was made).
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from typing import Any

from tixpilot.repositories.dynamo import Table
from tixpilot.repositories.ledger import po_claim


@dataclass(frozen=True)
class PoClaim:
    poid: str | None  # the PO number once settled
    owner: str  # who holds (or held) the lease
    lease_until: float  # epoch seconds
    mine: bool  # this call took it


class PoClaimRepository:
    def __init__(self, client: Any | None = None) -> None:
        self.table = Table("claims", client)

    def acquire(self, tenant_id: str, rid: int, pos: str, owner: str, lease_s: float) -> PoClaim:
        """Take the claim unless it is settled or another owner's lease still runs; either way
        answer the claim as it now stands (`mine` says whether this call holds it)."""
        now = time.time()
        client = self.table.client
        try:
            client.put_item(
                TableName=self.table.name,
                Item={
                    "claim": {"S": po_claim(tenant_id, rid, pos)},
                    "rid": {"N": str(rid)},
                    "owner": {"S": owner},
                    "lease_until": {"N": f"{now + lease_s:.3f}"},
                },
                ConditionExpression="attribute_not_exists(claim) OR "
                "(attribute_not_exists(poid) AND lease_until < :now)",
                ExpressionAttributeValues={":now": {"N": f"{now:.3f}"}},
            )
        except client.exceptions.ConditionalCheckFailedException:
            current = self.get(tenant_id, rid, pos)
            if current is None:  # released in between: try once more
                return self.acquire(tenant_id, rid, pos, owner, lease_s)
            return current
        return PoClaim(None, owner, now + lease_s, True)

    def get(self, tenant_id: str, rid: int, pos: str) -> PoClaim | None:
        item = self.table.client.get_item(
            TableName=self.table.name,
            Key={"claim": {"S": po_claim(tenant_id, rid, pos)}},
            ConsistentRead=True,
        ).get("Item")
        if item is None:
            return None
        return PoClaim(
            poid=item["poid"]["S"] if "poid" in item else None,
            owner=item.get("owner", {}).get("S", ""),
            lease_until=float(item.get("lease_until", {}).get("N", "0")),
            mine=False,
        )

    def settle(self, tenant_id: str, rid: int, pos: str, poid: str) -> str:
        """Record the PO number on the claim; the first number recorded stays. Answers the number
        the claim keeps: another one only if a lease ran out while its holder was still at work."""
        client = self.table.client
        try:
            client.update_item(
                TableName=self.table.name,
                Key={"claim": {"S": po_claim(tenant_id, rid, pos)}},
                UpdateExpression="SET poid = :p, rid = :r REMOVE lease_until",
                ConditionExpression="attribute_not_exists(poid)",
                ExpressionAttributeValues={":p": {"S": poid}, ":r": {"N": str(rid)}},
            )
        except client.exceptions.ConditionalCheckFailedException:
            current = self.get(tenant_id, rid, pos)
            if current is None or current.poid is None:  # cannot be: the condition held a poid
                raise
            return current.poid
        return poid

    def release(self, tenant_id: str, rid: int, pos: str, owner: str) -> None:
        """Give the claim up (the PO could not be made now) so that the next run need not wait
        for the lease; a claim settled or taken over meanwhile is left alone."""
        client = self.table.client
        with contextlib.suppress(client.exceptions.ConditionalCheckFailedException):
            client.delete_item(
                TableName=self.table.name,
                Key={"claim": {"S": po_claim(tenant_id, rid, pos)}},
                ConditionExpression="attribute_not_exists(poid) AND #o = :o",
                ExpressionAttributeNames={"#o": "owner"},
                ExpressionAttributeValues={":o": {"S": owner}},
            )
