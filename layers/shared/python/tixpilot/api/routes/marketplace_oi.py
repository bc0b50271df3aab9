"""Order Integration for marketplaces (docs/marketplaces.md): POST /oi/v1/holds,
/oi/v1/orders/{order_id}/release and /oi/v1/orders/{order_id}/invoice, and the delivered tickets
(GET /oi/v1/orders/{order_id}/tickets, docs/fulfillment.md), authenticated by `x-marketplace-key`
(the key's marketplace is the sale's resale marketplace)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path
from pydantic import AfterValidator, Field

from tixpilot.api.app import marketplace_credential
from tixpilot.api.sales_schemas import check_identifier
from tixpilot.api.schemas import Envelope
from tixpilot.legacy import format_money
from tixpilot.models.base import Model
from tixpilot.services import fulfillment
from tixpilot.services import marketplace_orders as oi
from tixpilot.wiring import components
from tixpilot.wiring.marketplaces import order_repos

router = Router()
SECURITY: list[dict[str, list[str]]] = [{"marketplaceKey": []}]


def _market() -> oi.Marketplace:
    credential, credential_hash = marketplace_credential()
    return oi.Marketplace(credential=credential, credential_hash=credential_hash)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


OrderId = Annotated[str, AfterValidator(check_identifier)]


class HoldIn(Model):
    order_id: OrderId = Field(description="the marketplace's order id")
    ticketgroupid: int = Field(ge=1, description="ticket group of the builtin POS (GET /v2/inventory)")
    quantity: int = Field(ge=1, le=oi.MAX_SEATS_PER_HOLD)
    price_per_seat: Decimal = Field(ge=0, max_digits=12, decimal_places=2)


class OrderOut(Model):
    order_id: str
    marketplaceid: int
    ticketgroupid: int
    quantity: int
    price_per_seat: str
    seats: list[str]
    status: Literal["held", "invoiced", "released"]
    invoiceid: str = Field(description="the builtin POS invoice, once invoiced")


def _out(result: oi.OrderResult) -> Envelope[OrderOut]:
    return Envelope(
        output=[
            OrderOut(
                order_id=result.order_id,
                marketplaceid=result.marketplace_id,
                ticketgroupid=result.ticketgroupid,
                quantity=result.quantity,
                price_per_seat=format_money(result.price_per_seat),
                seats=result.seats,
                status=result.state,
                invoiceid=result.invoice_id,
            )
        ]
    )


@router.post(
    "/oi/v1/holds", summary="Hold seats for a marketplace order", tags=["marketplaces"], security=SECURITY
)
def hold(body: HoldIn) -> Envelope[OrderOut]:
    """200 with the held seats, or 409 E_CONFLICT when they are not available. The same order_id
    again returns the same seats and changes nothing."""
    request = oi.HoldRequest(**body.model_dump())
    return _out(oi.hold(order_repos(), _market(), request, _now()))


@router.post(
    "/oi/v1/orders/<order_id>/release",
    summary="Release an order's held seats",
    tags=["marketplaces"],
    security=SECURITY,
)
def release(order_id: Annotated[str, AfterValidator(check_identifier), Path()]) -> Envelope[OrderOut]:
    """The seats are available again; repeating it changes nothing. 409 if already invoiced."""
    return _out(oi.release(order_repos(), _market(), order_id, _now()))


@router.post(
    "/oi/v1/orders/<order_id>/invoice",
    summary="Invoice an order's held seats (the sale is confirmed)",
    tags=["marketplaces"],
    security=SECURITY,
)
def invoice(order_id: Annotated[str, AfterValidator(check_identifier), Path()]) -> Envelope[OrderOut]:
    """The seats are sold in the builtin POS and the sale confirmed; repeating it changes nothing."""
    return _out(oi.invoice(order_repos(), _market(), order_id, _now()))


class TicketSeatOut(Model):
    seat: str
    row: str
    barcodes: list[str]
    file_url: str = Field(description="the seat's ticket file (PDF, or a screenshot), a link valid an hour")
    file_type: str = Field(description="application/pdf, image/png, ...")
    transfer_url: str = Field(description="the link the buyer claims a mobile transfer with")


class TicketsOut(Model):
    order_id: str
    marketplaceid: int
    status: fulfillment.TicketsStatus = Field(
        description="delivered (the tickets below), pending (not yet: see message), manual (the broker "
        "delivers it himself) or not_delivered (given up: see message)"
    )
    message: str
    delivery: str = Field(description="pdf, barcodes, transfer or qr, once delivered")
    delivered_at: str = Field(description="ISO 8601 UTC, once delivered")
    seats: list[TicketSeatOut]
    transfer_provider: str
    transfer_confirmation: str
    transfer_provider_url: str


def tickets_out(state: fulfillment.TicketsState) -> Envelope[TicketsOut]:
    return Envelope(
        output=[
            TicketsOut(
                order_id=state.order_id,
                marketplaceid=state.marketplace_id,
                status=state.status,
                message=state.message,
                delivery=state.kind or "",
                delivered_at=state.delivered_at.isoformat() if state.delivered_at else "",
                seats=[
                    TicketSeatOut(
                        seat=s.seat,
                        row=s.row or "",
                        barcodes=s.barcodes,
                        file_url=s.file_url or "",
                        file_type=s.file_type or "",
                        transfer_url=s.transfer_url or "",
                    )
                    for s in state.seats
                ],
                transfer_provider=state.transfer_provider or "",
                transfer_confirmation=state.transfer_confirmation or "",
                transfer_provider_url=state.transfer_provider_url or "",
            )
        ]
    )


def delivered_tickets(market: oi.Marketplace, order_id: str) -> Envelope[TicketsOut]:
    state = fulfillment.delivered_tickets(
        components.sales(), components.ticket_files(), market.tenant_id, market.marketplace_id, order_id
    )
    return tickets_out(state)


@router.get(
    "/oi/v1/orders/<order_id>/tickets",
    summary="The tickets delivered for an order",
    tags=["marketplaces"],
    security=SECURITY,
)
def tickets(order_id: Annotated[str, AfterValidator(check_identifier), Path()]) -> Envelope[TicketsOut]:
    """Once the broker's tickets are delivered (`status: delivered`): per seat its barcodes, its
    ticket file (a link valid an hour) or its transfer link. Before that, `pending` and why."""
    market = _market()
    oi.require_integration(market, "oi")
    return delivered_tickets(market, order_id)
