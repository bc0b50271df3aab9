"""The emails behind purchases (GET /v2/receipts, a TixPilot extension), in the legacy formats."""

from __future__ import annotations

from typing import Any

from tixpilot.api.mapping.common import DEFAULT_TIMEZONE, local
from tixpilot.legacy import format_datetime
from tixpilot.models.receipts import Receipt


def receipt_to_legacy(r: Receipt, timezone: str = DEFAULT_TIMEZONE) -> dict[str, Any]:
    """An email as `GET /v2/receipts` (a TixPilot extension) writes it, in the legacy formats."""
    row: dict[str, Any] = {
        "message_id": r.message_id,
        "from": r.sender,
        "to": r.recipient,
        "subject": r.subject,
        "received": format_datetime(local(r.received, timezone)),
        "status": r.status,
        # whether the message is authenticated as the primary's own (or a trusted forwarder's), how
        # or why not, and the mail transport's checks it rests on
        "verified": r.verified,
        "verification": r.verification or "",
        "verdicts": r.verdicts.model_dump() if r.verdicts else None,
    }
    if r.status == "parsed":
        row["rid"] = r.rid
    else:
        row["reason"] = r.reason or ""
    return row
