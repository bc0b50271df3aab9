"""Inbound emails as TixPilot records them: every message is kept, parsed or quarantined."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel

ReceiptStatus = Literal["parsed", "unparsed", "duplicate"]

# Where mail for a domain nobody owns is recorded: kept and reported, never attached to a tenant.
UNROUTED_TENANT = "_unrouted"


class InboundMail(BaseModel):
    """What the mail transport tells us about one message (SES's `mail` object, or the local SMTP)."""

    transport_id: str  # SES's message id: the raw message's key under inbound/
    message_id: str  # the RFC 5322 Message-ID header (the transport id when the header is missing)
    sender: str
    recipients: list[str]
    subject: str = ""
    received: datetime


class Receipt(BaseModel):
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
    raw_key: str
