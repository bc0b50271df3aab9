"""Name caps against moto: every suffix item's cap >= the count item's cap at all times, and
>= the name's count once the raises queued for after the invocation have run (`run_later`),
while a count crosses caps, with writers racing on one name, after a bulk load and on data
written before caps; a search while a cap understates its count; and a substring search served
from the caps in at most two round trips."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from infra.local.demo_purchases import generate, seed_purchases
from tixpilot import aws
from tixpilot.deferred import run_later
from tixpilot.models.purchase_search import (
    Cursor,
    NameKind,
    PurchaseFilters,
    decode_cursor,
    encode_cursor,
    name_suffixes,
    next_cap,
    normalize_name,
)
from tixpilot.models.purchases import EventInfo, Purchase
from tixpilot.repositories.purchases import PurchaseRepository
from tixpilot.services.purchase_search import search_purchases
from tixpilot.settings import get_settings

NOW = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)


def a_purchase(tenant_id: str, rid: int, event: str, venue: str = "Citi Field") -> Purchase:
    return Purchase(
        tenant_id=tenant_id,
        rid=rid,
        account_username="buyer@demo.tixpilot.test",
        confirmation_number=f"10-{rid:05d}",
        datefirstseen=NOW,
        datelastseen=NOW,
        event=EventInfo(name=event, venue=venue),
    )


def index_table() -> str:
    return get_settings().table_name("purchase_index")


def snapshot(tenant_id: str, kind: NameKind, name: str) -> tuple[int, int | None, list[int | None]]:
    """(count, count item's cap, every suffix item's cap) of a name, read in one transaction so
    they are one moment's values."""
    keys = [{"ikey": {"S": f"{tenant_id}#names#{kind}"}, "skey": {"S": name}}] + [
        {"ikey": {"S": f"{tenant_id}#suffix#{kind}"}, "skey": {"S": f"{suffix}\x1f{name}"}}
        for suffix in name_suffixes(name)
    ]
    response = aws.dynamodb().transact_get_items(
        TransactItems=[{"Get": {"TableName": index_table(), "Key": key}} for key in keys]
    )
    items = [r.get("Item") or {} for r in response["Responses"]]

    def cap(item: dict[str, Any]) -> int | None:
        return int(item["cap"]["N"]) if "cap" in item else None

    counted = items[0]
    return int(counted.get("count", {}).get("N", "0")), cap(counted), [cap(i) for i in items[1:]]


def assert_capped(tenant_id: str, kind: NameKind, name: str) -> tuple[int, int]:
    count, cap, suffix_caps = snapshot(tenant_id, kind, name)
    assert cap is not None and count <= cap and cap & (cap - 1) == 0, (count, cap)
    assert all(s is not None and s >= cap for s in suffix_caps), (cap, suffix_caps)
    return count, cap


def test_a_count_crossing_caps_raises_them_suffixes_first(moto_server):
    tenant, repo = f"caps-{uuid.uuid4().hex[:8]}", PurchaseRepository()
    name = "Tool World Tour 2026"
    seen = []
    for rid in range(1, 10):
        assert repo.create_unique(a_purchase(tenant, rid, name))
        run_later()
        count, cap = assert_capped(tenant, "event", normalize_name(name))
        seen.append((count, cap))
    # one writer: a count that reached its cap passes it, and the raise after the invocation
    # sets the next power of two above the count
    assert seen == [(n, next_cap(n) if n in (1, 4, 8) else next_cap(n + 1)) for n in range(1, 10)]
    assert seen[:5] == [(1, 1), (2, 4), (3, 4), (4, 4), (5, 8)]
    # the venue's count is capped the same way (every purchase shares it)
    assert assert_capped(tenant, "venue", "citi field") == (9, 16)


def test_moving_a_purchase_to_another_name_keeps_both_names_capped(moto_server):
    tenant, repo = f"caps-{uuid.uuid4().hex[:8]}", PurchaseRepository()
    for rid in range(1, 5):
        assert repo.create_unique(a_purchase(tenant, rid, "Mets vs Cubs"))
        run_later()
    moved = repo.get(tenant, 2, consistent=True)
    assert moved is not None
    renamed = moved.model_copy(
        update={"event": EventInfo(name="Mets vs Bulls"), "version": moved.version + 1}
    )
    assert repo.replace(renamed)
    run_later()
    assert assert_capped(tenant, "event", "mets vs cubs") == (3, 4)  # a cap never goes down
    assert assert_capped(tenant, "event", "mets vs bulls") == (1, 1)


