"""The one place where clean domain models become the legacy API's field names and formats."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from tixpilot.api.sales_schemas import (
    FulfillmentAttemptOut,
    FulfillmentOut,
    HoldDetailsOut,
    SaleAddIn,
    SaleEventOut,
    SaleOut,
    SaleTicketsOut,
)
from tixpilot.data.reference import BUYING_MARKETPLACES
from tixpilot.legacy import format_date, format_datetime, format_money
from tixpilot.models.accounts import Account, PosChanges
from tixpilot.models.pos import AUTOPO_POS, POS_TABLE, PosName
from tixpilot.models.purchases import Purchase, Ticket
from tixpilot.models.receipts import Receipt
from tixpilot.models.sales import STEPS as SALE_STEPS
from tixpilot.models.sales import Sale, SaleDetails, SaleEvent, SalePrices, SaleSeat

DEFAULT_TIMEZONE = "America/New_York"
BUYING_MARKETPLACE_NAMES: dict[int, str] = {int(str(m["id"])): str(m["name"]) for m in BUYING_MARKETPLACES}


def _local(value: datetime, timezone: str) -> datetime:
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return aware.astimezone(ZoneInfo(timezone)).replace(tzinfo=None)


def _text(value: object) -> str:
    return "" if value is None else str(value)


def purchase_to_legacy(p: Purchase, timezone: str = DEFAULT_TIMEZONE) -> dict[str, Any]:
    """A purchase as `GET /v2/purchases` writes it (strings where the legacy API has strings)."""
    items = p.items
    return {
        "rid": p.rid,
        "event": {
            "name": _text(p.event.name),
            "venue": _text(p.event.venue),
            "datetime": format_datetime(p.event.starts_at),
            "eventid_1ticket": "",
            "eventid_primary": _text(p.event.eventid_primary),
            "printdelay_hours": "",
        },
        "purchasing_account": {
            "account_username": p.account_username,
            "account_id": "",
            "account_id_1ticket": _text(p.account_id),
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
            "confirmation_region": _text(p.confirmation_region),
            "pricecode": _text(p.pricecode),
            "cost_group": format_money(p.money.cost_group),
            "cost_perseat": format_money(p.money.cost_perseat),
            "face_perseat": format_money(p.money.face_perseat),
            "seen_emailreceipt": p.seen_emailreceipt,
            "seen_onlinereceipt": p.seen_onlinereceipt,
            # TixPilot extension: whether an authenticated receipt vouches for the email data
            "verified": p.receipt_verified,
            "creditcard": _text(p.creditcard_last4),
            "buyer_name": _text(p.buyer_name),
            "purchasedate": format_date(p.purchase_date),
        },
        "attributes": {"refund": "unknown" if p.refund_eligible is None else str(p.refund_eligible).lower()},
        "items": {
            "section": _text(items.section),
            "row": _text(items.row),
            "section_original": _text(items.section),
            "row_original": _text(items.row),
            "seat_first": _text(items.seat_first),
            "seat_last": _text(items.seat_last),
            "quantity": _text(items.quantity),
            "stock": _text(items.stock),
        },
        "haspdf": p.haspdf,
        "rotating_barcodes": p.rotating_barcodes,
        "datelastseen": format_datetime(_local(p.datelastseen, timezone)),
        "datefirstseen": format_datetime(_local(p.datefirstseen, timezone)),
        # TixPilot extensions: where the purchase is in the pipeline, and why.
        "pipeline": {
            "state": p.pipeline_state,
            "safeguard_overridden": p.safeguard_overridden,
            "flags": list(p.flags),
            "errors": list(p.errors),
        },
    }


def receipt_to_legacy(r: Receipt, timezone: str = DEFAULT_TIMEZONE) -> dict[str, Any]:
    """An email as `GET /v2/receipts` (a TixPilot extension) writes it, in the legacy formats."""
    row: dict[str, Any] = {
        "message_id": r.message_id,
        "from": r.sender,
        "to": r.recipient,
        "subject": r.subject,
        "received": format_datetime(_local(r.received, timezone)),
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


# --- accounts ------------------------------------------------------------------------------------


def account_to_legacy(a: Account, marketplace_name: str, timezone: str = DEFAULT_TIMEZONE) -> dict[str, Any]:
    """An account as `GET /v2/accounts/list` writes it. `account_password` is always empty."""
    quickpo: dict[str, Any] = {}
    for pos in POS_TABLE:
        settings = a.pos_settings(pos.name)
        quickpo[f"custid_{pos.name}"] = settings.customer_id
        quickpo[f"creditcardid_{pos.name}"] = settings.creditcard_id
    autopo: dict[str, Any] = {}
    for pos in AUTOPO_POS:
        settings = a.pos_settings(pos.name)
        autopo[f"autopo_{pos.name}"] = settings.autopo
        autopo[f"autopo_{pos.name}_dateafter"] = format_date(settings.autopo_after)
    quickpo["autoposettings"] = autopo
    error = a.error
    return {
        "accountid": str(a.account_id),
        "userid": a.tenant_id,
        "notes": a.note,
        "active": a.active,
        "account_username": a.username,
        "account_password": "",
        "marketplace": {"id": str(a.marketplace_id), "name": marketplace_name},
        "error": {
            "error_datetime": format_datetime(_local(error.at, timezone)) if error else "",
            "error_id": (error.code or error.kind) if error else "",
            "error_description": error.description if error else "",
        },
        "quickpo_settings": quickpo,
    }


# --- sales ---------------------------------------------------------------------------------------


def sale_from_legacy(body: SaleAddIn) -> SaleDetails:
    """A POST /v2/sales/add body as the clean domain model."""
    fmt = "localpickup" if body.deliveryformat == "locaklpickup" else body.deliveryformat
    return SaleDetails(
        marketplace_id=body.marketplaceid,
        order_id=body.saleid,
        credential_id=body.credid,
        pos=body.posused,
        delivery_format=fmt,
        sold_at=body.saledatetime,
        ticket_group_id=body.ticketgroupid,
        invoice_id=body.invoiceid,
        in_hand_date=body.inhanddate,
        confirmed=body.confirmed,
        fulfilled=body.fulfilled,
        prices=SalePrices(
            list_perseat=body.priceperseat.list,
            face_perseat=body.priceperseat.face,
            cost_perseat=body.priceperseat.cost,
            total=body.pricepersale.total,
            fees=body.pricepersale.fees,
            payout=body.pricepersale.payout,
        ),
        event=SaleEvent(
            name=body.event.name,
            venue=body.event.venue,
            state=body.event.state,
            starts_at=body.event.datetimelocal,
        ),
        section=body.section,
        row=body.row,
        seats=[SaleSeat(number=s.seatnumber, seat_id=s.seatid) for s in body.seats],
    )


def _fulfillment_out(sale: Sale, timezone: str) -> FulfillmentOut | None:
    state = sale.fulfillment
    if state is None:
        return None

    def when(value: datetime | None) -> str:
        return format_datetime(_local(value, timezone)) if value else ""

    return FulfillmentOut(
        attempts=state.attempts,
        next_attempt=when(state.next_at),
        delivered=when(state.delivered.at if state.delivered else None),
        delivery=state.delivered.kind if state.delivered else "",
        history=[
            FulfillmentAttemptOut(attempt=a.number, at=when(a.at), outcome=a.outcome, message=a.message)
            for a in state.history
        ],
    )


def sale_to_legacy(sale: Sale, marketplace_name: str, timezone: str = DEFAULT_TIMEZONE) -> SaleOut:
    """A sale as `GET /v2/sales` writes it (with TixPilot's `fulfillment` beside the legacy fields)."""
    hold = sale.hold
    return SaleOut(
        orderid=sale.order_id,
        marketplace=marketplace_name,
        marketplaceid=sale.marketplace_id,
        ticketstock=sale.stock,
        type="purchase",
        processing=[
            {step: result.status, "message": result.message}
            for step in SALE_STEPS
            if (result := sale.processing.get(step)) is not None
        ],
        event=SaleEventOut(
            name=sale.event.name,
            venue=sale.event.venue,
            date=sale.event.starts_at.strftime("%Y-%m-%d"),
            time=sale.event.starts_at.strftime("%H:%M"),
        ),
        tickets=SaleTicketsOut(
            section=sale.section,
            row=sale.row,
            quantity=sale.quantity,
            seatfirst=sale.seats[0].number if sale.seats else "",
            seatlast=sale.seats[-1].number if sale.seats else "",
            total_order=format_money(sale.prices.total),
            total_payment=format_money(sale.prices.payout),
        ),
        hold_details=HoldDetailsOut(
            received=format_datetime(_local(hold.received, timezone)) if hold else "",
            removed_date=(
                format_datetime(_local(hold.removed_at, timezone)) if hold and hold.removed_at else ""
            ),
            removed_by=_text(hold.removed_by) if hold else "",
        ),
        fulfillment=_fulfillment_out(sale, timezone),
    )


def ticket_to_legacy(p: Purchase, t: Ticket, pdf_url: str | None) -> dict[str, Any]:
    """One seat as `GET /v2/getpdf` writes it."""
    guid = (
        "{" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"tixpilot:{t.pdf_key}")).upper() + "}" if t.pdf_key else ""
    )
    return {
        "seatid": _text(t.seatid),
        "status": "live" if p.status == "active" else p.status,
        "haspdf": "true" if pdf_url else "",
        "obstructions": [],
        "ticketstock": _text(p.items.stock),
        "printdate": format_datetime(t.printed_at),
        "1ticketid": str(p.rid),
        "seatnumber": t.seatnumber,
        "section": _text(p.items.section),
        "row": _text(p.items.row),
        "pdfguid": guid,
        "barcode": _text(t.barcode),
        "pdfurl": pdf_url or "",
    }


def account_pos_from_legacy(quickpo: Mapping[str, Any]) -> dict[PosName, PosChanges]:
    """The POS settings of an account posted in the list shape (`quickpo_settings`), per POS;
    only the fields present count. Values are already validated (strings, booleans, dates)."""
    autopo = quickpo.get("autoposettings") or {}
    changes: dict[PosName, PosChanges] = {}
    for pos in POS_TABLE:
        given = PosChanges(
            customer_id=quickpo.get(f"custid_{pos.name}"),
            creditcard_id=quickpo.get(f"creditcardid_{pos.name}"),
            autopo=autopo.get(f"autopo_{pos.name}"),
            autopo_after=autopo.get(f"autopo_{pos.name}_dateafter"),
        )
        if given.given():
            changes[pos.name] = given
    return changes
