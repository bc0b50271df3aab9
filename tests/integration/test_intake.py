"""The intake function with SES-shaped events against moto: the raw message is read from S3, each
message is recorded once, receipts become purchases, and GET /v2/receipts lists every message."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.events import api_event, load_event
from tixpilot.models.receipts import UNROUTED_TENANT
from tixpilot.repositories.dynamo import Table, to_item
from tixpilot.repositories.receipts import RawMailStore, ReceiptRepository, encode_cursor, message_key
from tixpilot.services.tenants import add_domain

CORPUS = Path(__file__).resolve().parents[2] / "events" / "receipts"


def receipts_of(tenant_id: str) -> list[dict]:
    return list(
        Table("receipts").query_all(
            IndexName="by_tenant",
            KeyConditionExpression="tenant_id = :t",
            ExpressionAttributeValues={":t": {"S": tenant_id}},
        )
    )


def deliver(
    invoke,
    fixture: str,
    to: str,
    message_id: str | None = None,
    received: str | None = None,
    event_name: str = "ses/inbound_receipt.json",
) -> dict[str, Any]:
    """What SES does: the raw message to S3 first, then the intake function's event."""
    transport_id = f"ses-{uuid.uuid4().hex}"
    raw = (CORPUS / fixture).read_bytes()
    RawMailStore().put(f"inbound/{transport_id}", raw)
    event = load_event(event_name)
    mail = event["Records"][0]["ses"]["mail"]
    mail["destination"] = [to]
    mail["messageId"] = transport_id
    if received:
        mail["timestamp"] = received
    mail["commonHeaders"]["messageId"] = message_id or f"<{uuid.uuid4().hex}@email.ticketmaster.com>"
    return invoke("intake", event)  # type: ignore[no-any-return]


def api(invoke, token: str, **query: str) -> tuple[int, dict[str, Any]]:
    response = invoke("api_receipts", api_event("GET", "/v2/receipts", token=token, query=query or None))
    return response["statusCode"], json.loads(response["body"])


@pytest.fixture
def tenant_with_domain(admin, new_tenant):
    tenant = new_tenant()
    domain = f"buyers-{tenant.id}.test"
    add_domain(admin, tenant.id, domain)
    return tenant, domain


def test_a_receipt_is_recorded_and_becomes_a_purchase(invoke, tenant_with_domain):
    tenant, domain = tenant_with_domain
    (recorded,) = deliver(invoke, "tm_plain_seated.eml", f"buyer1@{domain}")["recorded"]
    assert recorded["tenant_id"] == tenant.id and recorded["status"] == "parsed" and recorded["rid"]
    (row,) = receipts_of(tenant.id)
    assert row["rid"] == recorded["rid"] and row["parser"] == "ticketmaster_us"
    response = invoke("api_purchases", api_event("GET", "/v2/purchases", token=tenant.token))
    (purchase,) = json.loads(response["body"])["output"][0]["purchases"]
    assert purchase["rid"] == recorded["rid"]
    assert purchase["receipt"]["confirmation_number"] == "38-41225"
    assert purchase["receipt"]["confirmation_region"] == "SF3"
    assert purchase["receipt"]["seen_emailreceipt"] is True
    assert purchase["receipt"]["cost_group"] == "94.95" and purchase["receipt"]["creditcard"] == "4242"
    assert purchase["event"]["name"] == "Sugarland"
    assert purchase["event"]["datetime"] == "7/11/2026 7:00:00 PM"
    assert purchase["items"]["section"] == "309" and purchase["items"]["row"] == "H"
    assert (purchase["items"]["seat_first"], purchase["items"]["seat_last"]) == ("5", "6")
    assert purchase["items"]["stock"] == "mobile"
    assert purchase["purchasing_account"]["account_username"] == f"buyer1@{domain}"


def test_a_second_receipt_merges_and_a_repeat_is_a_duplicate(invoke, tenant_with_domain):
    tenant, domain = tenant_with_domain
    first = deliver(invoke, "tm_plain_seated.eml", f"b@{domain}", "<first@tm.test>")["recorded"][0]
    resent = deliver(invoke, "tm_plain_seated_resent.eml", f"b@{domain}", "<resent@tm.test>")["recorded"][0]
    again = deliver(invoke, "tm_plain_seated.eml", f"b@{domain}", "<first@tm.test>")["recorded"][0]
    assert resent["rid"] == first["rid"] and again == {
        "tenant_id": tenant.id,
        "status": "duplicate",
        "rid": None,
    }
    response = invoke("api_purchases", api_event("GET", "/v2/purchases", token=tenant.token))
    assert len(json.loads(response["body"])["output"][0]["purchases"]) == 1
    status, body = api(invoke, tenant.token, status="duplicate")
    assert status == 200
    (dup,) = body["output"][0]["receipts"]
    assert dup["message_id"] == "<first@tm.test>" and dup["reason"] and "rid" not in dup


