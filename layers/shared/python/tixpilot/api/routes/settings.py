"""GET /v2/settings and POST /v2/settings/update (TixPilot extensions)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import AfterValidator, BaseModel, BeforeValidator, Field

from tixpilot.api.app import tenant_id
from tixpilot.api.schemas import Envelope
from tixpilot.models.pos import INVENTORY_POS_NAMES, InventoryPos
from tixpilot.models.tenants import MobilePoAs, SafeguardLevel, TenantSettings
from tixpilot.services import settings as service
from tixpilot.wiring import components

router = Router()


class SettingsOut(BaseModel):
    safeguard: SafeguardLevel = Field(
        description="1 = off (PO on any data), 2 = on, rotating-barcode status not required, 3 = required"
    )
    mobile_po_as: MobilePoAs = Field(description="how mobile stock is PO'd: transfer or qr_screenshot")
    timezone: str = Field(description="IANA time zone for dates and the sales query windows")
    inventory_pos: InventoryPos = Field(
        description="the POS whose inventory the marketplaces sell (whose ids `ticketgroupid` names): "
        + " or ".join(INVENTORY_POS_NAMES)
    )


def _number(value: object) -> object:
    return int(value) if isinstance(value, str) and value.strip().isdigit() else value


def _out(settings: TenantSettings) -> Envelope[SettingsOut]:
    return Envelope(output=[SettingsOut.model_validate(settings.model_dump())])


@router.get("/v2/settings", summary="Your account's settings (TixPilot extension)", tags=["settings"])
def get_settings() -> Envelope[SettingsOut]:
    return _out(service.get_settings(components.tenants(), tenant_id()))


@router.post(
    "/v2/settings/update",
    summary="Change your account's settings; only those given change (TixPilot extension)",
    tags=["settings"],
)
def update_settings(
    safeguard: Annotated[
        SafeguardLevel | None,
        BeforeValidator(_number),
        Query(description="1 = off, 2 = on (rotating-barcode status not required), 3 = on (required)"),
    ] = None,
    mobile_po_as: Annotated[
        MobilePoAs | None, Query(description="transfer or qr_screenshot: how mobile stock is PO'd")
    ] = None,
    timezone: Annotated[
        str | None,
        AfterValidator(lambda v: service.check_timezone(v) if v is not None else None),
        Query(max_length=64, description="IANA time zone, e.g. America/New_York"),
    ] = None,
    inventory_pos: Annotated[
        InventoryPos | None,
        Query(description="the POS the marketplaces sell from: " + " or ".join(INVENTORY_POS_NAMES)),
    ] = None,
) -> Envelope[SettingsOut]:
    settings = service.update_settings(
        components.tenants(),
        tenant_id(),
        safeguard=safeguard,
        mobile_po_as=mobile_po_as,
        timezone=timezone,
        inventory_pos=inventory_pos,
    )
    return _out(settings)
