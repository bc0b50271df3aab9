"""POST /sales/v1/complete-sale, /v2/sales/confirm, /v2/sales/reject: a sale's outcome, carried
into the broker's POS or to its marketplace (recording and finding sales are in `sales`; apart, so
that neither group's first request loads the other's services)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from pydantic import AfterValidator

from tixpilot.api.app import tenant_id
from tixpilot.api.mapping.sales import sale_to_legacy
from tixpilot.api.sales_schemas import (
    CompleteSaleIn,
    CompleteSaleOut,
    ResaleMarketplaceId,
    SaleOut,
)
from tixpilot.api.schemas import Envelope, Result, check_identifier
from tixpilot.models.sales import Decision
from tixpilot.services import ion
from tixpilot.services.pos_completion import complete_in_pos
from tixpilot.services.reference import resale_names
from tixpilot.services.sales import Completion, complete_sales, retry_completions
from tixpilot.wiring.inventory import inventory_ports
from tixpilot.wiring.ion import ion_deps
from tixpilot.wiring.sales import sales_repos

router = Router()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@router.post(
    "/sales/v1/complete-sale",
    summary="Mark sales filled and complete them in the POS",
    tags=["sales"],
)
def complete(
    body: Annotated[list[CompleteSaleIn], Body(min_length=1, max_length=100)],
) -> Envelope[CompleteSaleOut]:
    """Each item succeeds or fails alone (see its `status`); `result.status` is `error` with
    messageid `E_PARTIAL` when any failed."""
    items = [Completion(i.user_id, i.order_id, i.marketplace_id) for i in body]
    now = _now()
    results = complete_sales(sales_repos(), tenant_id(), items, now)
    done = [(r.marketplace_id, r.order_id) for r in results if r.status == "success"]
    unanswered = complete_in_pos(inventory_ports(), sales_repos().sales, tenant_id(), done, now)
    retry_completions(sales_repos(), tenant_id(), unanswered)
    failed = sum(r.status == "error" for r in results)
    result = Result()
    if failed:
        result = Result(
            status="error",
            messageid="E_PARTIAL",
            message=f"{failed} of {len(results)} sales were not completed; see each item's message",
        )
    return Envelope(result=result, output=[CompleteSaleOut(**r.model_dump()) for r in results])


Reason = Annotated[
    str,
    Query(
        max_length=500,
        description="why, in your words; sent to marketplaces that take a note (e.g. Ticket Evolution), "
        'and read for the marketplace\'s reason code ("no longer available", "priced incorrectly", ...)',
    ),
]


def _decided(orderid: str, marketplaceid: int, action: Decision, reason: str) -> Envelope[SaleOut]:
    sale = ion.decide(ion_deps(), tenant_id(), marketplaceid, orderid, action, reason, _now())
    return Envelope(output=[sale_to_legacy(sale, resale_names()[sale.marketplace_id])])


@router.post(
    "/v2/sales/confirm",
    summary="Confirm an Instant Notification sale with its marketplace (e.g. one waiting to be rejected)",
    tags=["sales"],
)
def confirm(
    orderid: Annotated[str, AfterValidator(check_identifier), Query(description="marketplace order id")],
    marketplaceid: Annotated[ResaleMarketplaceId, Query()],
    reason: Reason = "",
) -> Envelope[SaleOut]:
    """Decided now and carried out through the marketplace in the background (`confirm: pending`,
    then `success`). 409 E_CONFLICT when the sale was already rejected (automatically too); the
    same request again answers the sale."""
    return _decided(orderid, marketplaceid, "confirm", reason)


@router.post(
    "/v2/sales/reject",
    summary="Reject an Instant Notification sale with its marketplace",
    tags=["sales"],
)
def reject(
    orderid: Annotated[str, AfterValidator(check_identifier), Query(description="marketplace order id")],
    marketplaceid: Annotated[ResaleMarketplaceId, Query()],
    reason: Reason = "",
) -> Envelope[SaleOut]:
    """Decided now and carried out through the marketplace in the background (`reject: pending`,
    then `success`). 409 E_CONFLICT when the sale was already confirmed; the same request again
    answers the sale."""
    return _decided(orderid, marketplaceid, "reject", reason)
