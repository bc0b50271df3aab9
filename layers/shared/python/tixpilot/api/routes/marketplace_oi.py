"""Order Integration for marketplaces (docs/marketplaces.md): POST /oi/v1/holds,
/oi/v1/orders/{order_id}/release and /oi/v1/orders/{order_id}/invoice, authenticated by
`x-marketplace-key` (the key's marketplace is the sale's resale marketplace). The delivered
tickets are read in `marketplace_oi_tickets`."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import Field

from tixpilot.api.marketplace_schemas import SECURITY, OrderId, PathOrderId, key_marketplace
from tixpilot.api.schemas import Envelope
from tixpilot.legacy import format_money
from tixpilot.models.base import Model
from tixpilot.services import marketplace_orders as oi
from tixpilot.wiring.oi import order_repos

router = Router()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


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
    return _out(oi.hold(order_repos(), key_marketplace(), request, _now()))


@router.post(
    "/oi/v1/orders/<order_id>/release",
    summary="Release an order's held seats",
    tags=["marketplaces"],
    security=SECURITY,
)
def release(order_id: PathOrderId) -> Envelope[OrderOut]:
    """The seats are available again; repeating it changes nothing. 409 if already invoiced."""
    return _out(oi.release(order_repos(), key_marketplace(), order_id, _now()))


@router.post(
    "/oi/v1/orders/<order_id>/invoice",
    summary="Invoice an order's held seats (the sale is confirmed)",
    tags=["marketplaces"],
    security=SECURITY,
)
def invoice(order_id: PathOrderId) -> Envelope[OrderOut]:
    """The seats are sold in the builtin POS and the sale confirmed; repeating it changes nothing."""
    return _out(oi.invoice(order_repos(), key_marketplace(), order_id, _now()))
