"""The pure parts of purchase search: name suffixes, cursors, plans, the filter predicate."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tixpilot.models.purchases import EventInfo, Purchase
from tixpilot.services.purchase_search import (
    Cursor,
    DateBound,
    Position,
    PurchaseFilters,
    QueryPage,
    choose_plan,
    decode_cursor,
    encode_cursor,
    index_values,
    matches,
    name_suffixes,
    normalize_name,
    search_purchases,
)

names = st.text(alphabet=st.characters(codec="utf-8", categories=("L", "N", "P", "Zs")), max_size=40)


@given(names, names)
def test_a_needle_is_in_a_name_exactly_when_a_suffix_starts_with_it(name, needle):
    normal, wanted = normalize_name(name), normalize_name(needle)
    if wanted:
        assert (wanted in normal) == any(s.startswith(wanted) for s in name_suffixes(normal))


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
