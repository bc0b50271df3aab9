"""GET /oi/v1/orders/{order_id}/tickets: an Order Integration marketplace reads the tickets
delivered for its order (docs/fulfillment.md). Its own group: a read of the sales table, without
the holds' POS and marketplace wiring."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router

from tixpilot.api.marketplace_schemas import SECURITY, PathOrderId, TicketsOut, delivered
from tixpilot.api.schemas import Envelope

router = Router()


@router.get(
    "/oi/v1/orders/<order_id>/tickets",
    summary="The tickets delivered for an order",
    tags=["marketplaces"],
    security=SECURITY,
)
def tickets(order_id: PathOrderId) -> Envelope[TicketsOut]:
    """Once the broker's tickets are delivered (`status: delivered`): per seat its barcodes, its
    ticket file (a link valid an hour) or its transfer link. Before that, `pending` and why."""
    return delivered("oi", order_id)
