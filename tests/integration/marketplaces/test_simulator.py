"""The marketplace simulator on its own, over raw HTTP: each API refuses what its real one refuses,
and pushes what its real one pushes, with its retry schedule. No adapter code is used here."""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import json
import xml.etree.ElementTree as ET
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tests.integration.marketplaces.conftest import Receiver, Sim, wait_for

UA = {"User-Agent": "raw-test"}


def tevo_headers(url: str, token: str, secret: str, method: str = "GET", body: str = "") -> dict[str, str]:
    """Signed as TEvo's docs say: "METHOD host/path?query-or-body", host without port."""
    parts = urlsplit(url)
    text = f"{method} {parts.hostname}{parts.path}?{body or parts.query}"
    digest = hmac.new(secret.encode(), text.encode(), hashlib.sha256).digest()
    return {"X-Token": token, "X-Signature": base64.b64encode(digest).decode()}


def delivered_push(sim: Sim, marketplace: str, order_id: str) -> dict[str, Any]:
    def delivered() -> dict[str, Any] | None:
        [push] = sim.control("GET", "notifications", marketplace=marketplace, order_id=order_id)
        return push if push["delivered"] else None

    return wait_for(delivered, f"the {marketplace} push of order {order_id} to be delivered")


# -- StubHub -----------------------------------------------------------------------------------


def test_stubhub_checks_user_agent_bearer_token_and_ownership(sim: Sim) -> None:
    sim.sell("stubhub", "alice", "101")
    sim.sell("stubhub", "bob", "102")
    sale = f"{sim.url}/stubhub/sales/101"

    connection = http.client.HTTPConnection(urlsplit(sim.url).netloc, timeout=5)  # sends no User-Agent
    connection.request("GET", "/stubhub/sales/101", headers={"Authorization": "Bearer alice"})
    no_agent = connection.getresponse()
    assert no_agent.status == 400 and json.loads(no_agent.read())["code"] == "user_agent_required"
    connection.close()
    for authorization in (None, "alice", "Bearer nobody", "Basic YWxpY2U6"):
        refused = requests.get(sale, headers={**UA, "Authorization": authorization}, timeout=5)
        assert refused.status_code == 401, authorization
        assert set(refused.json()) == {"code", "message", "errors"}
    other = requests.get(
        f"{sim.url}/stubhub/sales/102", headers={**UA, "Authorization": "Bearer alice"}, timeout=5
    )
    assert other.status_code == 403

    mine = requests.get(sale, headers={**UA, "Authorization": "Bearer alice"}, timeout=5)
    assert mine.status_code == 200 and mine.headers["Content-Type"] == "application/hal+json"
    body = mine.json()
    assert (body["id"], body["number_of_tickets"], body["external_listing_id"]) == (101, 2, "tg-101")
    assert body["proceeds"]["amount"] == 150.0 and body["status"] == "Pending"
    assert (
        body["_links"]["self"]["href"] == f"{sim.url}/stubhub/sales/101" and "sale:confirm" in body["_links"]
    )


def test_stubhub_validates_webhook_registrations(sim: Sim) -> None:
    sim.seller("stubhub", "alice")
    headers = {**UA, "Authorization": "Bearer alice"}
    bad = requests.post(
        f"{sim.url}/stubhub/webhooks", json={"url": "ftp://x", "topics": ["nope"]}, headers=headers
    )
    assert bad.status_code == 400
    assert bad.json()["code"] == "validation_failed" and set(bad.json()["errors"]) == {"url", "topics"}
    good = requests.post(
        f"{sim.url}/stubhub/webhooks",
        json={
            "name": "n",
            "url": "https://x.example/h",
            "authorization_header": "Bearer e",
            "topics": ["sales"],
        },
        headers=headers,
    )
    assert good.status_code == 201 and good.json()["topics"] == ["sales"]


def test_stubhub_pushes_a_sale_to_the_registered_webhook_and_retries(sim: Sim, receiver: Receiver) -> None:
    sim.seller("stubhub", "alice")
    registration = {
        "url": f"{receiver.url}/webhooks/stubhub",
        "authorization_header": "Bearer echo-me",
        "topics": ["sales"],
    }
    requests.post(
        f"{sim.url}/stubhub/webhooks", json=registration, headers={**UA, "Authorization": "Bearer alice"}
    )
    receiver.failures = 1
    assert sim.sell("stubhub", "alice", "103", quantity=3, price_per_seat="10.10")["webhooks"] == 1

    [delivery] = receiver.deliveries()
    assert delivery.header("authorization") == "Bearer echo-me"
    assert delivery.header("vgg-topic") == "Sales" and delivery.header("vgg-deliveryid")
    payload = json.loads(delivery.body)
    assert (payload["topic"], payload["action"]) == ("sales", "Created")
    assert (
        payload["_embedded"]["sale"]["id"] == 103 and payload["_embedded"]["sale"]["number_of_tickets"] == 3
    )
    assert payload["_embedded"]["sale"]["proceeds"]["amount"] == 30.3
    push = delivered_push(sim, "stubhub", "103")  # the receiver has it before the pusher hears back
    assert [a["status"] for a in push["attempts"]] == [500, 200]


