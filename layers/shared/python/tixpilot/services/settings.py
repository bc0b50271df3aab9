"""Per-tenant settings: the Safeguard level, how mobile stock is PO'd, the time zone, the POS the
marketplaces sell from."""

from __future__ import annotations

from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tixpilot.errors import NotFound
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
    tenant = store.update_settings(tenant_id, given) if given else store.get(tenant_id)
    if tenant is None:
        raise _gone()
    return tenant.settings
