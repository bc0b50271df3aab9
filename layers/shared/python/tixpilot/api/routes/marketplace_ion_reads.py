"""GET /ion/v1/sales/{order_id} and /ion/v1/sales/{order_id}/tickets: a generic v1 ION marketplace
reads where a sale it announced stands and, once delivered, its tickets (docs/fulfillment.md).
Their own group: reads of the sales tables, without the ION service's POS and marketplace wiring."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router

from tixpilot.api.marketplace_schemas import (
    SECURITY,
    PathOrderId,
    SaleStateOut,
    TicketsOut,
    delivered,
    marketplace,
    state_out,
)
from tixpilot.api.schemas import Envelope
from tixpilot.services.marketplace_reads import sale_state
from tixpilot.wiring import components

router = Router()


@router.get(
    "/ion/v1/sales/<order_id>",
    summary="Where an announced sale stands",
    tags=["marketplaces"],
    security=SECURITY,
)
def state(order_id: PathOrderId) -> Envelope[SaleStateOut]:
    market = marketplace("ion")
    return state_out(
        sale_state(
            components.sales(), components.ion_orders(), market.tenant_id, market.marketplace_id, order_id
        )
    )


@router.get(
    "/ion/v1/sales/<order_id>/tickets",
    summary="The tickets delivered for a sale",
    tags=["marketplaces"],
    security=SECURITY,
)
def tickets(order_id: PathOrderId) -> Envelope[TicketsOut]:
    """Once the broker's tickets are delivered (`status: delivered`): per seat its barcodes, its
    ticket file (a link valid an hour) or its transfer link. Before that, `pending` and why."""
    return delivered("ion", order_id)
