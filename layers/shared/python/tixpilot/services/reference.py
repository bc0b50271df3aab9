"""Reference data and the token check."""

from __future__ import annotations

from typing import Any, Protocol

from tixpilot.errors import NotFound
from tixpilot.models.reference import BuyingMarketplace, Disclosure, ReferenceKind, ResaleMarketplace
from tixpilot.models.tenants import Tenant


class ReferenceSource(Protocol):
    def entries(self, kind: ReferenceKind) -> list[dict[str, Any]]: ...


class TenantSource(Protocol):
    def get(self, tenant_id: str) -> Tenant | None: ...


def verify_tenant(tenants: TenantSource, tenant_id: str) -> Tenant:
    """The tenant a valid token belongs to (a token of a deleted tenant is answered as not found)."""
    tenant = tenants.get(tenant_id)
    if tenant is None:
        raise NotFound("the account this token belongs to no longer exists")
    return tenant


def buying_marketplaces(source: ReferenceSource) -> list[BuyingMarketplace]:
    return [BuyingMarketplace.model_validate(e) for e in source.entries("buying_marketplace")]


def resale_marketplaces(source: ReferenceSource) -> list[ResaleMarketplace]:
    return [ResaleMarketplace.model_validate(e) for e in source.entries("resale_marketplace")]


def disclosures(source: ReferenceSource) -> list[Disclosure]:
    return [Disclosure.model_validate(e) for e in source.entries("disclosure")]
