"""The `/v2/sales?q=` query language: words in any order, case-insensitive (grammar in README.md).

Pure: text + today's date + the alias table in, a typed `SalesQuery` out; nothing else is read.
Words of different kinds are ANDed. A sale has one marketplace, one stock and one order id, so
several words of one of those kinds are alternatives (`vivid stubhub` = either); states are
ANDed (`unfilled confirmed`), and several date windows are intersected.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, get_args

from tixpilot.errors import InvalidParameter
from tixpilot.models.sales import Sale, SaleState, Stock

MAX_DAYS = 3650

STATE_WORDS: dict[str, SaleState] = {
    "unfilled": "unfilled",
    "unfulfilled": "unfilled",
    "filled": "filled",
    "fulfilled": "filled",
    "unconfirmed": "unconfirmed",
    "confirmed": "confirmed",
    "rejected": "rejected",
    "held": "held",
    "invoiced": "invoiced",
    "error": "error",
}
STOCK_WORDS: frozenset[str] = frozenset(get_args(Stock))
KEYWORDS = frozenset({"today", "tomorrow", "next", "last", "day", "days", *STATE_WORDS, *STOCK_WORDS})

_DATE = r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})"
_ONE_DATE = re.compile(f"^{_DATE}$")
_RANGE = re.compile(f"^{_DATE}-{_DATE}$")
_NUMBER = re.compile(r"^[0-9]{1,30}$")
_QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"', "\u201e": '"'})
_SEPARATORS = re.compile(r"[\s,]+")


@dataclass(frozen=True)
class DateWindow:
    """Event dates from `start` to `end`, both included; empty when start > end."""

    start: dt.date
    end: dt.date

    @property
    def empty(self) -> bool:
        return self.start > self.end

    def __and__(self, other: DateWindow) -> DateWindow:
        return DateWindow(max(self.start, other.start), min(self.end, other.end))

    def __contains__(self, day: object) -> bool:
        return isinstance(day, dt.date) and self.start <= day <= self.end


@dataclass(frozen=True)
class SalesQuery:
    window: DateWindow | None = None
    marketplace_ids: frozenset[int] = frozenset()
    states: frozenset[SaleState] = frozenset()
    stocks: frozenset[Stock] = frozenset()
    order_ids: frozenset[str] = frozenset()
    name_phrases: frozenset[str] = frozenset()
    # Whether the window depended on today's date: the caller then parses again with today in the
    # tenant's time zone. Not part of what the query means, so not compared.
    relative: bool = field(default=False, compare=False)


def normalize_text(text: str) -> str:
    """Case- and spacing-insensitive form used for phrases and event names alike."""
    return " ".join(text.casefold().split())


def _shift(day: dt.date, days: int) -> dt.date:
    try:
        return day + dt.timedelta(days=days)
    except OverflowError:
        return dt.date.max if days > 0 else dt.date.min


def _fail(message: str) -> InvalidParameter:
    return InvalidParameter("q", f"q: {message}")


def _date(parts: tuple[str | Any, ...], word: str) -> dt.date:
    month, day, year = parts
    try:
        return dt.date(int(year), int(month), int(day))
    except ValueError:
        raise _fail(f"'{word}' is not a date on the calendar; use m/d/yyyy, e.g. 7/11/2026") from None


def _accepted(aliases: Mapping[str, int]) -> str:
    first: dict[int, str] = {}
    for alias, mid in aliases.items():
        first.setdefault(mid, alias)  # the name comes first in the reference data
    names = sorted(first.values())
    return (
        "accepted words: an event-date window (today, tomorrow, next N days, last N days, m/d/yyyy, "
        f"m/d/yyyy-m/d/yyyy); a marketplace ({', '.join(names)}); a state "
        f"({', '.join(STATE_WORDS)}); a stock ({', '.join(sorted(STOCK_WORDS))}); an order id "
        '(digits); or a "quoted phrase" the event name contains'
    )


def _split(text: str) -> tuple[list[str], list[str]]:
    """Words (lowercased) and quoted phrases (normalized)."""
    text = text.translate(_QUOTES)
    if text.count('"') % 2:
        raise _fail('a quoted phrase is not closed; put the event name between two " marks')
    pieces = text.split('"')
    words: list[str] = []
    phrases: list[str] = []
    for index, piece in enumerate(pieces):
        if index % 2:
            phrase = normalize_text(piece)
            if not phrase:
                raise _fail('"" is an empty phrase; put part of the event name between the quotes')
            phrases.append(phrase)
        else:
            words.extend(w.casefold() for w in _SEPARATORS.split(piece) if w)
    return words, phrases


def parse_sales_query(text: str, today: dt.date, aliases: Mapping[str, int]) -> SalesQuery:
    """Parse `q`. Raises InvalidParameter("q", ...) naming the offending word, nothing else."""
    words, phrases = _split(text)
    windows: list[DateWindow] = []
    relative = False
    marketplaces: set[int] = set()
    states: set[SaleState] = set()
    stocks: set[Stock] = set()
    order_ids: set[str] = set()
    i = 0
    while i < len(words):
        word = words[i]
        i += 1
        if word == "today":
            windows.append(DateWindow(today, today))
            relative = True
        elif word == "tomorrow":
            tomorrow = _shift(today, 1)
            windows.append(DateWindow(tomorrow, tomorrow))
            relative = True
        elif word in ("next", "last"):
            count = words[i] if i < len(words) else ""
            unit = words[i + 1] if i + 1 < len(words) else ""
            if not _NUMBER.match(count) or unit not in ("day", "days"):
                raise _fail(f"'{word}' must be followed by a number of days, e.g. '{word} 7 days'")
            days = int(count)
            if days > MAX_DAYS:
                raise _fail(f"'{word} {count} days' is too long; at most {MAX_DAYS} days")
            i += 2
            if word == "next":
                windows.append(DateWindow(today, _shift(today, days)))
            else:
                windows.append(DateWindow(_shift(today, -days), today))
            relative = True
        elif match := _RANGE.match(word):
            start = _date(match.groups()[:3], word)
            end = _date(match.groups()[3:], word)
            if start > end:
                raise _fail(f"'{word}' ends before it starts; write the earlier date first")
            windows.append(DateWindow(start, end))
        elif match := _ONE_DATE.match(word):
            day = _date(match.groups(), word)
            windows.append(DateWindow(day, day))
        elif _NUMBER.match(word):
            order_ids.add(word)
        elif word in STATE_WORDS:
            states.add(STATE_WORDS[word])
        elif word in STOCK_WORDS:
            stocks.add(word)  # type: ignore[arg-type]  # checked against the Literal's values
        elif word in aliases:
            marketplaces.add(aliases[word])
        else:
            shown = word if len(word) <= 40 else word[:40] + "..."
            raise _fail(f"unknown word '{shown}'; {_accepted(aliases)}")
    window = None
    for each in windows:
        window = each if window is None else window & each
    return SalesQuery(
        window=window,
        marketplace_ids=frozenset(marketplaces),
        states=frozenset(states),
        stocks=frozenset(stocks),
        order_ids=frozenset(order_ids),
        name_phrases=frozenset(phrases),
        relative=relative,
    )


def _format(day: dt.date) -> str:
    return f"{day.month}/{day.day}/{day.year:04d}"


def render_sales_query(query: SalesQuery, aliases: Mapping[str, int]) -> str:
    """A canonical text for a query: parsing it gives the same query back."""
    words: list[str] = []
    if query.window is not None:
        start, end = query.window.start, query.window.end
        # An empty window is the intersection of its two ends as single days.
        words.append(
            f"{_format(start)} {_format(end)}" if start > end else f"{_format(start)}-{_format(end)}"
        )
    names: dict[int, str] = {}
    for alias, mid in sorted(aliases.items()):
        names.setdefault(mid, alias)
    words += sorted(names[m] for m in query.marketplace_ids)
    words += sorted(query.states) + sorted(query.stocks) + sorted(query.order_ids)
    words += [f'"{p}"' for p in sorted(query.name_phrases)]
    return " ".join(words)


def default_window(today: dt.date) -> DateWindow:
    """The window of a query that names neither dates nor an order id (README.md)."""
    return DateWindow(_shift(today, -30), _shift(today, 365))


def matches(query: SalesQuery, sale: Sale) -> bool:
    """Whether a sale satisfies every word of the query (the window included)."""
    if query.window is not None and sale.event.starts_at.date() not in query.window:
        return False
    if query.marketplace_ids and sale.marketplace_id not in query.marketplace_ids:
        return False
    if query.order_ids and sale.order_id not in query.order_ids:
        return False
    if query.stocks and sale.stock not in query.stocks:
        return False
    if not query.states <= sale.states():
        return False
    name = normalize_text(sale.event.name)
    return all(phrase in name for phrase in query.name_phrases)
