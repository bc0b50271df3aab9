"""GET /v2/receipts (TixPilot extension): every email received, and what became of it."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import AfterValidator, Field

from tixpilot.api import cursors
from tixpilot.api.app import tenant_id
from tixpilot.api.mapping.receipts import receipt_to_legacy
from tixpilot.api.schemas import Envelope
from tixpilot.models.base import Model
from tixpilot.repositories.receipts import decode_cursor, encode_cursor
from tixpilot.wiring import components

router = Router()


class ReceiptsPage(Model):
    receipts: list[dict[str, Any]] = Field(
        description="Newest first: message_id, from, to, subject, received, status, `verified` "
        "(authenticated as the primary's or a trusted forwarder's), `verification` (how, or why "
        "not), `verdicts` (the mail transport's spam, virus, spf, dkim, dmarc checks), and `rid` "
        "when parsed or `reason` when not"
    )
    cursor: str | None = Field(
        default=None, description="pass as `cursor` to get the next page; null at the end"
    )


def _cursor(value: str | None) -> str | None:
    """The token inside the signed cursor; a forged, edited or truncated cursor is a 400."""
    if not value:
        return None
    token = cursors.verify("receipts", value)
    decode_cursor(token)
    return token


@router.get(
    "/v2/receipts",
    summary="Every email received for your domains: parsed, unparsed (with the reason) or duplicate",
    tags=["receipts"],
)
def list_receipts(
    status: Annotated[
        Literal["parsed", "unparsed", "duplicate"] | None,
        Query(description="only receipts in this state; all of them when absent"),
    ] = None,
    page_size: Annotated[int, Query(ge=1, le=500, description="receipts per page")] = 100,
    cursor: Annotated[
        str | None, AfterValidator(_cursor), Query(description="the previous page's cursor")
    ] = None,
) -> Envelope[ReceiptsPage]:
    receipts, next_key = components.receipts().page(
        tenant_id(), page_size, status, decode_cursor(cursor) if cursor else None
    )
    return Envelope(
        output=[
            ReceiptsPage(
                receipts=[receipt_to_legacy(r) for r in receipts],
                cursor=cursors.sign("receipts", encode_cursor(next_key)),
            )
        ]
    )
