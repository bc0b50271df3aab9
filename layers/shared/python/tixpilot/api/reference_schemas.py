"""The shapes of GET /v2/verify, /v2/marketplaces and /v2/disclosures (legacy field names, kept
exactly)."""

from typing import Literal

from pydantic import Field

from tixpilot.models.base import Model


class VerifyOut(Model):
    company_name: str
    userid: str = Field(description="TixPilot extension: the tenant id (the legacy user_id)")


class BuyingMarketplaceOut(Model):
    id: str
    name: str
    url: str
    password_required: bool


class ResaleMarketplaceOut(Model):
    id: str
    name: str
    display_name: str = Field(description="TixPilot extension")
    integration: Literal["oi", "ion"] = Field(description="TixPilot extension: Order Integration or ION")
    aliases: list[str] = Field(description="TixPilot extension: words accepted by /v2/sales?q=")
    binding_holds: bool = Field(
        description="TixPilot extension: its /ion/v1 holds are binding (removing one costs a penalty)"
    )


class DisclosureOut(Model):
    id: int
    description: str
    description_short: str
    description_long: str
    description_skybox: str
    description_dti: str


class DisclosureListOut(Model):
    disclosures: list[DisclosureOut]