# -- Ticket Evolution --------------------------------------------------------------------------


def test_tevo_checks_token_and_signature(sim: Sim) -> None:
    sim.seller("tevo", "tok-a", "secret-a")
    sim.seller("tevo", "tok-b", "secret-b")
    sim.sell("tevo", "tok-a", "201")
    sim.sell("tevo", "tok-b", "202")
    url = f"{sim.url}/tevo/v9/orders/201"

    assert requests.get(url, timeout=5).status_code == 401
    assert requests.get(url, headers=tevo_headers(url, "tok-a", "wrong"), timeout=5).status_code == 401
    assert requests.get(url, headers=tevo_headers(url, "tok-z", "secret-a"), timeout=5).status_code == 401
    refused = requests.get(url, headers=tevo_headers(url, "tok-a", "secret-a", method="POST"), timeout=5)
    assert refused.status_code == 401 and "error" in refused.json()

    shown = requests.get(url, headers=tevo_headers(url, "tok-a", "secret-a"), timeout=5)
    assert shown.status_code == 200
    order = shown.json()
    assert (order["id"], order["seller_state"]) == (201, "pending")
    assert order["items"][0]["ticket_group"]["remote_id"] == "tg-201"
    other = f"{sim.url}/tevo/v9/orders/202"
    assert requests.get(other, headers=tevo_headers(other, "tok-a", "secret-a"), timeout=5).status_code == 403


def test_tevo_signs_over_the_sorted_query(sim: Sim) -> None:
    sim.seller("tevo", "tok-a", "secret-a")
    unsorted = f"{sim.url}/tevo/v9/orders?state=pending&page=1"
    signed_as_sent = tevo_headers(unsorted, "tok-a", "secret-a")
    assert requests.get(unsorted, headers=signed_as_sent, timeout=5).status_code == 401
    ordered = f"{sim.url}/tevo/v9/orders?page=1&state=pending"
    assert (
        requests.get(unsorted, headers=tevo_headers(ordered, "tok-a", "secret-a"), timeout=5).status_code
        == 200
    )


def test_tevo_accept_needs_a_reviewer(sim: Sim) -> None:
    sim.seller("tevo", "tok-a", "secret-a")
    sim.sell("tevo", "tok-a", "203")
    url = f"{sim.url}/tevo/v9/orders/203/accept"
    body = json.dumps({"seats": [1, 2]})
    headers = {**tevo_headers(url, "tok-a", "secret-a", "POST", body), "Content-Type": "application/json"}
    refused = requests.post(url, data=body, headers=headers, timeout=5)
    assert refused.status_code == 422 and "reviewer_id" in refused.json()["error"]


def test_tevo_pushes_signed_form_webhooks_on_its_retry_schedule(sim: Sim, receiver: Receiver) -> None:
    sim.seller("tevo", "tok-a", "secret-a")
    receiver.failures = 2
    sim.sell("tevo", "tok-a", "204")

    [delivery] = receiver.deliveries()
    form = {key: values[0] for key, values in parse_qs(delivery.body.decode()).items()}
    assert (form["recipient"], form["event_type"]) == ("seller", "order_created")
    assert json.loads(form["body"])["id"] == 204
    assert delivery.header("x-token") == "tok-a"
    expected = tevo_headers(delivery.url, "tok-a", "secret-a", "POST", delivery.body.decode())["X-Signature"]
    assert delivery.header("x-signature") == expected
    push = delivered_push(sim, "tevo", "204")
    assert [a["status"] for a in push["attempts"]] == [500, 500, 200]


@pytest.mark.parametrize("sim", [0.0002], indirect=True)  # 10 s .. 3600 s become 2 ms .. 0.7 s
def test_tevo_gives_up_after_four_retries(sim: Sim, receiver: Receiver) -> None:
    sim.seller("tevo", "tok-a", "secret-a")
    receiver.failures = 100
    sim.sell("tevo", "tok-a", "205")

    def gave_up() -> dict[str, Any] | None:
        [push] = sim.control("GET", "notifications", marketplace="tevo", order_id="205")
        return push if push["given_up"] else None

    push = wait_for(gave_up, "the push to be dropped")
    assert len(push["attempts"]) == 5 and not push["delivered"]  # at once, then 10, 120, 600, 3600 s


