"""Recording what a source (an email receipt, a crawl of the primary) says about an order.

One order is one purchase, whatever arrives first and however often: an observation for a known
order (same tenant, confirmation number and region) merges into it. The primary's own data
(crawl) is authoritative and replaces what an email said; an email only fills what is unknown,
except that the first authenticated receipt replaces what unauthenticated ones said.

Every write to a stored purchase is conditional on the version it read; `retry_on_conflict` is
the one loop that reads again after losing a race (here, in `update_purchase`, which AutoPO,
QuickPO, recordpo and the pipeline steps use).
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel

from tixpilot.errors import NotFound
from tixpilot.models.purchases import Observation, Purchase, Source, Ticket

T = TypeVar("T")


class PurchaseStore(Protocol):
    def find_by_confirmation(
        self, tenant_id: str, confirmation_number: str, region: str | None
    ) -> Purchase | None: ...

    def create_unique(self, purchase: Purchase) -> bool: ...

    def replace(self, purchase: Purchase) -> bool: ...


class PurchaseWriter(Protocol):
    def get(self, tenant_id: str, rid: int, consistent: bool = False) -> Purchase | None: ...

    def replace(self, purchase: Purchase) -> bool: ...


class Sequences(Protocol):
    def next(self, name: str) -> int: ...


@dataclass(frozen=True)
class PurchaseRepos:
    purchases: PurchaseStore
    sequences: Sequences


_MERGED = ("event", "items", "money")
_SCALARS = (
    "pricecode",
    "creditcard_last4",
    "buyer_name",
    "purchase_date",
    "disclosures",
    "rotating_barcodes",
    "refund_eligible",
)


def _merge_model(current: BaseModel, incoming: BaseModel, authoritative: bool) -> dict[str, Any]:
    merged = current.model_dump()
    for name, value in incoming.model_dump().items():
        if value is not None and (authoritative or merged.get(name) is None):
            merged[name] = value
    return merged


def merge_tickets(known: list[Ticket] | None, seen: list[Ticket]) -> list[Ticket]:
    """The primary's tickets (authoritative) over what was known: a seat's stored file is kept
    while the primary still names the same file; a new file is stored anew."""
    before = {t.seatnumber: t for t in known or []}
    merged = []
    for ticket in seen:
        old = before.get(ticket.seatnumber)
        same_file = old is not None and old.pdf_key and ticket.file_ref and old.file_ref == ticket.file_ref
        merged.append(
            ticket.model_copy(
                update={
                    "pdf_key": old.pdf_key if same_file and old else ticket.pdf_key,
                    "printed_at": ticket.printed_at or (old.printed_at if old else None),
                }
            )
        )
    return merged


def merge(purchase: Purchase, seen: Observation, source: Source, now: dt.datetime) -> Purchase:
    """The purchase updated with an observation; pure."""
    # A forged receipt that arrived first must not keep its figures once the real one is in.
    replaces_forgery = (
        source == "email"
        and seen.receipt_verified is True
        and purchase.receipt_verified is False
        and not purchase.seen_onlinereceipt
    )
    authoritative = source == "crawl" or replaces_forgery
    update: dict[str, Any] = {
        name: _merge_model(getattr(purchase, name), getattr(seen, name), authoritative) for name in _MERGED
    }
    for name in _SCALARS:
        value = getattr(seen, name)
        if value is not None and (authoritative or getattr(purchase, name) is None):
            update[name] = value
    if authoritative and seen.status in ("active", "canceled"):
        update["status"] = seen.status
    if source == "crawl" and seen.tickets is not None:
        update["tickets"] = merge_tickets(purchase.tickets, seen.tickets)
        update["haspdf"] = any(t.pdf_key for t in update["tickets"])
    if source == "crawl" and seen.transfer is not None:
        update["transfer"] = seen.transfer
    update["seen_emailreceipt" if source == "email" else "seen_onlinereceipt"] = True
    if source == "email" and seen.receipt_verified is not None:
        update["receipt_verified"] = bool(purchase.receipt_verified) or seen.receipt_verified
    update["datelastseen"] = now
    return Purchase.model_validate({**purchase.model_dump(), **update})


# How often a write that lost to a concurrent writer is tried again (read, change, conditional
# write); with the jittered waits below, racing writers settle long before this.
ATTEMPTS = 30


def retry_on_conflict(write: Callable[[], T | None], what: str) -> T:
    """`write()` until it returns a result; None means a concurrent writer won (its conditional
    write failed), so it reads again and retries after a short random wait."""
    for attempt in range(ATTEMPTS):
        if attempt:
            time.sleep(random.uniform(0, 0.005 * attempt))  # jitter, so racing writers spread out
        result = write()
        if result is not None:
            return result
    raise RuntimeError(f"{what} kept changing under us; retry")


def update_purchase(
    store: PurchaseWriter, tenant_id: str, rid: int, change: Callable[[Purchase], dict[str, object] | None]
) -> Purchase:
    """Apply `change` (the fields to set, or None for nothing) under the purchase's version lock."""

    def write() -> Purchase | None:
        purchase = store.get(tenant_id, rid, consistent=True)
        if purchase is None:
            # the same answer whether the rid does not exist or belongs to someone else
            raise NotFound(f"no purchase with rid {rid} in your account")
        fields = change(purchase)
        if not fields:
            return purchase
        updated = purchase.model_copy(update={**fields, "version": purchase.version + 1})
        return updated if store.replace(updated) else None

    return retry_on_conflict(write, f"purchase {rid}")


def record_observation(
    repos: PurchaseRepos, tenant_id: str, seen: Observation, source: Source, now: dt.datetime | None = None
) -> tuple[Purchase, bool]:
    """Create the purchase or merge into the known one. Returns (purchase, created).

    Races (two receipts at once, a crawl during intake) are settled by conditional writes: the
    loser reads again and merges, so no observation is lost and no second purchase appears.
    """

    def write() -> tuple[Purchase, bool] | None:
        moment = now or dt.datetime.now(dt.UTC)
        existing = repos.purchases.find_by_confirmation(
            tenant_id, seen.confirmation_number, seen.confirmation_region
        )
        if existing is not None:
            merged = merge(existing, seen, source, moment)
            if repos.purchases.replace(merged.model_copy(update={"version": existing.version + 1})):
                return merged, False
            return None
        fresh = Purchase(
            tenant_id=tenant_id,
            rid=repos.sequences.next("rid"),
            account_username=seen.account_username,
            confirmation_number=seen.confirmation_number.strip(),
            confirmation_region=seen.confirmation_region,
            marketplace_id=seen.marketplace_id,
            datefirstseen=moment,
            datelastseen=moment,
        )
        created = merge(fresh, seen, source, moment)
        return (created, True) if repos.purchases.create_unique(created) else None

    return retry_on_conflict(write, f"purchase {seen.confirmation_number}")
