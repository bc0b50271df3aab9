"""Small in-memory stand-ins for the repositories, for unit tests of the services."""

from __future__ import annotations

import itertools
from collections import defaultdict

from tixpilot.errors import Conflict
from tixpilot.models.domains import Domain
from tixpilot.models.receipts import Receipt
from tixpilot.models.tenants import Credential, Tenant


class FakeCredentials:
    def __init__(self) -> None:
        self.rows: dict[str, Credential] = {}

    def get(self, token_hash: str) -> Credential | None:
        return self.rows.get(token_hash)

    def put(self, token_hash: str, credential: Credential) -> None:
        assert token_hash not in self.rows
        self.rows[token_hash] = credential

    def of_tenant(self, tenant_id: str) -> list[tuple[str, Credential]]:
        return [(h, c) for h, c in self.rows.items() if c.tenant_id == tenant_id]

    def delete(self, token_hash: str) -> None:
        self.rows.pop(token_hash, None)


class FakeTenants:
    def __init__(self) -> None:
        self.rows: dict[str, Tenant] = {}

    def get(self, tenant_id: str) -> Tenant | None:
        return self.rows.get(tenant_id)

    def create(self, tenant: Tenant) -> None:
        assert tenant.tenant_id not in self.rows
        self.rows[tenant.tenant_id] = tenant


class FakeDomains:
    def __init__(self) -> None:
        self.rows: dict[str, Domain] = {}

    def add(self, domain: Domain) -> None:
        if domain.domain in self.rows:
            raise Conflict(f"the domain {domain.domain} is already registered")
        self.rows[domain.domain] = domain

    def owner_of(self, domain: str) -> Domain | None:
        return self.rows.get(domain)


class FakeSequences:
    def __init__(self) -> None:
        self.counters: dict[str, itertools.count[int]] = defaultdict(lambda: itertools.count(1))

    def next(self, name: str) -> int:
        return next(self.counters[name])


class FakeReceipts:
    def __init__(self) -> None:
        self.first: dict[tuple[str, str], Receipt] = {}
        self.duplicates: list[Receipt] = []

    def add_first(self, receipt: Receipt) -> bool:
        key = (receipt.tenant_id, receipt.message_id)
        if key in self.first and self.first[key].transport_id != receipt.transport_id:
            return False  # the same delivery again (a retry) is not a duplicate
        self.first[key] = receipt
        return True

    def add_duplicate(self, receipt: Receipt) -> None:
        self.duplicates.append(receipt)

    def save(self, receipt: Receipt) -> None:
        self.first[(receipt.tenant_id, receipt.message_id)] = receipt
