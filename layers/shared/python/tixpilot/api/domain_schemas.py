"""The shapes of GET /v2/domains (legacy field names, kept exactly)."""

from pydantic import Field

from tixpilot.models.base import Model


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
