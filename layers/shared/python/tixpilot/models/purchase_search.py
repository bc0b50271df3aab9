"""The vocabulary of purchase search, pure: what the filters of `GET /v2/purchases` mean, which
index serves a search (the plan), the Queries a search asks of the store and what they return,
the cursor, and the name-suffix dictionary (names as matched, their suffixes and caps).

Both sides use it and it imports neither: the repository writes a purchase's index values and
dictionary entries and runs the Queries; `tixpilot.services.purchase_search` pages through them.
The index each filter names is declared in `tixpilot.tables`.
"""

import base64
import datetime as dt
import json
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal
from zoneinfo import ZoneInfo

from tixpilot.models.base import Model
from tixpilot.models.purchases import Purchase

NameKind = Literal["event", "venue"]
# What serves a Query: the table itself, the PO copies in `purchase_index`, or a GSI of the
# purchases table (the keys of `tixpilot.tables.PURCHASE_INDEXES`).
IndexName = Literal[
    "table",
    "confirmation",
    "po",
    "card",
    "username",
    "event_at",
    "purchase_date",
    "firstseen",
    "region",
    "refund",
    "status",
    "event_name",
    "venue_name",
]
Op = Literal["all", "eq", "begins", "between", "ge", "le"]

NO_REGION = "-"  # how "no region code" is keyed (the legacy `confirmationregion=null`)
MAX_NAME = 120  # names are indexed up to this many characters (longer ones are cut)


# --- names -------------------------------------------------------------------------------------

_SPACE = re.compile(r"\s+")


def normalize_name(value: str) -> str:
    """The form names are matched in: case-folded, accents and control characters kept out,
    whitespace collapsed. `%x%` on the legacy API is case-insensitive, and so is this."""
    text = unicodedata.normalize("NFKC", value).casefold()
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    return _SPACE.sub(" ", text).strip()[:MAX_NAME]


def name_suffixes(name: str) -> list[str]:
    """Every suffix of a normalized name: `needle in name` exactly when some suffix starts
    with the needle, which a sorted index answers with one `begins_with` Query."""
    return [name[i:] for i in range(len(name)) if not name[i].isspace()]


def name_contains(name: str | None, needle: str) -> bool:
    return bool(name) and normalize_name(needle) in normalize_name(name or "")


# The suffix dictionary holds one entry per suffix of each distinct name: the suffix, then the
# name it belongs to. Normalized names hold no control characters, so the separator is unambiguous.
_ENTRY_SEPARATOR = "\x1f"


def dictionary_entries(name: str) -> list[str]:
    """A normalized name's entries in the suffix dictionary, which sorts them by the text from
    the suffix on: the entries that start with a needle are the names that contain it."""
    return [f"{suffix}{_ENTRY_SEPARATOR}{name}" for suffix in name_suffixes(name)]


def entry_name(entry: str, needle: str) -> str | None:
    """The name an entry starting with `needle` stands for, if the needle occurs there first in
    the name; None for a later occurrence, so a name holding the needle twice is listed once."""
    suffix, name = entry.split(_ENTRY_SEPARATOR, 1)
    return name if name.find(needle) == len(name) - len(suffix) else None


def next_cap(count: int) -> int:
    """A name's cap for a count: the smallest power of two at or above it (at least 1). Every
    dictionary entry of a name carries its cap, an upper bound of its purchase count that
    changes only when the count crosses it."""
    return 1 << max(count - 1, 0).bit_length()


# --- filters -----------------------------------------------------------------------------------


class DateBound(Model):
    """`datefirstseen`: one day, or from/until a day (`>=m/d/yyyy`, `<=m/d/yyyy`)."""

    op: Literal["=", ">=", "<="]
    day: dt.date


class PurchaseFilters(Model):
    """The parsed filters of `GET /v2/purchases`; None means: not filtered on."""

    rid: int | None = None
    datefirstseen: DateBound | None = None
    eventdate: dt.date | None = None
    eventdate_range: tuple[dt.date, dt.date] | None = None
    purchasedate: dt.date | None = None
    purchasedate_range: tuple[dt.date, dt.date] | None = None
    eventname: str | None = None  # normalized
    venuename: str | None = None  # normalized
    confirmationnumber: str | None = None  # upper case, no region
    confirmationregion: str | None = None  # upper case; NO_REGION for "null"
    poids: list[str] | None = None
    ccdigits: list[str] | None = None
    elig_refund: Literal["true", "false", "unknown"] | None = None
    username: str | None = None  # lower case
    status: Literal["active", "canceled"] | None = None


def _local_day(moment: dt.datetime, timezone: str) -> dt.date:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    return aware.astimezone(ZoneInfo(timezone)).date()


def _refund(value: bool | None) -> str:
    return "unknown" if value is None else str(value).lower()