def test_writers_racing_on_one_name_keep_suffix_caps_at_or_above_the_count_cap(moto_server):
    tenant = f"race-{uuid.uuid4().hex[:8]}"
    name, writers, each = "Sugarland Summer Tour 2027", 6, 7
    stop = threading.Event()
    snapshots: list[tuple[int, int | None, list[int | None]]] = []

    def watch() -> None:  # the invariant at many single moments while the writers run
        while not stop.is_set():
            snapshots.append(snapshot(tenant, "event", normalize_name(name)))

    def write(writer: int) -> None:
        repo = PurchaseRepository()  # one per writer: no shared memory of known names
        for n in range(each):
            assert repo.create_unique(a_purchase(tenant, writer * 100 + n + 1, name))
            run_later()  # as each invocation does once its work is done

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        with ThreadPoolExecutor(max_workers=writers) as pool:
            list(pool.map(write, range(writers)))
    finally:
        stop.set()
        watcher.join()
    assert len(snapshots) > 1
    for count, cap, suffix_caps in snapshots:
        if count:  # a count may pass its cap until the raise runs; the suffix caps are never below it
            assert cap is not None and all(s is not None and s >= cap for s in suffix_caps)
    assert assert_capped(tenant, "event", normalize_name(name)) == (writers * each, 64)
    page = search_purchases(PurchaseRepository(), tenant, PurchaseFilters(eventname="summer"), 100)
    assert page is not None and len(page.purchases) == writers * each and page.cursor is None


def test_a_late_first_writer_does_not_lower_caps_raised_meanwhile(moto_server):
    """A writer that looked the name up before anyone had counted it writes its suffixes after
    others have raised their caps: it must leave the higher caps in place."""
    tenant = f"late-{uuid.uuid4().hex[:8]}"
    for rid in range(1, 6):
        assert PurchaseRepository().create_unique(a_purchase(tenant, rid, "Adele Live 7"))
        run_later()
    late = PurchaseRepository()
    client = late.index.client

    class NotCountedYet:  # the count item as the late writer saw it: absent
        def __getattr__(self, attribute: str) -> Any:
            return getattr(client, attribute)

        def get_item(self, **kwargs: Any) -> dict[str, Any]:
            return {} if "#names#" in kwargs["Key"]["ikey"]["S"] else client.get_item(**kwargs)

    late.index._client = NotCountedYet()
    late._ensure_names(a_purchase(tenant, 6, "Adele Live 7"))
    assert assert_capped(tenant, "event", "adele live 7") == (5, 8)


def test_a_slow_raiser_that_read_an_old_count_does_not_lower_caps(moto_server):
    """A writer found the name at its cap when the count was 2, and raises to 4 only after
    others have taken it to 8: the higher caps stay."""
    tenant = f"slow-{uuid.uuid4().hex[:8]}"
    for rid in range(1, 6):
        assert PurchaseRepository().create_unique(a_purchase(tenant, rid, "Phish Live 3"))
        run_later()
    slow = PurchaseRepository()
    client = slow.index.client

    class StaleRead:  # the count item as the slow writer read it, long ago
        def __getattr__(self, attribute: str) -> Any:
            return getattr(client, attribute)

        def get_item(self, **kwargs: Any) -> dict[str, Any]:
            return {"Item": {**kwargs["Key"], "count": {"N": "2"}, "cap": {"N": "2"}}}

    slow.index._client = StaleRead()
    slow._raise_cap(tenant, "event", "phish live 3")
    assert assert_capped(tenant, "event", "phish live 3") == (5, 8)


def test_names_written_before_caps_are_searched_whole_and_capped_on_the_next_purchase(moto_server):
    tenant, repo = f"old-{uuid.uuid4().hex[:8]}", PurchaseRepository()
    for rid in range(1, 6):
        assert repo.create_unique(a_purchase(tenant, rid, "Rush Arena Tour 2026"))
    client, table = aws.dynamodb(), index_table()
    for partition, key in [(f"{tenant}#names#event", "rush arena tour 2026")] + [
        (f"{tenant}#suffix#event", f"{s}\x1frush arena tour 2026")
        for s in name_suffixes("rush arena tour 2026")
    ]:
        client.update_item(
            TableName=table, Key={"ikey": {"S": partition}, "skey": {"S": key}}, UpdateExpression="REMOVE cap"
        )
    # no cap: the name takes the rest of the page, and the pages still hold every purchase once
    rids, cursor = [], None
    for _ in range(10):
        page = search_purchases(repo, tenant, PurchaseFilters(eventname="arena"), 2, cursor)
        assert page is not None and len(page.purchases) <= 2
        rids += [p.rid for p in page.purchases]
        cursor = page.cursor
        if cursor is None:
            break
    assert rids == [5, 4, 3, 2, 1]
    assert PurchaseRepository().create_unique(a_purchase(tenant, 6, "Rush Arena Tour 2026"))
    run_later()
    assert assert_capped(tenant, "event", "rush arena tour 2026") == (6, 8)


