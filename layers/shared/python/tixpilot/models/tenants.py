"""Tenants (broker accounts) and their credentials."""

from datetime import datetime
from typing import Literal

from pydantic import Field

from tixpilot.models.base import Model
from tixpilot.models.delivery import DeliveryDelay
from tixpilot.models.pos import InventoryPos

SafeguardLevel = Literal[1, 2, 3]
MobilePoAs = Literal["transfer", "qr_screenshot"]


class TenantSettings(Model):
    """Per-tenant behaviour; the defaults follow the reference's recommendation (level 2, transfer)."""

    safeguard: SafeguardLevel = 2
    mobile_po_as: MobilePoAs = "transfer"
    timezone: str = "America/New_York"
    # The POS whose inventory the marketplaces sell: the one a `ticketgroupid` of a marketplace
    # hold or sale names, and where holds and invoices go.
    inventory_pos: InventoryPos = "builtin"
    # Deliver to a marketplace no earlier than so many hours before the event (fulfillment waits).
    delivery_delays: list[DeliveryDelay] = Field(default_factory=list)


class Tenant(Model):
    tenant_id: str
    name: str = Field(min_length=1, max_length=200)
    created: datetime
    settings: TenantSettings = Field(default_factory=TenantSettings)


CredentialKind = Literal["api", "marketplace"]


class Credential(Model):
    """What a stored token hash resolves to. The token itself is never stored."""

    tenant_id: str
    kind: CredentialKind
    credential_id: str
    marketplace_id: int | None = None
    created: datetime


class IssuedCredential(Model):
    """A new credential together with its secret: shown once, at creation."""

    credential: Credential
    secret: str
