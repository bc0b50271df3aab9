"""Instant Notification for marketplaces without a native adapter (docs/marketplaces.md), generic
v1, authenticated by `x-marketplace-key` like /oi/v1: POST /ion/v1/sales announces a sale (202:
invoiced and confirmed, or marked for rejection, by the sales worker), POST
/ion/v1/sales/{id}/cancel cancels it (what the marketplace reads back, where a sale stands and its
delivered tickets, is in `marketplace_ion_reads`); POST /ion/v1/holds and
/ion/v1/holds/{id}/release hold seats (binding for StubHub and Vivid Seats, otherwise giving way
to a sale elsewhere)."""

from __future__ import annotations

import datetime as dt
from http import HTTPStatus
from typing import Literal

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import Field

from tixpilot.adapters.pos.base import PosOrder
from tixpilot.api.marketplace_schemas import SECURITY, PathOrderId, SaleStateOut, marketplace, state_out
from tixpilot.api.routes.marketplace_oi import HoldIn
from tixpilot.api.schemas import Envelope
from tixpilot.legacy import format_money
from tixpilot.models.base import Model
from tixpilot.models.ion import SaleMessage
from tixpilot.models.marketplaces import SaleNotification
from tixpilot.models.sales import DeliveryFormat
from tixpilot.services import ion
from tixpilot.services.marketplace_keys import Marketplace
from tixpilot.services.marketplace_reads import sale_state
from tixpilot.wiring.ion import ion_deps

router = Router()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class SaleIn(HoldIn):
    deliveryformat: DeliveryFormat = Field(description="how the buyer gets the tickets")
    event_name: str | None = Field(default=None, max_length=200, description="as the marketplace lists it")
    event_date: dt.datetime | None = Field(default=None, description="local date and time of the event")


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


def _accepted(market: Marketplace, order_id: str) -> Response[Envelope[SaleStateOut]]:
    """202 with where the sale now stands (received: the sales worker takes it from there)."""
    deps = ion_deps()
    state = sale_state(deps.sales, deps.orders, market.tenant_id, market.marketplace_id, order_id)
    return Response(HTTPStatus.ACCEPTED, content_types.APPLICATION_JSON, state_out(state))


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
    market = marketplace("ion")
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
    return _accepted(market, body.order_id)


@router.post(
    "/ion/v1/sales/<order_id>/cancel",
    summary="Cancel an announced sale",
    tags=["marketplaces"],
    security=SECURITY,
    responses={202: {"description": "received; the sale is cancelled in the background"}},
)
def cancel(order_id: PathOrderId) -> Response[Envelope[SaleStateOut]]:
    """202: held seats come back; a sale not processed yet never will be. Again: no change."""
    market = marketplace("ion")
    notification = SaleNotification(
        marketplace_id=market.marketplace_id, order_id=order_id, event="cancelled", seller=""
    )
    ion.receive(ion_deps(), _message(market, notification), _now())
    return _accepted(market, order_id)


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
    market = marketplace("ion")
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
def release(hold_id: PathOrderId) -> Envelope[HoldOut]:
    """The seats are available again; repeating it changes nothing. 409 if already invoiced."""
    market = marketplace("ion")
    return _hold_out(ion.release_hold(ion_deps(), market.tenant_id, market.marketplace_id, hold_id, _now()))
