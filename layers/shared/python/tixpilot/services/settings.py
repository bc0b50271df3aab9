"""Per-tenant settings: the Safeguard level, how mobile stock is PO'd, the time zone, the POS the
marketplaces sell from, the delivery delays per marketplace."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Protocol, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tixpilot.errors import NotFound
from tixpilot.models.delivery import DELIVERY_KINDS, DeliveryDelay, DeliveryKind
from tixpilot.models.tenants import Tenant, TenantSettings


class SettingsStore(Protocol):
    def get(self, tenant_id: str) -> Tenant | None: ...

    def update_settings(self, tenant_id: str, changes: dict[str, Any]) -> Tenant | None: ...


def check_timezone(value: str) -> str:
    """An IANA time zone name (America/New_York); ValueError names the accepted form."""
    name = value.strip()
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"'{value}' is not an IANA time zone; use a name like America/New_York or Europe/London"
        ) from None
    return name


_DELAY = re.compile(r"^([a-z0-9 ]+?)(?:/([a-z]+))?:(\d{1,4})h?$")
DELAY_FORM = "marketplace[/kind]:hours, e.g. vivid/pdf:72,stubhub:24 (kind: pdf, barcodes, transfer, qr)"


def parse_delivery_delays(text: str, marketplaces: Mapping[str, int]) -> list[DeliveryDelay]:
    """`vivid/pdf:72,stubhub:24` -> PDFs to Vivid Seats no earlier than 72 hours before the event,
    anything to StubHub 24 hours before; `none` (or nothing) -> no delays. A marketplace is a
    resale id or a name or alias (`marketplaces`, casefolded). ValueError names what is wrong."""
    words = [w.strip().casefold() for w in text.split(",") if w.strip()]
    if words in ([], ["none"]):
        return []
    delays: dict[tuple[int, str | None], DeliveryDelay] = {}
    ids = set(marketplaces.values())
    for word in words:
        match = _DELAY.match(word)
        if match is None:
            raise ValueError(f"'{word[:40]}' is not a delivery delay; use {DELAY_FORM}, or none")
        market, kind, hours = match.groups()
        market = market.strip()
        marketplace_id = int(market) if market.isdigit() and int(market) in ids else marketplaces.get(market)
        if marketplace_id is None:
            raise ValueError(
                f"'{market}' is not a resale marketplace; use its id or name "
                "(GET /v2/marketplaces?type=resale)"
            )
        if kind is not None and kind not in DELIVERY_KINDS:
            raise ValueError(f"'{kind}' is not a kind of delivery; use one of {', '.join(DELIVERY_KINDS)}")
        if not 1 <= int(hours) <= 24 * 365:
            raise ValueError(f"{hours} hours: a delay is 1 to {24 * 365} hours before the event")
        delays[(marketplace_id, kind)] = DeliveryDelay(
            marketplace_id=marketplace_id, kind=cast(DeliveryKind | None, kind), hours_before_event=int(hours)
        )
    return list(delays.values())


def _gone() -> NotFound:
    return NotFound("the account this token belongs to no longer exists")


def get_settings(store: SettingsStore, tenant_id: str) -> TenantSettings:
    tenant = store.get(tenant_id)
    if tenant is None:
        raise _gone()
    return tenant.settings


def update_settings(store: SettingsStore, tenant_id: str, **changes: Any) -> TenantSettings:
    """Change the settings given (None = leave as is) and return all of them."""
    given = {k: v for k, v in changes.items() if v is not None}
    TenantSettings.model_validate(given)  # the values a caller passes are already valid: a guard
    if "delivery_delays" in given:
        given["delivery_delays"] = [
            DeliveryDelay.model_validate(d).model_dump(mode="json") for d in given["delivery_delays"]
        ]
    tenant = store.update_settings(tenant_id, given) if given else store.get(tenant_id)
    if tenant is None:
        raise _gone()
    return tenant.settings
