"""GET /v2/purchases (the filters of the legacy API come with the purchases issue)."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import AfterValidator, BaseModel, Field

from tixpilot.api.app import tenant_id
from tixpilot.api.mapping import purchase_to_legacy
from tixpilot.api.schemas import Envelope
from tixpilot.errors import NotFound
from tixpilot.repositories.purchases import PurchaseRepository, decode_cursor, encode_cursor

router = Router()


class PurchasesPage(BaseModel):
    purchases: list[dict[str, Any]]
    cursor: str | None = Field(
        default=None, description="TixPilot extension: pass as `cursor` to get the next page; null at the end"
    )


def _cursor(value: str | None) -> str | None:
    if value:
        decode_cursor(value)  # refuse a forged or truncated cursor as a 400
    return value


@router.get("/v2/purchases", summary="Search the purchases in your account, newest first", tags=["purchases"])
def list_purchases(
    rid: Annotated[int | None, Query(ge=1, description="TixPilot ID of the group")] = None,
    page_size: Annotated[
        int, Query(ge=1, le=500, description="TixPilot extension: purchases per page")
    ] = 100,
    cursor: Annotated[
        str | None,
        AfterValidator(_cursor),
        Query(description="TixPilot extension: the previous page's cursor"),
    ] = None,
) -> Envelope[PurchasesPage]:
    purchases, next_key = PurchaseRepository().page(
        tenant_id(router), page_size, decode_cursor(cursor) if cursor else None, rid
    )
    if rid is not None and not purchases:
        # the same answer whether the rid does not exist or belongs to someone else
        raise NotFound(f"no purchase with rid {rid} in your account")
    return Envelope(
        output=[
            PurchasesPage(
                purchases=[purchase_to_legacy(p) for p in purchases], cursor=encode_cursor(next_key)
            )
        ]
    )
