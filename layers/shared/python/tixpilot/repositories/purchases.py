"""Purchases. Keyed by tenant and rid; a confirmation-number index finds the order a second
receipt (or a crawl) belongs to, so one order never becomes two purchases.

Search (docs/data-model.md): each filter of `GET /v2/purchases` has a sparse GSI on the
purchases table whose partition value starts with the tenant, or index items in the
`purchase_index` table (a full copy per PO number; per distinct event/venue name a purchase count
and its suffixes). The copies and counts are written in the same transaction as the purchase, so
a search never sees a purchase without its index entries or the other way round.

Name caps: the count item and every suffix item of a name carry `cap`, a power of two, and
every suffix item's cap >= the count item's cap. The purchase's transaction adds to a count
under the condition count < cap; at the cap it runs again adding past it, and `_raise_cap` runs
after the invocation's work (`deferred.later`): it raises the suffix items' caps first and the
count item's after (each a conditional update that never lowers) to the next power of two at or
above the count. So a search sizes its reads from the suffix items alone; between the write and
the raise a cap can understate its count, which the search tolerates (the page stops inside
that name, nothing is skipped), and the next purchase of the name queues the raise again if it
was lost.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Any

from tixpilot.deferred import later
from tixpilot.models.purchase_search import (
    NO_REGION,
    NameHit,
    NameKind,
    NamesPage,
    Position,
    QueryPage,
    Read,
    dictionary_entries,
    entry_name,
    index_values,
    next_cap,
)
from tixpilot.models.purchases import Purchase
from tixpilot.repositories.dynamo import Table, from_item, to_item
from tixpilot.repositories.dynamo import side_by_side as _side_by_side
from tixpilot.tables import PURCHASE_INDEXES, Index


def confirmation_key(tenant_id: str, confirmation_number: str) -> str:
    return f"{tenant_id}#{confirmation_number.strip().upper()}"


def order_claim(tenant_id: str, confirmation_number: str, region: str | None) -> str:
    return f"order#{confirmation_key(tenant_id, confirmation_number)}#{(region or NO_REGION).upper()}"


@dataclass(frozen=True)
class _Gsi:
    """A search index as this repository reads and writes it (from its declaration)."""

    name: str
    partition: str  # attribute; its value is "<tenant>#<value>", or the tenant id itself
    sort: str  # attribute

    @property
    def tenant_partitioned(self) -> bool:
        """The partition is the tenant and the sort key carries the value (the date indexes)."""
        return self.partition == "tenant_id"

    @property
    def sort_is_rid(self) -> bool:
        return self.sort == "rid"


def _gsi(index: Index) -> _Gsi:
    if index.sort_key is None:
        raise ValueError(f"{index.name}: a search index needs a sort key (results come newest first)")
    return _Gsi(index.name, index.partition_key.name, index.sort_key.name)


# filter -> the GSI serving it
_GSIS: dict[str, _Gsi] = {name: _gsi(index) for name, index in PURCHASE_INDEXES.items()}
_INDEX_ATTRS = {attr for g in _GSIS.values() for attr in (g.partition, g.sort) if attr.startswith("ix_")}
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
        if gsi.tenant_partitioned:
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


def _count_key(tenant_id: str, kind: NameKind, name: str) -> dict[str, Any]:
    return {"ikey": {"S": _names_partition(tenant_id, kind)}, "skey": {"S": name}}


def _count_update(
    table: str, tenant_id: str, kind: NameKind, name: str, delta: int, capped: bool = True
) -> dict[str, Any]:
    """The purchase transaction's change of a name's count. Adding stays below the cap (a new
    count item starts at cap 1, which its suffix items already have); the transaction fails
    with ConditionalCheckFailed on this item when the cap is reached. `capped=False`: add past
    the cap (its raise is queued for after the invocation)."""
    update: dict[str, Any] = {
        "TableName": table,
        "Key": _count_key(tenant_id, kind, name),
        "UpdateExpression": "ADD #c :d",
        "ExpressionAttributeNames": {"#c": "count"},
        "ExpressionAttributeValues": {":d": {"N": str(delta)}},
    }
    if delta > 0:
        update["UpdateExpression"] = "ADD #c :d SET #cap = if_not_exists(#cap, :one)"
        if capped:
            update["ConditionExpression"] = "attribute_not_exists(#c) OR #c < #cap"
        update["ExpressionAttributeNames"]["#cap"] = "cap"
        update["ExpressionAttributeValues"][":one"] = {"N": "1"}
    return {"Update": update}


def _suffix_keys(tenant_id: str, kind: NameKind, name: str) -> list[dict[str, Any]]:
    partition = _suffix_partition(tenant_id, kind)
    return [{"ikey": {"S": partition}, "skey": {"S": entry}} for entry in dictionary_entries(name)]


def _raise_if_lower(client: Any, table: str, key: dict[str, Any], cap: int) -> None:
    """Set an item's cap to `cap` unless it is already that high: a slower writer never lowers it."""
    with contextlib.suppress(client.exceptions.ConditionalCheckFailedException):
        client.update_item(
            TableName=table,
            Key=key,
            UpdateExpression="SET #cap = :c",
            ConditionExpression="attribute_not_exists(#cap) OR #cap < :c",
            ExpressionAttributeNames={"#cap": "cap"},
            ExpressionAttributeValues={":c": {"N": str(cap)}},
        )


