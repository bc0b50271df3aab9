"""A tenant's account on a resale marketplace, as the inbound channels find it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class SellerAccount:
    """Whose credentials (tenant, marketplace) and the credentials themselves, decrypted: the
    plain mapping the marketplace adapters take (`tixpilot.models.marketplaces.Credentials`)."""

    tenant_id: str
    marketplace_id: int
    credentials: Mapping[str, str]
