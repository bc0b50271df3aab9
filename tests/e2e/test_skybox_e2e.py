"""SkyBox in the local stack, over HTTP and SMTP: a receipt email for an account with AutoPO into
SkyBox makes one SkyBox purchase with the purchase's inventory (whatever QuickPO races it), Order
Integration on that inventory holds, invoices and completes in SkyBox, and a refused credential or
a SkyBox outage shows on the purchase and is recovered from."""

from __future__ import annotations

import smtplib
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.e2e.stack import HOST, HTTP_TIMEOUT_S, LocalStack, poll_until

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

CORPUS = Path(__file__).resolve().parents[2] / "events" / "receipts"
# tm_plain_seated.eml: Sugarland at Smart Financial Centre at Sugar Land, 7/11/2026 7:00 PM,
# section 309 row H seats 5-6, Mobile Entry, $94.95 for two ($33.00 face each).
EVENT = {"name": "Sugarland", "venue": "Smart Financial Centre at Sugar Land", "date": "2026-07-11T19:00:00"}
GAMETIME = 25  # an Order Integration marketplace


@dataclass
class Broker:
    tenant_id: str
    token: str
    domain: str
    account_id: int
    skybox: dict[str, Any]  # the fake SkyBox account: account_id, vendor_id, credit_card_id, customers
    api_token: str

    @property
    def buyer(self) -> str:
        return f"buyer@{self.domain}"


def api(stack: LocalStack, method: str, path: str, token: str, **kwargs: Any) -> requests.Response:
    return requests.request(
        method, stack.api_url + path, headers={"x-api-token": token}, timeout=HTTP_TIMEOUT_S, **kwargs
    )


def ok(response: requests.Response) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


def skybox(stack: LocalStack, broker: Broker, path: str, **params: Any) -> Any:
    """A GET on the fake SkyBox with the broker's SkyBox keys."""
    headers = {
        "X-Account": str(broker.skybox["account_id"]),
        "X-Api-Token": broker.api_token,
        "X-Application-Token": "app-" + broker.api_token,
    }
    response = requests.get(stack.skybox_url + path, params=params, headers=headers, timeout=HTTP_TIMEOUT_S)
    assert response.status_code == 200, response.text
    answer = response.json()
    return answer["rows"] if isinstance(answer, dict) and "rows" in answer else answer


def control(stack: LocalStack, path: str, body: dict[str, Any]) -> Any:
    response = requests.post(f"{stack.skybox_url}/sandbox/{path}", json=body, timeout=HTTP_TIMEOUT_S)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture(scope="module")
def sugarland(stack: LocalStack) -> dict[str, Any]:
    """The receipt's event in SkyBox's catalogue (once: SkyBox has one event per show)."""
    return dict(control(stack, "events", EVENT))


def set_keys(stack: LocalStack, broker: Broker, api_token: str) -> None:
    result = stack.cli(
        "pos-credentials",
        "set",
        "--tenant-id",
        broker.tenant_id,
        "--pos",
        "skybox",
        "--account",
        str(broker.skybox["account_id"]),
        "--api-token",
        api_token,
        "--application-token",
        "app-" + api_token,
    )
    assert result.returncode == 0 and result.output == {
        "tenant_id": broker.tenant_id,
        "pos": "skybox",
        "set": True,
    }, result.output


def skybox_broker(stack: LocalStack, name: str, keys_right: bool = True) -> Broker:
    """A tenant (Safeguard 1) whose account AutoPOs into SkyBox, as the legacy API sets it up:
    custid_skybox/creditcardid_skybox by /v2/accounts/update, autopo by /update/v2?posid=22."""
    created = stack.cli("tenant", "create", "--name", name).output
    tenant_id, token = str(created["tenant_id"]), str(created["api_token"])
    domain = f"sb-{uuid.uuid4().hex[:8]}.test"
    assert stack.cli("domain", "add", "--tenant-id", tenant_id, "--domain", domain).returncode == 0
    ok(api(stack, "POST", "/v2/settings/update", token, params={"safeguard": "1"}))
    (account,) = ok(
        api(
            stack,
            "POST",
            "/v2/accounts/add",
            token,
            params={"username": f"buyer@{domain}", "marketplaceid": "1", "password": "Pw-e2e-123"},
        )
    )["output"]
    api_token = f"sb-{uuid.uuid4().hex}"
    ids = control(stack, "accounts", {"api_token": api_token, "application_token": "app-" + api_token})
    broker = Broker(tenant_id, token, domain, int(account["accountid"]), ids, api_token)
    set_keys(stack, broker, api_token if keys_right else "not-" + api_token)
    ok(
        api(
            stack,
            "POST",
            "/v2/accounts/update",
            token,
            params={
                "id": str(broker.account_id),
                "custid_skybox": str(ids["vendor_id"]),
                "creditcardid_skybox": str(ids["credit_card_id"]),
            },
        )
    )
    ok(
        api(
            stack,
            "POST",
            "/v2/accounts/update/v2",
            token,
            params={
                "id": str(broker.account_id),
                "posid": "22",
                "autopo": "true",
                "autopodateafter": "1/1/2020",
            },
        )
    )
    (listed,) = ok(api(stack, "GET", "/v2/accounts/list", token, params={"username": broker.buyer}))["output"]
    settings = listed["quickpo_settings"]
    assert (settings["custid_skybox"], settings["creditcardid_skybox"]) == (
        str(ids["vendor_id"]),
        str(ids["credit_card_id"]),
    )
    assert settings["autoposettings"]["autopo_skybox"] is True
    return broker


