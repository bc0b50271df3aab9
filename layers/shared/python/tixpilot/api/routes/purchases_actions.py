"""POST /v2/purchases/quickpo: push a purchase into the POS now, overriding the Safeguard."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from tixpilot.api.app import tenant_id
from tixpilot.api.schemas import Envelope, Result
from tixpilot.errors import Unprocessable
from tixpilot.models.base import Model
from tixpilot.services.autopo import push_po
from tixpilot.wiring.pipeline import po_deps

router = Router()


class QuickPoOut(Model):
    rid: int
    purchaseorders: dict[str, str]
    pipeline_state: str
    safeguard_overridden: bool
    errors: list[str]


@router.post(
    "/v2/purchases/quickpo",
    summary="QuickPO: create the purchase's PO now with what is known (overrides the Safeguard)",
    tags=["purchases"],
)
def quickpo(
    rid: Annotated[int, Query(ge=1, description="TixPilot ID of the group")],
) -> Envelope[QuickPoOut]:
    outcome = push_po(po_deps(), tenant_id(), rid, "quickpo")
    purchase = outcome.purchase
    if not purchase.purchaseorders and outcome.errors:
        raise Unprocessable("QuickPO failed: " + "; ".join(outcome.errors))
    body: dict[str, Any] = {
        "rid": purchase.rid,
        "purchaseorders": purchase.purchaseorders,
        "pipeline_state": purchase.pipeline_state,
        "safeguard_overridden": purchase.safeguard_overridden,
        "errors": purchase.errors,
    }
    made = ", ".join(f"{pos} PO {po}" for pos, po in outcome.created.items())
    return Envelope(
        result=Result(message=f"QuickPO: {made}" if made else "the purchase already has its PO"),
        output=[QuickPoOut.model_validate(body)],
    )
