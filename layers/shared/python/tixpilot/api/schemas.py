"""The legacy JSON envelope and the API's output shapes (legacy field names, kept exactly)."""

from typing import Generic, Literal, TypeVar

from pydantic import Field

from tixpilot.models.base import Model

T = TypeVar("T")


def check_identifier(value: str) -> str:
    """An id the API takes (an order id, a sale id): 1-64 ASCII letters, digits, '.', '_' or '-'."""
    if not value or len(value) > 64 or not all(c.isascii() and (c.isalnum() or c in "._-") for c in value):
        raise ValueError(f"'{value[:70]}' is not an id; use 1-64 letters, digits, '.', '_' or '-'")
    return value


class Result(Model):
    status: Literal["success", "error"] = "success"
    message: str = ""
    messageid: str = ""


class Envelope(Model, Generic[T]):
    """`{"result": {...}, "output": [...]}`, the shape of every answer, errors included."""

    result: Result = Field(default_factory=Result)
    output: list[T] = Field(default_factory=list)


class PagedEnvelope(Envelope[T], Generic[T]):
    """The envelope of a list answered a page at a time, when the legacy `output` is the list
    itself (GET /v2/sales): the next page's cursor sits beside it."""

    cursor: str | None = Field(
        default=None,
        description="TixPilot extension: pass as `cursor` (with the same query) for the next page; "
        "null on the last. A page can be shorter than page_size (even empty) while cursor is not "
        "null: follow it until it is null.",
    )


class ErrorEnvelope(Model):
    result: Result
    output: list[object] = Field(default_factory=list)


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


class DomainDefaultsOut(Model):
    password: str = Field(default="", description="write-only: always empty")
    customer_id: str
    creditcard_id: str


class DomainOut(Model):
    domain_id: str
    domain: str
    owned_by: str
    used_by: str
    defaults: DomainDefaultsOut