def send_receipt(stack: LocalStack, broker: Broker) -> str:
    """The Ticketmaster receipt for a new order number, by SMTP, and the primary's own record of
    the order in the primary sandbox (what the crawl finds); returns the order number."""
    confirmation = f"{uuid.uuid4().int % 90 + 10}-{uuid.uuid4().int % 90000 + 10000}"
    raw = (
        (CORPUS / "tm_plain_seated.eml").read_bytes().replace(b"38-41225/SF3", f"{confirmation}/SF3".encode())
    )
    raw = raw.replace(b"<20260617183001.A1B2C3@email.ticketmaster.com>", f"<{uuid.uuid4().hex}@e2e>".encode())
    order = {
        "account_username": broker.buyer,
        "confirmation_number": confirmation,
        "region": "SF3",
        "event": {"name": EVENT["name"], "venue": EVENT["venue"], "datetime": EVENT["date"]},
        "section": "309",
        "row": "H",
        "seats": ["5", "6"],
        "cost_perseat": "47.48",
        "face_perseat": "33.00",
        "fees": "27.95",
        "disclosures": [],
        "stock": "mobile",
        "rotating_barcodes": False,
    }
    response = requests.post(stack.primary_url + "/sandbox/orders", json=order, timeout=HTTP_TIMEOUT_S)
    assert response.status_code == 201, response.text
    with smtplib.SMTP(HOST, stack.smtp_port, timeout=10) as smtp:
        wire = raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        assert smtp.sendmail("customer_support@email.ticketmaster.com", [broker.buyer], wire) == {}
    return confirmation


def purchase(stack: LocalStack, broker: Broker, confirmation: str) -> dict[str, Any] | None:
    found = ok(api(stack, "GET", "/v2/purchases", broker.token, params={"confirmationnumber": confirmation}))
    purchases = found["output"][0]["purchases"]
    return dict(purchases[0]) if purchases else None


def quickpo(stack: LocalStack, broker: Broker, rid: int) -> requests.Response:
    return api(stack, "POST", "/v2/purchases/quickpo", broker.token, params={"rid": str(rid)})


def creates(stack: LocalStack, broker: Broker) -> list[int]:
    """The statuses of every POST /purchases the broker's SkyBox account received."""
    response = requests.get(
        f"{stack.skybox_url}/sandbox/calls",
        params={"operation": "purchases.create", "account": str(broker.skybox["account_id"])},
        timeout=HTTP_TIMEOUT_S,
    )
    return [int(call["status"]) for call in response.json()]