def test_noise_is_listed_as_unparsed_with_its_reason(invoke, tenant_with_domain):
    tenant, domain = tenant_with_domain
    for fixture in ("noise_bounce.eml", "noise_tm_password_reset.eml", "noise_bank_statement.eml"):
        assert deliver(invoke, fixture, f"b@{domain}")["recorded"][0]["status"] == "unparsed"
    status, body = api(invoke, tenant.token, status="unparsed")
    rows = body["output"][0]["receipts"]
    assert status == 200 and len(rows) == 3
    assert all(
        set(r)
        == {"message_id", "from", "to", "subject", "received", "status", "reason", "verified"}
        | {"verification", "verdicts"}
        for r in rows
    )
    assert all(r["reason"] and r["to"] == f"b@{domain}" for r in rows)
    response = invoke("api_purchases", api_event("GET", "/v2/purchases", token=tenant.token))
    assert json.loads(response["body"])["output"][0]["purchases"] == []


def test_mail_for_a_domain_nobody_owns_is_kept_unrouted(invoke, moto_server):
    message_id = f"<stray-{uuid.uuid4().hex}@example.com>"
    recorded = deliver(invoke, "tm_plain_seated.eml", "someone@nobody-owns-this.test", message_id)["recorded"]
    assert recorded == [{"tenant_id": UNROUTED_TENANT, "status": "unparsed", "rid": None}]
    stray = [r for r in receipts_of(UNROUTED_TENANT) if r["message_id"] == message_id]
    assert "nobody-owns-this.test" in stray[0]["reason"]


def test_receipts_page_newest_first_and_stay_within_the_tenant(invoke, tenant_with_domain, new_tenant):
    tenant, domain = tenant_with_domain
    sent = []
    fixtures = ("tm_base64_plain.eml", "noise_bounce.eml", "axs_seated.eml", "tm_ga_no_quantity.eml")
    for second, fixture in enumerate(fixtures):
        message_id = f"<{uuid.uuid4().hex}@mail.test>"
        deliver(invoke, fixture, f"b@{domain}", message_id, f"2026-11-25T14:28:0{second}.000Z")
        sent.append(message_id)
    seen: list[str] = []
    query: dict[str, str] = {"page_size": "3"}
    while True:
        status, body = api(invoke, tenant.token, **query)
        assert status == 200
        page = body["output"][0]
        seen += [r["message_id"] for r in page["receipts"]]
        if not page["cursor"]:
            break
        assert tenant.id not in page["cursor"]
        query["cursor"] = page["cursor"]
    assert seen == list(reversed(sent))

    other = new_tenant()
    assert api(invoke, other.token)[1]["output"][0]["receipts"] == []
    # a cursor is signed for the tenant it was handed to: replayed by another, it is a 400
    status, body = api(invoke, other.token, cursor=query["cursor"])
    assert status == 400 and body["result"]["message"].startswith("cursor:")


def test_bad_parameters_are_400s_that_name_the_accepted_form(invoke, tenant_with_domain):
    tenant, _ = tenant_with_domain
    status, body = api(invoke, tenant.token, status="lost")
    assert status == 400 and body["result"]["message"].startswith("status:")
    assert "parsed" in body["result"]["message"]
    status, body = api(invoke, tenant.token, cursor="bm90LWEtY3Vyc29y")
    assert status == 400 and body["result"]["message"].startswith("cursor:")
    assert encode_cursor(None) is None


def test_listing_receipts_is_one_query_on_an_index(invoke, tenant_with_domain, dynamodb_calls):
    tenant, _ = tenant_with_domain
    api(invoke, tenant.token, status="parsed")
    api(invoke, tenant.token)
    queries = [params for name, params in dynamodb_calls.calls if name == "Query"]
    assert [q["IndexName"] for q in queries] == ["by_tenant_status", "by_tenant"]
    assert "Scan" not in dynamodb_calls.operations


# --- authenticity (SES's verdicts) ---------------------------------------------------------------


