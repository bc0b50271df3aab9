"""The kinds of delivery, and a tenant's delivery delays (a tenant setting: docs/fulfillment.md).
Apart from the fulfillment models, so a tenant's settings load without them."""

from typing import Literal, get_args

from pydantic import Field

from tixpilot.models.base import Model

# What a delivery hands over: ticket files (PDF), barcodes per seat, a mobile transfer, or
# screenshots of mobile QR codes.
DeliveryKind = Literal["pdf", "barcodes", "transfer", "qr"]
DELIVERY_KINDS: tuple[DeliveryKind, ...] = get_args(DeliveryKind)


class DeliveryDelay(Model):
    """A tenant's rule: deliver to this marketplace (this kind of delivery, or any) no earlier
    than `hours_before_event` before the event, e.g. PDFs to Vivid Seats 72 hours before."""

    marketplace_id: int
    kind: DeliveryKind | None = None
    hours_before_event: int = Field(ge=1, le=24 * 365)
