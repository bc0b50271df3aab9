"""Tokens: random, shown once, stored only as a hash, and checked by kind."""

from __future__ import annotations

import pytest

from tests.unit.fakes import FakeCredentials, FakeDomains, FakeSequences, FakeTenants
from tixpilot.errors import InvalidParameter, NotFound, Unauthorized
from tixpilot.services.credentials import authenticate, hash_secret, issue_credential
from tixpilot.services.tenants import (
    AdminRepos,
    add_domain,
    create_marketplace_key,
    create_tenant,
    issue_api_token,
    revoke_marketplace_key,
    rotate_api_token,
)


@pytest.fixture
def repos() -> AdminRepos:
    return AdminRepos(FakeTenants(), FakeCredentials(), FakeDomains(), FakeSequences())


def test_a_token_is_stored_only_as_its_hash(repos):
    tenant, issued = create_tenant(repos, "  Acme Tickets ")
    assert tenant.name == "Acme Tickets"
    stored = repos.credentials.rows  # type: ignore[attr-defined]
    assert list(stored) == [hash_secret(issued.secret)]
    assert issued.secret not in repr(stored)
    assert authenticate(repos.credentials, issued.secret).tenant_id == tenant.tenant_id


def test_tokens_are_random_and_long(repos):
    secrets = {create_tenant(repos, f"T{i}")[1].secret for i in range(50)}
    assert len(secrets) == 50
    assert all(s.startswith("tpk_") and len(s) >= 40 for s in secrets)


@pytest.mark.parametrize("presented", [None, "", "   ", "tpk_wrong"])
def test_missing_or_unknown_tokens_are_unauthorized(repos, presented):
    create_tenant(repos, "Acme")
    with pytest.raises(Unauthorized):
        authenticate(repos.credentials, presented)


def test_a_marketplace_key_only_opens_the_marketplace_door(repos):
    tenant, _ = create_tenant(repos, "Acme")
    key = create_marketplace_key(repos, tenant.tenant_id, 4, {1, 4})
    with pytest.raises(Unauthorized):
        authenticate(repos.credentials, key.secret, kind="api")
    credential = authenticate(repos.credentials, key.secret, kind="marketplace")
    assert credential.marketplace_id == 4 and credential.credential_id == key.credential.credential_id


def test_a_marketplace_key_needs_a_resale_marketplace(repos):
    tenant, _ = create_tenant(repos, "Acme")
    with pytest.raises(InvalidParameter, match="resale"):
        create_marketplace_key(repos, tenant.tenant_id, 777, {1, 4})


def test_an_empty_name_is_refused(repos):
    with pytest.raises(InvalidParameter):
        create_tenant(repos, "   ")


def test_domains_need_an_existing_tenant_and_are_normalized(repos):
    with pytest.raises(NotFound):
        add_domain(repos, "404", "example.com")
    tenant, _ = create_tenant(repos, "Acme")
    assert add_domain(repos, tenant.tenant_id, " Example.COM. ").domain == "example.com"


def test_a_chosen_secret_is_used_verbatim(repos):
    tenant, _ = create_tenant(repos, "Acme")
    issued = issue_credential(
        repos.credentials,
        tenant_id=tenant.tenant_id,
        kind="api",
        credential_id="1",
        secret="fixed-demo-token",
    )
    assert issued.secret == "fixed-demo-token"
    assert authenticate(repos.credentials, "fixed-demo-token").tenant_id == tenant.tenant_id


def test_rotating_the_api_token_revokes_every_older_one_of_the_tenant_only(repos):
    tenant, first = create_tenant(repos, "Acme")
    second = issue_api_token(repos, tenant.tenant_id)
    key = create_marketplace_key(repos, tenant.tenant_id, 4, {4})
    other, others_token = create_tenant(repos, "Other")
    rotated, revoked = rotate_api_token(repos, tenant.tenant_id)
    assert revoked == 2
    for old in (first, second):
        with pytest.raises(Unauthorized):
            authenticate(repos.credentials, old.secret)
    assert authenticate(repos.credentials, rotated.secret).tenant_id == tenant.tenant_id
    assert authenticate(repos.credentials, key.secret, kind="marketplace").tenant_id == tenant.tenant_id
    assert authenticate(repos.credentials, others_token.secret).tenant_id == other.tenant_id


def test_a_rotation_leaves_a_token_issued_after_its_own(repos):
    """Two rotations at once: each revokes only tokens older than its own, so the one that
    issued last keeps its token and the tenant is never locked out."""
    tenant, _ = create_tenant(repos, "Acme")
    real = repos.credentials.of_tenant  # type: ignore[attr-defined]
    concurrent = []

    def of_tenant(tenant_id):  # the other rotation issues its token while this one lists
        if not concurrent:
            concurrent.append(issue_api_token(repos, tenant_id))
        return real(tenant_id)

    repos.credentials.of_tenant = of_tenant  # type: ignore[attr-defined]
    mine, revoked = rotate_api_token(repos, tenant.tenant_id)
    (later,) = concurrent
    assert revoked == 1  # the tenant's first token only
    assert authenticate(repos.credentials, later.secret).tenant_id == tenant.tenant_id
    assert authenticate(repos.credentials, mine.secret).tenant_id == tenant.tenant_id


def test_a_revoked_marketplace_key_no_longer_opens_anything(repos):
    tenant, token = create_tenant(repos, "Acme")
    key = create_marketplace_key(repos, tenant.tenant_id, 4, {4})
    kept = create_marketplace_key(repos, tenant.tenant_id, 1, {1, 4})
    revoked = revoke_marketplace_key(repos, tenant.tenant_id, key.credential.credential_id)
    assert revoked.marketplace_id == 4
    with pytest.raises(Unauthorized):
        authenticate(repos.credentials, key.secret, kind="marketplace")
    assert authenticate(repos.credentials, kept.secret, kind="marketplace")
    assert authenticate(repos.credentials, token.secret)
    with pytest.raises(NotFound):  # again, an API token's id, another tenant's key
        revoke_marketplace_key(repos, tenant.tenant_id, key.credential.credential_id)
    with pytest.raises(NotFound):
        revoke_marketplace_key(repos, tenant.tenant_id, token.credential.credential_id)
    other, _ = create_tenant(repos, "Other")
    with pytest.raises(NotFound):
        revoke_marketplace_key(repos, other.tenant_id, kept.credential.credential_id)