def test_tevo_sale_needs_a_registered_seller(sim: Sim) -> None:
    body = {
        "marketplace": "tevo",
        "seller": "unknown",
        "order_id": "206",
        "ticketgroupid": "t",
        "quantity": 1,
    }
    refused = requests.post(f"{sim.url}/sandbox/sell", json={**body, "price_per_seat": "1.00"}, timeout=5)
    assert refused.status_code == 409 and "/sandbox/sellers" in refused.json()["error"]


# -- Vivid Seats -------------------------------------------------------------------------------


def test_vivid_checks_the_api_token(sim: Sim) -> None:
    sim.sell("vivid", "vt-a", "301")
    sim.sell("vivid", "vt-b", "302")
    get_order = f"{sim.url}/vivid/v1/getOrder"
    for params in ({"orderId": "301"}, {"orderId": "301", "apiToken": "nobody"}):
        refused = requests.get(get_order, params=params, timeout=5)
        assert refused.status_code == 401
        assert ET.fromstring(refused.content).findtext("success") == "false"
    assert (
        requests.get(get_order, params={"orderId": "302", "apiToken": "vt-a"}, timeout=5).status_code == 403
    )
    mine = requests.get(get_order, params={"orderId": "301", "apiToken": "vt-a"}, timeout=5)
    assert mine.status_code == 200 and mine.headers["Content-Type"] == "application/xml"
    assert ET.fromstring(mine.content).findtext("status") == "UNCONFIRMED"
    # a POST takes the token as a form field, not in the query
    posted = requests.post(
        f"{sim.url}/vivid/v1/confirmOrder", params={"apiToken": "vt-a"}, data={"orderId": "301"}, timeout=5
    )
    assert posted.status_code == 401


def test_vivid_refuses_with_success_false_and_a_200(sim: Sim) -> None:
    sim.sell("vivid", "vt-a", "303")
    reject = requests.post(
        f"{sim.url}/vivid/v1/rejectOrder", data={"apiToken": "vt-a", "orderId": "303"}, timeout=5
    )
    assert ET.fromstring(reject.content).findtext("success") == "true"
    again = requests.post(
        f"{sim.url}/vivid/v1/confirmOrder", data={"apiToken": "vt-a", "orderId": "303"}, timeout=5
    )
    assert again.status_code == 200
    assert ET.fromstring(again.content).findtext("success") == "false"
    assert "UNCONFIRMED" in (ET.fromstring(again.content).findtext("message") or "")


@pytest.mark.parametrize("sim", [1.0], indirect=True)  # the real windows: 10 s and 60 s
def test_vivid_rate_limits_get_orders_per_status(sim: Sim) -> None:
    sim.sell("vivid", "vt-a", "304")
    url = f"{sim.url}/vivid/v1/getOrders"
    first = requests.get(url, params={"apiToken": "vt-a", "status": "PENDING_SHIPMENT"}, timeout=5)
    assert first.status_code == 200
    second = requests.get(url, params={"apiToken": "vt-a", "status": "PENDING_SHIPMENT"}, timeout=5)
    assert second.status_code == 429
    other_status = requests.get(url, params={"apiToken": "vt-a", "status": "UNCONFIRMED"}, timeout=5)
    assert other_status.status_code == 200
    assert [o.findtext("orderId") for o in ET.fromstring(other_status.content).iter("order")] == ["304"]
    bad = requests.get(url, params={"apiToken": "vt-a", "status": "COMPLETED"}, timeout=5)
    assert bad.status_code == 400


# -- control -----------------------------------------------------------------------------------


def test_control_endpoints_validate_and_log(sim: Sim) -> None:
    bad_sale = requests.post(
        f"{sim.url}/sandbox/sell", json={"marketplace": "stubhub", "seller": "a"}, timeout=5
    )
    assert bad_sale.status_code == 400
    bad_fault = requests.post(
        f"{sim.url}/sandbox/faults",
        json={"marketplace": "vivid", "operation": "teleport", "status": 503},
        timeout=5,
    )
    assert bad_fault.status_code == 400 and "confirm" in bad_fault.json()["error"]

    sim.sell("vivid", "vt-a", "305")
    sim.fault("vivid", "confirm", 503)
    first = requests.post(
        f"{sim.url}/vivid/v1/confirmOrder", data={"apiToken": "vt-a", "orderId": "305"}, timeout=5
    )
    second = requests.post(
        f"{sim.url}/vivid/v1/confirmOrder", data={"apiToken": "vt-a", "orderId": "305"}, timeout=5
    )
    assert (first.status_code, second.status_code) == (503, 200)
    calls = sim.calls("vivid", "305")
    assert [(c["operation"], c["status"]) for c in calls] == [("confirm", 503), ("confirm", 200)]
    assert calls[0]["body"] == {"orderId": "305"}  # the token is not logged