def matches(p: Purchase, f: PurchaseFilters, timezone: str) -> bool:
    """Whether a purchase passes every filter: the meaning of each filter, in one place."""
    checks: list[Callable[[], bool]] = []
    if f.rid is not None:
        checks.append(lambda: p.rid == f.rid)
    if f.datefirstseen is not None:
        bound = f.datefirstseen
        day = _local_day(p.datefirstseen, timezone)
        checks.append(
            lambda: (
                day == bound.day
                if bound.op == "="
                else (day >= bound.day if bound.op == ">=" else day <= bound.day)
            )
        )
    event_day = p.event.starts_at.date() if p.event.starts_at else None
    if f.eventdate is not None:
        checks.append(lambda: event_day == f.eventdate)
    if f.eventdate_range is not None:
        low, high = f.eventdate_range
        checks.append(lambda: event_day is not None and low <= event_day <= high)
    if f.purchasedate is not None:
        checks.append(lambda: p.purchase_date == f.purchasedate)
    if f.purchasedate_range is not None:
        first, last = f.purchasedate_range
        checks.append(lambda: p.purchase_date is not None and first <= p.purchase_date <= last)
    if f.eventname is not None:
        checks.append(lambda: name_contains(p.event.name, f.eventname or ""))
    if f.venuename is not None:
        checks.append(lambda: name_contains(p.event.venue, f.venuename or ""))
    if f.confirmationnumber is not None:
        checks.append(lambda: p.confirmation_number.strip().upper() == f.confirmationnumber)
    if f.confirmationregion is not None:
        checks.append(lambda: (p.confirmation_region or NO_REGION).upper() == f.confirmationregion)
    if f.poids is not None:
        wanted = set(f.poids)
        checks.append(lambda: bool(wanted & set(p.purchaseorders.values())))
    if f.ccdigits is not None:
        cards = set(f.ccdigits)
        checks.append(lambda: p.creditcard_last4 in cards)
    if f.elig_refund is not None:
        checks.append(lambda: _refund(p.refund_eligible) == f.elig_refund)
    if f.username is not None:
        checks.append(lambda: p.account_username.strip().lower() == f.username)
    if f.status is not None:
        checks.append(lambda: p.status == f.status)
    return all(check() for check in checks)


# --- index keys (what the repository writes, derived here so reads and writes agree) -----------

_UTC_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def utc_key(moment: dt.datetime) -> str:
    """A fixed-width UTC timestamp: sorts as text in time order."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    return aware.astimezone(dt.UTC).strftime(_UTC_FORMAT)


def index_values(p: Purchase) -> dict[str, str]:
    """The index attributes of a purchase (partition values without the tenant). Absent keys
    keep the purchase out of that sparse index."""
    values: dict[str, str] = {
        "firstseen": utc_key(p.datefirstseen),
        "username": p.account_username.strip().lower(),
        "region": (p.confirmation_region or NO_REGION).upper(),
        "refund": _refund(p.refund_eligible),
        "status": p.status,
    }
    if p.event.starts_at is not None:
        values["event_at"] = p.event.starts_at.replace(tzinfo=None).isoformat()
    if p.purchase_date is not None:
        values["purchase_date"] = p.purchase_date.isoformat()
    if p.creditcard_last4:
        values["card"] = p.creditcard_last4
    if p.event.name and normalize_name(p.event.name):
        values["event_name"] = normalize_name(p.event.name)
    if p.event.venue and normalize_name(p.event.venue):
        values["venue_name"] = normalize_name(p.event.venue)
    return values


# --- what the search asks of the store ---------------------------------------------------------


@dataclass(frozen=True)
class IndexQuery:
    """One Query: an index, its partition value (the tenant is added by the store) and a
    condition on its sort key. Results come newest (or latest date) first."""

    index: IndexName
    value: str | None = None
    op: Op = "all"
    bounds: tuple[str, ...] = ()


@dataclass(frozen=True)
class Position:
    """Where a Query stopped: the index's sort value (None where the sort key is the rid)."""

    rid: int
    sort: str | None = None


@dataclass(frozen=True)
class QueryPage:
    purchases: list[Purchase]
    last: Position | None  # None: the Query is exhausted


@dataclass(frozen=True)
class NameHit:
    """A name the needle occurs in, listed once (at the needle's first occurrence)."""

    name: str
    cap: int | None  # at least the name's purchase count; None: not known (written before caps)
    key: str  # its position in the dictionary; starts with the needle


@dataclass(frozen=True)
class NamesPage:
    hits: list[NameHit]  # in dictionary order: by the text from the needle on
    last: str | None  # position of the last entry read when more may follow; None: no more
    alongside: list[QueryPage] = field(default_factory=list)  # the reads run side by side with it


@dataclass(frozen=True)
class Read:
    query: IndexQuery
    limit: int
    after: Position | None = None


# --- cursors -----------------------------------------------------------------------------------

