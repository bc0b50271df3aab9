"""The admin CLI as a subprocess against the stack's emulator, checked through the HTTP API."""

from __future__ import annotations

import uuid

import pytest

from tests.e2e.stack import DEMO_DOMAIN, LocalStack

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def create_tenant(stack: LocalStack, name: str) -> tuple[str, str]:
    result = stack.cli("tenant", "create", "--name", name)
    assert result.returncode == 0, result.output
    assert {"tenant_id", "api_token"} <= set(result.output), result.output
    return str(result.output["tenant_id"]), str(result.output["api_token"])


def domain_rows(stack: LocalStack, token: str, domain: str | None = None) -> list[dict]:
    response = stack.get("/v2/domains/list", {"domain": domain} if domain else None, token=token)
    assert response.status_code == 200, response.text
    return list(response.json()["output"])


def domains_of(stack: LocalStack, token: str, domain: str | None = None) -> list[str]:
    return [row["domain"] for row in domain_rows(stack, token, domain)]


def test_tenant_create_prints_a_working_token(stack: LocalStack, demo_tenant_id: str) -> None:
    name = f"E2E Brokerage {uuid.uuid4().hex[:8]}"
    tenant_id, token = create_tenant(stack, name)
    assert tenant_id != demo_tenant_id
    assert token and token != stack.token

    response = stack.get("/v2/verify", token=token)
    assert response.status_code == 200, response.text
    assert response.json()["output"] == [{"company_name": name, "userid": tenant_id}]


def test_domain_add_is_listed_for_its_tenant_only(stack: LocalStack, demo_tenant_id: str) -> None:
    tenant_id, token = create_tenant(stack, "E2E Domains LLC")
    domain = f"e2e-{uuid.uuid4().hex[:12]}.test"

    added = stack.cli("domain", "add", "--tenant-id", tenant_id, "--domain", domain)
    assert added.returncode == 0, added.output
    assert added.output["domain"] == domain
    assert added.output["owned_by"] == added.output["used_by"] == tenant_id
    assert domain_rows(stack, token) == [added.output], (
        "the CLI prints the row as GET /v2/domains/list shows it"
    )
    assert domains_of(stack, token, domain) == [domain]

    # Tenant isolation: neither tenant sees the other's domains, even when asking by name.
    assert domain not in domains_of(stack, stack.token)
    assert domains_of(stack, stack.token, domain) == []
    assert domains_of(stack, token, DEMO_DOMAIN) == []

    # A domain has one owner: adding it again, by its owner or anyone else, is a conflict.
    for owner in (tenant_id, demo_tenant_id):
        again = stack.cli("domain", "add", "--tenant-id", owner, "--domain", domain.upper())
        assert again.returncode != 0
        assert again.output["error"] == "E_CONFLICT", again.output
        assert domain in again.output["message"]
    assert domains_of(stack, token) == [domain]
    assert domain not in domains_of(stack, stack.token)


def test_marketplace_key_create(stack: LocalStack, demo_tenant_id: str) -> None:
    result = stack.cli("marketplace-key", "create", "--tenant-id", demo_tenant_id, "--marketplace-id", "4")
    assert result.returncode == 0, result.output
    assert result.output["credid"] and result.output["key"]
    assert result.output["key"] != stack.token
    # A marketplace key authenticates a marketplace's calls, never the broker API.
    refused = stack.get("/v2/verify", token=result.output["key"])
    assert refused.status_code == 401, refused.text
    assert refused.json()["result"]["messageid"] == "E_AUTH"


@pytest.mark.parametrize("marketplace_id", ["999", "55"], ids=["unknown", "buying-only"])
def test_marketplace_key_for_an_unknown_resale_marketplace_fails(
    stack: LocalStack, demo_tenant_id: str, marketplace_id: str
) -> None:
    result = stack.cli(
        "marketplace-key", "create", "--tenant-id", demo_tenant_id, "--marketplace-id", marketplace_id
    )
    assert result.returncode != 0
    assert result.output["error"] == "E_PARAM", result.output
    assert marketplace_id in result.output["message"]
