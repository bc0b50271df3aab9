"""Sales: one marketplace order of a broker's tickets, with its processing steps.

A sale is identified by its resale marketplace (1 stubhub, 4 vivid, ...) and that marketplace's
order id. Money is Decimal. Event times are the venue's local wall-clock time.
"""

import datetime as dt
from decimal import Decimal
from typing import Literal

from pydantic import Field

from tixpilot.models.base import Model
from tixpilot.models.fulfillment import Fulfillment
from tixpilot.models.pos import SalePos

DeliveryFormat = Literal[
    "hard", "eticket", "transfer", "barcode", "flash", "mobileqr", "willcall", "localpickup"
]
Stock = Literal["eticket", "mobile", "transfer", "hard", "flash", "willcall"]
Step = Literal["hold", "confirm", "invoice", "reject", "fulfill", "complete"]
StepStatus = Literal["success", "error", "pending"]
SaleState = Literal["unfilled", "filled", "unconfirmed", "confirmed", "rejected", "held", "invoiced", "error"]
SaleSource = Literal["api", "oi", "ion"]
# What creating a sale came to: new, the order already recorded, or the credential not fitting.
CreateOutcome = Literal["created", "exists", "credential"]

STEPS: tuple[Step, ...] = ("hold", "confirm", "invoice", "reject", "fulfill", "complete")
# Whether an Instant Notification sale is confirmed or rejected, decided once: by TixPilot (the
# seats were invoiced), by the broker (POST /v2/sales/confirm|reject), automatically (nobody
# decided within TIXPILOT_ION_REJECT_AFTER_S), or by the marketplace (it shows the sale confirmed).
Decision = Literal["confirm", "reject"]
DecidedBy = Literal["tixpilot", "broker", "auto", "marketplace"]

# How the ticket stock a broker searches for follows from how the marketplace delivers.
STOCK_OF_DELIVERY: dict[str, Stock] = {
    "hard": "hard",
    "eticket": "eticket",
    "barcode": "eticket",
    "transfer": "transfer",
    "flash": "flash",
    "mobileqr": "mobile",
    "willcall": "willcall",
    "localpickup": "willcall",
}


class StepResult(Model):
    status: StepStatus
    message: str = ""
    at: dt.datetime


class SaleEvent(Model):
    name: str
    venue: str
    state: str | None = None
    starts_at: dt.datetime  # local wall-clock time at the venue


class SaleSeat(Model):
    number: str
    seat_id: str


class SalePrices(Model):
    list_perseat: Decimal
    face_perseat: Decimal
    cost_perseat: Decimal
    total: Decimal
    fees: Decimal
    payout: Decimal


class Hold(Model):
    received: dt.datetime
    removed_at: dt.datetime | None = None
    removed_by: str | None = None


class SaleDecision(Model):
    action: Decision
    by: DecidedBy
    reason: str = ""
    at: dt.datetime


class SaleDetails(Model):
    """What a client states about a sale (POST /v2/sales/add): everything but the bookkeeping."""

    marketplace_id: int
    order_id: str
    credential_id: str
    pos: SalePos  # as /v2/sales/add's `posused` names it
    delivery_format: DeliveryFormat
    sold_at: dt.datetime
    ticket_group_id: str
    invoice_id: str
    in_hand_date: dt.date
    confirmed: bool
    fulfilled: bool
    prices: SalePrices
    event: SaleEvent
    section: str
    row: str
    seats: list[SaleSeat]


class Sale(SaleDetails):
    tenant_id: str
    source: SaleSource = "api"
    rejected: bool = False
    cancelled: bool = False  # the marketplace cancelled the order
    decision: SaleDecision | None = None  # Instant Notification: confirm or reject, decided once
    reject_due: dt.datetime | None = None  # when the automatic rejection is due, while it is pending
    hold: Hold | None = None
    processing: dict[Step, StepResult] = Field(default_factory=dict)
    fulfillment: Fulfillment | None = None  # once fulfillment was asked for: attempts, delivery
    fingerprint: str = ""  # of the SaleDetails it was created from: tells a retry from a clash
    created: dt.datetime
    updated: dt.datetime

    @property
    def stock(self) -> Stock:
        return STOCK_OF_DELIVERY[self.delivery_format]

    @property
    def quantity(self) -> int:
        return len(self.seats)

    def states(self) -> frozenset[SaleState]:
        """Every state word of the sales query that describes this sale."""
        states: set[SaleState] = {
            "filled" if self.fulfilled else "unfilled",
            "confirmed" if self.confirmed else "unconfirmed",
        }
        if self.rejected:
            states.add("rejected")
        if self.hold is not None and self.hold.removed_at is None:
            states.add("held")
        invoice = self.processing.get("invoice")
        if invoice is not None and invoice.status == "success":
            states.add("invoiced")
        if any(step.status == "error" for step in self.processing.values()):
            states.add("error")
        return frozenset(states)