def _cap_at_least_one(client: Any, table: str, key: dict[str, Any]) -> None:
    """A new suffix item's cap, 1, unless it has one (never lower what another writer raised)."""
    client.update_item(
        TableName=table,
        Key=key,
        UpdateExpression="SET #cap = if_not_exists(#cap, :one)",
        ExpressionAttributeNames={"#cap": "cap"},
        ExpressionAttributeValues={":one": {"N": "1"}},
    )


_CAP_ATTEMPTS = 3  # the second attempt adds past the caps; a third only when another count filled


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


# --- search Queries ----------------------------------------------------------------------------

# a Query's condition on an index's sort key, by the plan's operator
_SORT_CONDITIONS = {
    "all": "",
    "eq": " AND #s = :a",
    "begins": " AND begins_with(#s, :a)",
    "between": " AND #s BETWEEN :a AND :b",
    "ge": " AND #s >= :a",
    "le": " AND #s <= :a",
}


def _gsi_partition(tenant_id: str, read: Read) -> str:
    gsi = _GSIS[read.query.index]
    if gsi.tenant_partitioned:
        return tenant_id
    if read.query.index == "confirmation":
        return confirmation_key(tenant_id, read.query.value or "")
    return f"{tenant_id}#{read.query.value}"


def _gsi_query(tenant_id: str, read: Read) -> dict[str, Any]:
    """IndexName, key condition and start key of a read on one of the search indexes."""
    query, gsi = read.query, _GSIS[read.query.index]
    partition = _gsi_partition(tenant_id, read)
    names = {"#p": gsi.partition} | ({"#s": gsi.sort} if query.op != "all" else {})
    values = {":p": {"S": partition}} | {
        placeholder: {"S": bound} for placeholder, bound in zip((":a", ":b"), query.bounds, strict=False)
    }
    request: dict[str, Any] = {
        "IndexName": gsi.name,
        "KeyConditionExpression": "#p = :p" + _SORT_CONDITIONS[query.op],
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
    }
    if read.after:
        start = {
            "tenant_id": {"S": tenant_id},
            "rid": {"N": str(read.after.rid)},
            gsi.partition: {"S": partition},
        }
        if not gsi.sort_is_rid:
            start[gsi.sort] = {"S": read.after.sort or ""}
        request["ExclusiveStartKey"] = start
    return request


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
        counted name is always findable; a stray suffix of an unused name only costs a read.

        Each suffix gets cap 1 only if it has no cap: another writer may have created the name
        and raised its caps since the count item was looked up, and a Put would lower them."""
        client = self.index.client
        for kind, name in _names(purchase).items():
            key = (purchase.tenant_id, kind, name)
            if key in self._known_names:
                continue
            known = client.get_item(
                TableName=self.index.name, Key=_count_key(purchase.tenant_id, kind, name)
            ).get("Item")
            if known is None:
                _side_by_side(
                    [
                        partial(_cap_at_least_one, client, self.index.name, suffix)
                        for suffix in _suffix_keys(purchase.tenant_id, kind, name)
                    ]
                )
            with self._lock:
                self._known_names.add(key)

    def _raise_cap(self, tenant_id: str, kind: NameKind, name: str) -> None:
        """Double a name's cap once its count has reached it: every suffix item first (side by
        side), then the count item, so no count can pass a cap a search reads. Racing raisers
        all aim at a cap above the count they read; the conditions keep the highest."""
        client = self.index.client
        item = client.get_item(
            TableName=self.index.name, Key=_count_key(tenant_id, kind, name), ConsistentRead=True
        ).get("Item", {})
        count = int(item.get("count", {}).get("N", "0"))
        cap = int(item["cap"]["N"]) if "cap" in item else None
        if cap is not None and count < cap:
            return  # raised by another writer meanwhile
        target = max(next_cap(count + 1), 2 * (cap or 0))
        _side_by_side(
            [
                partial(_raise_if_lower, client, self.index.name, key, target)
                for key in _suffix_keys(tenant_id, kind, name)
            ]
        )
        _raise_if_lower(client, self.index.name, _count_key(tenant_id, kind, name), target)

    def _write_counted(
        self, tenant_id: str, items: list[dict[str, Any]], counts: Sequence[tuple[NameKind, str, int]]
    ) -> bool:
        """Run a purchase transaction: `items` plus the name count changes. When it fails only
        because counts are at their caps, run it again adding past them and queue their raises;
        False when any other condition failed (the caller's: the order exists, the version moved
        on)."""
        client = self.table.client
        changes = [_count_update(self.index.name, tenant_id, k, n, delta) for k, n, delta in counts]
        first = len(items)
        for _ in range(_CAP_ATTEMPTS):
            try:
                client.transact_write_items(TransactItems=items + changes)
                return True
            except client.exceptions.TransactionCanceledException as exc:
                codes = [r.get("Code") for r in exc.response.get("CancellationReasons", [])]
                failed = [i for i, code in enumerate(codes) if code not in (None, "None")]
                at_cap = [
                    i - first
                    for i in failed
                    if i >= first and counts[i - first][2] > 0 and codes[i] == "ConditionalCheckFailed"
                ]
                if not failed or len(at_cap) < len(failed):
                    return False
                # Add past the cap now and raise it after the invocation's work (deferred.later):
                # a search reading an understated cap stops its page inside the name, so nothing
                # is skipped, and the purchase does not wait for len(name) suffix updates.
                for at in at_cap:
                    kind, name, delta = counts[at]
                    changes[at] = _count_update(self.index.name, tenant_id, kind, name, delta, capped=False)
                    later(partial(self._raise_cap, tenant_id, kind, name))
        raise RuntimeError("name caps kept filling up under us; retry")

    def create_unique(self, purchase: Purchase) -> bool:
        """Create a purchase, its order claim and its index items in one transaction; False if
        the order exists."""
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
        counts = [(kind, name, 1) for kind, name in _names(purchase).items()]
        return self._write_counted(purchase.tenant_id, items, counts)

    def replace(self, purchase: Purchase) -> bool:
        """Write a changed purchase (its `version` one above the one read) unless someone else
        wrote it since it was read. False means: read again and re-apply the change.

        Its index items follow in the same transaction: PO copies rewritten (and removed for a
        PO number it no longer has), name counts moved when a name changed.
        """
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
        counts: list[tuple[NameKind, str, int]] = []
        for kind in kinds:
            old, new = old_names.get(kind), new_names.get(kind)
            if old != new:
                if old:
                    counts.append((kind, old, -1))  # caps stay: still an upper bound
                if new:
                    counts.append((kind, new, 1))
        return self._write_counted(purchase.tenant_id, items, counts)

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
        """The suffix dictionary, counts and caps of bulk-loaded names (suffixes first, as live).

        A name the tenant already has keeps counting from its stored count, and its cap never
        goes down. Suffix items are Put (BatchWriteItem, the fast way), so no live writer may
        raise the same names' caps meanwhile: this is for demo data and benchmarks."""
        client = self.index.client
        keys = list(counts)
        stored: dict[tuple[str, NameKind, str], tuple[int, int]] = {}

        def read(chunk: list[tuple[str, NameKind, str]]) -> None:
            wanted = {(_names_partition(t, k), n): (t, k, n) for t, k, n in chunk}
            request: dict[str, Any] = {
                self.index.name: {"Keys": [_count_key(t, k, n) for t, k, n in chunk], "ConsistentRead": True}
            }
            while request:
                response = client.batch_get_item(RequestItems=request)
                for item in response.get("Responses", {}).get(self.index.name, []):
                    cap = int(item["cap"]["N"]) if "cap" in item else 0
                    key = wanted[(item["ikey"]["S"], item["skey"]["S"])]
                    stored[key] = (int(item.get("count", {}).get("N", "0")), cap)
                request = response.get("UnprocessedKeys") or {}

        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(read, [keys[i : i + 100] for i in range(0, len(keys), 100)]))
        caps = {
            key: max(next_cap(stored.get(key, (0, 0))[0] + delta), stored.get(key, (0, 0))[1])
            for key, delta in counts.items()
        }
        suffixes = [
            {**suffix, "cap": {"N": str(caps[(tenant, kind, name)])}}
            for (tenant, kind, name) in counts
            for suffix in _suffix_keys(tenant, kind, name)
        ]
        self._write_parallel([(self.index.name, suffixes)], workers)

        def add(entry: tuple[tuple[str, NameKind, str], int]) -> None:
            (tenant, kind, name), delta = entry
            client.update_item(
                TableName=self.index.name,
                Key=_count_key(tenant, kind, name),
                UpdateExpression="ADD #c :d SET #cap = :cap",
                ExpressionAttributeNames={"#c": "count", "#cap": "cap"},
                ExpressionAttributeValues={
                    ":d": {"N": str(delta)},
                    ":cap": {"N": str(caps[(tenant, kind, name)])},
                },
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
        """The Query of a read, newest (or latest) first, every key rebuilt from the tenant."""
        request: dict[str, Any] = {"ScanIndexForward": False, "Limit": read.limit}
        if read.query.index == "table":
            request["TableName"] = self.table.name
            request["KeyConditionExpression"] = "tenant_id = :p"
            request["ExpressionAttributeValues"] = {":p": {"S": tenant_id}}
            if read.after:
                request["ExclusiveStartKey"] = {
                    "tenant_id": {"S": tenant_id},
                    "rid": {"N": str(read.after.rid)},
                }
        elif read.query.index == "po":
            partition = po_partition(tenant_id, read.query.value or "")
            request["TableName"] = self.index.name
            request["KeyConditionExpression"] = "ikey = :p"
            request["ExpressionAttributeValues"] = {":p": {"S": partition}}
            if read.after:
                request["ExclusiveStartKey"] = {
                    "ikey": {"S": partition},
                    "skey": {"S": _rid_key(read.after.rid)},
                }
        else:
            request["TableName"] = self.table.name
            request.update(_gsi_query(tenant_id, read))
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

    def names_after(
        self,
        tenant_id: str,
        kind: NameKind,
        needle: str,
        after: str | None,
        limit: int,
        alongside: Sequence[Read] = (),
    ) -> NamesPage:
        """One Query on the suffix dictionary (and the `alongside` Queries, side by side). An
        entry stands for its name only where the needle occurs in the name first (a name
        holding it twice has two entries), so every name is listed once however pages fall."""
        if alongside:
            with ThreadPoolExecutor(max_workers=2) as pool:
                others = pool.submit(self.query_many, tenant_id, alongside)
                names = self.names_after(tenant_id, kind, needle, after, limit)
                return NamesPage(names.hits, names.last, others.result())
        partition = _suffix_partition(tenant_id, kind)
        request: dict[str, Any] = {
            "TableName": self.index.name,
            "KeyConditionExpression": "ikey = :p AND begins_with(skey, :n)",
            "ExpressionAttributeValues": {":p": {"S": partition}, ":n": {"S": needle}},
            "Limit": limit,
        }
        if after is not None:
            request["ExclusiveStartKey"] = {"ikey": {"S": partition}, "skey": {"S": after}}
        response = self.index.client.query(**request)
        hits: list[NameHit] = []
        for item in response.get("Items", []):
            key = item["skey"]["S"]
            name = entry_name(key, needle)
            if name is not None:
                hits.append(NameHit(name, int(item["cap"]["N"]) if "cap" in item else None, key))
        last = response.get("LastEvaluatedKey")
        return NamesPage(hits, last["skey"]["S"] if last else None)
