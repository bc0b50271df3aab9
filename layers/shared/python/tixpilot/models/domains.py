"""Email domains owned by a tenant (receipts sent to any address there belong to the tenant), and
the tenant's trusted forwarders."""

import re
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, Field

from tixpilot.models.base import Model

_DOMAIN = re.compile(r"^(?=.{1,253}$)(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))+$")


def normalize_domain(value: str) -> str:
    """Lower-case and check a domain name; raises ValueError with the accepted form."""
    domain = value.strip().lower().rstrip(".")
    if not _DOMAIN.match(domain):
        raise ValueError(f"'{value}' is not a domain name; use a form like example.com")
    return domain


DomainName = Annotated[str, AfterValidator(normalize_domain)]


class DomainDefaults(Model):
    password: str = ""
    customer_id: str = ""
    creditcard_id: str = ""


class Domain(Model):
    domain_id: str
    domain: DomainName
    tenant_id: str
    defaults: DomainDefaults = Field(default_factory=DomainDefaults)


_ADDRESS = re.compile(r"^[^@\s<>(),;:\"\[\]\\]{1,64}@(.+)$")


def normalize_address(value: str) -> str:
    """Lower-case and check a mailbox address; raises ValueError with the accepted form."""
    address = value.strip().lower()
    match = _ADDRESS.match(address)
    try:
        if not match or normalize_domain(match.group(1)) != match.group(1):
            raise ValueError(address)
    except ValueError:
        raise ValueError(f"'{value}' is not a mail address; use a form like jane@gmail.com") from None
    return address


class Forwarder(Model):
    """A mailbox of the tenant's own (e.g. a buyer's Gmail) whose forwarded receipts count as
    authentic when its own domain authenticates the forward (services/mail_trust.py)."""

    tenant_id: str
    address: Annotated[str, AfterValidator(normalize_address)]
    added: datetime
