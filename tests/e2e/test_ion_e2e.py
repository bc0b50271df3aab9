"""Instant Notification through the local stack over real HTTP, with the marketplace simulator:
a generic v1 sale, a StubHub sale confirmed through StubHub's API, a sale confirmed after a
StubHub outage, and ION sales racing OI holds for the same seats (no seat sold twice, the loser
rejected through its marketplace's API).

Inventory is made the way a broker makes it: an order on the primary sandbox, crawled, PO'd by
AutoPO into the builtin POS. StubHub and Vivid Seats announce sales their own way: the simulator
pushes StubHub's webhook to the stack's `/webhooks/stubhub`, and the stack's poller finds Vivid's
in `getOrders` (at most every 10 s, Vivid's limit, so Vivid's sales come later than the others).
"""

from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from tests.e2e.stack import HTTP_TIMEOUT_S, LocalStack, poll_until, start_stack

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

ION_ENV = {
    "TIXPILOT_ION_REJECT_AFTER_S": "2",
    "TIXPILOT_ION_RETRY_S": "1",
    "MARKETPLACE_TIME_SCALE": "0.001",
}
STUBHUB, VIVID, SEATGEEK, GAMETIME = 1, 4, 41, 25
_orders = itertools.count(int(uuid.uuid4().int % 10**6) * 100)


@pytest.fixture(scope="module")
def ion_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    folder = tmp_path_factory.mktemp("ion-stack")
    local = start_stack(None, folder / "stack.log", env=ION_ENV)
    yield local
    local.stop_cleanly()


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


@pytest.fixture(scope="module")
def broker(ion_stack: LocalStack) -> Broker:
    stack = ion_stack
    created = stack.cli("tenant", "create", "--name", "ION e2e Tickets")
    tenant_id, token = created.output["tenant_id"], created.output["api_token"]
    keys = {}
    for marketplace_id in (SEATGEEK, GAMETIME, STUBHUB, VIVID):
        made = stack.cli(
            "marketplace-key", "create", "--tenant-id", tenant_id, "--marketplace-id", str(marketplace_id)
        )
        assert made.returncode == 0, made.output
        keys[marketplace_id] = made.output["key"]
    sellers = {STUBHUB: f"sh-{uuid.uuid4().hex}", VIVID: f"vv-{uuid.uuid4().hex}"}
    for name, marketplace_id, field in (("stubhub", STUBHUB, "access_token"), ("vivid", VIVID, "api_token")):
        sim(stack, "POST", "/sandbox/sellers", {"marketplace": name, "seller": sellers[marketplace_id]})
        credentials = json.dumps({field: sellers[marketplace_id]})
        done = stack.cli(
            "marketplace-credentials", "set", "--tenant-id", tenant_id,
            "--marketplace-id", str(marketplace_id), "--json", credentials,
        )  # fmt: skip
        assert done.returncode == 0, done.output
    me = Broker(stack, tenant_id, token, f"buyer-{uuid.uuid4().hex[:8]}@ion.test", keys, sellers)
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


def ticket_group(broker: Broker, seats: list[str]) -> int:
    """An order on the primary, crawled and AutoPO'd into the builtin POS: its ticket group id."""
    stack = broker.stack
    confirmation = f"{uuid.uuid4().int % 90 + 10}-{uuid.uuid4().int % 90000 + 10000}"
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
    }
    response = requests.post(stack.primary_url + "/sandbox/orders", json=order, timeout=HTTP_TIMEOUT_S)
    assert response.status_code < 300, response.text
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
    return int(groups[0]["ticketgroupid"])


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


def order_id() -> str:
    return str(next(_orders))


def test_a_generic_ion_sale_is_invoiced_and_confirmed(broker: Broker) -> None:
    tgid = ticket_group(broker, ["1", "2", "3"])
    order = order_id()
    body = {
        "order_id": order,
        "ticketgroupid": tgid,
        "quantity": 2,
        "price_per_seat": "80.00",
        "deliveryformat": "eticket",
    }
    accepted = broker.market(SEATGEEK, "POST", "/ion/v1/sales", body)
    assert accepted.status_code == 202, accepted.text

    def confirmed() -> dict[str, Any] | None:
        state = broker.market(SEATGEEK, "GET", f"/ion/v1/sales/{order}").json()["output"][0]
        return state if state["status"] == "confirmed" else None

    state = poll_until(confirmed, "the generic sale confirmed", timeout_s=30)
    assert state["seats"] == ["1", "2"] and state["invoiceid"]
    assert broker.steps(order) == {"hold": "success", "confirm": "success", "invoice": "success"}
    assert broker.seats(tgid) == {"1": "sold", "2": "sold", "3": "available"}


def test_a_stubhub_sale_is_confirmed_through_stubhub_once(broker: Broker) -> None:
    tgid = ticket_group(broker, ["1", "2"])
    order = order_id()
    native_sale(broker, STUBHUB, order, tgid, 2)
    native_sale(broker, STUBHUB, order, tgid, 2)  # the webhook delivered twice
    poll_until(lambda: broker.steps(order).get("confirm") == "success", "the StubHub sale confirmed", 30)
    assert "StubHub" in broker.messages(order)["confirm"]
    poll_until(lambda: calls(broker.stack, "stubhub", order, "confirm"), "StubHub's confirm call")
    assert [c["status"] for c in calls(broker.stack, "stubhub", order, "confirm")] == [200]
    assert broker.seats(tgid) == {"1": "sold", "2": "sold"}
    response = broker.api("GET", "/v2/sales", params={"q": f"{order} stubhub confirmed"})
    assert len(response.json()["output"]) == 1


