"""Email domains owned by a tenant; receipts sent to any address there belong to the tenant."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field

_DOMAIN = re.compile(r"^(?=.{1,253}$)(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))+$")


def normalize_domain(value: str) -> str:
    """Lower-case and check a domain name; raises ValueError with the accepted form."""
    domain = value.strip().lower().rstrip(".")
    if not _DOMAIN.match(domain):
        raise ValueError(f"'{value}' is not a domain name; use a form like example.com")
    return domain


DomainName = Annotated[str, AfterValidator(normalize_domain)]


class DomainDefaults(BaseModel):
    password: str = ""
    customer_id: str = ""
    creditcard_id: str = ""


class Domain(BaseModel):
    domain_id: str
    domain: DomainName
    tenant_id: str
    defaults: DomainDefaults = Field(default_factory=DomainDefaults)
