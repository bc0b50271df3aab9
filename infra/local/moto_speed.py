"""Make moto's DynamoDB cheaper to run without changing a single answer it gives.

Profiled under `make bench`, most of the emulator's CPU went to spots of moto 5 where the work
grows with the table, not with the request:
- every Query sorts the whole table (`Table.all_items`), comparing `DynamoType` objects whose
  every comparison re-parses the values (`cast_value`, a Decimal per number), then sorts what
  matches again the same way (`Table.sorted_items`): a Query on a GSI of 100k purchases took ~3 s;
- a Query on the table itself then walks the whole partition and adds up each item's size before
  it even looks at the sort key condition (the OI benchmark's seat queries, one tenant's ledger);
- every attribute stored (`Item.__init__`) re-adds the size of all the item's attributes set
  so far (`LimitedSizeDict.__setitem__`), quadratic in the number of attributes.

Here:
- the sorts compare the same values once converted (the `cast_value` of each key), which orders
  items exactly as moto's own comparisons do: a key attribute has one type in every item
  (DynamoDB's attribute definitions; moto checks the table's), and for one type moto's `==`/`<`
  are those of `cast_value`;
- within a Query, `all_items` skips the sort (moto sorts what it keeps by keys unique to each
  item), gives a query on the table only the partition asked for, and leaves out the items that
  moto's loop would pass over without effect (see `trim`);
- a new item's size is added up once and checked against the same limit: the sizes only grow
  as attributes are added, so the total exceeds the limit exactly when one of moto's running sums
  would have.
tests/integration/test_moto_speed.py sends the same requests through moto's own code and these,
and compares the answers.

And one spot of moto's server, whatever the service: to find the backend for a request, its
dispatcher lists moto's package folder (`backends.list_of_moto_modules`: a directory listing and
a stat per entry, some 150) on every request, about 7% of the local stack's CPU while receipts
become POs (py-spy, bench/pipeline.py). The folder does not change while moto runs, so the
listing is taken once (`speed_up_dispatch`).
"""

from __future__ import annotations

import bisect
import inspect
import threading
from typing import Any

_applied = False
_query = threading.local()  # the arguments of the Table.query running on this thread
ORIGINALS: dict[str, Any] = {}  # moto's own functions, for the tests that compare answers

ITEM_SIZE_LIMIT = 405000  # moto's LimitedSizeDict


def speed_up_dispatch() -> None:
    """Idempotent: moto's server lists its own package folder once, not on every request."""
    from moto import backends

    if "list_of_moto_modules" in ORIGINALS:
        return
    ORIGINALS["list_of_moto_modules"] = backends.list_of_moto_modules
    modules = tuple(backends.list_of_moto_modules())
    backends.list_of_moto_modules = lambda: modules


