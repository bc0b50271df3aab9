"""The pure parts of purchase search: name suffixes, cursors, plans, the filter predicate."""

from __future__ import annotations

import datetime as dt
from typing import get_args

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tixpilot.models.purchase_search import (
    Cursor,
    DateBound,
    IndexName,
    NameHit,
    NamesPage,
    Position,
    PurchaseFilters,
    QueryPage,
    choose_plan,
    decode_cursor,
    dictionary_entries,
    encode_cursor,
    entry_name,
    index_values,
    matches,
    name_suffixes,
    next_cap,
    normalize_name,
)
from tixpilot.models.purchases import EventInfo, Purchase
from tixpilot.services.purchase_search import CursorMismatch, search_purchases
from tixpilot.tables import PURCHASE_INDEXES

names = st.text(alphabet=st.characters(codec="utf-8", categories=("L", "N", "P", "Zs")), max_size=40)


@given(names, names)
def test_a_needle_is_in_a_name_exactly_when_a_suffix_starts_with_it(name, needle):
    normal, wanted = normalize_name(name), normalize_name(needle)
    if wanted:
        assert (wanted in normal) == any(s.startswith(wanted) for s in name_suffixes(normal))


@given(st.lists(names | st.text(alphabet="ab ", max_size=7), max_size=8), st.text(alphabet="ab ", max_size=3))
def test_the_dictionary_lists_each_name_holding_the_needle_once(raw_names, raw_needle):
    distinct, needle = {normalize_name(n) for n in raw_names} - {""}, normalize_name(raw_needle)
    if needle:
        entries = [e for name in distinct for e in dictionary_entries(name) if e.startswith(needle)]
        listed = [name for name in (entry_name(e, needle) for e in entries) if name is not None]
        assert sorted(listed) == sorted(name for name in distinct if needle in name)


@given(names)
def test_normalizing_is_idempotent_and_case_blind(name):
    once = normalize_name(name)
    assert normalize_name(once) == once
    assert normalize_name(name.upper()) == normalize_name(name.lower()) or not name.isascii()


@given(
    st.builds(
        Cursor,
        plan=st.sampled_from(["table", "status", "event_name", "po"]),
        rid=st.none() | st.integers(min_value=1, max_value=10**12),
        sort=st.none() | st.text(max_size=30),
        name=st.none() | st.text(max_size=30),
        left=st.none() | st.integers(min_value=0, max_value=10**6),
    )
)
def test_cursors_round_trip_and_hold_no_tenant(cursor):
    token = encode_cursor(cursor)
    assert token is not None and decode_cursor(token) == cursor


@pytest.mark.parametrize(
    "token", ["", "not-ours", "eyJyaWQiOiAxfQ==", "W10=", "eyJwIjoxLCJyIjpudWxsLCJzIjpudWxsLCJuIjpudWxsfQ=="]
)
def test_forged_cursors_are_refused(token):
    with pytest.raises(ValueError, match="previous page"):
        decode_cursor(token)


def purchase(**kw) -> Purchase:
    now = dt.datetime(2026, 3, 1, 3, 30, tzinfo=dt.UTC)  # 2/28 evening in New York
    base = dict(
        tenant_id="t",
        rid=1,
        account_username="A@x.test",
        confirmation_number="12-34567",
        datefirstseen=now,
        datelastseen=now,
        event=EventInfo(
            name="Sugarland", venue="Smart Financial Centre", starts_at=dt.datetime(2026, 7, 11, 19)
        ),
    )
    return Purchase.model_validate({**base, **kw})


def test_datefirstseen_is_a_day_in_the_tenants_time_zone():
    p = purchase()
    assert matches(
        p, PurchaseFilters(datefirstseen=DateBound(op="=", day=dt.date(2026, 2, 28))), "America/New_York"
    )
    assert not matches(
        p, PurchaseFilters(datefirstseen=DateBound(op="=", day=dt.date(2026, 3, 1))), "America/New_York"
    )
    assert matches(p, PurchaseFilters(datefirstseen=DateBound(op="=", day=dt.date(2026, 3, 1))), "UTC")


