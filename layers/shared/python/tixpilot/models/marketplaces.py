"""What TixPilot and a resale marketplace's own API tell each other, in TixPilot's words.

The marketplace adapters (tixpilot.adapters.marketplaces) turn each marketplace's payloads into
these models and these models into its calls, so services handle a StubHub webhook, a Ticket
Evolution webhook and a Vivid Seats poll the same way.

Money is Decimal. `marketplace_id` is the resale id of GET /v2/marketplaces?type=resale
(1 StubHub, 4 Vivid Seats, 1001 Ticket Evolution).
"""

import datetime as dt
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field, field_validator

from tixpilot.models.base import Model
from tixpilot.models.delivery import DeliveryKind as DeliveryKind  # the adapters' `deliveries`
from tixpilot.models.sales import DeliveryFormat

# What a notification says happened to an order:
#   created       a new sale to process (invoice in the POS, then confirm or reject)
#   provisional   StubHub's provisional sale: a sale may follow, nothing to confirm yet
#   confirmed     the marketplace shows the sale confirmed (e.g. by the broker on its site)
#   cancelled     the marketplace cancelled the order (or the provisional sale)
#   updated       anything else about the order changed
#   delivery_failed  the delivered tickets were refused (StubHub: barcodes failed validation)
#   retransfer    the buyer did not receive the transfer: transfer again
NotificationEvent = Literal[
    "created", "provisional", "confirmed", "cancelled", "updated", "delivery_failed", "retransfer"
]

# Why a sale is rejected, in TixPilot's words; each adapter maps them to its marketplace's list.
RejectReason = Literal["unavailable", "priced_incorrectly", "duplicate", "fraud", "test", "other"]

# A marketplace account's credentials as the tenant stored them, e.g. {"access_token": ...}.
Credentials = Mapping[str, str]


class MarketplaceSale(Model):
    """One order as a marketplace states it. What the payload does not say stays None."""

    marketplace_id: int
    order_id: str
    # The broker's own listing id (the POS ticket group). None when the payload does not carry it:
    # StubHub's webhooks name only StubHub's listing; `get_sale` answers it.
    ticketgroupid: str | None = None
    listing_id: str | None = None  # the marketplace's own listing id
    quantity: int | None = Field(default=None, ge=1)
    price_per_seat: Decimal | None = None  # what the broker is paid per seat
    deliveryformat: DeliveryFormat | None = None
    section: str | None = None
    row: str | None = None
    seats: list[str] = Field(default_factory=list)
    event_name: str | None = None
    event_date: dt.datetime | None = None
    status: str | None = None  # the marketplace's own word for the order's state
    confirm_by: dt.datetime | None = None
    ship_by: dt.datetime | None = None


class SaleNotification(MarketplaceSale):
    """A marketplace telling TixPilot that something happened to one of a seller's orders.

    The same notification may arrive twice and notifications may arrive out of order: handle each
    once per `dedupe_key`."""

    event: NotificationEvent
    # Which marketplace account (so which tenant) it is for: the adapter's `account_key` of the
    # account's credentials, a hash, so the raw credential never travels in a notification.
    seller: str
    delivery_id: str | None = None  # the marketplace's id of this delivery, when it sends one

    @property
    def dedupe_key(self) -> str:
        """(marketplace, order, event): the same key for a repeated delivery of the same news."""
        return f"{self.marketplace_id}#{self.order_id}#{self.event}"


class PollPage(Model):
    """One page of a poll. `cursor` None: the sweep is complete (poll again with None after the
    feed's interval); otherwise ask for the next page with it, also after the feed's interval."""

    notifications: list[SaleNotification]
    cursor: str | None = None


class WebhookRequest(Model):
    """An HTTP request a marketplace sent to TixPilot's webhook URL, as received.

    `url` is the URL the marketplace was given (scheme, host, path), since a signature may cover
    it; `headers` are matched case-insensitively; `body` is the raw bytes (signatures cover them)."""

    method: str = "POST"
    url: str
    headers: dict[str, str] = Field(default_factory=dict)
    body: bytes = b""

    @field_validator("headers")
    @classmethod
    def _lower_case_names(cls, headers: dict[str, str]) -> dict[str, str]:
        return {name.lower(): value for name, value in headers.items()}

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


class TicketFile(Model):
    """A file given to the buyer: a ticket PDF, or a QR code image."""

    content: bytes
    seat: str | None = None  # None: the file holds every seat of the order
    filename: str = "tickets.pdf"
    content_type: str = "application/pdf"


# What a ticket file is, by its first bytes: (file name extension, content type).
_FILE_TYPES: tuple[tuple[bytes, str, str], ...] = (
    (b"%PDF", "pdf", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "png", "image/png"),
    (b"\xff\xd8\xff", "jpg", "image/jpeg"),
)


def file_type(content: bytes) -> tuple[str, str]:
    """(extension, content type) of a ticket file: a PDF, or a PNG/JPEG screenshot; anything else
    is kept as octets."""
    for magic, extension, content_type in _FILE_TYPES:
        if content.startswith(magic):
            return extension, content_type
    return "bin", "application/octet-stream"


class PdfDelivery(Model):
    kind: Literal["pdf"] = "pdf"
    files: list[TicketFile] = Field(min_length=1)


class SeatBarcodes(Model):
    seat: str
    row: str | None = None
    barcodes: list[str] = Field(min_length=1)


class BarcodeDelivery(Model):
    kind: Literal["barcodes"] = "barcodes"
    seats: list[SeatBarcodes] = Field(min_length=1)


class TransferDelivery(Model):
    """A mobile transfer made on the provider's site (Ticketmaster, AXS, ...) to the buyer."""

    kind: Literal["transfer"] = "transfer"
    provider: str  # who transferred, in the provider's usual name: "Ticketmaster", "AXS", ...
    confirmation_number: str | None = None
    urls: list[str] = Field(default_factory=list)  # claim links, one per ticket, where given
    provider_url: str | None = None  # the provider's site, where a marketplace asks for it


class QrDelivery(Model):
    """Screenshots of mobile QR codes (never for rotating barcodes)."""

    kind: Literal["qr"] = "qr"
    images: list[TicketFile] = Field(min_length=1)


Delivery = Annotated[
    PdfDelivery | BarcodeDelivery | TransferDelivery | QrDelivery, Field(discriminator="kind")
]

_REASON_WORDS: tuple[tuple[RejectReason, re.Pattern[str]], ...] = (
    ("unavailable", re.compile(r"no longer available|not available|unavailable|sold out|seats? gone")),
    ("priced_incorrectly", re.compile(r"\bpric(e|ed|ing)\b")),
    ("duplicate", re.compile(r"\bduplicate")),
    ("fraud", re.compile(r"\bfraud")),
    ("test", re.compile(r"\btest\b")),
)


def reject_reason_of(text: str | None) -> RejectReason:
    """TixPilot's reason for a free-text one (a person's `reason=`, an automatic rejection's
    message): "seats no longer available" -> "unavailable"; anything unrecognised -> "other"."""
    words = (text or "").lower()
    for reason, pattern in _REASON_WORDS:
        if pattern.search(words):
            return reason
    return "other"
