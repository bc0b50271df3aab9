"""The sales query language: table-driven cases and hypothesis properties."""

from __future__ import annotations

import contextlib
import datetime as dt
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tixpilot.data.reference import RESALE_MARKETPLACES
from tixpilot.errors import InvalidParameter
from tixpilot.services.reference import alias_table
from tixpilot.services.sales_query import (
    KEYWORDS,
    STATE_WORDS,
    STOCK_WORDS,
    DateWindow,
    SalesQuery,
    parse_sales_query,
    render_sales_query,
)

ALIASES = alias_table(RESALE_MARKETPLACES)
TODAY = dt.date(2026, 3, 10)
D = dt.date


def parse(text: str, today: dt.date = TODAY) -> SalesQuery:
    return parse_sales_query(text, today, ALIASES)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", SalesQuery()),
        ("   ", SalesQuery()),
        ("today", SalesQuery(window=DateWindow(TODAY, TODAY))),
        ("TOMORROW", SalesQuery(window=DateWindow(D(2026, 3, 11), D(2026, 3, 11)))),
        ("next 7 days", SalesQuery(window=DateWindow(TODAY, D(2026, 3, 17)))),
        ("next 1 day", SalesQuery(window=DateWindow(TODAY, D(2026, 3, 11)))),
        ("last 3 days", SalesQuery(window=DateWindow(D(2026, 3, 7), TODAY))),
        ("7/4/2026", SalesQuery(window=DateWindow(D(2026, 7, 4), D(2026, 7, 4)))),
        ("07/04/2026-7/6/2026", SalesQuery(window=DateWindow(D(2026, 7, 4), D(2026, 7, 6)))),
        ("vivid", SalesQuery(marketplace_ids=frozenset({4}))),
        ("Vivid-Seats sh", SalesQuery(marketplace_ids=frozenset({4, 1}))),
        (
            "seatgeek tickpick gametime tevo ticketnetwork",
            SalesQuery(marketplace_ids=frozenset({41, 16, 25, 1001, 2})),
        ),
        ("unfulfilled", SalesQuery(states=frozenset({"unfilled"}))),
        ("unfilled confirmed", SalesQuery(states=frozenset({"unfilled", "confirmed"}))),
        ("fulfilled", SalesQuery(states=frozenset({"filled"}))),
        (
            "held invoiced error rejected unconfirmed",
            SalesQuery(states=frozenset({"held", "invoiced", "error", "rejected", "unconfirmed"})),
        ),
        ("mobile eticket", SalesQuery(stocks=frozenset({"mobile", "eticket"}))),
        (
            "transfer hard flash willcall",
            SalesQuery(stocks=frozenset({"transfer", "hard", "flash", "willcall"})),
        ),
        ("22009999", SalesQuery(order_ids=frozenset({"22009999"}))),
        ('"Taylor  Swift"', SalesQuery(name_phrases=frozenset({"taylor swift"}))),
        ("\u201cziggy\u201d", SalesQuery(name_phrases=frozenset({"ziggy"}))),
        (
            'unfulfilled vivid next 3 days "phantom"',
            SalesQuery(
                window=DateWindow(TODAY, D(2026, 3, 13)),
                marketplace_ids=frozenset({4}),
                states=frozenset({"unfilled"}),
                name_phrases=frozenset({"phantom"}),
            ),
        ),
        ("vivid,unfilled", SalesQuery(marketplace_ids=frozenset({4}), states=frozenset({"unfilled"}))),
        # windows are ANDed: intersected
        ("next 7 days 3/12/2026-4/1/2026", SalesQuery(window=DateWindow(D(2026, 3, 12), D(2026, 3, 17)))),
        ("today tomorrow", SalesQuery(window=DateWindow(D(2026, 3, 11), TODAY))),
    ],
)
def test_parses(text, expected):
    assert parse(text) == expected


@pytest.mark.parametrize("text", ["today", "tomorrow", "next 2 days", "last 2 days", "vivid 7/1/2026 today"])
def test_relative_windows_are_flagged(text):
    assert parse(text).relative


