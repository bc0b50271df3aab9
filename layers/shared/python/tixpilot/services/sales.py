"""Sales: recording a sale a client reports, searching them, asking for fulfillment, completing.

Round trips after auth (the API's budget is two): add = credid lookup + one transaction;
search = one Query or GetItem, plus the tenant's time zone only when the answer depends on it;
fulfill = one conditional update + one SQS message; complete-sale = per sale one update, then its
completion in the POS (services.pos_completion).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import cache
from typing import Literal, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tixpilot.errors import Conflict, InvalidParameter, NotFound
from tixpilot.models.base import Model
from tixpilot.models.fulfillment import FulfillmentMessage
from tixpilot.models.sales import CreateOutcome, Sale, SaleDetails, Step, StepResult
from tixpilot.models.tenants import Credential, Tenant, TenantSettings
from tixpilot.services.reference import resale_aliases, resale_names
from tixpilot.services.sales_query import (
    DateWindow,
    SalesQuery,
    default_window,
    matches,
    parse_sales_query,
)


class SaleStore(Protocol):
    def get(self, tenant_id: str, marketplace_id: int, order_id: str) -> Sale | None: ...

    def find_by_order(self, tenant_id: str, order_id: str) -> list[Sale]: ...

    def in_window(self, tenant_id: str, start: dt.date, end: dt.date) -> list[Sale]: ...

    def get_many(self, tenant_id: str, keys: Sequence[tuple[int, str]]) -> list[Sale]: ...

    def find_by_orders(self, tenant_id: str, order_ids: Sequence[str]) -> list[Sale]: ...

    def window_page(
        self, tenant_id: str, start: dt.date, end: dt.date, limit: int, after: tuple[str, str] | None
    ) -> tuple[list[Sale], tuple[str, str] | None]: ...

    def create(self, sale: Sale, credential_hash: str) -> CreateOutcome: ...

    def record_steps(
        self,
        tenant_id: str,
        marketplace_id: int,
        order_id: str,
        steps: dict[Step, StepResult],
        *,
        fulfilled: bool | None = None,
        unless_filled: bool = False,
    ) -> Sale | None: ...


class CredentialLookup(Protocol):
    def hash_of(self, tenant_id: str, credential_id: str) -> str | None: ...

    def get(self, token_hash: str) -> Credential | None: ...


class TenantLookup(Protocol):
    def get(self, tenant_id: str) -> Tenant | None: ...


class Queue(Protocol):
    def put(self, message: FulfillmentMessage) -> None: ...


@dataclass(frozen=True)
class SalesRepos:
    sales: SaleStore
    credentials: CredentialLookup
    tenants: TenantLookup
    fulfillment: Queue


def fingerprint(details: SaleDetails) -> str:
    return hashlib.sha256(details.model_dump_json().encode()).hexdigest()


def _initial_steps(details: SaleDetails, now: dt.datetime) -> dict[Step, StepResult]:
    steps: dict[Step, StepResult] = {
        "invoice": StepResult(status="success", message=details.invoice_id, at=now),
        "confirm": StepResult(status="success" if details.confirmed else "pending", at=now),
    }
    if details.fulfilled:
        steps["fulfill"] = StepResult(status="success", at=now)
    return steps


def add_sale(repos: SalesRepos, tenant_id: str, details: SaleDetails, now: dt.datetime) -> Sale:
    """Record a sale the client reports. The same order again with the same details returns the
    recorded sale and changes nothing; with other details it is a Conflict."""
    credential_hash = repos.credentials.hash_of(tenant_id, details.credential_id)
    if credential_hash is None:
        raise InvalidParameter(
            "credid",
            f"credid: {details.credential_id} is not a marketplace key of your account; use the credid "
            "`tixpilot marketplace-key create` gave you for this marketplace",
        )
    sale = Sale(
        **details.model_dump(),
        tenant_id=tenant_id,
        processing=_initial_steps(details, now),
        fingerprint=fingerprint(details),
        created=now,
        updated=now,
    )
    outcome = repos.sales.create(sale, credential_hash)
    if outcome == "created":
        return sale
    if outcome == "credential":
        raise InvalidParameter("credid", _credential_mismatch(repos, credential_hash, details))
    existing = repos.sales.get(tenant_id, details.marketplace_id, details.order_id)
    if existing is not None and existing.fingerprint == sale.fingerprint:
        return existing
    raise Conflict(
        f"sale {details.order_id} of marketplace {details.marketplace_id} is already recorded with other "
        "details; a sale is added once (GET /v2/sales?q=<orderid> shows it)"
    )


def _credential_mismatch(repos: SalesRepos, credential_hash: str, details: SaleDetails) -> str:
    credential = repos.credentials.get(credential_hash)
    prefix = f"credid: {details.credential_id}"
    if credential is None or credential.kind != "marketplace" or credential.marketplace_id is None:
        return f"{prefix} is not a marketplace key; use the credid of a marketplace key"
    name = resale_names().get(credential.marketplace_id, "another marketplace")
    return (
        f"{prefix} is the key of marketplace {credential.marketplace_id} ({name}), not of "
        f"marketplaceid {details.marketplace_id}; use that marketplace's credid"
    )


# Order ids per query: each is a read (a Query on by_order, or keys of a BatchGetItem), so a
# query's cost is bounded by this, and its answer too.
MAX_ORDER_IDS = 50
# DynamoDB reads to fill one page of a date window before answering with what was found (the
# rest of the page is behind the cursor): a filter that matches few sales never reads on and on.
MAX_WINDOW_READS = 3


_BAD_CURSOR = "cursor is not one this API returned; pass the `cursor` of the previous page"


@dataclass(frozen=True)
class SalesPosition:
    """Where the next page of a query starts: the query (a digest of its text), the date window
    it resolved to on its first page (so a relative window does not move under the pages), and
    the last sale read: (event_date_key, sale_key) in a window, or the last answered sale's
    order (event start, marketplace id, order id) for order ids."""

    query: str
    key: tuple[str, ...]
    window: tuple[str, str] | None = None

    def encode(self) -> str:
        data = {"q": self.query, "k": list(self.key), "w": list(self.window) if self.window else None}
        return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode()

    @classmethod
    def decode(cls, token: str) -> SalesPosition:
        """A position we encoded (the route checks its signature first); ValueError otherwise."""
        try:
            data = json.loads(base64.urlsafe_b64decode(token.encode()))
            window = data["w"]
            return cls(
                query=str(data["q"]),
                key=tuple(str(k) for k in data["k"]),
                window=(str(window[0]), str(window[1])) if window else None,
            )
        except (ValueError, TypeError, KeyError, IndexError) as exc:
            raise ValueError(_BAD_CURSOR) from exc


def query_digest(text: str) -> str:
    """The same query, however it is spaced or cased, has the same digest."""
    return hashlib.sha256(" ".join(text.casefold().split()).encode()).hexdigest()[:16]


class SalesAnswer(Model):
    sales: list[Sale]
    timezone: str
    next: SalesPosition | None = None  # where the next page starts; None on the last page


def _zone(tenant: Tenant | None) -> str:
    name = (tenant.settings if tenant else TenantSettings()).timezone
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return TenantSettings().timezone
    return name


def search_sales(
    repos: SalesRepos,
    tenant_id: str,
    text: str,
    now: dt.datetime,
    page_size: int = 100,
    after: SalesPosition | None = None,
) -> SalesAnswer:
    """One page of the tenant's sales matching a query (grammar in README.md), by event date
    then marketplace and order id, and where the next page starts.

    The tenant's time zone is read only when the answer depends on it: a relative window (or
    the default window), or a hold or fulfillment time to show. A page continuing a window query
    reads the window its first page resolved to (in the position)."""
    aliases = resale_aliases()
    zone_of: Callable[[], str] = cache(lambda: _zone(repos.tenants.get(tenant_id)))
    digest = query_digest(text)
    if after is not None and after.query != digest:
        raise InvalidParameter("cursor", "cursor: it belongs to another query; start without `cursor`")
    query = parse_sales_query(text, now.date(), aliases)
    if len(query.order_ids) > MAX_ORDER_IDS:
        raise InvalidParameter(
            "q",
            f"q: at most {MAX_ORDER_IDS} order ids in one query, not {len(query.order_ids)}; "
            "ask for the others in further queries",
        )
    needs_today = query.relative or (query.window is None and not query.order_ids)
    if after is not None and after.window is not None:
        start, end = (dt.date.fromisoformat(day) for day in after.window)
        query = replace(query, window=DateWindow(start, end))
    elif needs_today:
        today = now.astimezone(ZoneInfo(zone_of())).date()
        if query.relative:
            query = parse_sales_query(text, today, aliases)
        if query.window is None:
            query = replace(query, window=default_window(today))
    if query.order_ids:
        sales, key = _order_page(repos, tenant_id, query, page_size, after)
    else:
        sales, key = _window_page(repos, tenant_id, query, page_size, after)
    window = query.window
    position = None
    if key is not None:
        span = (window.start.isoformat(), window.end.isoformat()) if window and not query.order_ids else None
        position = SalesPosition(digest, key, span)
    shows_times = any(s.hold or s.fulfillment for s in sales)
    timezone = zone_of() if shows_times or needs_today else TenantSettings().timezone
    return SalesAnswer(sales=sales, timezone=timezone, next=position)


def _order(sale: Sale) -> tuple[str, str, str]:
    return (sale.event.starts_at.isoformat(), f"{sale.marketplace_id:010d}", sale.order_id)


def _order_page(
    repos: SalesRepos, tenant_id: str, query: SalesQuery, page_size: int, after: SalesPosition | None
) -> tuple[list[Sale], tuple[str, ...] | None]:
    """Order ids (at most MAX_ORDER_IDS): with one marketplace and one id a GetItem; with
    marketplaces the keys in BatchGetItem calls; else a Query on by_order per id, side by side.
    Bounded, so the whole answer is read and the page cut from it."""
    if query.window is not None and query.window.empty:
        return [], None
    ids = sorted(query.order_ids)
    if len(ids) == 1 and len(query.marketplace_ids) == 1:
        (marketplace_id,) = query.marketplace_ids
        sale = repos.sales.get(tenant_id, marketplace_id, ids[0])
        found = [sale] if sale else []
    elif query.marketplace_ids:
        found = repos.sales.get_many(tenant_id, [(m, o) for m in sorted(query.marketplace_ids) for o in ids])
    else:
        found = repos.sales.find_by_orders(tenant_id, ids)
    sales = sorted((s for s in found if matches(query, s)), key=_order)
    if after is not None:
        sales = [s for s in sales if _order(s) > after.key]
    page = sales[:page_size]
    return page, (_order(page[-1]) if len(sales) > page_size else None)


def _window_page(
    repos: SalesRepos, tenant_id: str, query: SalesQuery, page_size: int, after: SalesPosition | None
) -> tuple[list[Sale], tuple[str, ...] | None]:
    """The window's sales by event date, a page at a time: Queries of what is left of the page
    until it is full, the window ends, or MAX_WINDOW_READS reads were made."""
    window = query.window
    assert window is not None
    if window.empty:
        return [], None
    position: tuple[str, str] | None = (after.key[0], after.key[1]) if after else None
    found: list[Sale] = []
    for _ in range(MAX_WINDOW_READS):
        page, position = repos.sales.window_page(
            tenant_id, window.start, window.end, page_size - len(found), position
        )
        found += [s for s in page if matches(query, s)]
        if position is None or len(found) >= page_size:
            break
    found.sort(key=_order)
    return found, position


def _no_sale(order_id: str, marketplace_id: int) -> NotFound:
    return NotFound(
        f"no sale {order_id} of marketplace {marketplace_id} in your account; "
        "add it with POST /v2/sales/add or check GET /v2/sales?q=<orderid>"
    )


def request_fulfillment(
    repos: SalesRepos, tenant_id: str, marketplace_id: int, order_id: str, now: dt.datetime
) -> Sale:
    """Mark the sale's fulfill step pending and queue it for the fulfillment worker. A sale
    already filled (delivered, or marked filled) is answered as it is: nothing is delivered twice."""
    pending = StepResult(status="pending", message="queued for fulfillment", at=now)
    sale = repos.sales.record_steps(
        tenant_id, marketplace_id, order_id, {"fulfill": pending}, unless_filled=True
    )
    if sale is None:  # no such sale, or filled already (a second read tells which, on this path only)
        existing = repos.sales.get(tenant_id, marketplace_id, order_id)
        if existing is None:
            raise _no_sale(order_id, marketplace_id)
        return existing
    repos.fulfillment.put(
        FulfillmentMessage(tenant_id=tenant_id, marketplace_id=marketplace_id, order_id=order_id)
    )
    return sale


class CompletionResult(Model):
    user_id: str
    order_id: str
    marketplace_id: int
    status: Literal["success", "error"]
    messageid: str = ""
    message: str = ""


@dataclass(frozen=True)
class Completion:
    user_id: str
    order_id: str
    marketplace_id: int


def retry_completions(repos: SalesRepos, tenant_id: str, orders: list[tuple[int, str]]) -> None:
    """Hand completions whose POS did not answer to the fulfillment worker, which tries again."""
    for marketplace_id, order_id in orders:
        repos.fulfillment.put(
            FulfillmentMessage(
                tenant_id=tenant_id, marketplace_id=marketplace_id, order_id=order_id, kind="complete"
            )
        )


def complete_sales(
    repos: SalesRepos, tenant_id: str, items: list[Completion], now: dt.datetime
) -> list[CompletionResult]:
    """Mark each of the tenant's sales filled and record the POS completion as pending (completed
    in the POS right after: services.pos_completion). An item of another user, or an unknown sale,
    fails alone."""
    results = []
    for item in items:
        sale = None
        if item.user_id == tenant_id:
            sale = repos.sales.record_steps(
                tenant_id,
                item.marketplace_id,
                item.order_id,
                {
                    "fulfill": StepResult(status="success", message="marked filled by complete-sale", at=now),
                    "complete": StepResult(status="pending", message="to be completed in the POS", at=now),
                },
                fulfilled=True,
            )
        if sale is None:
            results.append(
                CompletionResult(
                    **vars(item),
                    status="error",
                    messageid="E_NOT_FOUND",
                    message=f"no sale {item.order_id} of marketplace {item.marketplace_id} for user "
                    f"{item.user_id} in your account",
                )
            )
        else:
            results.append(CompletionResult(**vars(item), status="success"))
    return results
