"""Purchases. Keyed by tenant and rid; a confirmation-number index finds the order a second
receipt (or a crawl) belongs to, so one order never becomes two purchases.

Search (docs/data-model.md): each filter of `GET /v2/purchases` has a sparse GSI on the
purchases table whose partition value starts with the tenant, or index items in the
`purchase_index` table (a full copy per PO number; per distinct event/venue name a purchase count
and its suffixes). The copies and counts are written in the same transaction as the purchase, so
a search never sees a purchase without its index entries or the other way round.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from tixpilot.models.purchases import Purchase
from tixpilot.repositories.dynamo import Table, from_item, to_item
from tixpilot.services.purchase_search import (
    NO_REGION,
    NameKind,
    Position,
    QueryPage,
    Read,
    index_values,
    name_suffixes,
)


def confirmation_key(tenant_id: str, confirmation_number: str) -> str:
    return f"{tenant_id}#{confirmation_number.strip().upper()}"


def order_claim(tenant_id: str, confirmation_number: str, region: str | None) -> str:
    return f"order#{confirmation_key(tenant_id, confirmation_number)}#{(region or NO_REGION).upper()}"


@dataclass(frozen=True)
class _Gsi:
    name: str
    partition: str  # attribute; its value is "<tenant>#<value>", or the tenant id itself
    sort: str  # attribute
    sort_is_rid: bool


# filter -> the GSI serving it (tables.py PURCHASES declares the same names)
_GSIS: dict[str, _Gsi] = {
    "confirmation": _Gsi("by_confirmation", "tenant_confirmation", "confirmation_region", False),
    "firstseen": _Gsi("by_firstseen", "tenant_id", "ix_firstseen", False),
    "event_at": _Gsi("by_event_at", "tenant_id", "ix_event_at", False),
    "purchase_date": _Gsi("by_purchase_date", "tenant_id", "ix_purchase_date", False),
    "username": _Gsi("by_username", "ix_username", "rid", True),
    "region": _Gsi("by_region", "ix_region", "rid", True),
    "card": _Gsi("by_card", "ix_card", "rid", True),
    "refund": _Gsi("by_refund", "ix_refund", "rid", True),
    "status": _Gsi("by_status", "ix_status", "rid", True),
    "event_name": _Gsi("by_event_name", "ix_event_name", "rid", True),
    "venue_name": _Gsi("by_venue_name", "ix_venue_name", "rid", True),
}
_TENANT_PARTITIONED = {"firstseen", "event_at", "purchase_date"}  # sort key carries the value
_INDEX_ATTRS = {g.sort for g in _GSIS.values() if g.sort.startswith("ix_")} | {
    g.partition for g in _GSIS.values() if g.partition.startswith("ix_")
}
_INTERNAL = {"tenant_confirmation", "ikey", "skey", *_INDEX_ATTRS}


def _row(purchase: Purchase) -> dict[str, Any]:
    """The item: keys and index attributes at the top, the purchase itself as one JSON
    document (`doc`). Nothing filters on nested attributes server-side, and a flat item is
    smaller and cheaper to write than the same data as nested maps."""
    tenant = purchase.tenant_id
    row: dict[str, Any] = {
        "tenant_id": tenant,
        "rid": purchase.rid,
        "version": purchase.version,
        "tenant_confirmation": confirmation_key(tenant, purchase.confirmation_number),
        "confirmation_region": (purchase.confirmation_region or NO_REGION).upper(),
        "doc": purchase.model_dump_json(exclude_none=True),
    }
    for name, value in index_values(purchase).items():
        gsi = _GSIS[name]
        if name in _TENANT_PARTITIONED:
            row[gsi.sort] = value
        else:
            row[gsi.partition] = f"{tenant}#{value}"
    return row


def _purchase(item: dict[str, Any]) -> Purchase:
    if "doc" in item:
        return Purchase.model_validate_json(item["doc"])
    # an item written before purchases were stored as one document
    data = {k: v for k, v in item.items() if k not in _INTERNAL}
    if data.get("confirmation_region") == NO_REGION:
        data["confirmation_region"] = None
    return Purchase.model_validate(data)


# --- purchase_index items ----------------------------------------------------------------------


def _rid_key(rid: int) -> str:
    return f"{rid:012d}"


def po_partition(tenant_id: str, po: str) -> str:
    return f"{tenant_id}#po#{po}"


def _names_partition(tenant_id: str, kind: NameKind) -> str:
    return f"{tenant_id}#names#{kind}"


def _suffix_partition(tenant_id: str, kind: NameKind) -> str:
    return f"{tenant_id}#suffix#{kind}"


_SEPARATOR = "\x1f"  # between suffix and name; normalized names hold no control characters


def _po_copies(purchase: Purchase, row: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The purchase copied under each of its PO numbers (a purchase has one per POS)."""
    return {
        po_partition(purchase.tenant_id, po): {
            **row,
            "ikey": po_partition(purchase.tenant_id, po),
            "skey": _rid_key(purchase.rid),
        }
        for po in sorted(set(purchase.purchaseorders.values()))
    }