@pytest.mark.parametrize("text", ["", "7/1/2026", "vivid unfilled 12345", "7/1/2026-7/9/2026"])
def test_absolute_queries_do_not_need_today(text):
    assert not parse(text).relative


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("vivdi", "unknown word 'vivdi'"),
        ("next week", "'next' must be followed by a number of days"),
        ("last", "'last' must be followed by a number of days"),
        ("next 7", "'next' must be followed by a number of days"),
        ("next 9999 days", "at most 3650 days"),
        ("2/30/2026", "'2/30/2026' is not a date"),
        ("13/1/2026", "is not a date"),
        ("3/5/2026-3/1/2026", "ends before it starts"),
        ("7/1/26", "unknown word '7/1/26'"),
        ('"unclosed', "not closed"),
        ('""', "empty phrase"),
        ("days", "unknown word 'days'"),
        ("\u0661\u0662", "unknown word"),
    ],
)
def test_refuses_with_a_message_naming_the_word(text, needle):
    with pytest.raises(InvalidParameter) as info:
        parse(text)
    assert info.value.parameter == "q"
    assert info.value.message.startswith("q: ")
    assert needle in info.value.message


def test_an_unknown_word_lists_what_is_accepted():
    with pytest.raises(InvalidParameter) as info:
        parse("vivid nonsense")
    message = info.value.message
    for word in ("next N days", "m/d/yyyy-m/d/yyyy", "stubhub", "vivid", "unfilled", "eticket", "order id"):
        assert word in message


def test_no_alias_shadows_a_keyword():
    assert not set(ALIASES) & KEYWORDS


def test_windows_at_the_calendar_edges_do_not_overflow():
    assert parse("next 10 days", dt.date.max).window == DateWindow(dt.date.max, dt.date.max)
    assert parse("last 10 days", dt.date.min).window == DateWindow(dt.date.min, dt.date.min)


# ---------------------------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------------------------

dates = st.dates(min_value=dt.date(1000, 1, 1), max_value=dt.date(9999, 12, 31))
phrases = (
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters='"\u201c\u201d\u201e'),
        min_size=1,
        max_size=20,
    )
    .map(lambda s: " ".join(s.casefold().split()))
    .filter(lambda s: bool(s) and s.casefold() == s)
)


@st.composite
def queries(draw: st.DrawFn) -> SalesQuery:
    window = None
    if draw(st.booleans()):
        a, b = draw(dates), draw(dates)
        window = (
            DateWindow(min(a, b), max(a, b)) if draw(st.integers(0, 4)) else DateWindow(max(a, b), min(a, b))
        )
    return SalesQuery(
        window=window,
        marketplace_ids=frozenset(draw(st.sets(st.sampled_from(sorted(set(ALIASES.values())))))),
        states=frozenset(draw(st.sets(st.sampled_from(sorted(set(STATE_WORDS.values())))))),
        stocks=frozenset(draw(st.sets(st.sampled_from(sorted(STOCK_WORDS))))),
        order_ids=frozenset(draw(st.sets(st.from_regex(r"\A[0-9]{1,12}\Z")))),
        name_phrases=frozenset(draw(st.sets(phrases, max_size=3))),
    )


@given(st.text(max_size=60), dates)
def test_any_text_parses_or_is_an_invalid_parameter(text, today):
    try:
        parse(text, today)
    except InvalidParameter as exc:
        assert exc.parameter == "q" and exc.message.startswith("q: ")


vocabulary = st.sampled_from(
    [*STATE_WORDS, *STOCK_WORDS, "vivid", "SH", "next", "days", "today", "7/4/2026", "-", "1", '"', "x"]
)


@given(st.lists(vocabulary, max_size=8), dates)
def test_near_miss_word_salad_parses_or_is_an_invalid_parameter(words, today):
    with contextlib.suppress(InvalidParameter):
        parse(" ".join(words), today)


@given(queries(), dates)
def test_render_then_parse_round_trips(query, today):
    assert parse(render_sales_query(query, ALIASES), today) == query


terms = st.one_of(
    st.sampled_from(["today", "tomorrow", "next 3 days", "last 10 days", "4/1/2026", "3/1/2026-3/31/2026"]),
    st.sampled_from(sorted(ALIASES)),
    st.sampled_from(sorted(STATE_WORDS)),
    st.sampled_from(sorted(STOCK_WORDS)),
    st.from_regex(r"\A[0-9]{1,10}\Z"),
    phrases.map(lambda p: f'"{p}"'),
)


@given(st.lists(terms, max_size=6), st.randoms(use_true_random=False), dates)
def test_word_order_does_not_matter(words, rnd: random.Random, today):
    shuffled = list(words)
    rnd.shuffle(shuffled)
    upper = [w.upper() if not w.startswith('"') else w for w in shuffled]
    assert parse(" ".join(words), today) == parse(" ".join(upper), today)
