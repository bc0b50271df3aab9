"""GET /v2/verify, /v2/marketplaces, /v2/disclosures."""

from __future__ import annotations

from typing import Annotated, Literal

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from tixpilot.api.app import tenant_id
from tixpilot.api.reference_schemas import (
    BuyingMarketplaceOut,
    DisclosureListOut,
    DisclosureOut,
    ResaleMarketplaceOut,
    VerifyOut,
)
from tixpilot.api.schemas import Envelope
from tixpilot.services import reference
from tixpilot.wiring import components

router = Router()


@router.get(
    "/v2/verify",
    summary="Verify an API token and get basic client information",
    tags=["account"],
)
def verify() -> Envelope[VerifyOut]:
    tenant = reference.verify_tenant(components.tenants(), tenant_id())
    return Envelope(output=[VerifyOut(company_name=tenant.name, userid=tenant.tenant_id)])


@router.get(
    "/v2/marketplaces",
    summary="List marketplaces: buying (primary sites, default) or resale (where sales come from)",
    tags=["reference"],
)
def marketplaces(
    marketplace_type: Annotated[
        Literal["buying", "resale"],
        Query(alias="type", description="buying (default): accounts and crawl; resale: sales and fulfill"),
    ] = "buying",
) -> Envelope[BuyingMarketplaceOut] | Envelope[ResaleMarketplaceOut]:
    repo = components.reference()
    if marketplace_type == "resale":
        return Envelope[ResaleMarketplaceOut](
            output=[
                ResaleMarketplaceOut(
                    id=str(m.id),
                    name=m.name,
                    display_name=m.display_name,
                    integration=m.integration,
                    aliases=list(m.aliases),
                    binding_holds=m.binding_holds,
                )
                for m in reference.resale_marketplaces(repo)
            ]
        )
    return Envelope[BuyingMarketplaceOut](
        output=[
            BuyingMarketplaceOut(id=str(m.id), name=m.name, url=m.url, password_required=m.password_required)
            for m in reference.buying_marketplaces(repo)
        ]
    )


@router.get(
    "/v2/disclosures",
    summary="List the disclosures TixPilot reads from receipts and PDFs",
    tags=["reference"],
)
def disclosures() -> Envelope[DisclosureListOut]:
    items = [DisclosureOut(**d.model_dump()) for d in reference.disclosures(components.reference())]
    return Envelope(output=[DisclosureListOut(disclosures=items)])
