"""Tenants (broker accounts) and their credentials."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from tixpilot.models.pos import InventoryPos

SafeguardLevel = Literal[1, 2, 3]
MobilePoAs = Literal["transfer", "qr_screenshot"]


class TenantSettings(BaseModel):
    """Per-tenant behaviour; the defaults follow the reference's recommendation (level 2, transfer)."""

    safeguard: SafeguardLevel = 2
    mobile_po_as: MobilePoAs = "transfer"
    timezone: str = "America/New_York"
    # The POS whose inventory the marketplaces sell: the one a `ticketgroupid` of a marketplace
    # hold or sale names, and where holds and invoices go.
    inventory_pos: InventoryPos = "builtin"


class Tenant(BaseModel):
    tenant_id: str
    name: str = Field(min_length=1, max_length=200)
    created: datetime
    settings: TenantSettings = Field(default_factory=TenantSettings)


CredentialKind = Literal["api", "marketplace"]


class Credential(BaseModel):
    """What a stored token hash resolves to. The token itself is never stored."""

    tenant_id: str
    kind: CredentialKind
    credential_id: str
    marketplace_id: int | None = None
    created: datetime


class IssuedCredential(BaseModel):
    """A new credential together with its secret: shown once, at creation."""

    credential: Credential
    secret: str
