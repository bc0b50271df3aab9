"""Instant Notification for marketplaces without a native adapter (docs/marketplaces.md), generic
v1, authenticated by `x-marketplace-key` like /oi/v1: POST /ion/v1/sales announces a sale (202:
invoiced and confirmed, or marked for rejection, by the sales worker), GET /ion/v1/sales/{id}
answers where it stands, POST /ion/v1/sales/{id}/cancel cancels it, GET /ion/v1/sales/{id}/tickets
answers the delivered tickets (docs/fulfillment.md); POST /ion/v1/holds and
/ion/v1/holds/{id}/release hold seats (binding for StubHub and Vivid Seats, otherwise giving way
to a sale elsewhere)."""

from __future__ import annotations

import datetime as dt
from http import HTTPStatus
from typing import Annotated, Literal

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path
from pydantic import AfterValidator, Field

from tixpilot.adapters.pos.base import PosOrder
from tixpilot.api.app import marketplace_credential
from tixpilot.api.routes.marketplace_oi import HoldIn, TicketsOut, delivered_tickets
from tixpilot.api.sales_schemas import check_identifier
from tixpilot.api.schemas import Envelope
from tixpilot.legacy import format_money
from tixpilot.models.base import Model
from tixpilot.models.ion import SaleMessage
from tixpilot.models.marketplaces import SaleNotification
from tixpilot.models.sales import DeliveryFormat
from tixpilot.services import ion
from tixpilot.services.marketplace_orders import Marketplace, require_integration
from tixpilot.wiring.ion import ion_deps

router = Router()
SECURITY: list[dict[str, list[str]]] = [{"marketplaceKey": []}]
OrderId = Annotated[str, AfterValidator(check_identifier), Path()]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _market() -> Marketplace:
    credential, credential_hash = marketplace_credential()
    market = Marketplace(credential=credential, credential_hash=credential_hash)
    require_integration(market, "ion")
    return market


class SaleIn(HoldIn):
    deliveryformat: DeliveryFormat = Field(description="how the buyer gets the tickets")
    event_name: str | None = Field(default=None, max_length=200, description="as the marketplace lists it")
    event_date: dt.datetime | None = Field(default=None, description="local date and time of the event")


class SaleStateOut(Model):
    order_id: str
    marketplaceid: int
    status: ion.SaleStatus = Field(
        description="received (queued), processing, confirmed, unavailable (the seats are gone: it will "
        "be rejected at reject_at unless the broker confirms it), rejected, cancelled, held"
    )
    message: str
    seats: list[str]
    invoiceid: str
    reject_at: str = Field(description="ISO 8601 UTC, while status is unavailable; else empty")


class HoldOut(Model):
    hold_id: str = Field(
        description="the order id it holds for; release it with /ion/v1/holds/{hold_id}/release"
    )
    marketplaceid: int
    ticketgroupid: int
    quantity: int
    price_per_seat: str
    seats: list[str]
    binding: bool = Field(description="true for StubHub and Vivid Seats: a binding hold is never displaced")
    expires_at: str = Field(description="ISO 8601 UTC: the seats come back then unless a sale comes first")
    status: Literal["held", "invoiced", "released"]


def _state_out(state: ion.SaleState) -> Envelope[SaleStateOut]:
    return Envelope(
        output=[
            SaleStateOut(
                order_id=state.order_id,
                marketplaceid=state.marketplace_id,
                status=state.status,
                message=state.message,
                seats=state.seats,
                invoiceid=state.invoice_id,
                reject_at=state.reject_at.isoformat() if state.reject_at else "",
            )
        ]
    )


def _hold_out(order: PosOrder) -> Envelope[HoldOut]:
    return Envelope(
        output=[
            HoldOut(
                hold_id=order.order_id,
                marketplaceid=order.marketplace_id,
                ticketgroupid=int(order.ticketgroupid),
                quantity=len(order.seats),
                price_per_seat=format_money(order.price_per_seat),
                seats=list(order.seats),
                binding=order.binding,
                expires_at=order.expires_at.isoformat() if order.expires_at else "",
                status=order.state,
            )
        ]
    )


def _message(market: Marketplace, notification: SaleNotification) -> SaleMessage:
    return SaleMessage(
        tenant_id=market.tenant_id,
        notification=notification,
        credential_id=market.credential.credential_id,
    )