def test_an_authenticated_receipt_is_verified_and_says_how(invoke, tenant_with_domain):
    tenant, domain = tenant_with_domain
    message_id = f"<{uuid.uuid4().hex}@email.ticketmaster.com>"
    deliver(invoke, "tm_plain_seated.eml", f"b@{domain}", message_id)
    (row,) = api(invoke, tenant.token, status="parsed")[1]["output"][0]["receipts"]
    assert row["verified"] is True and "email.ticketmaster.com" in row["verification"]
    assert row["verdicts"] == dict.fromkeys(("spam", "virus", "spf", "dkim", "dmarc"), "PASS")
    response = invoke("api_purchases", api_event("GET", "/v2/purchases", token=tenant.token))
    (purchase,) = json.loads(response["body"])["output"][0]["purchases"]
    assert purchase["receipt"]["verified"] is True


def test_a_forged_receipt_is_an_unverified_purchase_and_receipts_say_why(invoke, tenant_with_domain):
    tenant, domain = tenant_with_domain
    (recorded,) = deliver(
        invoke, "tm_plain_seated.eml", f"b@{domain}", event_name="ses/inbound_receipt_forged.json"
    )["recorded"]
    assert recorded["status"] == "parsed"
    response = invoke("api_purchases", api_event("GET", "/v2/purchases", token=tenant.token))
    (purchase,) = json.loads(response["body"])["output"][0]["purchases"]
    assert purchase["receipt"]["verified"] is False and purchase["rid"] == recorded["rid"]
    (row,) = api(invoke, tenant.token)[1]["output"][0]["receipts"]
    assert row["verified"] is False and "dmarc FAIL" in row["verification"]
    assert (row["verdicts"]["dkim"], row["verdicts"]["dmarc"]) == ("PASS", "FAIL")


def test_spam_is_kept_unparsed_and_not_read(invoke, tenant_with_domain):
    tenant, domain = tenant_with_domain
    (recorded,) = deliver(
        invoke, "tm_plain_seated.eml", f"b@{domain}", event_name="ses/inbound_receipt_spam.json"
    )["recorded"]
    assert recorded == {"tenant_id": tenant.id, "status": "unparsed", "rid": None}
    (row,) = api(invoke, tenant.token, status="unparsed")[1]["output"][0]["receipts"]
    assert "spam" in row["reason"] and row["verdicts"]["spam"] == "FAIL"
    response = invoke("api_purchases", api_event("GET", "/v2/purchases", token=tenant.token))
    assert json.loads(response["body"])["output"][0]["purchases"] == []


# --- keys ----------------------------------------------------------------------------------------


def test_a_message_id_longer_than_a_key_is_recorded_and_a_repeat_is_a_duplicate(invoke, tenant_with_domain):
    tenant, domain = tenant_with_domain
    message_id = "<" + "x" * 3000 + f"{uuid.uuid4().hex}@attacker.test>"
    (first,) = deliver(invoke, "tm_plain_seated.eml", f"b@{domain}", message_id)["recorded"]
    (again,) = deliver(invoke, "tm_plain_seated.eml", f"b@{domain}", message_id)["recorded"]
    assert first["status"] == "parsed" and again["status"] == "duplicate"
    (row,) = api(invoke, tenant.token, status="parsed")[1]["output"][0]["receipts"]
    assert row["message_id"] == message_id  # kept whole, as an attribute
    (stored,) = [r for r in receipts_of(tenant.id) if r["status"] == "parsed"]
    assert stored["receipt_key"] == f"{tenant.id}#{message_key(message_id)}"


def test_records_under_the_raw_message_id_move_to_their_hashed_key(invoke, tenant_with_domain):
    tenant, domain = tenant_with_domain
    message_id = f"<legacy-{uuid.uuid4().hex}@email.ticketmaster.com>"
    deliver(invoke, "tm_plain_seated.eml", f"b@{domain}", message_id)
    (row,) = receipts_of(tenant.id)
    table = Table("receipts")
    # as a record was written before keys were hashed
    table.client.delete_item(TableName=table.name, Key={"receipt_key": {"S": row["receipt_key"]}})
    legacy = {**row, "receipt_key": f"{tenant.id}#{message_id}"}
    table.client.put_item(TableName=table.name, Item=to_item(legacy))
    repository = ReceiptRepository()
    assert repository.migrate_keys(tenant.id) == {"examined": 1, "migrated": 1, "conflicts": 0}
    (moved,) = receipts_of(tenant.id)
    assert moved["receipt_key"] == f"{tenant.id}#{message_key(message_id)}"
    assert {k: v for k, v in moved.items() if k != "receipt_key"} == {
        k: v for k, v in row.items() if k != "receipt_key"
    }
    assert repository.migrate_keys(tenant.id)["migrated"] == 0  # once is enough
    # and the message seen again is a duplicate of the moved record
    assert deliver(invoke, "tm_plain_seated.eml", f"b@{domain}", message_id)["recorded"][0]["status"] == (
        "duplicate"
    )
