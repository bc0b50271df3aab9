"""Inbound email: route each recipient to its tenant and record the message exactly once.

Receipt parsing and purchase creation plug in here (the intake issue); until then every routed
message is recorded as `unparsed` with that reason, so nothing that reaches us is lost.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from tixpilot.models.domains import Domain
from tixpilot.models.receipts import UNROUTED_TENANT, InboundMail, Receipt


class DomainOwners(Protocol):
    def owner_of(self, domain: str) -> Domain | None: ...


class ReceiptLog(Protocol):
    def add_first(self, receipt: Receipt) -> bool: ...

    def add_duplicate(self, receipt: Receipt) -> None: ...


@dataclass(frozen=True)
class IntakeRepos:
    domains: DomainOwners
    receipts: ReceiptLog


NO_PARSER = "no receipt parser is installed yet"


def recipient_domain(address: str) -> str:
    return address.rsplit("@", 1)[-1].strip().strip(">").lower()


def receive_mail(repos: IntakeRepos, mail: InboundMail, raw_key: str) -> list[Receipt]:
    """Record one inbound message once per tenant it is addressed to."""
    recorded: list[Receipt] = []
    seen_tenants: set[str] = set()
    for recipient in mail.recipients or [""]:
        owner = repos.domains.owner_of(recipient_domain(recipient)) if recipient else None
        tenant_id = owner.tenant_id if owner else UNROUTED_TENANT
        if tenant_id in seen_tenants:
            continue
        seen_tenants.add(tenant_id)
        receipt = Receipt(
            tenant_id=tenant_id,
            message_id=mail.message_id,
            transport_id=mail.transport_id,
            sender=mail.sender,
            recipient=recipient,
            subject=mail.subject,
            received=mail.received,
            status="unparsed",
            reason=NO_PARSER if owner else f"no tenant owns the domain of {recipient or 'the recipient'}",
            raw_key=raw_key,
        )
        if not repos.receipts.add_first(receipt):
            receipt = receipt.model_copy(update={"status": "duplicate", "reason": "Message-ID seen before"})
            repos.receipts.add_duplicate(receipt)
        recorded.append(receipt)
    return recorded
