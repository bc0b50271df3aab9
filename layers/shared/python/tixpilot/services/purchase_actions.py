"""Per-purchase actions of the legacy API: recording a PO number, the tickets (getpdf)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from tixpilot.errors import NotFound
from tixpilot.models.pos import PosName
from tixpilot.models.purchases import Purchase, Ticket
from tixpilot.services.purchases import PurchaseWriter, update_purchase


class PdfLinks(Protocol):
    def url(self, key: str) -> str: ...


def record_po(store: PurchaseWriter, tenant_id: str, rid: int, pos: PosName, po: str) -> Purchase:
    """Record an existing PO number on a purchase (`purchaseorders[pos] = po`); it creates
    nothing in the POS. Concurrent writers are settled by the purchase's version."""

    def change(purchase: Purchase) -> dict[str, object] | None:
        if purchase.purchaseorders.get(pos) == po:
            return None
        return {"purchaseorders": {**purchase.purchaseorders, pos: po}}

    return update_purchase(store, tenant_id, rid, change)


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
        # the same answer whether the rid does not exist or belongs to someone else
        raise NotFound(f"no purchase with rid {rid} in your account")
    tickets = purchase.tickets
    if tickets is None:
        tickets = [Ticket(seatnumber=seat) for seat in purchase.items.seats or []]
    return [SeatTicket(purchase, t, links.url(t.pdf_key) if t.pdf_key else None) for t in tickets]