def test_filters_combine_with_and():
    p = purchase(creditcard_last4="4242", status="canceled")
    assert matches(
        p, PurchaseFilters(ccdigits=["1111", "4242"], status="canceled", eventname="garland"), "UTC"
    )
    assert not matches(p, PurchaseFilters(ccdigits=["4242"], status="active"), "UTC")
    assert matches(
        p, PurchaseFilters(confirmationregion="-", username="a@x.test", elig_refund="unknown"), "UTC"
    )


def test_the_most_selective_filter_is_the_query():
    both = PurchaseFilters(status="active", username="a@x.test", confirmationnumber="12-34567")
    assert choose_plan(both, "UTC").name == "confirmation"
    assert choose_plan(PurchaseFilters(status="active", eventname="x"), "UTC").name == "event_name"
    assert [q.value for q in choose_plan(PurchaseFilters(poids=["1", "2"]), "UTC").queries] == ["1", "2"]
    assert choose_plan(PurchaseFilters(), "UTC").name == "table"


def test_index_values_leave_unknowns_out_of_sparse_indexes():
    values = index_values(purchase(event=EventInfo()))
    assert "event_at" not in values and "event_name" not in values and "card" not in values
    assert values["region"] == "-" and values["refund"] == "unknown" and values["username"] == "a@x.test"


def test_every_index_the_plan_names_or_a_purchase_is_written_under_is_declared():
    # "table" is the purchases table itself, "po" the PO copies in purchase_index
    assert set(get_args(IndexName)) - {"table", "po"} == set(PURCHASE_INDEXES)
    full = purchase(creditcard_last4="4242", purchase_date=dt.date(2026, 2, 1))
    # the confirmation index's keys are the purchase's own (written with every row)
    assert set(index_values(full)) == set(PURCHASE_INDEXES) - {"confirmation"}


class FakeStreams:
    """A store whose `card` index holds the given rids per card, newest first."""

    def __init__(self, streams: dict[str, list[int]]) -> None:
        self.streams = {k: sorted(set(v), reverse=True) for k, v in streams.items()}
        self.examined = 0

    def query_many(self, tenant_id, reads):
        pages = []
        for read in reads:
            rids = [
                r for r in self.streams.get(read.query.value, []) if read.after is None or r < read.after.rid
            ]
            chunk = rids[: read.limit]
            self.examined += len(chunk)
            found = [purchase(rid=r, creditcard_last4=read.query.value) for r in chunk]
            pages.append(QueryPage(found, Position(chunk[-1]) if len(rids) > read.limit else None))
        return pages


@given(
    st.dictionaries(
        st.sampled_from(["1111", "2222", "3333"]), st.lists(st.integers(1, 400), max_size=60), min_size=1
    ),
    st.integers(1, 25),
)
def test_a_comma_list_pages_through_the_union_once_newest_first(streams, page_size):
    store = FakeStreams(streams)
    filters = PurchaseFilters(ccdigits=sorted(streams))
    seen: list[int] = []
    cursor = None
    for _ in range(1000):
        page = search_purchases(store, "t", filters, page_size, cursor, "UTC")  # type: ignore[arg-type]
        assert page is not None and len(page.purchases) <= page_size
        seen += [p.rid for p in page.purchases]
        cursor = page.cursor
        if cursor is None:
            break
    assert seen == sorted({r for rids in streams.values() for r in rids}, reverse=True)


# --- substring search on names -----------------------------------------------------------------


