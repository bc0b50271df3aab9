"""Recording what a source (an email receipt, a crawl of the primary) says about an order.

One order is one purchase, whatever arrives first and however often: an observation for a known
order (same tenant, confirmation number and region) merges into it. The primary's own data
(crawl) is authoritative and replaces what an email said; an email only fills what is unknown,
except that the first authenticated receipt replaces what unauthenticated ones said.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import BaseModel, Field

from tixpilot.models.purchases import EventInfo, Items, Money, Purchase, Source


class PurchaseStore(Protocol):
    def find_by_confirmation(
        self, tenant_id: str, confirmation_number: str, region: str | None
    ) -> Purchase | None: ...

    def create_unique(self, purchase: Purchase) -> bool: ...

    def replace(self, purchase: Purchase) -> bool: ...


class Sequences(Protocol):
    def next(self, name: str) -> int: ...


@dataclass(frozen=True)
class PurchaseRepos:
    purchases: PurchaseStore
    sequences: Sequences


class Observation(BaseModel):
    """What one source states about an order. None means: this source does not say."""

    account_username: str
    confirmation_number: str
    confirmation_region: str | None = None
    marketplace_id: int = 1
    event: EventInfo = Field(default_factory=EventInfo)
    items: Items = Field(default_factory=Items)
    money: Money = Field(default_factory=Money)
    pricecode: str | None = None
    creditcard_last4: str | None = None
    buyer_name: str | None = None
    purchase_date: dt.date | None = None
    disclosures: list[int] | None = None
    rotating_barcodes: bool | None = None
    refund_eligible: bool | None = None
    status: str | None = None
    receipt_verified: bool | None = None  # an email: whether it is authenticated (mail_trust)


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
    update["seen_emailreceipt" if source == "email" else "seen_onlinereceipt"] = True
    if source == "email" and seen.receipt_verified is not None:
        update["receipt_verified"] = bool(purchase.receipt_verified) or seen.receipt_verified
    update["datelastseen"] = now
    return Purchase.model_validate({**purchase.model_dump(), **update})


_ATTEMPTS = 30


def record_observation(
    repos: PurchaseRepos, tenant_id: str, seen: Observation, source: Source, now: dt.datetime | None = None
) -> tuple[Purchase, bool]:
    """Create the purchase or merge into the known one. Returns (purchase, created).

    Races (two receipts at once, a crawl during intake) are settled by conditional writes: the
    loser reads again and merges, so no observation is lost and no second purchase appears.
    """
    for attempt in range(_ATTEMPTS):
        if attempt:
            time.sleep(random.uniform(0, 0.005 * attempt))  # jitter, so racing writers spread out
        moment = now or dt.datetime.now(dt.UTC)
        existing = repos.purchases.find_by_confirmation(
            tenant_id, seen.confirmation_number, seen.confirmation_region
        )
        if existing is not None:
            merged = merge(existing, seen, source, moment)
            if repos.purchases.replace(merged.model_copy(update={"version": existing.version + 1})):
                return merged, False
            continue
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
        if repos.purchases.create_unique(created):
            return created, True
    raise RuntimeError(f"purchase {seen.confirmation_number} kept changing under us; retry")
