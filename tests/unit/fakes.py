"""Small in-memory stand-ins for the repositories, for unit tests of the services."""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Mapping

from tixpilot.errors import Conflict
from tixpilot.models.domains import Domain
from tixpilot.models.marketplace_credentials import SellerAccount
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


class FakeSellerAccounts:
    """Marketplace credentials by (tenant, marketplace), with the account-key lookup and the
    one-tenant-per-account rule of the real repository (no encryption: nothing is persisted)."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, int], tuple[dict[str, str], str]] = {}

    def get(self, tenant_id: str, marketplace_id: int) -> dict[str, str] | None:
        row = self.rows.get((tenant_id, marketplace_id))
        return dict(row[0]) if row else None

    def put(
        self, tenant_id: str, marketplace_id: int, credentials: Mapping[str, str], account_key: str
    ) -> None:
        for (other, market), (_, key) in self.rows.items():
            if market == marketplace_id and key == account_key and other != tenant_id:
                raise Conflict(f"this marketplace {marketplace_id} account is already another tenant's")
        self.rows[(tenant_id, marketplace_id)] = (dict(credentials), account_key)

    def find_by_account(self, marketplace_id: int, account_key: str) -> SellerAccount | None:
        for (tenant_id, market), (credentials, key) in self.rows.items():
            if market == marketplace_id and key == account_key:
                return SellerAccount(tenant_id, marketplace_id, dict(credentials))
        return None

    def tenants_of(self, marketplace_id: int) -> list[str]:
        return sorted(tenant for tenant, market in self.rows if market == marketplace_id)
