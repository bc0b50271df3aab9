"""GET /v2/domains/list, and that no tenant can see another's domains."""

from __future__ import annotations

import json

import pytest

from tests.events import api_event
from tixpilot.repositories.domains import DomainRepository
from tixpilot.services.tenants import add_domain


def output(response: dict) -> list:
    assert response["statusCode"] == 200, response["body"]
    return json.loads(response["body"])["output"]


@pytest.fixture
def two_tenants(admin, new_tenant):
    a, b = new_tenant("Alpha Tickets"), new_tenant("Bravo Seats")
    add_domain(admin, a.id, f"alpha-{a.id}.com")
    add_domain(admin, a.id, f"MAIL.Alpha-{a.id}.org")
    add_domain(admin, b.id, f"bravo-{b.id}.net")
    return a, b


@pytest.mark.parametrize("path", ["/v2/domains/list", "/v2/domains/list/"])
def test_lists_the_tenants_domains_in_the_legacy_shape(invoke, two_tenants, path):
    a, _ = two_tenants
    rows = output(invoke("api_domains", api_event("GET", path, token=a.token)))
    assert sorted(r["domain"] for r in rows) == sorted([f"alpha-{a.id}.com", f"mail.alpha-{a.id}.org"])
    for row in rows:
        assert set(row) == {"domain_id", "domain", "owned_by", "used_by", "defaults"}
        assert row["owned_by"] == row["used_by"] == a.id
        assert row["defaults"] == {"password": "", "customer_id": "", "creditcard_id": ""}
        assert row["domain_id"].isdigit()


def test_the_domain_filter_matches_one_domain_case_insensitively(invoke, two_tenants):
    a, _ = two_tenants
    event = api_event("GET", "/v2/domains/list", token=a.token, query={"domain": f"ALPHA-{a.id}.com"})
    assert [r["domain"] for r in output(invoke("api_domains", event))] == [f"alpha-{a.id}.com"]


def test_a_tenant_never_sees_another_tenants_domain(invoke, two_tenants):
    a, b = two_tenants
    assert [
        r["domain"]
        for r in output(invoke("api_domains", api_event("GET", "/v2/domains/list", token=b.token)))
    ] == [f"bravo-{b.id}.net"]
    # naming the other tenant's domain explicitly finds nothing either
    event = api_event("GET", "/v2/domains/list", token=b.token, query={"domain": f"alpha-{a.id}.com"})
    assert output(invoke("api_domains", event)) == []
    assert all(d.tenant_id == b.id for d in DomainRepository().list_for_tenant(b.id))


def test_a_malformed_domain_filter_is_a_400(invoke, new_tenant):
    tenant = new_tenant()
    event = api_event("GET", "/v2/domains/list", token=tenant.token, query={"domain": "not a domain"})
    response = invoke("api_domains", event)
    assert response["statusCode"] == 400
    result = json.loads(response["body"])["result"]
    assert result["messageid"] == "E_PARAM" and result["message"].startswith("domain:")


def test_a_tenant_without_domains_gets_an_empty_list(invoke, new_tenant):
    tenant = new_tenant()
    assert output(invoke("api_domains", api_event("GET", "/v2/domains/list", token=tenant.token))) == []


def test_listing_is_one_query_on_the_tenant_index(invoke, two_tenants, dynamodb_calls):
    a, _ = two_tenants
    dynamodb_calls.calls.clear()
    output(invoke("api_domains", api_event("GET", "/v2/domains/list", token=a.token)))
    (auth, _), (operation, params) = dynamodb_calls.calls
    assert auth == "GetItem" and operation == "Query" and params["IndexName"] == "by_tenant"
