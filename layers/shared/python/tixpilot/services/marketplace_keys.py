"""The marketplace a key belongs to, and how that marketplace integrates (OI or ION): what every
/oi/v1 and /ion/v1 request checks before its own work."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from tixpilot.data.reference import RESALE_MARKETPLACES
from tixpilot.errors import Forbidden
from tixpilot.models.tenants import Credential


@dataclass(frozen=True)
class Marketplace:
    """The authenticated marketplace key: its tenant, marketplace, credid and hash."""

    credential: Credential
    credential_hash: str

    @property
    def tenant_id(self) -> str:
        return self.credential.tenant_id

    @property
    def marketplace_id(self) -> int:
        assert self.credential.marketplace_id is not None
        return self.credential.marketplace_id


def integration_of(marketplace_id: int) -> tuple[str, str]:
    """(display name, integration) of a resale marketplace."""
    for entry in RESALE_MARKETPLACES:
        if entry["id"] == marketplace_id:
            return str(entry["display_name"]), str(entry["integration"])
    return str(marketplace_id), ""


def require_integration(market: Marketplace, integration: Literal["oi", "ion"]) -> None:
    """Forbidden unless the key's marketplace integrates the way this endpoint serves."""
    name, actual = integration_of(market.marketplace_id)
    if actual == integration:
        return
    other = {"oi": "/oi/v1 (Order Integration)", "ion": "/ion/v1 (Instant Notification)"}
    raise Forbidden(
        f"this key is {name}'s (marketplace {market.marketplace_id}), which integrates by "
        f"{other.get(actual, actual or 'neither')}; {other[integration]} serves only "
        f"{'OI' if integration == 'oi' else 'ION'} marketplaces"
    )