@router.post(
    "/ion/v1/sales",
    summary="Announce a sale (Instant Notification)",
    tags=["marketplaces"],
    security=SECURITY,
    responses={202: {"description": "received; GET /ion/v1/sales/{order_id} answers its state"}},
)
def announce(body: SaleIn) -> Response[Envelope[SaleStateOut]]:
    """202: the sale is received and processed in the background: invoiced in the broker's POS
    and confirmed, or, when the seats are gone, `unavailable` and rejected at `reject_at` unless
    the broker confirms it. Announcing the same order again changes nothing."""
    market = _market()
    notification = SaleNotification(
        marketplace_id=market.marketplace_id,
        order_id=body.order_id,
        ticketgroupid=str(body.ticketgroupid),
        quantity=body.quantity,
        price_per_seat=body.price_per_seat,
        deliveryformat=body.deliveryformat,
        event_name=body.event_name,
        event_date=body.event_date,
        event="created",
        seller="",
    )
    now = _now()
    ion.receive(ion_deps(), _message(market, notification), now)
    state = ion.sale_state(ion_deps(), market.tenant_id, market.marketplace_id, body.order_id)
    return Response(HTTPStatus.ACCEPTED, content_types.APPLICATION_JSON, _state_out(state))


@router.get(
    "/ion/v1/sales/<order_id>",
    summary="Where an announced sale stands",
    tags=["marketplaces"],
    security=SECURITY,
)
def state(order_id: OrderId) -> Envelope[SaleStateOut]:
    market = _market()
    return _state_out(ion.sale_state(ion_deps(), market.tenant_id, market.marketplace_id, order_id))


@router.get(
    "/ion/v1/sales/<order_id>/tickets",
    summary="The tickets delivered for a sale",
    tags=["marketplaces"],
    security=SECURITY,
)
def tickets(order_id: OrderId) -> Envelope[TicketsOut]:
    """Once the broker's tickets are delivered (`status: delivered`): per seat its barcodes, its
    ticket file (a link valid an hour) or its transfer link. Before that, `pending` and why."""
    return delivered_tickets(_market(), order_id)


@router.post(
    "/ion/v1/sales/<order_id>/cancel",
    summary="Cancel an announced sale",
    tags=["marketplaces"],
    security=SECURITY,
    responses={202: {"description": "received; the sale is cancelled in the background"}},
)
def cancel(order_id: OrderId) -> Response[Envelope[SaleStateOut]]:
    """202: held seats come back; a sale not processed yet never will be. Again: no change."""
    market = _market()
    notification = SaleNotification(
        marketplace_id=market.marketplace_id, order_id=order_id, event="cancelled", seller=""
    )
    ion.receive(ion_deps(), _message(market, notification), _now())
    state = ion.sale_state(ion_deps(), market.tenant_id, market.marketplace_id, order_id)
    return Response(HTTPStatus.ACCEPTED, content_types.APPLICATION_JSON, _state_out(state))


@router.post(
    "/ion/v1/holds",
    summary="Hold seats for an order (binding for StubHub and Vivid Seats)",
    tags=["marketplaces"],
    security=SECURITY,
)
def hold(body: HoldIn) -> Envelope[HoldOut]:
    """200 with the held seats, 409 E_CONFLICT when they are not available. A non-binding hold
    gives way to a sale on another marketplace (its seats go to that sale, without penalty); a
    binding one keeps its seats until it expires or is released. Holding the same order again
    answers the same hold."""
    market = _market()
    notification = SaleNotification(
        marketplace_id=market.marketplace_id,
        order_id=body.order_id,
        ticketgroupid=str(body.ticketgroupid),
        quantity=body.quantity,
        price_per_seat=body.price_per_seat,
        event="provisional",
        seller="",
    )
    return _hold_out(ion.hold(ion_deps(), _message(market, notification), _now()))


@router.post(
    "/ion/v1/holds/<hold_id>/release",
    summary="Release a hold",
    tags=["marketplaces"],
    security=SECURITY,
)
def release(hold_id: OrderId) -> Envelope[HoldOut]:
    """The seats are available again; repeating it changes nothing. 409 if already invoiced."""
    market = _market()
    return _hold_out(ion.release_hold(ion_deps(), market.tenant_id, market.marketplace_id, hold_id, _now()))