def _names(purchase: Purchase) -> dict[NameKind, str]:
    values = index_values(purchase)
    names: dict[NameKind, str] = {}
    if "event_name" in values:
        names["event"] = values["event_name"]
    if "venue_name" in values:
        names["venue"] = values["venue_name"]
    return names


def _count_update(table: str, tenant_id: str, kind: NameKind, name: str, delta: int) -> dict[str, Any]:
    return {
        "Update": {
            "TableName": table,
            "Key": {"ikey": {"S": _names_partition(tenant_id, kind)}, "skey": {"S": name}},
            "UpdateExpression": "ADD #c :d",
            "ExpressionAttributeNames": {"#c": "count"},
            "ExpressionAttributeValues": {":d": {"N": str(delta)}},
        }
    }


def _suffix_items(tenant_id: str, kind: NameKind, name: str) -> list[dict[str, Any]]:
    partition = _suffix_partition(tenant_id, kind)
    return [
        {"ikey": {"S": partition}, "skey": {"S": f"{suffix}{_SEPARATOR}{name}"}}
        for suffix in name_suffixes(name)
    ]


_BATCH = 25


def batch_write(client: Any, table: str, items: Sequence[dict[str, Any]], deletes: bool = False) -> None:
    """BatchWriteItem in chunks of 25, retrying what DynamoDB leaves unprocessed."""
    for start in range(0, len(items), _BATCH):
        verb = "DeleteRequest" if deletes else "PutRequest"
        field = "Key" if deletes else "Item"
        requests: dict[str, Any] = {table: [{verb: {field: item}} for item in items[start : start + _BATCH]]}
        while requests:
            response = client.batch_write_item(RequestItems=requests)
            requests = response.get("UnprocessedItems") or {}


