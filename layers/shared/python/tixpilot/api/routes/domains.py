"""GET /v2/domains/list."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import AfterValidator

from tixpilot.api.app import tenant_id
from tixpilot.api.domain_schemas import DomainDefaultsOut, DomainOut
from tixpilot.api.schemas import Envelope
from tixpilot.models.domains import normalize_domain
from tixpilot.wiring import components

router = Router()


@router.get(
    "/v2/domains/list",
    summary="List the email domains tied to your account",
    tags=["domains"],
)
def list_domains(
    domain: Annotated[
        str | None,
        AfterValidator(lambda v: normalize_domain(v) if v is not None else None),
        Query(description="only this domain (abc123.xyz)"),
    ] = None,
) -> Envelope[DomainOut]:
    owner = tenant_id()
    rows = components.domains().list_for_tenant(owner, domain)
    return Envelope(
        output=[
            DomainOut(
                domain_id=d.domain_id,
                domain=d.domain,
                owned_by=d.tenant_id,
                used_by=d.tenant_id,
                defaults=DomainDefaultsOut(
                    customer_id=d.defaults.customer_id, creditcard_id=d.defaults.creditcard_id
                ),
            )
            for d in rows
        ]
    )
