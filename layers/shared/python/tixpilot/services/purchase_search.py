"""Searching a tenant's purchases: one page of `GET /v2/purchases` and the cursor of the next.

The plan (`tixpilot.models.purchase_search.choose_plan`) names the Query that serves the filters:
every filter has an index of its own (docs/data-model.md), so a single filter is one Query that
examines about as many items as it returns. When filters are combined, the most selective one is
the Query and the rest are applied to what it returns (`matches`), so a page may come back
shorter than `page_size`; a client keeps following `cursor` until it is null.

Event and venue names are searched as substrings (the legacy `%name%`) through a suffix
dictionary of the account's *distinct* names: the suffixes that start with the needle give the
matching names, each with an upper bound of its purchase count (`cap`), and then one Query per
name reads its purchases, side by side: two round trips. What is examined grows with the page,
never with the size of the account or the number of matching names.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from tixpilot.models.purchase_search import (
    Cursor,
    IndexName,
    IndexQuery,
    NameHit,
    NameKind,
    NamesPage,
    Plan,
    Position,
    PurchaseFilters,
    QueryPage,
    Read,
    choose_plan,
    matches,
)
from tixpilot.models.purchases import Purchase

# --- what the search asks of the store ---------------------------------------------------------


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
    resume = _inside_name(cursor, needle)
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
        if page.last is not None or len(page.purchases) > page_size - left:  # more than the cursor said
            stop = page.last.rid if page.last else page.purchases[-1].rid
            return SearchPage(found, Cursor(plan.name, stop, resume.sort, resume.name))
    reads = _reads_by_cap(index, names.hits, left)
    pages = store.query_many(tenant_id, reads) if reads else []
    return _names_page(plan, names, reads, pages, found, page_size)


def _inside_name(cursor: Cursor | None, needle: str) -> Cursor | None:
    """The cursor of a page that stopped inside a name (None: the page starts between names).
    A position outside the needle's entries is a cursor of another needle (or of the
    alphabetical paging before caps); DynamoDB would refuse it as a start key anyway."""
    if cursor is None:
        return None
    inside = cursor.rid is None or (cursor.name is not None and needle in cursor.name)
    if cursor.sort is None or not cursor.sort.startswith(needle) or not inside:
        raise CursorMismatch("cursor belongs to a search with other filters; start without `cursor`")
    return cursor if cursor.rid is not None else None


def _reads_by_cap(index: IndexName, hits: list[NameHit], left: int) -> list[Read]:
    """One Query per name, in dictionary order, until the caps fill what is left of the page."""
    reads: list[Read] = []
    for hit in hits:
        if left == 0:
            break
        if hit.cap is not None and 0 < hit.cap <= left:
            reads.append(Read(IndexQuery(index, hit.name), hit.cap + 1))  # the whole name
            left -= hit.cap
        else:
            reads.append(Read(IndexQuery(index, hit.name), left))  # as much as fits
            left = 0
    return reads


def _names_page(
    plan: Plan,
    names: NamesPage,
    reads: list[Read],
    pages: list[QueryPage],
    found: list[Purchase],
    page_size: int,
) -> SearchPage:
    """The page after the per-name Queries, and where the next one starts: inside the name the
    page ended in, after the last name read, or after the dictionary entries read."""
    for hit, read, page in zip(names.hits, reads, pages, strict=False):
        found += page.purchases
        # More than its cap: the name grew past the cap read (a purchase written meanwhile, or
        # one whose cap raise has not run yet). DynamoDB may or may not say there is more.
        grown = hit.cap is not None and len(page.purchases) > hit.cap
        if page.last is not None or grown:  # the page ends inside this name
            stop, rest = page.last.rid if page.last else page.purchases[-1].rid, None
            if len(found) > page_size:  # one more than the page
                found = found[:page_size]
                stop = found[-1].rid
            elif not grown and hit.cap is not None and read.limit <= hit.cap:  # cut by the page
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
