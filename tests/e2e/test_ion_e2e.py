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
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.e2e.brokers import (
    GAMETIME,
    SEATGEEK,
    STUBHUB,
    VIVID,
    Broker,
    bought,
    calls,
    make_broker,
    native_sale,
    sim,
)
from tests.e2e.stack import LocalStack, poll_until, start_stack

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

ION_ENV = {
    "TIXPILOT_ION_REJECT_AFTER_S": "2",
    "TIXPILOT_ION_RETRY_S": "1",
    "MARKETPLACE_TIME_SCALE": "0.001",
}
_orders = itertools.count(int(uuid.uuid4().int % 10**6) * 100)


@pytest.fixture(scope="module")
def ion_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    folder = tmp_path_factory.mktemp("ion-stack")
    local = start_stack(None, folder / "stack.log", env=ION_ENV)
    yield local
    local.stop_cleanly()


@pytest.fixture(scope="module")
def broker(ion_stack: LocalStack) -> Broker:
    return make_broker(ion_stack, "ION e2e Tickets", "ion.test", (SEATGEEK, GAMETIME, STUBHUB, VIVID))


def ticket_group(broker: Broker, seats: list[str]) -> int:
    """An order on the primary, crawled and AutoPO'd into the builtin POS: its ticket group id."""
    return bought(broker, seats)[2]


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
