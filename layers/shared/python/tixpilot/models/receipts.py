"""Inbound emails as TixPilot records them: every message is kept, parsed or quarantined."""

import datetime as dt
from datetime import UTC, datetime
from decimal import Decimal
from typing import Literal

from pydantic import Field, field_validator

from tixpilot.models.base import Model
from tixpilot.models.purchases import Stock

ReceiptStatus = Literal["parsed", "unparsed", "duplicate"]

# Where mail for a domain nobody owns is recorded: kept and reported, never attached to a tenant.
UNROUTED_TENANT = "_unrouted"


class MailVerdicts(Model):
    """The receiving transport's checks of one message, in SES's words (`PASS`, `FAIL`, `GRAY`,
    `PROCESSING_FAILED`, `DISABLED`). `dmarc` PASS means the From domain itself vouched for the
    message (an aligned DKIM signature or SPF); the local SMTP receiver computes DKIM only."""

    spam: str = "GRAY"
    virus: str = "GRAY"
    spf: str = "GRAY"
    dkim: str = "GRAY"
    dmarc: str = "GRAY"


class InboundMail(Model):
    """What the mail transport tells us about one message (SES's `mail` object, or the local SMTP)."""

    transport_id: str  # SES's message id: the raw message's key under inbound/
    message_id: str  # the RFC 5322 Message-ID header (the transport id when the header is missing)
    sender: str
    recipients: list[str]
    subject: str = ""
    received: datetime
    verdicts: MailVerdicts | None = None  # None: no transport checked it (a backfill)


class Receipt(Model):
    tenant_id: str
    message_id: str
    transport_id: str
    sender: str
    recipient: str
    subject: str
    received: datetime
    status: ReceiptStatus
    reason: str | None = None
    rid: int | None = None
    parser: str | None = None  # the ReceiptParser id that read it, when parsed
    raw_key: str
    verdicts: MailVerdicts | None = None
    # Whether the message is authenticated as the primary's own (or a trusted forwarder's), and
    # how or why not (services/mail_trust.py). None on records made before intake checked.
    verified: bool | None = None
    verification: str | None = None

    @field_validator("received")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        # Stored as text and sorted as text (newest first): one zone, one format.
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class ParsedReceipt(Model):
    """What one purchase receipt email states, read by a ReceiptParser. Pure data.

    Every field the email does not state is None: a GA receipt without a ticket count has no
    quantity, a receipt without disclosures says nothing about them. Nothing is derived beyond
    plain arithmetic on stated figures (a seat range's count, a sum of stated fee lines).
    """

    parser: str  # the registry id of the parser (primary and template)
    marketplace_id: int  # buying marketplace (1 = Ticketmaster)
    confirmation_number: str
    confirmation_region: str | None = None
    event_name: str | None = None
    venue: str | None = None
    starts_at: datetime | None = None  # the venue's local wall-clock time, as printed
    section: str | None = None
    row: str | None = None
    seats: list[str] | None = None
    quantity: int | None = Field(default=None, ge=1)
    general_admission: bool | None = None
    stock: Stock | None = None
    delivery_method: str | None = None  # the words the email uses ("Mobile Entry")
    face_perseat: Decimal | None = None
    fees: Decimal | None = None  # every fee of the order together
    cost_group: Decimal | None = None  # the order total
    creditcard_last4: str | None = None
    buyer_name: str | None = None
    purchase_date: dt.date | None = None
