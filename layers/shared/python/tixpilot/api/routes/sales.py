"""POST /v2/sales/add, GET /v2/sales, GET /v2/fulfill: recording, finding and fulfilling sales
(their outcomes, complete-sale, confirm and reject, are in `sales_decisions`)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import AfterValidator

from tixpilot.api import cursors
from tixpilot.api.app import tenant_id
from tixpilot.api.mapping.sales import sale_from_legacy, sale_to_legacy
from tixpilot.api.sales_schemas import (
    ResaleMarketplaceId,
    SaleAddIn,
    SaleOut,
)
from tixpilot.api.schemas import Envelope, PagedEnvelope, check_identifier
from tixpilot.services.reference import resale_names
from tixpilot.services.sales import (
    MAX_ORDER_IDS,
    SalesPosition,
    add_sale,
    request_fulfillment,
    search_sales,
)
from tixpilot.wiring.sales import sales_repos

router = Router()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@router.post("/v2/sales/add", summary="Add a sale record", tags=["sales"])
def add(body: SaleAddIn) -> Envelope[SaleOut]:
    """Records a sale once: the same saleid and marketplaceid again returns the recorded sale
    (409 E_CONFLICT if the body differs)."""
    sale = add_sale(sales_repos(), tenant_id(), sale_from_legacy(body), _now())
    return Envelope(output=[sale_to_legacy(sale, resale_names()[sale.marketplace_id])])


def _cursor(value: str | None) -> str | None:
    """The position inside the signed cursor; a forged, edited or borrowed cursor is a 400."""
    if not value:
        return None
    token = cursors.verify("sales", value)
    SalesPosition.decode(token)
    return token


@router.get("/v2/sales", summary="Query sales (the query language is in the README)", tags=["sales"])
def query(
    q: Annotated[
        str,
        Query(
            max_length=500,
            description="words in any order, e.g. `unfulfilled vivid next 3 days`, "
            f'`"taylor swift" 7/4/2026`; at most {MAX_ORDER_IDS} order ids',
        ),
    ] = "",
    page_size: Annotated[int, Query(ge=1, le=500, description="TixPilot extension: sales per page")] = 100,
    cursor: Annotated[
        str | None,
        AfterValidator(_cursor),
        Query(description="TixPilot extension: the previous page's cursor (same q)"),
    ] = None,
) -> PagedEnvelope[SaleOut]:
    after = SalesPosition.decode(cursor) if cursor else None
    answer = search_sales(sales_repos(), tenant_id(), q, _now(), page_size, after)
    names = resale_names()
    return PagedEnvelope(
        output=[sale_to_legacy(s, names.get(s.marketplace_id, ""), answer.timezone) for s in answer.sales],
        cursor=cursors.sign("sales", answer.next.encode() if answer.next else None),
    )


@router.get("/v2/fulfill", summary="Queue a sale for fulfillment", tags=["sales"])
def fulfill(
    orderid: Annotated[str, AfterValidator(check_identifier), Query(description="marketplace order id")],
    marketplaceid: Annotated[ResaleMarketplaceId, Query()],
) -> Envelope[dict[str, Any]]:
    """Success means the request is recorded (fulfill: pending) and queued, not that it is filled."""
    request_fulfillment(sales_repos(), tenant_id(), marketplaceid, orderid, _now())
    return Envelope()