class PurchaseRepository:
    def __init__(self, client: Any | None = None) -> None:
        self.table = Table("purchases", client)
        self.claims = Table("claims", client)
        self.index = Table("purchase_index", client)
        self._known_names: set[tuple[str, str, str]] = set()
        self._lock = threading.Lock()

    # --- reads by key -------------------------------------------------------------------------

    def get(self, tenant_id: str, rid: int, consistent: bool = False) -> Purchase | None:
        item = self.table.client.get_item(
            TableName=self.table.name,
            Key={"tenant_id": {"S": tenant_id}, "rid": {"N": str(rid)}},
            ConsistentRead=consistent,
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
        return self.get(tenant_id, int(claim["rid"]["N"]), consistent=True) if claim else None

    # --- writes -------------------------------------------------------------------------------

    def _ensure_names(self, purchase: Purchase) -> None:
        """Write the suffix dictionary of a name the first time it is seen. Suffixes go in before
        the name's count item exists (the count is written by the purchase's transaction), so a
        counted name is always findable; a stray suffix of an unused name only costs a read."""
        for kind, name in _names(purchase).items():
            key = (purchase.tenant_id, kind, name)
            if key in self._known_names:
                continue
            known = self.index.client.get_item(
                TableName=self.index.name,
                Key={"ikey": {"S": _names_partition(purchase.tenant_id, kind)}, "skey": {"S": name}},
            ).get("Item")
            if known is None:
                batch_write(self.index.client, self.index.name, _suffix_items(purchase.tenant_id, kind, name))
            with self._lock:
                self._known_names.add(key)

    def create_unique(self, purchase: Purchase) -> bool:
        """Create a purchase, its order claim and its index items in one transaction; False if
        the order exists."""
        client = self.table.client
        self._ensure_names(purchase)
        claim = order_claim(purchase.tenant_id, purchase.confirmation_number, purchase.confirmation_region)
        row = _row(purchase)
        items: list[dict[str, Any]] = [
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
                    "Item": to_item(row),
                    "ConditionExpression": "attribute_not_exists(rid)",
                }
            },
        ]
        items += [
            {"Put": {"TableName": self.index.name, "Item": to_item(c)}}
            for c in _po_copies(purchase, row).values()
        ]
        items += [
            _count_update(self.index.name, purchase.tenant_id, k, n, 1) for k, n in _names(purchase).items()
        ]
        try:
            client.transact_write_items(TransactItems=items)
        except client.exceptions.TransactionCanceledException:
            return False
        return True

    def replace(self, purchase: Purchase) -> bool:
        """Write a changed purchase (its `version` one above the one read) unless someone else
        wrote it since it was read. False means: read again and re-apply the change.

        Its index items follow in the same transaction: PO copies rewritten (and removed for a
        PO number it no longer has), name counts moved when a name changed.
        """
        client = self.table.client
        before = self.get(purchase.tenant_id, purchase.rid, consistent=True)
        if before is None or before.version != purchase.version - 1:
            return False
        self._ensure_names(purchase)
        row = _row(purchase)
        copies = _po_copies(purchase, row)
        items: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self.table.name,
                    "Item": to_item(row),
                    "ConditionExpression": "version = :read",
                    "ExpressionAttributeValues": {":read": {"N": str(purchase.version - 1)}},
                }
            }
        ]
        items += [{"Put": {"TableName": self.index.name, "Item": to_item(c)}} for c in copies.values()]
        items += [
            {
                "Delete": {
                    "TableName": self.index.name,
                    "Key": {"ikey": {"S": key}, "skey": {"S": _rid_key(purchase.rid)}},
                }
            }
            for key in _po_copies(before, _row(before))
            if key not in copies
        ]
        old_names, new_names = _names(before), _names(purchase)
        kinds: tuple[NameKind, ...] = ("event", "venue")
        for kind in kinds:
            old, new = old_names.get(kind), new_names.get(kind)
            if old != new:
                if old:
                    items.append(_count_update(self.index.name, purchase.tenant_id, kind, old, -1))
                if new:
                    items.append(_count_update(self.index.name, purchase.tenant_id, kind, new, 1))
        try:
            client.transact_write_items(TransactItems=items)
        except client.exceptions.TransactionCanceledException:
            return False
        return True

    def load(self, purchases: Iterable[Purchase], workers: int = 8) -> dict[tuple[str, NameKind, str], int]:
        """Bulk-load new purchases (demo data, benchmarks): the same rows, claims and PO copies
        as create_unique, written with BatchWriteItem from several threads. Not for live orders:
        it does not check that an order is new. Returns the name counts to pass to
        `load_names` once all chunks are in."""
        rows: list[dict[str, Any]] = []
        claims: list[dict[str, Any]] = []
        copies: list[dict[str, Any]] = []
        counts: dict[tuple[str, NameKind, str], int] = {}
        for purchase in purchases:
            row = _row(purchase)
            rows.append(to_item(row))
            claim = order_claim(
                purchase.tenant_id, purchase.confirmation_number, purchase.confirmation_region
            )
            claims.append({"claim": {"S": claim}, "rid": {"N": str(purchase.rid)}})
            copies += [to_item(c) for c in _po_copies(purchase, row).values()]
            for kind, name in _names(purchase).items():
                counts[(purchase.tenant_id, kind, name)] = counts.get((purchase.tenant_id, kind, name), 0) + 1
        self._write_parallel(
            [(self.table.name, rows), (self.claims.name, claims), (self.index.name, copies)], workers
        )
        return counts

    def load_names(self, counts: dict[tuple[str, NameKind, str], int], workers: int = 8) -> None:
        """The suffix dictionary and counts of bulk-loaded names (suffixes first, as live)."""
        suffixes = [item for (tenant, kind, name) in counts for item in _suffix_items(tenant, kind, name)]
        self._write_parallel([(self.index.name, suffixes)], workers)
        client = self.index.client

        def add(entry: tuple[tuple[str, NameKind, str], int]) -> None:
            (tenant, kind, name), delta = entry
            client.update_item(
                TableName=self.index.name,
                Key={"ikey": {"S": _names_partition(tenant, kind)}, "skey": {"S": name}},
                UpdateExpression="ADD #c :d",
                ExpressionAttributeNames={"#c": "count"},
                ExpressionAttributeValues={":d": {"N": str(delta)}},
            )

        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(add, counts.items()))

    def _write_parallel(self, jobs: list[tuple[str, list[dict[str, Any]]]], workers: int) -> None:
        size = _BATCH * 4
        work = [(table, items[i : i + size]) for table, items in jobs for i in range(0, len(items), size)]
        client = self.table.client
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(lambda job: batch_write(client, job[0], job[1]), work))

    # --- search -------------------------------------------------------------------------------

    def _query_request(self, tenant_id: str, read: Read) -> dict[str, Any]:
        query = read.query
        values: dict[str, Any] = {}
        names: dict[str, str] = {}
        request: dict[str, Any] = {"ScanIndexForward": False, "Limit": read.limit}
        if query.index == "table":
            request["TableName"] = self.table.name
            request["KeyConditionExpression"] = "tenant_id = :p"
            values[":p"] = {"S": tenant_id}
            if read.after:
                request["ExclusiveStartKey"] = {
                    "tenant_id": {"S": tenant_id},
                    "rid": {"N": str(read.after.rid)},
                }
        elif query.index == "po":
            partition = po_partition(tenant_id, query.value or "")
            request["TableName"] = self.index.name
            request["KeyConditionExpression"] = "ikey = :p"
            values[":p"] = {"S": partition}
            if read.after:
                request["ExclusiveStartKey"] = {
                    "ikey": {"S": partition},
                    "skey": {"S": _rid_key(read.after.rid)},
                }
        else:
            gsi = _GSIS[query.index]
            if query.index in _TENANT_PARTITIONED:
                partition = tenant_id
            elif query.index == "confirmation":
                partition = confirmation_key(tenant_id, query.value or "")
            else:
                partition = f"{tenant_id}#{query.value}"
            request["TableName"] = self.table.name
            request["IndexName"] = gsi.name
            names["#p"] = gsi.partition
            if query.op != "all":
                names["#s"] = gsi.sort
            condition = "#p = :p"
            values[":p"] = {"S": partition}
            bounds = [{"S": b} for b in query.bounds]
            if query.op == "eq":
                condition += " AND #s = :a"
            elif query.op == "begins":
                condition += " AND begins_with(#s, :a)"
            elif query.op == "between":
                condition += " AND #s BETWEEN :a AND :b"
            elif query.op == "ge":
                condition += " AND #s >= :a"
            elif query.op == "le":
                condition += " AND #s <= :a"
            for placeholder, bound in zip((":a", ":b"), bounds, strict=False):
                values[placeholder] = bound
            request["KeyConditionExpression"] = condition
            if read.after:
                start = {
                    "tenant_id": {"S": tenant_id},
                    "rid": {"N": str(read.after.rid)},
                    gsi.partition: {"S": partition},
                }
                if not gsi.sort_is_rid:
                    start[gsi.sort] = {"S": read.after.sort or ""}
                request["ExclusiveStartKey"] = start
        request["ExpressionAttributeValues"] = values
        if names:
            request["ExpressionAttributeNames"] = names
        return request

    def _query(self, tenant_id: str, read: Read) -> QueryPage:
        request = self._query_request(tenant_id, read)
        response = self.table.client.query(**request)
        purchases = [_purchase(from_item(item)) for item in response.get("Items", [])]
        last = response.get("LastEvaluatedKey")
        if not last or not purchases:
            return QueryPage(purchases, None)
        gsi = _GSIS.get(read.query.index)
        sort = None if gsi is None or gsi.sort_is_rid else from_item(last).get(gsi.sort)
        return QueryPage(purchases, Position(purchases[-1].rid, None if sort is None else str(sort)))

    def query_many(self, tenant_id: str, reads: Sequence[Read]) -> list[QueryPage]:
        if len(reads) == 1:
            return [self._query(tenant_id, reads[0])]
        with ThreadPoolExecutor(max_workers=min(len(reads), 16)) as pool:
            return list(pool.map(lambda read: self._query(tenant_id, read), reads))

    def names_containing(self, tenant_id: str, kind: NameKind, needle: str) -> list[str]:
        found = self.index.query_all(
            KeyConditionExpression="ikey = :p AND begins_with(skey, :n)",
            ExpressionAttributeValues={":p": {"S": _suffix_partition(tenant_id, kind)}, ":n": {"S": needle}},
        )
        return sorted({item["skey"].split(_SEPARATOR, 1)[1] for item in found})

    def name_counts(self, tenant_id: str, kind: NameKind, names: Sequence[str]) -> dict[str, int]:
        partition = _names_partition(tenant_id, kind)
        keys = [{"ikey": {"S": partition}, "skey": {"S": name}} for name in dict.fromkeys(names)]
        counts: dict[str, int] = {}
        client = self.index.client
        for start in range(0, len(keys), 100):
            request: dict[str, Any] = {self.index.name: {"Keys": keys[start : start + 100]}}
            while request:
                response = client.batch_get_item(RequestItems=request)
                for item in response.get("Responses", {}).get(self.index.name, []):
                    counts[item["skey"]["S"]] = int(item.get("count", {}).get("N", "0"))
                request = response.get("UnprocessedKeys") or {}
        return counts
