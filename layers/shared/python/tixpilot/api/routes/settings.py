"""GET /v2/settings and POST /v2/settings/update (TixPilot extensions)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import AfterValidator, BeforeValidator, Field

from tixpilot.api.app import tenant_id
from tixpilot.api.schemas import Envelope
from tixpilot.errors import InvalidParameter
from tixpilot.models.base import Model
from tixpilot.models.delivery import DeliveryDelay
from tixpilot.models.pos import INVENTORY_POS_NAMES, InventoryPos
from tixpilot.models.tenants import MobilePoAs, SafeguardLevel, TenantSettings
from tixpilot.services import settings as service
from tixpilot.services.reference import resale_aliases, resale_names
from tixpilot.wiring import components

router = Router()


class DeliveryDelayOut(Model):
    marketplaceid: int = Field(description="resale marketplace id")
    marketplace: str
    delivery: str = Field(description="pdf, barcodes, transfer, qr, or any")
    hours_before_event: int = Field(
        description="nothing is delivered to it earlier than this before the event"
    )


class SettingsOut(Model):
    safeguard: SafeguardLevel = Field(
        description="1 = off (PO on any data), 2 = on, rotating-barcode status not required, 3 = required"
    )
    mobile_po_as: MobilePoAs = Field(description="how mobile stock is PO'd: transfer or qr_screenshot")
    timezone: str = Field(description="IANA time zone for dates and the sales query windows")
    inventory_pos: InventoryPos = Field(
        description="the POS whose inventory the marketplaces sell (whose ids `ticketgroupid` names): "
        + " or ".join(INVENTORY_POS_NAMES)
    )
    delivery_delays: list[DeliveryDelayOut] = Field(
        description="per marketplace (and kind of delivery): deliver no earlier than so many hours before "
        "the event"
    )


def _delay_out(delay: DeliveryDelay) -> DeliveryDelayOut:
    return DeliveryDelayOut(
        marketplaceid=delay.marketplace_id,
        marketplace=resale_names().get(delay.marketplace_id, ""),
        delivery=delay.kind or "any",
        hours_before_event=delay.hours_before_event,
    )


def _number(value: object) -> object:
    return int(value) if isinstance(value, str) and value.strip().isdigit() else value


def _out(settings: TenantSettings) -> Envelope[SettingsOut]:
    data = settings.model_dump(exclude={"delivery_delays"})
    delays = [_delay_out(d) for d in settings.delivery_delays]
    return Envelope(output=[SettingsOut.model_validate({**data, "delivery_delays": delays})])


def _delays(value: str | None) -> list[DeliveryDelay] | None:
    if value is None:
        return None
    try:
        return service.parse_delivery_delays(value, resale_aliases())
    except ValueError as exc:
        raise InvalidParameter("delivery_delays", f"delivery_delays: {exc}") from None


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
    delivery_delays: Annotated[
        str | None,
        Query(
            max_length=500,
            description=f"replaces your delivery delays: {service.DELAY_FORM}; none clears them",
        ),
    ] = None,
) -> Envelope[SettingsOut]:
    settings = service.update_settings(
        components.tenants(),
        tenant_id(),
        safeguard=safeguard,
        mobile_po_as=mobile_po_as,
        timezone=timezone,
        inventory_pos=inventory_pos,
        delivery_delays=_delays(delivery_delays),
    )
    return _out(settings)
