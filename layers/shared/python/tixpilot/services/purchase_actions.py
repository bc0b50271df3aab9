"""Per-purchase actions of the legacy API: recording a PO number, the tickets (getpdf)."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from typing import Literal, Protocol

from tixpilot.errors import NotFound
from tixpilot.models.purchases import Purchase, Ticket

# The legacy `posname` values, plus TixPilot's own ledger.
PosName = Literal["utils", "ticketnetwork", "posnext", "skybox", "tradedesk", "builtin"]
# The key each is recorded under in `purchaseorders`: the names the legacy purchases output uses
# ("ticketutils") and the accounts' POS names (models/accounts.py).
PURCHASEORDER_KEYS: dict[str, str] = {"utils": "ticketutils", "tradedesk": "tradedeskpos"}


class PurchaseWriter(Protocol):
    def get(self, tenant_id: str, rid: int, consistent: bool = False) -> Purchase | None: ...

    def replace(self, purchase: Purchase) -> bool: ...


class PdfLinks(Protocol):
    def url(self, key: str) -> str: ...


_ATTEMPTS = 20


def _not_found(rid: int) -> NotFound:
    # the same answer whether the rid does not exist or belongs to someone else
    return NotFound(f"no purchase with rid {rid} in your account")


def record_po(store: PurchaseWriter, tenant_id: str, rid: int, pos: PosName, po: str) -> Purchase:
    """Record an existing PO number on a purchase (`purchaseorders[<pos key>] = po`); it creates
    nothing in the POS. Concurrent writers are settled by the purchase's version."""
    key = PURCHASEORDER_KEYS.get(pos, pos)
    for attempt in range(_ATTEMPTS):
        if attempt:
            time.sleep(random.uniform(0, 0.005 * attempt))  # jitter, so racing writers spread out
        purchase = store.get(tenant_id, rid, consistent=True)
        if purchase is None:
            raise _not_found(rid)
        if purchase.purchaseorders.get(key) == po:
            return purchase
        updated = purchase.model_copy(
            update={"purchaseorders": {**purchase.purchaseorders, key: po}, "version": purchase.version + 1}
        )
        if store.replace(updated):
            return updated
    raise RuntimeError(f"purchase {rid} kept changing under us; retry")


@dataclass(frozen=True)
class SeatTicket:
    """One seat of a purchase with its barcode and, when there is a PDF, a URL to fetch it."""

    purchase: Purchase
    ticket: Ticket
    pdf_url: str | None


def purchase_tickets(store: PurchaseWriter, links: PdfLinks, tenant_id: str, rid: int) -> list[SeatTicket]:
    """The seats of a purchase: its known tickets, else its seat numbers with nothing known yet."""
    purchase = store.get(tenant_id, rid)
    if purchase is None:
        raise _not_found(rid)
    tickets = purchase.tickets
    if tickets is None:
        tickets = [Ticket(seatnumber=seat) for seat in purchase.items.seats or []]
    return [SeatTicket(purchase, t, links.url(t.pdf_key) if t.pdf_key else None) for t in tickets]