class FakeNames:
    """A store holding, per name, its purchases (rids) and the cap its suffix entries carry.

    `names_after` reads the suffix dictionary like the repository does (one entry per suffix,
    sorted, a name listed where the needle occurs first); `query_many` answers like DynamoDB (a
    Query that returns `Limit` items says there may be more). Calls are counted per page: each
    method is one round trip. `grow` adds newer purchases to a name (and raises its cap as the
    writers would) after the dictionary was read, as a purchase written during a search."""

    def __init__(self, rids: dict[str, list[int]], caps: dict[str, int | None]) -> None:
        self.rids = {name: sorted(found, reverse=True) for name, found in rids.items()}
        self.caps = dict(caps)
        self.trips = 0
        self.entries_read = 0
        self.examined = 0
        self.grow: dict[str, int] = {}

    def names_after(self, tenant_id, kind, needle, after, limit, alongside=()):
        pages = self.query_many(tenant_id, alongside) if alongside else []  # the same round trip
        self.trips += 0 if alongside else 1
        entries = sorted(
            f"{suffix}\x1f{name}"
            for name in self.rids
            for suffix in name_suffixes(name)
            if suffix.startswith(needle)
        )
        following = [e for e in entries if after is None or e > after]
        chunk = following[:limit]
        self.entries_read += len(chunk)
        hits = []
        for key in chunk:
            suffix, name = key.split("\x1f")
            if name.find(needle) == len(name) - len(suffix):
                hits.append(NameHit(name, self.caps[name], key))
        return NamesPage(hits, chunk[-1] if len(chunk) == limit else None, pages)

    def query_many(self, tenant_id, reads):
        self.trips += 1
        for name, extra in self.grow.items():
            top = max((r for found in self.rids.values() for r in found), default=0)
            self.rids[name] = [top + i for i in range(extra, 0, -1)] + self.rids[name]
            if self.caps[name] is not None:
                self.caps[name] = max(self.caps[name] or 0, next_cap(len(self.rids[name])))
        self.grow = {}
        pages = []
        for read in reads:
            name = read.query.value
            found = [r for r in self.rids[name] if read.after is None or r < read.after.rid]
            chunk = found[: read.limit]
            self.examined += len(chunk)
            purchases = [purchase(rid=r, event=EventInfo(name=name)) for r in chunk]
            pages.append(QueryPage(purchases, Position(chunk[-1]) if len(chunk) == read.limit else None))
        return pages


def walk_names(store: FakeNames, needle: str, page_size: int) -> list[list[Purchase]]:
    """Every page of an event-name search, checking the per-page promises on the way."""
    pages: list[list[Purchase]] = []
    cursor = None
    for _ in range(10_000):
        store.trips = 0
        page = search_purchases(store, "t", PurchaseFilters(eventname=needle), page_size, cursor, "UTC")  # type: ignore[arg-type]
        assert page is not None and len(page.purchases) <= page_size
        assert store.trips <= 2
        pages.append(page.purchases)
        if page.cursor is None:
            return pages
        cursor = decode_cursor(encode_cursor(page.cursor) or "")
    raise AssertionError("paging did not end")


def dictionary_order(names: list[str], needle: str) -> list[str]:
    return sorted(names, key=lambda name: (name[name.find(needle) :], name))


def check_name_walk(rids: dict[str, list[int]], needle: str, pages: list[list[Purchase]]) -> None:
    """Each matching purchase once, name by name in dictionary order, newest first in a name."""
    got = [(p.event.name, p.rid) for page in pages for p in page]
    matching = [name for name in rids if needle in name]
    expected = [
        (name, rid) for name in dictionary_order(matching, needle) for rid in sorted(rids[name], reverse=True)
    ]
    assert got == expected


# three names of 40 purchases with caps of 64, page size 100 (rids: name index * 1000 + n)
FORTY = {name: [i * 1000 + n for n in range(40)] for i, name in enumerate(["tool a", "tool b", "tool c"])}


@pytest.mark.parametrize(
    ("rids", "caps", "page_size", "sizes"),
    [
        # a cap that fits reads the whole name; the name where the budget ends is cut, and the
        # next page reads its rest beside the dictionary (the cursor bounds it by 64 - 36)
        (FORTY, {"tool a": 64, "tool b": 64, "tool c": 64}, 100, [76, 44]),
        # exact caps fill the page
        (FORTY, {"tool a": 40, "tool b": 40, "tool c": 40}, 100, [100, 20]),
        (FORTY, {"tool a": 40, "tool b": 40, "tool c": 40}, 120, [120]),
        # a rest that may fill the page, or a cap not known (written before caps): that name has
        # the page to itself, and the dictionary is read on the next one (here: empty, the end)
        (FORTY, {"tool a": None, "tool b": 64, "tool c": 64}, 30, [30, 10, 30, 10, 30, 10, 0]),
        # an emptied name (all its purchases renamed) keeps its cap and reads nothing
        ({"tool a": [], "tool b": [5, 6]}, {"tool a": 4, "tool b": 2}, 10, [2]),
        # singletons: one name per slot
        (
            {f"tool {c}": [i] for i, c in enumerate("abcde")},
            dict.fromkeys([f"tool {c}" for c in "abcde"], 1),
            2,
            [2, 2, 1],
        ),
    ],
)
def test_name_search_pages(rids, caps, page_size, sizes):
    store = FakeNames(rids, caps)
    pages = walk_names(store, "tool", page_size)
    assert [len(page) for page in pages] == sizes
    check_name_walk(rids, "tool", pages)
    assert store.examined == sum(sizes)  # every purchase examined is returned


