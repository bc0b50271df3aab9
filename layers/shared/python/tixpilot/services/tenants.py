"""Creating tenants and giving them credentials and domains (the admin CLI's operations)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from tixpilot.errors import InvalidParameter, NotFound
from tixpilot.models.domains import Domain, Forwarder, normalize_address, normalize_domain
from tixpilot.models.tenants import Credential, IssuedCredential, Tenant
from tixpilot.services.credentials import CredentialAdmin, issue_credential


class Sequences(Protocol):
    def next(self, name: str) -> int: ...


class TenantStore(Protocol):
    def get(self, tenant_id: str) -> Tenant | None: ...

    def create(self, tenant: Tenant) -> None: ...


class DomainStore(Protocol):
    def add(self, domain: Domain) -> None: ...


class ForwarderStore(Protocol):
    def add(self, forwarder: Forwarder) -> Forwarder: ...


@dataclass(frozen=True)
class AdminRepos:
    tenants: TenantStore
    credentials: CredentialAdmin
    domains: DomainStore
    sequences: Sequences


def create_tenant(
    repos: AdminRepos, name: str, api_token: str | None = None
) -> tuple[Tenant, IssuedCredential]:
    """A new tenant with its first API token (returned once, stored hashed)."""
    name = name.strip()
    if not name:
        raise InvalidParameter("name", "name must not be empty; give the broker's company name")
    tenant = Tenant(tenant_id=str(repos.sequences.next("tenant")), name=name, created=datetime.now(UTC))
    repos.tenants.create(tenant)
    return tenant, issue_api_token(repos, tenant.tenant_id, api_token)


def issue_api_token(repos: AdminRepos, tenant_id: str, secret: str | None = None) -> IssuedCredential:
    require_tenant(repos, tenant_id)
    return issue_credential(
        repos.credentials,
        tenant_id=tenant_id,
        kind="api",
        credential_id=str(repos.sequences.next("credential")),
        secret=secret,
    )


def add_domain(repos: AdminRepos, tenant_id: str, domain: str) -> Domain:
    """Claim an email domain for a tenant; a domain has exactly one owner."""
    require_tenant(repos, tenant_id)
    try:
        name = normalize_domain(domain)
    except ValueError as exc:
        raise InvalidParameter("domain", str(exc)) from exc
    row = Domain(domain_id=str(repos.sequences.next("domain")), domain=name, tenant_id=tenant_id)
    repos.domains.add(row)
    return row


def add_forwarder(repos: AdminRepos, forwarders: ForwarderStore, tenant_id: str, address: str) -> Forwarder:
    """Trust receipts forwarded from one of the tenant's own mailboxes (e.g. a buyer's Gmail),
    when the mailbox's domain authenticates the forward. Adding it again changes nothing."""
    require_tenant(repos, tenant_id)
    try:
        normalized = normalize_address(address)
    except ValueError as exc:
        raise InvalidParameter("address", str(exc)) from exc
    return forwarders.add(Forwarder(tenant_id=tenant_id, address=normalized, added=datetime.now(UTC)))


def create_marketplace_key(
    repos: AdminRepos, tenant_id: str, marketplace_id: int, known_resale_ids: set[int]
) -> IssuedCredential:
    """A key a resale marketplace uses to call the OI/ION endpoints for this tenant."""
    require_tenant(repos, tenant_id)
    if marketplace_id not in known_resale_ids:
        raise InvalidParameter(
            "marketplace-id",
            f"{marketplace_id} is not a resale marketplace id; see GET /v2/marketplaces?type=resale",
        )
    return issue_credential(
        repos.credentials,
        tenant_id=tenant_id,
        kind="marketplace",
        credential_id=str(repos.sequences.next("credential")),
        marketplace_id=marketplace_id,
    )


def rotate_api_token(repos: AdminRepos, tenant_id: str) -> tuple[IssuedCredential, int]:
    """A new API token for the tenant; every older one stops working. Returns the new token and
    how many were revoked. The new one is stored first, so the tenant is never without a token;
    "older" is by credential id (a sequence), so of two rotations at once the later one's token
    is the one left."""
    issued = issue_api_token(repos, tenant_id)
    newest = int(issued.credential.credential_id)
    older = [
        token_hash
        for token_hash, credential in repos.credentials.of_tenant(tenant_id)
        if credential.kind == "api" and int(credential.credential_id) < newest
    ]
    for token_hash in older:
        repos.credentials.delete(token_hash)
    return issued, len(older)


def revoke_marketplace_key(repos: AdminRepos, tenant_id: str, credential_id: str) -> Credential:
    """Delete one of the tenant's marketplace keys: calls with it are refused (401) from now on,
    and sales can no longer be added under its credid."""
    require_tenant(repos, tenant_id)
    for token_hash, credential in repos.credentials.of_tenant(tenant_id):
        if credential.credential_id == credential_id.strip() and credential.kind == "marketplace":
            repos.credentials.delete(token_hash)
            return credential
    raise NotFound(
        f"credid {credential_id}: no marketplace key of tenant {tenant_id} has it (already revoked?)"
    )


def require_tenant(repos: AdminRepos, tenant_id: str) -> Tenant:
    tenant = repos.tenants.get(tenant_id)
    if tenant is None:
        raise NotFound(f"no tenant with id {tenant_id}; create one with `tixpilot tenant create`")
    return tenant


__all__ = [
    "AdminRepos",
    "Credential",
    "add_domain",
    "add_forwarder",
    "create_marketplace_key",
    "create_tenant",
    "revoke_marketplace_key",
    "rotate_api_token",
]