def test_a_sale_during_a_stubhub_outage_is_confirmed_when_it_comes_back(broker: Broker) -> None:
    tgid = ticket_group(broker, ["1", "2"])
    order = order_id()
    # enough failures for the adapter's own retries and a few of the worker's
    sim(
        broker.stack,
        "POST",
        "/sandbox/faults",
        {"marketplace": "stubhub", "operation": "confirm", "status": 503, "times": 6},
    )
    native_sale(broker, STUBHUB, order, tgid, 1)
    outage = poll_until(
        lambda: broker.steps(order).get("confirm") == "error" and broker.messages(order)["confirm"],
        "the outage shown on the sale",
        30,
    )
    assert "trying again" in outage
    poll_until(
        lambda: broker.steps(order).get("confirm") == "success", "the sale confirmed after the outage", 60
    )
    statuses = [c["status"] for c in calls(broker.stack, "stubhub", order, "confirm")]
    assert statuses.count(503) == 6 and statuses[-1] == 200


def test_ion_sales_and_oi_holds_racing_never_sell_a_seat_twice(broker: Broker) -> None:
    """Each round: 4 seats; an OI marketplace holds 2 and invoices them while a StubHub sale
    (its webhook delivered twice), a Vivid Seats sale and a generic ION sale each want 2. At most 4
    seats are sold, each once; every sale that lost is rejected through its own marketplace once
    the window has passed, and a duplicated webhook makes one sale."""
    rounds = 6
    sold_to: dict[tuple[int, str], set[str]] = {}
    losers: list[tuple[int, str]] = []
    all_orders: list[tuple[int, str]] = []
    for _ in range(rounds):
        tgid = ticket_group(broker, ["1", "2", "3", "4"])
        orders = {m: order_id() for m in (GAMETIME, STUBHUB, VIVID, SEATGEEK)}

        def go(marketplace_id: int, tgid: int = tgid, orders: dict[int, str] = orders) -> None:
            order = orders[marketplace_id]
            if marketplace_id == GAMETIME:
                body = {"order_id": order, "ticketgroupid": tgid, "quantity": 2, "price_per_seat": "70.00"}
                if broker.market(GAMETIME, "POST", "/oi/v1/holds", body).status_code == 200:
                    broker.market(GAMETIME, "POST", f"/oi/v1/orders/{order}/invoice")
            elif marketplace_id == SEATGEEK:
                body = {
                    "order_id": order,
                    "ticketgroupid": tgid,
                    "quantity": 2,
                    "price_per_seat": "80.00",
                    "deliveryformat": "eticket",
                }
                assert broker.market(SEATGEEK, "POST", "/ion/v1/sales", body).status_code == 202
            else:
                native_sale(broker, marketplace_id, order, tgid, 2)
                if marketplace_id == STUBHUB:  # StubHub delivers the webhook twice
                    native_sale(broker, marketplace_id, order, tgid, 2)

        all_orders.extend(orders.items())
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(go, orders))
        for marketplace_id, order in orders.items():
            if marketplace_id == GAMETIME:
                continue
            poll_until(
                lambda order=order: (
                    broker.steps(order).get("confirm") == "success"
                    or broker.steps(order).get("reject") == "success"
                ),
                f"sale {order} confirmed or rejected",
                60,
            )
        for marketplace_id, order in orders.items():
            sale = broker.sale(order)
            if sale is None:  # the OI hold lost: no sale
                continue
            steps = broker.steps(order)
            if steps.get("invoice") == "success":
                for seat in range(int(sale["tickets"]["seatfirst"]), int(sale["tickets"]["seatlast"]) + 1):
                    sold_to.setdefault((tgid, str(seat)), set()).add(order)
            elif marketplace_id != GAMETIME:
                assert steps.get("reject") == "success", (order, steps)
                losers.append((marketplace_id, order))
        statuses = broker.seats(tgid)
        assert sorted(statuses.values()).count("sold") == sum(1 for (t, _) in sold_to if t == tgid)
    assert all(len(owners) == 1 for owners in sold_to.values()), sold_to
    for marketplace_id, order in all_orders:
        assert len(broker.api("GET", "/v2/sales", params={"q": order}).json()["output"]) <= 1
        if marketplace_id in (STUBHUB, VIVID):
            name = "stubhub" if marketplace_id == STUBHUB else "vivid"
            decided = calls(broker.stack, name, order, "confirm") + calls(broker.stack, name, order, "reject")
            assert len([c for c in decided if c["status"] in (200, 204)]) == 1, (name, order, decided)
    assert losers, "every round has losers"
    for marketplace_id, order in losers:
        if marketplace_id in (STUBHUB, VIVID):
            name = "stubhub" if marketplace_id == STUBHUB else "vivid"
            rejects = calls(broker.stack, name, order, "reject")
            assert rejects and rejects[-1]["status"] in (200, 204), (name, order, rejects)
            assert not calls(broker.stack, name, order, "confirm")
