"""Reference data and the demo tenant of the local stack."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tixpilot.data import reference as data
from tixpilot.models.tenants import Tenant
from tixpilot.repositories.domains import DomainRepository
from tixpilot.repositories.reference import ReferenceRepository
from tixpilot.repositories.sequences import SequenceRepository
from tixpilot.repositories.tenants import CredentialRepository, TenantRepository
from tixpilot.services.credentials import hash_secret
from tixpilot.services.tenants import AdminRepos, add_domain, create_tenant, issue_api_token

DEMO_NAME = "TixPilot Demo Brokerage"
DEMO_DOMAIN = "demo.tixpilot.test"


def admin_repos(client: Any = None) -> AdminRepos:
    return AdminRepos(
        tenants=TenantRepository(client),
        credentials=CredentialRepository(client),
        domains=DomainRepository(client),
        sequences=SequenceRepository(client),
    )


def seed_reference(client: Any = None) -> dict[str, int]:
    data.validate()
    repo = ReferenceRepository(client)
    return {
        "buying_marketplace": repo.put_all("buying_marketplace", data.BUYING_MARKETPLACES),
        "resale_marketplace": repo.put_all("resale_marketplace", data.RESALE_MARKETPLACES),
        "disclosure": repo.put_all("disclosure", data.DISCLOSURES),
    }


@dataclass(frozen=True)
class Demo:
    tenant: Tenant
    api_token: str
    domain: str


def ensure_demo_tenant(existing_tenant_id: str | None, token: str | None, client: Any = None) -> Demo:
    """The demo tenant (created once per state), with a token that works now.

    Tokens are stored only hashed, so a restarted stack cannot show an old one again: it issues
    a fresh one, unless TIXPILOT_DEMO_TOKEN fixes it (the e2e tests do that).
    """
    repos = admin_repos(client)
    tenant = repos.tenants.get(existing_tenant_id) if existing_tenant_id else None
    if tenant is None:
        tenant, issued = create_tenant(repos, DEMO_NAME, api_token=token)
        add_domain(repos, tenant.tenant_id, DEMO_DOMAIN)
        return Demo(tenant, issued.secret, DEMO_DOMAIN)
    if token and repos.credentials.get(hash_secret(token)) is not None:
        return Demo(tenant, token, DEMO_DOMAIN)
    return Demo(tenant, issue_api_token(repos, tenant.tenant_id, token).secret, DEMO_DOMAIN)