def speed_up_dynamodb() -> None:
    """Idempotent: patch moto's DynamoDB models in this process."""
    global _applied
    if _applied:
        return
    from moto.dynamodb.exceptions import ItemSizeTooLarge
    from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict
    from moto.dynamodb.models.table import RESULT_SIZE_LIMIT, Table
    from moto.dynamodb.models.utilities import bytesize

    def order(item: Any) -> Any:
        """moto's `(hash_key, range_key) if range_key else hash_key`, as plain values."""
        return (
            (item.hash_key.cast_value, item.range_key.cast_value)
            if item.range_key
            else item.hash_key.cast_value
        )

    def every_item(table: Any) -> list[Any]:
        if not table.range_key_attr:
            return list(table.items.values())
        return [item for hash_set in table.items.values() for item in hash_set.values()]

    def all_items(self: Any) -> list[Any]:
        query = getattr(_query, "current", None)
        if query is None or query["self"] is not self:
            return sorted(every_item(self), key=order)
        # Called by Table.query, which sorts what it keeps by keys unique to each item.
        if query["index_name"]:
            return every_item(self)  # a GSI: moto filters every item by the index's keys
        return partition(self, query)

    def partition(table: Any, query: dict[str, Any]) -> list[Any]:
        """What Table.query keeps of all_items on the table itself: the items of the partition
        (moto then sorts them by sort key), less those its loop would pass over without effect."""
        hash_key = query["hash_key"]
        if hash_key is None:
            return sorted(every_item(table), key=order)
        found = table.items.get(hash_key)
        if found is None:
            return []
        if not table.range_key_attr:
            return [found]
        keyed = sorted((item.range_key.cast_value, n, item) for n, item in enumerate(found.values()))
        items = [item for _, _, item in keyed]
        if not query["range_comparison"] or query["filter_kwargs"]:
            return items
        try:
            return trim(items, [key for key, _, _ in keyed], query)
        except Exception:  # whatever moto's loop makes of it (an error, say), it does on all items
            return items

    def trim(ascending: list[Any], keys: list[Any], query: dict[str, Any]) -> list[Any]:
        """moto's loop visits the items in order; for each it first stops at the page's limit
        (count, or size: 1 MB) and only then checks the sort key condition. The items before the
        first match cannot stop it (nothing taken yet, and no item is over 405,000 bytes: moto
        refuses bigger ones on put and update, as DynamoDB does over 400 KB), so they go. After
        the last match, the first item can stop it at the count limit; the following ones only at
        the size limit, and only if what matched comes to over 1 MB less one item. A page that
        starts after an item left out starts after it here too: the items are in key order."""
        conditions = query["range_key_conditions"]
        name = conditions[-1][0] if conditions else None
        comparison, values = query["range_comparison"], query["range_objs"]

        def matches(item: Any) -> bool:  # moto's own test, as its loop makes it
            value = item.attrs.get(name) if name else None
            if value:
                return bool(value.compare(comparison, values))
            return bool(item.range_key.compare(comparison, values))

        run = interval(keys, comparison, [v.cast_value for v in values])
        if run is not None:
            lo, hi = run
            # moto's test has the last word: every item inside matches, the ones beside do not
            if not all(matches(item) for item in ascending[lo:hi]) or any(
                matches(item) for item in ascending[max(lo - 1, 0) : lo] + ascending[hi : hi + 1]
            ):
                run = None
        if run is None:
            hits = [n for n, item in enumerate(ascending) if matches(item)]
            if not hits:
                return []
            lo, hi = hits[0], hits[-1] + 1
        else:
            hits = list(range(lo, hi))
        if lo == hi:
            return []
        forward = query["scan_index_forward"] is not False
        after = len(ascending) - hi if forward else lo  # items visited after the last match
        if after > 1 and sum(ascending[n].size() for n in hits) > RESULT_SIZE_LIMIT - ITEM_SIZE_LIMIT:
            return ascending[lo:] if forward else ascending[:hi]  # all of them
        return ascending[lo : hi + 1] if forward else ascending[max(lo - 1, 0) : hi]  # the first

    def interval(keys: list[Any], comparison: str, values: list[Any]) -> tuple[int, int] | None:
        """Where the sorted keys meet a sort key condition, by bisection (None: not one of these)."""
        if comparison in ("=", "EQ"):
            return bisect.bisect_left(keys, values[0]), bisect.bisect_right(keys, values[0])
        if comparison in ("<", "LT"):
            return 0, bisect.bisect_left(keys, values[0])
        if comparison in ("<=", "LE"):
            return 0, bisect.bisect_right(keys, values[0])
        if comparison in (">", "GT"):
            return bisect.bisect_right(keys, values[0]), len(keys)
        if comparison in (">=", "GE"):
            return bisect.bisect_left(keys, values[0]), len(keys)
        if comparison == "BETWEEN":
            return bisect.bisect_left(keys, values[0]), max(
                bisect.bisect_left(keys, values[0]), bisect.bisect_right(keys, values[1])
            )
        if comparison == "BEGINS_WITH" and isinstance(values[0], str):
            lo = hi = bisect.bisect_left(keys, values[0])
            while hi < len(keys) and isinstance(keys[hi], str) and keys[hi].startswith(values[0]):
                hi += 1
            return lo, hi
        return None

    original_query = Table.query
    signature = inspect.signature(original_query)

    def query(self: Any, *args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(self, *args, **kwargs)
        bound.apply_defaults()
        _query.current = bound.arguments
        try:
            return original_query(self, *args, **kwargs)
        finally:
            _query.current = None

    def sorted_items(
        self: Any, hash_key_attrs: list[str], range_key_attrs: list[str | None], items: list[Any]
    ) -> list[Any]:
        attrs = self._generate_attr_to_sort_by(hash_key_attrs, range_key_attrs)
        items.sort(key=lambda x: tuple([x.attrs[key].cast_value for key in attrs]))
        return items

    def item_init(self: Any, hash_key: Any, range_key: Any, attrs: dict[str, Any]) -> None:
        self.hash_key = hash_key
        self.range_key = range_key
        values = LimitedSizeDict.__new__(LimitedSizeDict)
        dict.__init__(values)
        size = 0
        for key, value in attrs.items():
            typed = DynamoType(value)
            size += bytesize(key) + typed.size()
            dict.__setitem__(values, key, typed)
        if size > ITEM_SIZE_LIMIT:
            raise ItemSizeTooLarge
        self.attrs = values

    ORIGINALS.update(
        all_items=Table.all_items, sorted_items=Table.sorted_items, item_init=Item.__init__, query=Table.query
    )
    Table.all_items = all_items  # type: ignore[method-assign]
    Table.sorted_items = sorted_items  # type: ignore[method-assign]
    Item.__init__ = item_init  # type: ignore[method-assign]
    Table.query = query  # type: ignore[method-assign]
    _applied = True
