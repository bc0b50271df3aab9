"""Purchases: what TixPilot knows about one primary order (a "receipt group", id `rid`).

Every field a source did not state is None (unknown), never guessed: the Safeguard decides
from what is known. Money is Decimal. Event times are the venue's local wall-clock time.
"""

import datetime as dt
from decimal import Decimal
from typing import Literal

from pydantic import Field

from tixpilot.models.base import Model

Stock = Literal["eticket", "mobile", "transfer", "hard", "flash", "willcall", "paperless", "pdf"]
PurchaseStatus = Literal["active", "canceled"]
Source = Literal["email", "crawl"]
PipelineState = Literal["new", "waiting", "awaiting_quickpo", "po_created", "failed"]


class EventInfo(Model):
    name: str | None = None
    venue: str | None = None
    starts_at: dt.datetime | None = None  # the legacy `event.datetime`
    eventid_primary: str | None = None


class Items(Model):
    section: str | None = None
    row: str | None = None
    seats: list[str] | None = None
    quantity: int | None = Field(default=None, ge=1)
    general_admission: bool | None = None
    stock: Stock | None = None

    @property
    def seat_first(self) -> str | None:
        return self.seats[0] if self.seats else None

    @property
    def seat_last(self) -> str | None:
        return self.seats[-1] if self.seats else None


class Ticket(Model):
    """One seat's ticket as the primary delivers it: barcode and, when there is one, its ticket
    file (`file_ref` is the primary's own reference to download it; `pdf_key` the object key in the
    ticket-pdfs bucket once stored, a PDF or, for mobile stock, a screenshot) and its transfer
    link. Unknown parts stay None."""

    seatnumber: str
    seatid: str | None = None
    barcode: str | None = None
    pdf_key: str | None = None
    printed_at: dt.datetime | None = None
    file_ref: str | None = None
    transfer_url: str | None = None  # the link the buyer claims a mobile transfer with


class TicketTransfer(Model):
    """A mobile transfer as the primary shows it: who made it (the provider's usual name,
    "Ticketmaster", "AXS", ...), its confirmation number, the provider's site."""

    provider: str
    confirmation_number: str | None = None
    provider_url: str | None = None


class Money(Model):
    cost_group: Decimal | None = None
    cost_perseat: Decimal | None = None
    face_perseat: Decimal | None = None
    fees: Decimal | None = None


class Purchase(Model):
    tenant_id: str
    rid: int
    status: PurchaseStatus = "active"
    account_username: str
    account_id: int | None = None
    marketplace_id: int = 1  # buying marketplace; 1 = Ticketmaster
    confirmation_number: str
    confirmation_region: str | None = None
    event: EventInfo = Field(default_factory=EventInfo)
    items: Items = Field(default_factory=Items)
    money: Money = Field(default_factory=Money)
    pricecode: str | None = None
    creditcard_last4: str | None = None
    buyer_name: str | None = None
    purchase_date: dt.date | None = None
    disclosures: list[int] | None = None  # None: unknown; []: known to have none
    rotating_barcodes: bool | None = None
    refund_eligible: bool | None = None
    seen_emailreceipt: bool = False
    seen_onlinereceipt: bool = False
    # Whether an authenticated receipt vouches for the email data: None until an email is seen
    # (and on purchases recorded before intake checked), False while only unauthenticated ones did.
    receipt_verified: bool | None = None
    purchaseorders: dict[str, str] = Field(default_factory=dict)
    haspdf: bool = False
    tickets: list[Ticket] | None = None  # per-seat barcodes and PDFs; None: not known yet
    transfer: TicketTransfer | None = None  # the order's mobile transfer, once the primary shows one
    datefirstseen: dt.datetime
    datelastseen: dt.datetime
    pipeline_state: PipelineState = "new"
    # The purchase pipeline's runs (services.pipeline.start_run): the last run's generation (its
    # execution is named after it) and whether it is still going. A run is claimed by a
    # conditional write that sets both, and released by the step that ends it.
    run_generation: int = 0
    run_active: bool = False
    # When the run was claimed: its execution is started just after, so until then a claim whose
    # execution does not exist yet is not one to take over (services.pipeline.RUN_START_GRACE_S).
    run_claimed_at: dt.datetime | None = None
    safeguard_overridden: bool = False
    flags: list[str] = Field(default_factory=list)
    errors: list[str] = Field(default_factory=list)
    version: int = 0  # optimistic lock: every write is conditional on the version it read


class Observation(Model):
    """What one source (an email receipt, a crawl of the primary) states about an order. None
    means: this source does not say. Parsers and primary connectors produce it; recording it
    creates the purchase or merges into it (services.purchases.record_observation)."""

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
    receipt_verified: bool | None = None  # an email: whether it is authenticated (services.mail_trust)
    # The primary's tickets per seat (barcodes, file references, transfer links), once it shows
    # them; None: this source does not say (an email, or tickets not released yet).
    tickets: list[Ticket] | None = None
    transfer: TicketTransfer | None = None