def test_a_search_while_caps_understate_counts_still_pages_through_everything(moto_server):
    """Between a purchase passing its name's cap and the raise after the invocation, a search
    reads the old cap: the page stops inside that name, and every purchase still comes once."""
    tenant, repo = f"under-{uuid.uuid4().hex[:8]}", PurchaseRepository()
    sizes = {"Bulls vs Mets": 6, "Cubs vs Bulls": 3, "Bulls vs Bulls": 5}
    rid = 0
    for name, size in sizes.items():
        for _ in range(size):
            rid += 1
            assert repo.create_unique(a_purchase(tenant, rid, name))
            run_later()
    for name in sizes:  # each name one past its cap, its raise still queued
        rid += 1
        count, cap = snapshot(tenant, "event", normalize_name(name))[:2]
        while count < (cap or 0):
            assert repo.create_unique(a_purchase(tenant, rid, name))
            rid, count = rid + 1, count + 1
        assert repo.create_unique(a_purchase(tenant, rid, name))
        count, cap = snapshot(tenant, "event", normalize_name(name))[:2]
        assert cap is not None and count == cap + 1
    for page_size in (4, 9, 100):
        rids, cursor = [], None
        for _ in range(50):
            page = search_purchases(repo, tenant, PurchaseFilters(eventname="bulls"), page_size, cursor)
            assert page is not None and len(page.purchases) <= page_size
            rids += [p.rid for p in page.purchases]
            cursor = page.cursor
            if cursor is None:
                break
        assert sorted(rids) == sorted(set(rids)) and len(rids) == rid
    run_later()
    for name in sizes:
        assert_capped(tenant, "event", normalize_name(name))


def test_the_bulk_loader_writes_caps_and_adds_to_names_already_there(moto_server):
    tenant = f"bulk-{uuid.uuid4().hex[:8]}"
    seeded = seed_purchases(tenant, 120, seed=5, chunk=50)
    data = list(generate(tenant, 120, seeded["first_rid"], seed=5))
    counts: dict[str, int] = {}
    for p in data:
        counts[normalize_name(p.event.name or "")] = counts.get(normalize_name(p.event.name or ""), 0) + 1
    for name, count in counts.items():
        assert assert_capped(tenant, "event", name) == (count, next_cap(count))
    # a second load into the same tenant counts on from what is stored
    seed_purchases(tenant, 120, seed=5, chunk=50)
    for name, count in counts.items():
        assert assert_capped(tenant, "event", name) == (2 * count, next_cap(2 * count))


@pytest.mark.parametrize("page_size", [7, 30])
def test_a_name_search_is_two_round_trips_a_page_and_pages_through_everything(
    moto_server, recorder, page_size
):
    tenant, repo = f"trips-{uuid.uuid4().hex[:8]}", PurchaseRepository()
    sizes = {"Bulls vs Mets": 9, "Cubs vs Bulls": 5, "Bulls vs Bulls": 3, "Knicks vs Nets": 4}
    rid = 0
    for name, size in sizes.items():
        for _ in range(size):
            rid += 1
            assert repo.create_unique(a_purchase(tenant, rid, name))
            run_later()
    got: list[Purchase] = []
    cursor: Cursor | None = None
    for _ in range(50):
        recorder.calls.clear()
        page = search_purchases(
            PurchaseRepository(), tenant, PurchaseFilters(eventname="bulls"), page_size, cursor
        )
        assert page is not None and len(page.purchases) <= page_size
        assert recorder.round_trips() <= 2 and {c["op"] for c in recorder.data_calls()} <= {"Query"}
        assert recorder.examined() <= 3 * max(len(page.purchases), 1)
        got += page.purchases
        if page.cursor is None:
            break
        cursor = decode_cursor(encode_cursor(page.cursor) or "")
    names = [p.event.name for p in got]
    # name by name, in the order of the text from "bulls" on; newest first within a name
    assert list(dict.fromkeys(names)) == ["Cubs vs Bulls", "Bulls vs Bulls", "Bulls vs Mets"]
    assert len(got) == 17 == len({p.rid for p in got})
    for name in set(names):
        mine = [p.rid for p in got if p.event.name == name]
        assert mine == sorted(mine, reverse=True)
