"""Sales: recording a sale a client reports, searching them, asking for fulfillment, completing.

Round trips after auth (the API's budget is two): add = credid lookup + one transaction;
search = one Query or GetItem, plus the tenant's time zone only when the answer depends on it;
fulfill = one conditional update + one SQS message; complete-sale = one update and one SQS message per
sale.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cache
from typing import Literal, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel

from tixpilot.data.reference import RESALE_MARKETPLACES
from tixpilot.errors import Conflict, InvalidParameter, NotFound
from tixpilot.models.fulfillment import FulfillmentMessage
from tixpilot.models.sales import CreateOutcome, Sale, SaleDetails, Step, StepResult
from tixpilot.models.tenants import Credential, Tenant, TenantSettings
from tixpilot.services.sales_query import (
    SalesQuery,
    alias_table,
    default_window,
    matches,
    parse_sales_query,
)


class SaleStore(Protocol):
    def get(self, tenant_id: str, marketplace_id: int, order_id: str) -> Sale | None: ...

    def find_by_order(self, tenant_id: str, order_id: str) -> list[Sale]: ...

    def in_window(self, tenant_id: str, start: dt.date, end: dt.date) -> list[Sale]: ...

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


@cache
def resale_aliases() -> dict[str, int]:
    return alias_table(RESALE_MARKETPLACES)


@cache
def resale_names() -> dict[int, str]:
    """Resale marketplace id -> display name."""
    return {int(str(m["id"])): str(m["display_name"]) for m in RESALE_MARKETPLACES}


def check_resale_marketplace(marketplace_id: int) -> int:
    """ValueError (naming the accepted ids) unless it is a resale marketplace id."""
    if marketplace_id not in resale_names():
        raise ValueError(
            f"{marketplace_id} is not a resale marketplace id (1 stubhub, 4 vivid, 25 gametime, ...); "
            "see GET /v2/marketplaces?type=resale"
        )
    return marketplace_id


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


class SalesAnswer(BaseModel):
    sales: list[Sale]
    timezone: str


def _zone(tenant: Tenant | None) -> str:
    name = (tenant.settings if tenant else TenantSettings()).timezone
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return TenantSettings().timezone
    return name


def search_sales(repos: SalesRepos, tenant_id: str, text: str, now: dt.datetime) -> SalesAnswer:
    """The tenant's sales matching a query (grammar in README.md), by event date then order id.

    The tenant's time zone is read only when the answer depends on it: a relative window (or
    the default window), or a hold or fulfillment time to show."""
    aliases = resale_aliases()
    zone_of: Callable[[], str] = cache(lambda: _zone(repos.tenants.get(tenant_id)))
    query = parse_sales_query(text, now.date(), aliases)
    needs_today = query.relative or (query.window is None and not query.order_ids)
    if needs_today:
        today = now.astimezone(ZoneInfo(zone_of())).date()
        if query.relative:
            query = parse_sales_query(text, today, aliases)
        if query.window is None:
            query = replace(query, window=default_window(today))
    sales = [sale for sale in _candidates(repos, tenant_id, query) if matches(query, sale)]
    sales.sort(key=lambda s: (s.event.starts_at, s.marketplace_id, s.order_id))
    shows_times = any(s.hold or s.fulfillment for s in sales)
    timezone = zone_of() if shows_times or needs_today else TenantSettings().timezone
    return SalesAnswer(sales=sales, timezone=timezone)


def _candidates(repos: SalesRepos, tenant_id: str, query: SalesQuery) -> list[Sale]:
    """One read: a GetItem or a Query per order id, else the window's Query."""
    if query.window is not None and query.window.empty:
        return []
    if query.order_ids:
        if len(query.order_ids) == 1 and len(query.marketplace_ids) == 1:
            (order_id,), (marketplace_id,) = query.order_ids, query.marketplace_ids
            sale = repos.sales.get(tenant_id, marketplace_id, order_id)
            return [sale] if sale else []
        return [
            s for order_id in sorted(query.order_ids) for s in repos.sales.find_by_order(tenant_id, order_id)
        ]
    assert query.window is not None
    return repos.sales.in_window(tenant_id, query.window.start, query.window.end)


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


class CompletionResult(BaseModel):
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


def complete_sales(
    repos: SalesRepos, tenant_id: str, items: list[Completion], now: dt.datetime
) -> list[CompletionResult]:
    """Mark each of the tenant's sales filled and queue its completion in the POS (the fulfillment
    worker completes it and records `complete: success|error`). An item of another user, or an
    unknown sale, fails alone."""
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
            if sale is not None:
                repos.fulfillment.put(
                    FulfillmentMessage(
                        tenant_id=tenant_id,
                        marketplace_id=item.marketplace_id,
                        order_id=item.order_id,
                        kind="complete",
                    )
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
