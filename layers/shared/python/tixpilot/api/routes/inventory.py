"""GET /v2/inventory: the builtin POS's ticket groups and seats (a TixPilot extension)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import AfterValidator

from tixpilot.api.app import tenant_id
from tixpilot.api.schemas import Envelope
from tixpilot.legacy import parse_date
from tixpilot.services.inventory import TicketGroupOut, inventory
from tixpilot.wiring import components

router = Router()


def _date(value: str | None) -> str | None:
    if value is not None:
        parse_date(value)
    return value


@router.get(
    "/v2/inventory",
    summary="Ticket groups in the builtin POS, with each seat's status (available, held, sold)",
    tags=["inventory"],
)
def list_inventory(
    rid: Annotated[int | None, Query(ge=1, description="TixPilot ID of the purchase")] = None,
    ticketgroupid: Annotated[int | None, Query(ge=1, description="ticket group id")] = None,
    eventdate: Annotated[
        str | None, AfterValidator(_date), Query(description="event date (m/d/yyyy, venue local)")
    ] = None,
) -> Envelope[TicketGroupOut]:
    groups = inventory(
        components.ledger(),
        tenant_id(),
        rid=rid,
        ticketgroupid=ticketgroupid,
        eventdate=parse_date(eventdate) if eventdate else None,
    )
    return Envelope(output=groups)