def test_names_come_in_the_order_of_the_text_from_the_needle_on_and_once_each():
    rids = {"bulls vs cubs": [1], "cubs vs bulls": [2], "bulls vs bulls": [3], "mets": [4]}
    pages = walk_names(FakeNames(rids, dict.fromkeys(rids, 1)), "bulls", 10)
    assert [p.event.name for p in pages[0]] == ["cubs vs bulls", "bulls vs bulls", "bulls vs cubs"]


def test_a_name_that_grew_past_its_cap_during_the_search_is_not_cut_short():
    rids = {"tool a": list(range(1, 9)), "tool b": list(range(101, 104))}
    store = FakeNames(rids, {"tool a": 8, "tool b": 4})
    store.grow = {"tool a": 3}  # three newer purchases between the dictionary read and the Queries
    pages = walk_names(store, "tool", 20)
    got = [p.rid for page in pages for p in page]
    assert set(range(1, 9)) | set(range(101, 104)) <= set(got) and len(got) == len(set(got)) == 14
    assert len(pages[0]) == 9  # the page ends inside "tool a": 8 + 1 read, the rest follows


def test_a_cursor_from_another_needle_or_the_alphabetical_paging_is_refused():
    store = FakeNames(FORTY, dict.fromkeys(FORTY, 64))
    first = search_purchases(store, "t", PurchaseFilters(eventname="tool"), 50, None, "UTC")  # type: ignore[arg-type]
    assert first is not None and first.cursor is not None
    for cursor in (first.cursor, Cursor("event_name", None, None, "tool b")):
        with pytest.raises(CursorMismatch):
            search_purchases(store, "t", PurchaseFilters(eventname="ool x"), 50, cursor, "UTC")  # type: ignore[arg-type]
    with pytest.raises(CursorMismatch):
        search_purchases(
            store,
            "t",
            PurchaseFilters(eventname="tool"),
            50,
            Cursor("event_name", None, None, "tool b"),
            "UTC",
        )  # type: ignore[arg-type]


name_texts = st.text(alphabet="ab ", min_size=1, max_size=7).map(normalize_name).filter(bool)


@given(
    st.dictionaries(name_texts, st.integers(0, 12), max_size=8),
    st.sampled_from(["a", "b", "ab", "ba", "a b"]),
    st.integers(1, 15),
    st.data(),
)
def test_paging_through_a_name_search_returns_every_match_once_in_order(counts, needle, page_size, data):
    rids: dict[str, list[int]] = {}
    caps: dict[str, int | None] = {}
    rid = 0
    for name, count in counts.items():
        rids[name] = list(range(rid + 1, rid + count + 1))
        rid += count
        # any valid upper bound (caps stay above counts that have fallen), or none (old data)
        caps[name] = data.draw(st.none() | st.integers(max(count, 1), 40))
    store = FakeNames(rids, caps)
    pages = walk_names(store, needle, page_size)
    check_name_walk(rids, needle, pages)
    assert store.examined == sum(len(page) for page in pages)


@given(
    st.dictionaries(name_texts, st.integers(0, 12), min_size=1, max_size=6),
    st.sampled_from(["a", "b", "ab"]),
    st.integers(1, 15),
    st.data(),
)
def test_purchases_written_during_a_name_search_do_not_push_older_ones_out(counts, needle, page_size, data):
    rids: dict[str, list[int]] = {}
    rid = 0
    for name, count in counts.items():
        rids[name] = list(range(rid + 1, rid + count + 1))
        rid += count
    store = FakeNames(rids, {name: next_cap(len(found)) for name, found in rids.items()})
    before = {(name, r) for name, found in rids.items() if needle in name for r in found}
    store.grow = {data.draw(st.sampled_from(sorted(rids))): data.draw(st.integers(1, 20))}
    pages = walk_names(store, needle, page_size)
    got = [(p.event.name, p.rid) for page in pages for p in page]
    assert len(got) == len(set(got)) and before <= set(got)
    for name in {n for n, _ in got}:
        mine = [r for n, r in got if n == name]
        assert mine == sorted(mine, reverse=True)
