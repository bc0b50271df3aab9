"""Purchases and their tickets, in the legacy API's fields and formats."""

from __future__ import annotations

import uuid
from typing import Any

from tixpilot.api.mapping.common import DEFAULT_TIMEZONE, local, text
from tixpilot.data.reference import BUYING_MARKETPLACES
from tixpilot.legacy import format_date, format_datetime, format_money
from tixpilot.models.purchases import Purchase, Ticket

BUYING_MARKETPLACE_NAMES: dict[int, str] = {int(str(m["id"])): str(m["name"]) for m in BUYING_MARKETPLACES}


def purchase_to_legacy(p: Purchase, timezone: str = DEFAULT_TIMEZONE) -> dict[str, Any]:
    """A purchase as `GET /v2/purchases` writes it (strings where the legacy API has strings)."""
    items = p.items
    return {
        "rid": p.rid,
        "event": {
            "name": text(p.event.name),
            "venue": text(p.event.venue),
            "datetime": format_datetime(p.event.starts_at),
            "eventid_1ticket": "",
            "eventid_primary": text(p.event.eventid_primary),
            "printdelay_hours": "",
        },
        "purchasing_account": {
            "account_username": p.account_username,
            "account_id": "",
            "account_id_1ticket": text(p.account_id),
        },
        "purchaseorders": dict(p.purchaseorders),
        "disclosures": list(p.disclosures or []),
        "marketplace": {
            "marketplace": BUYING_MARKETPLACE_NAMES.get(p.marketplace_id, ""),
            "marketplaceid": str(p.marketplace_id),
        },
        "receipt": {
            "status": p.status,
            "confirmation_number": p.confirmation_number,
            "confrmation_number_1ticket": p.confirmation_number,
            "confirmation_region": text(p.confirmation_region),
            "pricecode": text(p.pricecode),
            "cost_group": format_money(p.money.cost_group),
            "cost_perseat": format_money(p.money.cost_perseat),
            "face_perseat": format_money(p.money.face_perseat),
            "seen_emailreceipt": p.seen_emailreceipt,
            "seen_onlinereceipt": p.seen_onlinereceipt,
            # TixPilot extension: whether an authenticated receipt vouches for the email data
            "verified": p.receipt_verified,
            "creditcard": text(p.creditcard_last4),
            "buyer_name": text(p.buyer_name),
            "purchasedate": format_date(p.purchase_date),
        },
        "attributes": {"refund": "unknown" if p.refund_eligible is None else str(p.refund_eligible).lower()},
        "items": {
            "section": text(items.section),
            "row": text(items.row),
            "section_original": text(items.section),
            "row_original": text(items.row),
            "seat_first": text(items.seat_first),
            "seat_last": text(items.seat_last),
            "quantity": text(items.quantity),
            "stock": text(items.stock),
        },
        "haspdf": p.haspdf,
        "rotating_barcodes": p.rotating_barcodes,
        "datelastseen": format_datetime(local(p.datelastseen, timezone)),
        "datefirstseen": format_datetime(local(p.datefirstseen, timezone)),
        # TixPilot extensions: where the purchase is in the pipeline, and why.
        "pipeline": {
            "state": p.pipeline_state,
            "safeguard_overridden": p.safeguard_overridden,
            "flags": list(p.flags),
            "errors": list(p.errors),
        },
    }


def ticket_to_legacy(p: Purchase, t: Ticket, pdf_url: str | None) -> dict[str, Any]:
    """One seat as `GET /v2/getpdf` writes it."""
    guid = (
        "{" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"tixpilot:{t.pdf_key}")).upper() + "}" if t.pdf_key else ""
    )
    return {
        "seatid": text(t.seatid),
        "status": "live" if p.status == "active" else p.status,
        "haspdf": "true" if pdf_url else "",
        "obstructions": [],
        "ticketstock": text(p.items.stock),
        "printdate": format_datetime(t.printed_at),
        "1ticketid": str(p.rid),
        "seatnumber": t.seatnumber,
        "section": text(p.items.section),
        "row": text(p.items.row),
        "pdfguid": guid,
        "barcode": text(t.barcode),
        "pdfurl": pdf_url or "",
    }
