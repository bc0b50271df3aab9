"""What the /oi/v1 and /ion/v1 routes share: the security scheme, the order id in a path, the key's
marketplace, and the shapes a marketplace reads back (where an announced sale stands, its
delivered tickets)."""

from typing import Annotated, Literal

from aws_lambda_powertools.event_handler.openapi.params import Path
from pydantic import AfterValidator, Field

from tixpilot.api.app import marketplace_credential
from tixpilot.api.schemas import Envelope, check_identifier
from tixpilot.models.base import Model
from tixpilot.services.marketplace_keys import Marketplace, require_integration
from tixpilot.services.marketplace_reads import (
    SaleState,
    SaleStatus,
    TicketsState,
    TicketsStatus,
    delivered_tickets,
)
from tixpilot.wiring import components

SECURITY: list[dict[str, list[str]]] = [{"marketplaceKey": []}]
OrderId = Annotated[str, AfterValidator(check_identifier)]
PathOrderId = Annotated[str, AfterValidator(check_identifier), Path()]


def key_marketplace() -> Marketplace:
    """The marketplace whose key authenticated the request being handled (for a service that
    checks its integration itself: Order Integration's)."""
    credential, credential_hash = marketplace_credential()
    return Marketplace(credential=credential, credential_hash=credential_hash)


def marketplace(integration: Literal["oi", "ion"]) -> Marketplace:
    """`key_marketplace()`; 403 unless it integrates the way the route serves (`integration`)."""
    market = key_marketplace()
    require_integration(market, integration)
    return market


class SaleStateOut(Model):
    order_id: str
    marketplaceid: int
    status: SaleStatus = Field(
        description="received (queued), processing, confirmed, unavailable (the seats are gone: it will "
        "be rejected at reject_at unless the broker confirms it), rejected, cancelled, held"
    )
    message: str
    seats: list[str]
    invoiceid: str
    reject_at: str = Field(description="ISO 8601 UTC, while status is unavailable; else empty")


def state_out(state: SaleState) -> Envelope[SaleStateOut]:
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
    status: TicketsStatus = Field(
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


def tickets_out(state: TicketsState) -> Envelope[TicketsOut]:
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


def delivered(integration: Literal["oi", "ion"], order_id: str) -> Envelope[TicketsOut]:
    """The tickets delivered for the order of the key's marketplace (GET .../tickets of /oi/v1 and
    /ion/v1 alike)."""
    market = marketplace(integration)
    state = delivered_tickets(
        components.sales(), components.ticket_files(), market.tenant_id, market.marketplace_id, order_id
    )
    return tickets_out(state)