_BAD_CURSOR = "cursor is not one this API returned; pass the `cursor` of the previous page"


@dataclass(frozen=True)
class Cursor:
    """Where the next page starts. It never holds the tenant: the store puts the requesting
    tenant into every key, so a cursor cannot point into another tenant's rows."""

    plan: str
    rid: int | None = None
    sort: str | None = None
    name: str | None = None
    left: int | None = None  # inside a name: at most how many of it are left, if known


def encode_cursor(cursor: Cursor | None) -> str | None:
    if cursor is None:
        return None
    data: dict[str, object] = {"p": cursor.plan, "r": cursor.rid, "s": cursor.sort, "n": cursor.name}
    if cursor.left is not None:
        data["c"] = cursor.left
    return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode()


def _count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def decode_cursor(token: str) -> Cursor:
    """A cursor we issued; ValueError (with the accepted form) otherwise."""
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (ValueError, TypeError) as exc:
        raise ValueError(_BAD_CURSOR) from exc
    if not isinstance(data, dict) or set(data) - {"c"} != {"p", "r", "s", "n"}:
        raise ValueError(_BAD_CURSOR)
    plan, rid, sort, name, left = data["p"], data["r"], data["s"], data["n"], data.get("c")
    if (
        not isinstance(plan, str)
        or not (rid is None or (isinstance(rid, int) and not isinstance(rid, bool)))
        or not (sort is None or isinstance(sort, str))
        or not (name is None or isinstance(name, str))
        or not ("c" not in data or _count(left))
    ):
        raise ValueError(_BAD_CURSOR)
    return Cursor(plan=plan, rid=rid, sort=sort, name=name, left=left)


# --- planning ----------------------------------------------------------------------------------


def _end_of(day: dt.date) -> str:
    return f"{day.isoformat()}T~"  # "~" sorts after every time of that day


def _firstseen_bounds(bound: DateBound, timezone: str) -> tuple[Op, tuple[str, ...]]:
    zone = ZoneInfo(timezone)
    start = dt.datetime.combine(bound.day, dt.time(), zone)
    end = dt.datetime.combine(bound.day + dt.timedelta(days=1), dt.time(), zone) - dt.timedelta(
        microseconds=1
    )
    if bound.op == ">=":
        return "ge", (utc_key(start),)
    if bound.op == "<=":
        return "le", (utc_key(end),)
    return "between", (utc_key(start), utc_key(end))


@dataclass(frozen=True)
class Plan:
    """The Query (or Queries, for a comma list) that serves a search."""

    name: str
    queries: list[IndexQuery] = field(default_factory=list)
    names: NameKind | None = None  # a substring search on names


def choose_plan(f: PurchaseFilters, timezone: str) -> Plan:
    """The most selective filter present becomes the Query; the order is the usual number of
    purchases one value matches in a broker's account, fewest first."""
    if f.confirmationnumber is not None:
        if f.confirmationregion is not None:
            query = IndexQuery("confirmation", f.confirmationnumber, "eq", (f.confirmationregion,))
        else:
            query = IndexQuery("confirmation", f.confirmationnumber)
        return Plan("confirmation", [query])
    if f.poids is not None:
        return Plan("po", [IndexQuery("po", po) for po in f.poids])
    if f.eventdate is not None:
        return Plan("event_at", [IndexQuery("event_at", None, "begins", (f.eventdate.isoformat(),))])
    if f.purchasedate is not None:
        return Plan("purchase_date", [IndexQuery("purchase_date", None, "eq", (f.purchasedate.isoformat(),))])
    if f.eventname is not None:
        return Plan("event_name", names="event")
    if f.venuename is not None:
        return Plan("venue_name", names="venue")
    if f.ccdigits is not None:
        return Plan("card", [IndexQuery("card", digits) for digits in f.ccdigits])
    if f.username is not None:
        return Plan("username", [IndexQuery("username", f.username)])
    if f.eventdate_range is not None:
        low, high = f.eventdate_range
        return Plan("event_at", [IndexQuery("event_at", None, "between", (low.isoformat(), _end_of(high)))])
    if f.purchasedate_range is not None:
        first, last = f.purchasedate_range
        days = (first.isoformat(), last.isoformat())
        return Plan("purchase_date", [IndexQuery("purchase_date", None, "between", days)])
    if f.datefirstseen is not None:
        op, instants = _firstseen_bounds(f.datefirstseen, timezone)
        return Plan("firstseen", [IndexQuery("firstseen", None, op, instants)])
    if f.confirmationregion is not None:
        return Plan("region", [IndexQuery("region", f.confirmationregion)])
    if f.elig_refund is not None:
        return Plan("refund", [IndexQuery("refund", f.elig_refund)])
    if f.status is not None:
        return Plan("status", [IndexQuery("status", f.status)])
    return Plan("table", [IndexQuery("table")])
