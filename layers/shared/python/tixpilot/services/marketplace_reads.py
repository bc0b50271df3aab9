"""What a generic v1 marketplace reads back about its sales: where one it announced stands
(GET /ion/v1/sales/{order_id}) and its delivered tickets (GET /oi/v1/orders/{order_id}/tickets,
GET /ion/v1/sales/{order_id}/tickets).

Reads of the sales table only, apart from the services that make sales (ION, Order Integration)
and deliver them (fulfillment): a marketplace's read loads none of their adapters.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal, Protocol

from tixpilot.errors import NotFound
from tixpilot.models.base import Model
from tixpilot.models.delivery import DeliveryKind
from tixpilot.models.ion import IonOrder
from tixpilot.models.sales import Sale


class SaleReader(Protocol):
    def get(self, tenant_id: str, marketplace_id: int, order_id: str) -> Sale | None: ...


class OrderReader(Protocol):
    def get(self, tenant_id: str, marketplace_id: int, order_id: str) -> IonOrder | None: ...


class TicketLinks(Protocol):
    def url(self, key: str) -> str: ...


# --- where an announced sale stands -----------------------------------------------------------------

SaleStatus = Literal["received", "processing", "confirmed", "unavailable", "rejected", "cancelled", "held"]


class SaleState(Model):
    order_id: str
    marketplace_id: int
    status: SaleStatus
    message: str
    seats: list[str]
    invoice_id: str
    reject_at: dt.datetime | None = None


def sale_state(
    sales: SaleReader, orders: OrderReader, tenant_id: str, marketplace_id: int, order_id: str
) -> SaleState:
    """Where the marketplace's order stands, as its integrating developer reads it."""
    sale = sales.get(tenant_id, marketplace_id, order_id)
    if sale is None:
        record = orders.get(tenant_id, marketplace_id, order_id)
        if record is None or record.received_at is None:
            raise NotFound(f"no sale {order_id} from this marketplace; POST /ion/v1/sales announces one")
        status: SaleStatus = "cancelled" if record.cancelled else "received"
        message = "cancelled before it was processed" if record.cancelled else "received; being processed"
        return SaleState(
            order_id=order_id,
            marketplace_id=marketplace_id,
            status=status,
            message=message,
            seats=[],
            invoice_id="",
        )
    steps = sale.processing
    if sale.cancelled:
        status, step = "cancelled", steps.get("confirm")
    elif sale.rejected:
        status, step = "rejected", steps.get("reject")
    elif sale.confirmed:
        status, step = "confirmed", steps.get("confirm")
    elif "reject" in steps:
        status, step = "unavailable", steps.get("invoice")
    elif sale.hold is not None and sale.hold.removed_at is None and not sale.invoice_id:
        status, step = "held", steps.get("hold")
    else:
        status, step = "processing", steps.get("confirm")
    return SaleState(
        order_id=order_id,
        marketplace_id=marketplace_id,
        status=status,
        message=step.message if step else "",
        seats=[s.number for s in sale.seats],
        invoice_id=sale.invoice_id,
        reject_at=sale.reject_due if status == "unavailable" else None,
    )


# --- its delivered tickets --------------------------------------------------------------------------

TicketsStatus = Literal["delivered", "pending", "manual", "not_delivered"]


class TicketSeat(Model):
    seat: str
    row: str | None = None
    barcodes: list[str]
    file_url: str | None = None  # presigned, valid an hour
    file_type: str | None = None
    transfer_url: str | None = None


class TicketsState(Model):
    order_id: str
    marketplace_id: int
    status: TicketsStatus
    message: str
    kind: DeliveryKind | None = None
    delivered_at: dt.datetime | None = None
    seats: list[TicketSeat]
    transfer_provider: str | None = None
    transfer_confirmation: str | None = None
    transfer_provider_url: str | None = None


def delivered_tickets(
    sales: SaleReader, files: TicketLinks, tenant_id: str, marketplace_id: int, order_id: str
) -> TicketsState:
    """A sale's tickets as a generic v1 marketplace reads them once delivered (files as links
    valid an hour); before that, where delivery stands."""
    sale = sales.get(tenant_id, marketplace_id, order_id)
    if sale is None:
        raise NotFound(f"no sale {order_id} from this marketplace")
    step = sale.processing.get("fulfill")
    delivered = sale.fulfillment.delivered if sale.fulfillment else None
    if delivered is None or delivered.to != "generic":
        status: TicketsStatus = "pending"
        if step is None:
            message = "not asked for yet: the broker has not released the tickets"
        else:
            message = step.message
            if step.status == "error":
                status = "not_delivered"
            elif step.message.startswith("to do by you"):
                status = "manual"
        return TicketsState(
            order_id=order_id, marketplace_id=marketplace_id, status=status, message=message, seats=[]
        )
    return TicketsState(
        order_id=order_id,
        marketplace_id=marketplace_id,
        status="delivered",
        message=step.message if step else "",
        kind=delivered.kind,
        delivered_at=delivered.at,
        seats=[
            TicketSeat(
                seat=s.seat,
                row=s.row,
                barcodes=s.barcodes,
                file_url=files.url(s.file_key) if s.file_key else None,
                file_type=s.file_type,
                transfer_url=s.transfer_url,
            )
            for s in delivered.seats
        ],
        transfer_provider=delivered.transfer_provider,
        transfer_confirmation=delivered.transfer_confirmation,
        transfer_provider_url=delivered.transfer_provider_url,
    )
