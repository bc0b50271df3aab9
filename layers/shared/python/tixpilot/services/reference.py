"""Reference data (the resale marketplaces' names, aliases and id check among it) and the token check."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any, Protocol

from tixpilot.data.reference import RESALE_MARKETPLACES
from tixpilot.errors import NotFound
from tixpilot.models.reference import BuyingMarketplace, Disclosure, ReferenceKind, ResaleMarketplace
from tixpilot.models.tenants import Tenant


class ReferenceSource(Protocol):
    def entries(self, kind: ReferenceKind) -> list[dict[str, Any]]: ...


class TenantSource(Protocol):
    def get(self, tenant_id: str) -> Tenant | None: ...


def alias_table(marketplaces: Iterable[Mapping[str, object]]) -> dict[str, int]:
    """alias -> resale marketplace id, from RESALE_MARKETPLACES-shaped entries."""
    table: dict[str, int] = {}
    for market in marketplaces:
        mid = market["id"]
        assert isinstance(mid, int)
        for alias in market["aliases"]:  # type: ignore[attr-defined]
            table[str(alias).casefold()] = mid
    return table


@cache
def resale_aliases() -> dict[str, int]:
    """Every resale marketplace's aliases (casefolded) -> its id, from the built-in reference data."""
    return alias_table(RESALE_MARKETPLACES)


@cache
def resale_names() -> dict[int, str]:
    """Resale marketplace id -> display name."""
    return {int(str(m["id"])): str(m["display_name"]) for m in RESALE_MARKETPLACES}


def check_resale_marketplace(marketplace_id: int) -> int:
    """ValueError (naming the accepted ids) unless it is a resale marketplace id."""
    if marketplace_id not in resale_names():
        raise ValueError(
            f"{marketplace_id} is not a resale marketplace id (1 stubhub, 4 vivid, 25 gametime, ...); "
            "see GET /v2/marketplaces?type=resale"
        )
    return marketplace_id


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
