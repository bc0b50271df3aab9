"""The intake function with an SES-shaped event, against moto: every message is recorded once."""

from __future__ import annotations

import pytest

from tests.events import load_event
from tixpilot.models.receipts import UNROUTED_TENANT
from tixpilot.repositories.dynamo import Table
from tixpilot.services.tenants import add_domain


def receipts_of(tenant_id: str) -> list[dict]:
    table = Table("receipts")
    items = []
    for status in ("parsed", "unparsed", "duplicate"):
        items += list(
            table.query_all(
                IndexName="by_tenant_status",
                KeyConditionExpression="tenant_status = :s",
                ExpressionAttributeValues={":s": {"S": f"{tenant_id}#{status}"}},
            )
        )
    return items


@pytest.fixture
def routed_event(admin, new_tenant):
    tenant = new_tenant()
    domain = f"buyers-{tenant.id}.test"
    add_domain(admin, tenant.id, domain)
    event = load_event("ses/inbound_receipt.json")
    mail = event["Records"][0]["ses"]["mail"]
    mail["destination"] = [f"buyer1@{domain}"]
    mail["messageId"] = f"ses-{tenant.id}"
    mail["commonHeaders"]["messageId"] = f"<receipt-{tenant.id}@email.ticketmaster.com>"
    return tenant, event


def test_mail_for_a_tenants_domain_is_recorded_for_that_tenant(invoke, routed_event):
    tenant, event = routed_event
    assert invoke("intake", event) == {"recorded": [{"tenant_id": tenant.id, "status": "unparsed"}]}
    (row,) = receipts_of(tenant.id)
    assert row["recipient"].endswith(f"@buyers-{tenant.id}.test")
    assert row["subject"] == "You Got Tickets To Sugarland"
    assert row["raw_key"] == f"inbound/ses-{tenant.id}"
    assert row["reason"]


def test_the_same_message_id_twice_is_recorded_as_a_duplicate(invoke, routed_event):
    tenant, event = routed_event
    invoke("intake", event)
    event["Records"][0]["ses"]["mail"]["messageId"] = f"ses-again-{tenant.id}"
    assert invoke("intake", event) == {"recorded": [{"tenant_id": tenant.id, "status": "duplicate"}]}
    assert sorted(r["status"] for r in receipts_of(tenant.id)) == ["duplicate", "unparsed"]


def test_mail_for_a_domain_nobody_owns_is_kept_unrouted(invoke, moto_server):
    event = load_event("ses/inbound_receipt.json")
    mail = event["Records"][0]["ses"]["mail"]
    mail["destination"] = ["someone@nobody-owns-this.test"]
    mail["commonHeaders"]["messageId"] = "<stray-1@example.com>"
    assert invoke("intake", event) == {"recorded": [{"tenant_id": UNROUTED_TENANT, "status": "unparsed"}]}
    stray = [r for r in receipts_of(UNROUTED_TENANT) if r["message_id"] == "<stray-1@example.com>"]
    assert "nobody-owns-this.test" in stray[0]["reason"]
