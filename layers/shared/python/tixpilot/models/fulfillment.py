"""Fulfillment: what the `fulfillment` queue carries, and what a sale keeps of its delivery attempts
and of what it delivered (docs/fulfillment.md). The kinds of delivery and the tenant's delivery
delays are in `delivery`."""

import datetime as dt
from typing import Literal

from pydantic import Field

from tixpilot.models.base import Model
from tixpilot.models.delivery import DeliveryKind

# What one attempt came to:
#   delivered   the marketplace took the tickets (or, generic v1, they are ready for it to read)
#   waiting     something is not there yet (ticket files, barcodes, the sale's confirmation)
#   refused     the marketplace refused (its words are in the message)
#   failed      the marketplace or the POS did not answer
#   held        too early for this marketplace (the tenant's delivery delay)
#   manual      nothing TixPilot can hand over (hard stock, will call): a person's step
#   impossible  it can never be delivered this way (rotating barcodes as screenshots)
#   given_up    the event started before delivery
AttemptOutcome = Literal[
    "delivered", "waiting", "refused", "failed", "held", "manual", "impossible", "given_up"
]
MessageKind = Literal["fulfill", "complete"]

MAX_HISTORY = 20  # attempts kept on the sale (the count goes on)


class FulfillmentMessage(Model):
    """One message on the `fulfillment` queue: deliver a sale (GET /v2/fulfill, or its retry
    timer), or complete it in the POS (POST /sales/v1/complete-sale)."""

    tenant_id: str
    marketplace_id: int
    order_id: str
    kind: MessageKind = "fulfill"
    # The retry timer that sent it; None for a request. A timer superseded by a later request
    # (or a later timer) finds another token on the sale and does nothing.
    schedule: str | None = None


class Attempt(Model):
    number: int  # 0: not an attempt (held for the delivery delay)
    at: dt.datetime
    outcome: AttemptOutcome
    message: str


class DeliveredSeat(Model):
    seat: str
    row: str | None = None
    barcodes: list[str] = Field(default_factory=list)
    file_key: str | None = None  # the file as delivered, in the ticket-pdfs bucket
    file_type: str | None = None  # its content type
    transfer_url: str | None = None


class DeliveryRecord(Model):
    """What a sale delivered, and where: through the marketplace's own API, or made ready for a
    generic v1 marketplace to read (GET /oi/v1/orders/{id}/tickets, /ion/v1/sales/{id}/tickets)."""

    kind: DeliveryKind
    to: Literal["marketplace", "generic"]
    seats: list[DeliveredSeat]
    transfer_provider: str | None = None
    transfer_confirmation: str | None = None
    transfer_provider_url: str | None = None
    at: dt.datetime


class Fulfillment(Model):
    """What a sale keeps of its fulfillment, beside its `fulfill` step (which says where it
    stands): every attempt (the last MAX_HISTORY), when the next is due, what was delivered."""

    requested_at: dt.datetime
    started_at: dt.datetime | None = None  # the first attempt: the schedule's first hour runs from it
    attempts: int = 0
    history: list[Attempt] = Field(default_factory=list)
    next_at: dt.datetime | None = None
    schedule: str | None = None  # the token of the retry timer now waiting, if any
    delivered: DeliveryRecord | None = None
