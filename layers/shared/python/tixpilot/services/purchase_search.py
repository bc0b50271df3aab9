"""Searching a tenant's purchases: the filters of `GET /v2/purchases` and how each becomes a Query.

Every filter has an index of its own (docs/data-model.md), so a single filter is one Query that
examines about as many items as it returns. When filters are combined, the most selective one is
the Query and the rest are applied to what it returns (`matches`, the same pure predicate the
tests use as the reference), so a page may come back shorter than `page_size`; a client keeps
following `cursor` until it is null.

Event and venue names are searched as substrings (the legacy `%name%`) through a suffix
dictionary of the account's *distinct* names: the suffixes that start with the needle give the
matching names, each with an upper bound of its purchase count (`cap`), and then one Query per
name reads its purchases, side by side: two round trips. What is examined grows with the page,
never with the size of the account or the number of matching names.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from tixpilot.models.purchases import Purchase

NameKind = Literal["event", "venue"]
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


# --- filters -----------------------------------------------------------------------------------


class DateBound(BaseModel):
    """`datefirstseen`: one day, or from/until a day (`>=m/d/yyyy`, `<=m/d/yyyy`)."""

    op: Literal["=", ">=", "<="]
    day: dt.date


class PurchaseFilters(BaseModel):
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


class PurchaseSearchStore(Protocol):
    def get(self, tenant_id: str, rid: int) -> Purchase | None: ...

    def query_many(self, tenant_id: str, reads: Sequence[Read]) -> list[QueryPage]:
        """Run the reads side by side (one round trip of latency); results in the same order."""
        ...

    def names_after(
        self,
        tenant_id: str,
        kind: NameKind,
        needle: str,
        after: str | None,
        limit: int,
        alongside: Sequence[Read] = (),
    ) -> NamesPage:
        """The next `limit` entries of the suffix dictionary that start with the needle, after the
        position `after` (None: from the start), as the names they stand for; `alongside` are
        Queries run side by side with it (one round trip), their pages in the same order."""
        ...


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


# --- the search --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchPage:
    purchases: list[Purchase]
    cursor: Cursor | None


class CursorMismatch(ValueError):
    """A cursor from a search with other filters."""


def search_purchases(
    store: PurchaseSearchStore,
    tenant_id: str,
    filters: PurchaseFilters,
    page_size: int,
    cursor: Cursor | None = None,
    timezone: str = "America/New_York",
) -> SearchPage | None:
    """One page of the tenant's purchases that pass every filter, and the cursor of the next.

    None when `rid` names no purchase of this tenant (the caller answers 404, the same for a
    rid that does not exist and one that belongs to someone else).
    """
    if filters.rid is not None:
        found = store.get(tenant_id, filters.rid)
        if found is None:
            return None
        return SearchPage([found] if matches(found, filters, timezone) else [], None)
    plan = choose_plan(filters, timezone)
    if cursor is not None and cursor.plan != plan.name:
        raise CursorMismatch("cursor belongs to a search with other filters; start without `cursor`")
    if plan.names is not None:
        needle = filters.eventname if plan.names == "event" else filters.venuename
        page = _search_names(store, tenant_id, plan, needle or "", page_size, cursor)
    elif len(plan.queries) == 1:
        page = _search_one(store, tenant_id, plan, page_size, cursor)
    else:
        page = _search_union(store, tenant_id, plan, page_size, cursor)
    kept = [p for p in page.purchases if matches(p, filters, timezone)]
    return SearchPage(kept, page.cursor)


def _search_one(
    store: PurchaseSearchStore, tenant_id: str, plan: Plan, page_size: int, cursor: Cursor | None
) -> SearchPage:
    after = Position(cursor.rid, cursor.sort) if cursor and cursor.rid is not None else None
    (page,) = store.query_many(tenant_id, [Read(plan.queries[0], page_size, after)])
    last = page.last
    return SearchPage(page.purchases, Cursor(plan.name, last.rid, last.sort) if last else None)


def _search_union(
    store: PurchaseSearchStore, tenant_id: str, plan: Plan, page_size: int, cursor: Cursor | None
) -> SearchPage:
    """A comma list: one Query per value side by side, merged newest first.

    Each stream reads its share of the page. Every purchase a stream has not read yet is older
    than the last one it read, so everything at or above the highest such "last rid" among the
    streams that have more is complete and can be returned; the next page resumes every stream
    below the last rid returned."""
    after = Position(cursor.rid) if cursor and cursor.rid is not None else None
    share = -(-page_size // len(plan.queries))
    pages = store.query_many(tenant_id, [Read(q, share, after) for q in plan.queries])
    merged: dict[int, Purchase] = {}
    for page in pages:
        for purchase in page.purchases:
            merged.setdefault(purchase.rid, purchase)
    ordered = sorted(merged.values(), key=lambda p: p.rid, reverse=True)
    unfinished = [page.purchases[-1].rid for page in pages if page.last is not None and page.purchases]
    cutoff = max(unfinished, default=None)
    complete = [p for p in ordered if cutoff is None or p.rid >= cutoff]
    taken = complete[:page_size]
    more = bool(unfinished) or len(ordered) > len(taken)
    return SearchPage(taken, Cursor(plan.name, taken[-1].rid) if more and taken else None)


def _search_names(
    store: PurchaseSearchStore,
    tenant_id: str,
    plan: Plan,
    needle: str,
    page_size: int,
    cursor: Cursor | None,
) -> SearchPage:
    """Substring search, name by name (newest first within a name), in two round trips.

    1. The dictionary entries after the cursor that start with the needle: at most `page_size`
       of them, since a page never lists more names than purchases. Each names a matching name
       and its cap, an upper bound of its purchase count.
    2. One Query per name, side by side, until the caps add up to the page: a name whose cap
       fits reads with Limit cap + 1, so it comes back complete (fewer items than the Limit, no
       LastEvaluatedKey) and everything examined is returned; the name where the budget runs out
       (or whose cap is unknown) reads what is left and may stop inside.

    A page that starts inside a name reads the rest of it in step 1, beside the dictionary, when
    the cursor bounds that rest below the page (`Cursor.left`); otherwise (a long name, or no
    cap) the name has the page to itself. A page can be shorter than `page_size`: caps overstate
    counts (by up to 2x, more after purchases moved to other names). If a name grew past the cap
    read in step 1 (a purchase written in between), its Query returns cap + 1 items and the page
    ends inside it, so nothing older is skipped.
    """
    kind: NameKind = plan.names or "event"
    index: IndexName = "event_name" if kind == "event" else "venue_name"
    resume: Cursor | None = None
    if cursor is not None:
        # a position outside the needle's entries is a cursor of another needle (or of the
        # alphabetical paging before caps); DynamoDB would refuse it as a start key anyway
        inside = cursor.rid is None or (cursor.name is not None and needle in cursor.name)
        if cursor.sort is None or not cursor.sort.startswith(needle) or not inside:
            raise CursorMismatch("cursor belongs to a search with other filters; start without `cursor`")
        resume = cursor if cursor.rid is not None else None
    found: list[Purchase] = []
    left = page_size
    alongside: list[Read] = []
    if resume is not None:
        rest = resume.left
        if rest is None or rest >= page_size:
            return _resume_name(store, tenant_id, plan, index, resume, page_size)
        alongside = [Read(IndexQuery(index, resume.name), rest + 1, Position(resume.rid or 0))]
        left -= rest
    names = store.names_after(tenant_id, kind, needle, cursor.sort if cursor else None, page_size, alongside)
    if resume is not None:
        (page,) = names.alongside
        found += page.purchases
        if page.last is not None:  # more left than the cursor said (purchases renamed to it)
            return SearchPage(found, Cursor(plan.name, page.last.rid, resume.sort, resume.name))
    reads: list[Read] = []
    for hit in names.hits:
        if left == 0:
            break
        if hit.cap is not None and 0 < hit.cap <= left:
            reads.append(Read(IndexQuery(index, hit.name), hit.cap + 1))  # the whole name
            left -= hit.cap
        else:
            reads.append(Read(IndexQuery(index, hit.name), left))  # as much as fits
            left = 0
    pages = store.query_many(tenant_id, reads) if reads else []
    for hit, read, page in zip(names.hits, reads, pages, strict=False):
        found += page.purchases
        if page.last is not None:  # the page ends inside this name
            stop, rest = page.last.rid, None
            if len(found) > page_size:  # the name grew past its cap: one more than the page
                found = found[:page_size]
                stop = found[-1].rid
            elif hit.cap is not None and read.limit <= hit.cap:  # cut by the page, not grown
                rest = max(hit.cap - len(page.purchases), 0)
            return SearchPage(found, Cursor(plan.name, stop, hit.key, hit.name, rest))
    if len(reads) < len(names.hits):
        return SearchPage(found, Cursor(plan.name, None, names.hits[len(reads) - 1].key))
    if names.last is None:
        return SearchPage(found, None)
    return SearchPage(found, Cursor(plan.name, None, names.last))


def _resume_name(
    store: PurchaseSearchStore,
    tenant_id: str,
    plan: Plan,
    index: IndexName,
    cursor: Cursor,
    page_size: int,
) -> SearchPage:
    """The rest of a name a page stopped inside, when it may fill this page: the page is its
    alone (one round trip); the next page goes on after it."""
    name, key = cursor.name or "", cursor.sort or ""
    read = Read(IndexQuery(index, name), page_size, Position(cursor.rid or 0))
    (page,) = store.query_many(tenant_id, [read])
    if page.last is not None:
        rest = None if cursor.left is None else max(cursor.left - len(page.purchases), 0)
        return SearchPage(page.purchases, Cursor(plan.name, page.last.rid, key, name, rest))
    return SearchPage(page.purchases, Cursor(plan.name, None, key))
