"""What the e2e tests of the sell side share: a broker of the local stack (an API token,
marketplace keys, seller accounts on the marketplace simulator, a primary account with AutoPO
into the builtin POS), seats bought as a broker buys them (an order on the primary sandbox,
crawled, PO'd), and sales made on the simulator as StubHub and Vivid Seats make them.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

import requests

from tests.e2e.stack import HTTP_TIMEOUT_S, LocalStack, poll_until

STUBHUB, VIVID, SEATGEEK, GAMETIME = 1, 4, 41, 25


@dataclass
class Broker:
    stack: LocalStack
    tenant_id: str
    token: str
    username: str
    keys: dict[int, str]
    sellers: dict[int, str]  # marketplace id -> the token its simulator account authenticates with

    def api(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {"x-api-token": self.token}
        return requests.request(
            method, self.stack.api_url + path, headers=headers, timeout=HTTP_TIMEOUT_S, **kwargs
        )

    def market(self, marketplace_id: int, method: str, path: str, body: Any = None) -> requests.Response:
        headers = {"x-marketplace-key": self.keys[marketplace_id]}
        return requests.request(
            method, self.stack.api_url + path, json=body, headers=headers, timeout=HTTP_TIMEOUT_S
        )

    def sale(self, order_id: str) -> dict[str, Any] | None:
        response = self.api("GET", "/v2/sales", params={"q": order_id})
        assert response.status_code == 200, response.text
        found = response.json()["output"]
        return found[0] if found else None

    def steps(self, order_id: str) -> dict[str, str]:
        sale = self.sale(order_id) or {}
        return {k: v for step in sale.get("processing", []) for k, v in step.items() if k != "message"}

    def messages(self, order_id: str) -> dict[str, str]:
        sale = self.sale(order_id) or {}
        return {k: step["message"] for step in sale.get("processing", []) for k in step if k != "message"}

    def seats(self, tgid: int) -> dict[str, str]:
        response = self.api("GET", "/v2/inventory", params={"ticketgroupid": str(tgid)})
        (group,) = response.json()["output"]
        return {s["seatnumber"]: s["status"] for s in group["seats"]}


def sim(stack: LocalStack, method: str, path: str, body: Any = None, **params: str) -> Any:
    response = requests.request(
        method, stack.marketplace_url + path, json=body, params=params or None, timeout=HTTP_TIMEOUT_S
    )
    assert response.status_code < 300, response.text
    return response.json()


def calls(stack: LocalStack, marketplace: str, order_id: str, operation: str) -> list[dict[str, Any]]:
    found = sim(stack, "GET", "/sandbox/calls", marketplace=marketplace, order_id=order_id)
    return [c for c in found if c["operation"] == operation]


def make_broker(stack: LocalStack, name: str, domain: str, key_marketplaces: tuple[int, ...] = ()) -> Broker:
    """A tenant with seller accounts on the simulator's StubHub and Vivid Seats (its credentials
    set with the CLI), marketplace keys for `key_marketplaces`, Safeguard 1, and a primary account
    whose purchases AutoPO records in the builtin POS."""
    created = stack.cli("tenant", "create", "--name", name)
    tenant_id, token = created.output["tenant_id"], created.output["api_token"]
    keys = {}
    for marketplace_id in key_marketplaces:
        made = stack.cli(
            "marketplace-key", "create", "--tenant-id", tenant_id, "--marketplace-id", str(marketplace_id)
        )
        assert made.returncode == 0, made.output
        keys[marketplace_id] = made.output["key"]
    sellers = {STUBHUB: f"sh-{uuid.uuid4().hex}", VIVID: f"vv-{uuid.uuid4().hex}"}
    for market, marketplace_id, field in (
        ("stubhub", STUBHUB, "access_token"),
        ("vivid", VIVID, "api_token"),
    ):
        sim(stack, "POST", "/sandbox/sellers", {"marketplace": market, "seller": sellers[marketplace_id]})
        credentials = json.dumps({field: sellers[marketplace_id]})
        done = stack.cli(
            "marketplace-credentials", "set", "--tenant-id", tenant_id,
            "--marketplace-id", str(marketplace_id), "--json", credentials,
        )  # fmt: skip
        assert done.returncode == 0, done.output
    me = Broker(stack, tenant_id, token, f"buyer-{uuid.uuid4().hex[:8]}@{domain}", keys, sellers)
    assert me.api("POST", "/v2/settings/update", params={"safeguard": "1"}).status_code == 200
    added = me.api(
        "POST",
        "/v2/accounts/add",
        params={"username": me.username, "marketplaceid": "1", "password": "Pw-e2e-1"},
    )
    assert added.status_code == 200, added.text
    account_id = added.json()["output"][0]["accountid"]
    autopo = {"id": str(account_id), "posid": "100", "autopo": "true", "autopodateafter": "1/1/2020"}
    assert me.api("POST", "/v2/accounts/update/v2", params=autopo).status_code == 200
    return me


def primary_order(broker: Broker, confirmation: str, seats: list[str], **tickets: Any) -> None:
    """The primary's truth about an order (posting it again replaces it: how a primary releases
    tickets later)."""
    order = {
        "account_username": broker.username,
        "confirmation_number": confirmation,
        "region": "NY",
        "event": {"name": "Sugarland", "venue": "Smart Financial Centre", "datetime": "2031-07-11T19:00:00"},
        "section": "101",
        "row": "C",
        "seats": seats,
        "cost_perseat": "40.00",
        "face_perseat": "35.00",
        "fees": "10.00",
        "stock": "eticket",
        "rotating_barcodes": False,
        **tickets,
    }
    response = requests.post(broker.stack.primary_url + "/sandbox/orders", json=order, timeout=HTTP_TIMEOUT_S)
    assert response.status_code == 201, response.text


def bought(broker: Broker, seats: list[str], **tickets: Any) -> tuple[str, int, int]:
    """An order on the primary, crawled and AutoPO'd into the builtin POS: (confirmation, rid, tgid)."""
    confirmation = f"{uuid.uuid4().int % 90 + 10}-{uuid.uuid4().int % 90000 + 10000}"
    primary_order(broker, confirmation, seats, **tickets)
    crawl = broker.api(
        "GET",
        "/v2/crawl",
        params={"source": "e2e", "confnum": f"{confirmation}/NY", "username": broker.username},
    )
    assert crawl.status_code == 200, crawl.text

    def po_made() -> dict[str, Any] | None:
        found = broker.api("GET", "/v2/purchases", params={"confirmationnumber": confirmation})
        purchases = found.json()["output"][0]["purchases"]
        return purchases[0] if purchases and purchases[0]["purchaseorders"].get("builtin") else None

    purchase = poll_until(po_made, f"the PO of {confirmation}", timeout_s=60)
    groups = broker.api("GET", "/v2/inventory", params={"rid": str(purchase["rid"])}).json()["output"]
    return confirmation, int(purchase["rid"]), int(groups[0]["ticketgroupid"])


def native_sale(broker: Broker, marketplace_id: int, order_id: str, tgid: int, quantity: int) -> None:
    """A sale on StubHub or Vivid Seats, made on the simulator: StubHub pushes it to the stack's
    webhook route (registered by `marketplace-credentials set`), Vivid waits for the stack's
    poller to find it in getOrders."""
    name = {STUBHUB: "stubhub", VIVID: "vivid"}[marketplace_id]
    sim(
        broker.stack,
        "POST",
        "/sandbox/sell",
        {
            "marketplace": name,
            "seller": broker.sellers[marketplace_id],
            "order_id": order_id,
            "ticketgroupid": str(tgid),
            "quantity": quantity,
            "price_per_seat": "90.00",
            "deliveryformat": "eticket",
        },
    )