def test_receipt_to_one_skybox_purchase_then_oi_through_skybox(
    stack: LocalStack, sugarland: dict[str, Any]
) -> None:
    broker = skybox_broker(stack, "SkyBox AutoPO Tickets")
    confirmation = send_receipt(stack, broker)
    rid = int(poll_until(lambda: purchase(stack, broker, confirmation), "the purchase", timeout_s=30)["rid"])

    # QuickPO races AutoPO: four at once, while the pipeline runs
    answers: list[requests.Response] = []
    racers = [threading.Thread(target=lambda: answers.append(quickpo(stack, broker, rid))) for _ in range(4)]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join()
    assert all(a.status_code == 200 for a in answers), [a.text for a in answers]

    def made() -> dict[str, Any] | None:
        found = purchase(stack, broker, confirmation)
        return found if found and found["purchaseorders"].get("skybox") else None

    bought = poll_until(made, "the SkyBox PO on the purchase", timeout_s=45)
    poid = bought["purchaseorders"]["skybox"]
    assert bought["pipeline"]["state"] == "po_created" and bought["pipeline"]["errors"] == []
    retried = quickpo(stack, broker, rid)  # and a retry after it is done
    assert (
        retried.status_code == 200
        and retried.json()["result"]["message"] == "the purchase already has its PO"
    )

    (po,) = skybox(stack, broker, "/purchases", externalRef=f"{confirmation}/SF3")
    assert str(po["id"]) == poid and creates(stack, broker) == [200]
    assert (po["vendorId"], po["creditCardId"], po["deliveryMethod"]) == (
        broker.skybox["vendor_id"],
        broker.skybox["credit_card_id"],
        "MOBILE_DELIVERY",
    )
    (stock,) = skybox(stack, broker, "/inventory", purchaseId=poid, includeTickets="true")
    assert stock["eventId"] == sugarland["id"]
    assert (stock["section"], stock["row"], stock["lowSeat"], stock["highSeat"], stock["quantity"]) == (
        "309",
        "H",
        5,
        6,
        2,
    )
    assert (stock["cost"], stock["faceValue"], stock["stockType"], stock["seatType"]) == (
        47.48,
        33.0,
        "MOBILE_TRANSFER",
        "CONSECUTIVE",
    )
    assert stock["notes"].startswith(f"{confirmation}/SF3 (TixPilot rid {rid})")

    # the broker's marketplaces sell this SkyBox inventory: Order Integration goes to SkyBox
    ok(api(stack, "POST", "/v2/settings/update", broker.token, params={"inventory_pos": "skybox"}))
    key = stack.cli("marketplace-key", "create", "--tenant-id", broker.tenant_id, "--marketplace-id", "25")
    headers = {"x-marketplace-key": str(key.output["key"])}
    order_id = str(uuid.uuid4().int % 900_000_000 + 100_000_000)

    def oi(path: str, body: Any = None) -> requests.Response:
        return requests.post(stack.api_url + path, json=body, headers=headers, timeout=HTTP_TIMEOUT_S)

    hold = {"order_id": order_id, "ticketgroupid": stock["id"], "quantity": 2, "price_per_seat": "120.00"}
    held = ok(oi("/oi/v1/holds", hold))["output"][0]
    assert (held["seats"], held["status"]) == (["5", "6"], "held")
    (skybox_hold,) = skybox(stack, broker, "/holds", externalRef=order_id)
    assert (
        skybox_hold["seats"] == "5,6" and skybox_hold["customerId"] == broker.skybox["customers"]["GAMETIME"]
    )
    other = {**hold, "order_id": order_id + "1", "quantity": 1}
    assert oi("/oi/v1/holds", other).status_code == 409  # the seats are held in SkyBox

    invoiced = ok(oi(f"/oi/v1/orders/{order_id}/invoice"))["output"][0]
    (invoice,) = skybox(stack, broker, "/invoices", externalRef=order_id)
    assert invoiced["invoiceid"] == str(invoice["id"]) and invoice["total"] == 240.0
    sold = skybox(stack, broker, f"/inventory/{stock['id']}")
    assert [t["status"] for t in sold["tickets"]] == ["SOLD", "SOLD"]

    done = ok(
        api(
            stack,
            "POST",
            "/sales/v1/complete-sale",
            broker.token,
            json=[{"user_id": broker.tenant_id, "order_id": order_id, "marketplace_id": GAMETIME}],
        )
    )
    assert done["result"]["status"] == "success", done
    assert skybox(stack, broker, f"/invoices/{invoice['id']}")["fulfillmentStatus"] == "COMPLETE"
    (sale,) = ok(api(stack, "GET", "/v2/sales", broker.token, params={"q": order_id}))["output"]
    steps = {k: v for step in sale["processing"] for k, v in step.items() if k != "message"}
    assert steps["invoice"] == "success" and steps["complete"] == "success"


def test_refused_skybox_keys_show_on_the_purchase_and_quickpo_recovers(
    stack: LocalStack, sugarland: dict[str, Any]
) -> None:
    broker = skybox_broker(stack, "SkyBox Wrong Keys", keys_right=False)
    confirmation = send_receipt(stack, broker)

    def failed() -> dict[str, Any] | None:
        found = purchase(stack, broker, confirmation)
        return found if found and found["pipeline"]["state"] == "failed" else None

    bought = poll_until(failed, "the refused PO on the purchase", timeout_s=45)
    (error,) = bought["pipeline"]["errors"]
    assert error.startswith("skybox: SkyBox refused the credentials")
    assert "pos-credentials set" in error and bought["purchaseorders"] == {}

    set_keys(stack, broker, broker.api_token)  # the broker fixes them
    fixed = quickpo(stack, broker, int(bought["rid"]))
    assert fixed.status_code == 200, fixed.text
    after = purchase(stack, broker, confirmation)
    assert after is not None and after["pipeline"]["state"] == "po_created"
    (po,) = skybox(stack, broker, "/purchases", externalRef=f"{confirmation}/SF3")
    assert after["purchaseorders"] == {"skybox": str(po["id"])}


def test_a_skybox_outage_shows_on_the_purchase_and_the_pipeline_recovers(
    stack: LocalStack, sugarland: dict[str, Any]
) -> None:
    broker = skybox_broker(stack, "SkyBox Outage Tickets")
    # SkyBox answers 503 to the next four POST /purchases: the adapter's first try and its 3 retries
    control(stack, "faults", {"operation": "purchases.create", "status": 503, "times": 4})
    confirmation = send_receipt(stack, broker)

    def made() -> dict[str, Any] | None:
        found = purchase(stack, broker, confirmation)
        return found if found and found["purchaseorders"].get("skybox") else None

    bought = poll_until(made, "the SkyBox PO after the outage", timeout_s=60)
    assert bought["pipeline"]["state"] == "po_created"
    (error,) = bought["pipeline"]["errors"]  # what the broker saw while SkyBox was down
    assert error.startswith("skybox: SkyBox is unavailable, TixPilot will try again")
    assert creates(stack, broker) == [503, 503, 503, 503, 200]
    (po,) = skybox(stack, broker, "/purchases", externalRef=f"{confirmation}/SF3")
    assert bought["purchaseorders"] == {"skybox": str(po["id"])}
