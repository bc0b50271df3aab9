"""Reference data shared by every tenant."""

from typing import Literal

from tixpilot.models.base import Model


class BuyingMarketplace(Model):
    """A primary site where brokers hold purchasing accounts (1 = Ticketmaster)."""

    id: int
    name: str
    url: str = ""
    password_required: bool = False


class ResaleMarketplace(Model):
    """A marketplace where brokers sell (the legacy fulfill lookup table: 1 stubhub, 4 vivid, ...)."""

    id: int
    name: str
    display_name: str
    integration: Literal["oi", "ion"]
    aliases: tuple[str, ...] = ()
    binding_holds: bool = False  # its Instant Notification holds are binding (StubHub, Vivid Seats)


class Disclosure(Model):
    id: int
    description: str
    description_short: str
    description_long: str
    description_skybox: str = ""
    description_dti: str = ""


ReferenceKind = Literal["buying_marketplace", "resale_marketplace", "disclosure"]
