"""Sales, in the legacy API's fields and formats (with TixPilot's fulfillment beside them)."""

from __future__ import annotations

from datetime import datetime

from tixpilot.api.mapping.common import DEFAULT_TIMEZONE, local, text
from tixpilot.api.sales_schemas import (
    FulfillmentAttemptOut,
    FulfillmentOut,
    HoldDetailsOut,
    SaleAddIn,
    SaleEventOut,
    SaleOut,
    SaleTicketsOut,
)
from tixpilot.legacy import format_datetime, format_money
from tixpilot.models.sales import STEPS as SALE_STEPS
from tixpilot.models.sales import Sale, SaleDetails, SaleEvent, SalePrices, SaleSeat


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
        return format_datetime(local(value, timezone)) if value else ""

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
            received=format_datetime(local(hold.received, timezone)) if hold else "",
            removed_date=(
                format_datetime(local(hold.removed_at, timezone)) if hold and hold.removed_at else ""
            ),
            removed_by=text(hold.removed_by) if hold else "",
        ),
        fulfillment=_fulfillment_out(sale, timezone),
    )
