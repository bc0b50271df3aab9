"""The fake SkyBox behaves as SkyBox's published client describes: auth, required fields and enums,
ids, holds that block seats, invoices that consume them, the documented error statuses, rate
limiting and both search answer shapes."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from tests.integration.skybox.conftest import Fake, SkyBoxAccount, later, purchase_body


def rows(answer: Any) -> list[dict[str, Any]]:
    assert isinstance(answer, dict) and answer["rowCount"] == len(answer["rows"]), answer
    return list(answer["rows"])


def make_purchase(account: SkyBoxAccount, event: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return dict(account.ok("POST", "/purchases", purchase_body(account, event["id"], **changes)))


def inventory_of(account: SkyBoxAccount, purchase: dict[str, Any]) -> dict[str, Any]:
    (found,) = rows(account.ok("GET", "/inventory", purchaseId=purchase["id"], includeTickets="true"))
    return found


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Account": "1", "X-Api-Token": "api-token-1", "X-Application-Token": "app-token-1"},
        {"X-Api-Token": "api-token-1", "X-Application-Token": "app-token-1"},
    ],
    ids=["none", "wrong-account", "no-account"],
)
def test_every_call_needs_the_three_keys_of_an_account(
    skybox: Fake, account: SkyBoxAccount, headers: dict[str, str]
) -> None:
    for method, path in (("GET", "/events"), ("POST", "/purchases"), ("GET", "/holds/1")):
        response = requests.request(method, skybox.url + path, headers=headers, json={}, timeout=10)
        assert response.status_code == 401, (method, path, response.text)
    assert account.call("GET", "/events").status_code == 200
    wrong_app = SkyBoxAccount(account.url, account.ids, application_token="other")
    assert wrong_app.call("GET", "/events").status_code == 401


def test_a_purchase_gets_ids_inventory_and_one_ticket_per_seat(
    account: SkyBoxAccount, event: dict[str, Any]
) -> None:
    made = make_purchase(account, event, creditCardId=account.ids["credit_card_id"])
    assert isinstance(made["id"], int) and made["accountId"] == account.account_id
    assert made["externalRef"] == "12-34567/NY" and made["paymentStatus"] == "UNPAID"
    (line,) = made["lines"]
    assert isinstance(line["id"], int) and len(line["inventoryIds"]) == 1
    stock = inventory_of(account, made)
    assert stock["id"] == line["inventoryIds"][0] and stock["eventId"] == event["id"]
    assert isinstance(stock["exchangePosId"], int) and stock["status"] == "AVAILABLE"
    assert [(t["seatNumber"], t["cost"], t["status"]) for t in stock["tickets"]] == [
        (5, 55.5, "AVAILABLE"),
        (6, 55.5, "AVAILABLE"),
    ]
    assert account.ok("GET", f"/purchases/{made['id']}")["id"] == made["id"]
    (found,) = rows(account.ok("GET", "/purchases", externalRef="12-34567/NY"))
    assert (found["id"], found["quantity"], found["eventName"], found["total"]) == (
        made["id"],
        2,
        "Sugarland",
        111.0,
    )
    assert rows(account.ok("GET", "/purchases", externalRef="12-34567")) == []


@pytest.mark.parametrize(
    ("changes", "path"),
    [
        ({"paymentMethod": None}, "paymentMethod"),
        ({"deliveryMethod": "PIGEON"}, "deliveryMethod"),
        ({"lines": [{"amount": 1, "lineItemType": "INVENTORY"}]}, "lines[0].accountId"),
        ({"currencyCode": "USDT"}, "currencyCode"),
        ({"paymentRef": "x" * 46}, "paymentRef"),
    ],
    ids=["required", "enum", "line-required", "currency-enum", "limit"],
)
def test_a_purchase_missing_a_required_field_or_off_an_enum_is_a_400_naming_it(
    account: SkyBoxAccount, event: dict[str, Any], changes: dict[str, Any], path: str
) -> None:
    body = purchase_body(account, event["id"])
    body.update(changes)
    body = {k: v for k, v in body.items() if v is not None}
    response = account.call("POST", "/purchases", body)
    assert response.status_code == 400, response.text
    assert path in [v["propertyPath"] for v in response.json()], response.json()


@pytest.mark.parametrize(
    ("inventory", "path"),
    [
        ({"stockType": "PDF"}, "lines[0].inventory.stockType"),
        ({"seatType": None}, "lines[0].inventory.seatType"),
        ({"splitType": None}, "lines[0].inventory.splitType"),
        ({"section": ""}, "lines[0].inventory.section"),
        ({"row": "R" * 45}, "lines[0].inventory.row"),
        ({"cost": -1}, "lines[0].inventory.cost"),
        ({"cost": "55.50"}, "lines[0].inventory.cost"),
        ({"quantity": 0}, "lines[0].inventory.quantity"),
        ({"customSplit": "2,a"}, "lines[0].inventory.customSplit"),
        ({"eventId": None}, "lines[0].inventory"),
        ({"lowSeat": None}, "lines[0].inventory"),
    ],
)
def test_inventory_fields_are_checked_as_skybox_declares_them(
    account: SkyBoxAccount, event: dict[str, Any], inventory: dict[str, Any], path: str
) -> None:
    body = purchase_body(account, event["id"])
    merged = {**body["lines"][0]["inventory"], **inventory}
    body["lines"][0]["inventory"] = {k: v for k, v in merged.items() if v is not None}
    response = account.call("POST", "/purchases", body)
    assert response.status_code == 400, response.text
    assert path in [v["propertyPath"] for v in response.json()], response.json()


def test_an_event_mapping_stands_in_for_an_unknown_event(account: SkyBoxAccount) -> None:
    body = purchase_body(account, 0)
    body["lines"][0]["inventory"].pop("eventId")
    body["lines"][0]["inventory"]["eventMapping"] = {
        "eventName": "Unknown Band",
        "venueName": "Somewhere",
        "eventDate": "2026-10-01T20:00:00",
    }
    made = account.ok("POST", "/purchases", body)
    stock = inventory_of(account, made)
    assert stock["mappingId"] and stock.get("eventId") is None
    assert rows(account.ok("GET", "/purchases", id=made["id"]))[0]["eventName"] == "Unknown Band"


def test_unknown_references_are_refused_as_documented(account: SkyBoxAccount, event: dict[str, Any]) -> None:
    assert account.call("GET", "/events/999").status_code == 404
    assert account.call("GET", "/purchases/999").status_code == 404
    assert account.call("GET", "/inventory/999").status_code == 404
    assert account.call("GET", "/holds/999").status_code == 404
    assert account.call("GET", "/invoices/999").status_code == 404
    unknown_event = account.call("POST", "/purchases", purchase_body(account, 999))
    assert unknown_event.status_code == 400 and "event not found" in unknown_event.json()["message"]
    unknown_vendor = account.call("POST", "/purchases", purchase_body(account, event["id"], vendorId=5))
    assert unknown_vendor.status_code == 400 and "vendor" in unknown_vendor.json()["message"]
    hold = account.call("POST", "/holds", {"inventoryId": 999, "quantity": 1, "expiryDate": later()})
    assert hold.status_code == 400


def test_a_hold_blocks_its_seats_until_deleted_or_expired(
    account: SkyBoxAccount, event: dict[str, Any]
) -> None:
    stock = inventory_of(account, make_purchase(account, event))
    first = account.ok(
        "POST",
        "/holds",
        {
            "inventoryId": stock["id"],
            "quantity": 1,
            "expiryDate": later(),
            "externalRef": "A1",
            "customerId": 1,
        },
    )
    assert (first["seats"], first["quantity"], first["externalRef"]) == ("5", 1, "A1")
    assert first["expiryDate"].endswith("Z") and "removedDate" not in first
    second = account.ok("POST", "/holds", {"inventoryId": stock["id"], "quantity": 1, "expiryDate": later()})
    assert second["seats"] == "6"
    refused = account.call(
        "POST", "/holds", {"inventoryId": stock["id"], "quantity": 1, "expiryDate": later()}
    )
    assert refused.status_code == 400 and "available" in refused.json()["message"]
    by_seat = account.call(
        "POST", "/holds", {"inventoryId": stock["id"], "lowSeat": 5, "quantity": 1, "expiryDate": later()}
    )
    assert by_seat.status_code == 400
    assert [h["id"] for h in rows(account.ok("GET", "/holds", externalRef="A1"))] == [first["id"]]
    assert inventory_of(account, {"id": stock["purchaseId"]})["status"] == "ON_HOLD"

    deleted = account.ok("DELETE", f"/holds/{first['id']}")
    assert deleted["removedDate"]
    assert account.ok("DELETE", f"/holds/{first['id']}")["removedDate"] == deleted["removedDate"]
    assert rows(account.ok("GET", "/holds", externalRef="A1")) == []
    again = account.ok(
        "POST",
        "/holds",
        {"exchangePosId": stock["exchangePosId"], "lowSeat": 5, "quantity": 1, "expiryDate": later()},
    )
    assert again["seats"] == "5" and again["inventoryId"] == stock["id"]


def test_a_hold_without_quantity_takes_the_whole_inventory(
    account: SkyBoxAccount, event: dict[str, Any]
) -> None:
    stock = inventory_of(account, make_purchase(account, event))
    whole = account.ok("POST", "/holds", {"inventoryId": stock["id"], "expiryDate": later()})
    assert whole["seats"] == "5,6" and whole["quantity"] == 2


def test_an_expired_hold_frees_its_seats(account: SkyBoxAccount, event: dict[str, Any], skybox: Fake) -> None:
    stock = inventory_of(account, make_purchase(account, event))
    hold = account.ok("POST", "/holds", {"inventoryId": stock["id"], "quantity": 2, "expiryDate": later()})
    skybox.fake.store.holds[hold["id"]].expiry = skybox.fake.store.holds[hold["id"]].created  # now past
    assert account.ok("GET", f"/holds/{hold['id']}")["removedDate"]
    assert account.ok("POST", "/holds", {"inventoryId": stock["id"], "quantity": 2, "expiryDate": later()})
    past = account.call(
        "POST", "/holds", {"inventoryId": stock["id"], "quantity": 1, "expiryDate": later(-1)}
    )
    assert past.status_code == 400


def invoice_body(account: SkyBoxAccount, ticket_ids: list[int], **changes: Any) -> dict[str, Any]:
    return {
        "customerId": account.ids["customers"]["STUBHUB"],
        "externalRef": "SH-1001",
        "salesTerm": "NET0",
        "taxAmount": 0,
        "shippingAmount": 0,
        "otherAmount": 0,
        "paymentStatus": "UNPAID",
        "fulfillmentStatus": "PENDING",
        "lines": [
            {
                "accountId": account.account_id,
                "lineItemType": "INVENTORY",
                "amount": 150.0,
                "itemIds": ticket_ids,
            }
        ],
        **changes,
    }


def test_an_invoice_consumes_its_tickets_and_held_ones_need_force(
    account: SkyBoxAccount, event: dict[str, Any]
) -> None:
    stock = inventory_of(account, make_purchase(account, event))
    tickets = [t["id"] for t in stock["tickets"]]
    hold = account.ok("POST", "/holds", {"inventoryId": stock["id"], "quantity": 2, "expiryDate": later()})
    unforced = account.call("POST", "/invoices", invoice_body(account, tickets))
    assert unforced.status_code == 400 and "force=true" in unforced.json()["message"]
    invoice = account.ok("POST", "/invoices?force=true", invoice_body(account, tickets))
    assert isinstance(invoice["id"], int) and invoice["fulfillmentStatus"] == "PENDING"
    assert account.ok("GET", f"/holds/{hold['id']}")["removedDate"]  # the hold is consumed
    sold = inventory_of(account, {"id": stock["purchaseId"]})
    assert [(t["status"], t["sellPrice"]) for t in sold["tickets"]] == [("SOLD", 75.0), ("SOLD", 75.0)]
    assert sold["status"] == "DEPLETED"
    twice = account.call("POST", "/invoices?force=true", invoice_body(account, tickets))
    assert twice.status_code == 400 and "sold" in twice.json()["message"]
    (found,) = rows(account.ok("GET", "/invoices", externalRef="SH-1001"))
    assert found["id"] == invoice["id"] and found["total"] == 150.0
    by_ref = account.ok("GET", "/invoices/external-ref", **{"external-ref": "SH-1001"})
    assert [(t["invoiceId"], t["seatNumber"]) for t in by_ref] == [(invoice["id"], 5), (invoice["id"], 6)]
    assert account.call("GET", "/invoices/external-ref", **{"external-ref": "none"}).status_code == 404

    assert (
        account.ok("PUT", "/invoices/bulk", {"invoiceIds": [invoice["id"]], "fulfillmentStatus": "COMPLETE"})
        is None
    )
    done = account.ok("GET", f"/invoices/{invoice['id']}")
    assert done["fulfillmentStatus"] == "COMPLETE" and done["fulfillmentDate"]
    bad = account.call("PUT", "/invoices/bulk", {"invoiceIds": [invoice["id"]], "fulfillmentStatus": "DONE"})
    assert bad.status_code == 400


@pytest.mark.parametrize(
    ("field", "value"),
    [("salesTerm", None), ("fulfillmentStatus", "SHIPPED"), ("paymentStatus", None), ("customerId", None)],
)
def test_an_invoice_is_checked_as_skybox_declares_it(
    account: SkyBoxAccount, event: dict[str, Any], field: str, value: Any
) -> None:
    stock = inventory_of(account, make_purchase(account, event))
    body = invoice_body(account, [stock["tickets"][0]["id"]], **{field: value})
    response = account.call("POST", "/invoices", {k: v for k, v in body.items() if v is not None})
    assert response.status_code == 400, response.text
    no_items = invoice_body(account, [])
    assert account.call("POST", "/invoices", no_items).status_code == 400


def test_barcodes_and_files_are_read_back(
    account: SkyBoxAccount, event: dict[str, Any], skybox: Fake
) -> None:
    body = purchase_body(account, event["id"])
    body["lines"][0]["inventory"]["tickets"] = [
        {
            "seatNumber": seat,
            "section": "101",
            "row": "A",
            "cost": 55.5,
            "faceValue": 50,
            "sellPrice": 0,
            "stockType": "ELECTRONIC",
            "status": "AVAILABLE",
            "barCode": f"BC{seat}",
        }
        for seat in (5, 6)
    ]
    stock = inventory_of(account, account.ok("POST", "/purchases", body))
    barcodes = account.ok("GET", f"/inventory/barcodes/{stock['exchangePosId']}")
    assert [(b["seatNumber"], b["barCode"]) for b in barcodes] == [(5, "BC5"), (6, "BC6")]
    ticket = skybox.control(
        "tickets",
        {"account_id": account.account_id, "ticket_id": stock["tickets"][0]["id"], "pdf_base64": "JVBERg=="},
    )
    assert account.ok("GET", f"/assets/{ticket['fileName']}") == "JVBERg=="
    assert account.call("GET", "/assets/nothing.pdf").status_code == 404


def test_searches_answer_rows_or_a_bare_list(
    skybox: Fake, account: SkyBoxAccount, event: dict[str, Any]
) -> None:
    assert rows(account.ok("GET", "/events", event="sugar"))[0]["id"] == event["id"]
    skybox.control("search-shape", {"shape": "list"})
    assert [e["id"] for e in account.ok("GET", "/events", event="SUGAR", eventDateFrom="2026-09-01")] == [
        event["id"]
    ]
    assert account.ok("GET", "/events", eventDateFrom="2026-09-02") == []
    assert account.call("GET", "/events", limit="1001").status_code == 400


def test_a_rate_limit_answers_429_with_retry_after(skybox: Fake, account: SkyBoxAccount) -> None:
    skybox.control("rate-limit", {"calls": 2, "window_s": 60})
    statuses = [account.call("GET", "/events").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    limited = account.call("GET", "/events")
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1


def test_faults_answer_a_status_without_acting(
    skybox: Fake, account: SkyBoxAccount, event: dict[str, Any]
) -> None:
    skybox.control("faults", {"operation": "purchases.create", "status": 503, "times": 2})
    body = purchase_body(account, event["id"])
    assert [account.call("POST", "/purchases", body).status_code for _ in range(3)] == [503, 503, 200]
    assert len(rows(account.ok("GET", "/purchases"))) == 1
    assert [c["status"] for c in skybox.calls("purchases.create")] == [503, 503, 200]
    bad = requests.post(f"{skybox.url}/sandbox/faults", json={"operation": "nope", "status": 500}, timeout=10)
    assert bad.status_code == 400
