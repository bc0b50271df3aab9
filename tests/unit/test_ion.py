"""Instant Notification's service over in-memory fakes: a sale invoiced and confirmed, once; seats
gone -> rejection after the window unless a person decides first; repeats and reordering change
nothing; a marketplace that is down makes the message come back, with the failure on the sale."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from tests.unit.fakes import (
    FakeMarketplace,
    FakeOrderLocks,
    FakePos,
    FakeQueue,
    FakeSales,
    FakeSellerAccounts,
    FakeTenants,
)
from tixpilot.adapters.marketplaces.base import MarketplaceError
from tixpilot.errors import Conflict
from tixpilot.models.ion import IonTask, SaleMessage
from tixpilot.models.marketplaces import MarketplaceSale, SaleNotification
from tixpilot.models.tenants import Tenant
from tixpilot.services import ion
from tixpilot.services.marketplace_reads import sale_state
from tixpilot.services.pos_orders import InventoryPorts

T0 = dt.datetime(2030, 3, 1, 12, 0, tzinfo=dt.UTC)
TENANT = "9001"
GENERIC = 41  # SeatGeek: ION, no native adapter here
STUBHUB = 1


class World:
    def __init__(self, native: bool = True) -> None:
        self.tenants = FakeTenants()
        self.tenants.create(Tenant(tenant_id=TENANT, name="Broker", created=T0))
        self.pos = FakePos()
        self.pos.add_group("500", ["1", "2", "3", "4"])
        self.sales = FakeSales()
        self.orders = FakeOrderLocks()
        self.credentials = FakeSellerAccounts()
        self.credentials.put(TENANT, STUBHUB, {"access_token": "t"}, "key")
        self.marketplace = FakeMarketplace(STUBHUB)
        self.sale_queue = FakeQueue()
        self.tasks = FakeQueue()
        adapters: dict[int, Any] = {STUBHUB: self.marketplace} if native else {}
        self.deps = ion.IonDeps(
            inventory=InventoryPorts(
                tenants=self.tenants, adapter=lambda name: self.pos, credentials=lambda t, p: None
            ),
            sales=self.sales,
            orders=self.orders,
            credentials=self.credentials,
            adapter_for=adapters.get,
            sale_queue=self.sale_queue,
            tasks=self.tasks,
            hold_ttl_s=600,
            reject_after_s=1800,
            clock=lambda: T0,
        )

    def notify(self, order_id: str, event: str = "created", marketplace_id: int = GENERIC, **kw: Any) -> str:
        base: dict[str, Any] = {
            "ticketgroupid": "500",
            "quantity": 2,
            "price_per_seat": Decimal("80.00"),
            "deliveryformat": "eticket",
        }
        if event != "created":
            base = {}
        notification = SaleNotification(
            marketplace_id=marketplace_id, order_id=order_id, event=event, seller="", **{**base, **kw}
        )
        message = SaleMessage(tenant_id=TENANT, notification=notification)
        return ion.handle_notification(self.deps, message, owner=f"msg-{order_id}-{event}", now=T0)

    def task(self, kind: str, order_id: str, marketplace_id: int, now: dt.datetime) -> str:
        task = IonTask(tenant_id=TENANT, kind=kind, marketplace_id=marketplace_id, order_id=order_id, due=now)  # type: ignore[arg-type]
        return ion.handle_task(self.deps, task, owner=f"task-{order_id}", now=now)

    def steps(self, order_id: str, marketplace_id: int = GENERIC) -> dict[str, str]:
        sale = self.sales.get(TENANT, marketplace_id, order_id)
        assert sale is not None
        return {name: step.status for name, step in sale.processing.items()}


def test_a_generic_sale_is_invoiced_and_confirmed_once() -> None:
    world = World()
    assert world.notify("A") == "confirmed"
    sale = world.sales.get(TENANT, GENERIC, "A")
    assert sale is not None and sale.confirmed and sale.source == "ion" and sale.invoice_id == "INV-41-A"
    assert world.steps("A") == {"hold": "success", "invoice": "success", "confirm": "success"}
    assert "GET /ion/v1/sales/A" in sale.processing["confirm"].message
    state = sale_state(world.deps.sales, world.deps.orders, TENANT, GENERIC, "A")
    assert state.status == "confirmed" and state.seats == ["1", "2"]

    # the same notification again changes nothing
    before = world.sales.rows.copy()
    assert world.notify("A") == "duplicate"
    assert world.sales.rows == before and world.sales.creates == 1


def test_a_native_sale_is_confirmed_through_its_marketplace_once() -> None:
    world = World()
    assert world.notify("S1", marketplace_id=STUBHUB) == "confirmed"
    assert world.notify("S1", marketplace_id=STUBHUB) == "duplicate"
    assert world.marketplace.calls == [("confirm", "S1")]
    assert (
        "StubHub" in (world.sales.get(TENANT, STUBHUB, "S1") or pytest.fail()).processing["confirm"].message
    )


def test_seats_gone_means_invoice_error_and_a_rejection_due_later() -> None:
    world = World()
    world.notify("A", quantity=4)
    assert world.notify("B", marketplace_id=STUBHUB) == "unavailable"
    sale = world.sales.get(TENANT, STUBHUB, "B")
    assert sale is not None and not sale.confirmed and not sale.rejected
    assert world.steps("B", STUBHUB) == {"invoice": "error", "reject": "pending", "confirm": "pending"}
    assert "available" in sale.processing["invoice"].message
    assert sale.reject_due == T0 + dt.timedelta(seconds=1800)
    (task,) = world.tasks.items
    assert isinstance(task, IonTask) and task.kind == "auto_reject" and task.due == sale.reject_due
    assert world.marketplace.calls == []

    # early: sent again, nothing done
    early = IonTask(tenant_id=TENANT, kind="auto_reject", marketplace_id=STUBHUB, order_id="B", due=task.due)
    assert ion.handle_task(world.deps, early, "t", T0 + dt.timedelta(seconds=900)) == "not due"
    assert len(world.tasks.items) == 2 and world.marketplace.calls == []
    # due: rejected through the marketplace, once
    assert ion.handle_task(world.deps, early, "t", task.due) == "rejected"
    assert ion.handle_task(world.deps, early, "t", task.due) == "rejected"
    assert world.marketplace.calls == [("reject", "B")]
    sale = world.sales.get(TENANT, STUBHUB, "B")
    assert sale is not None and sale.rejected and sale.decision is not None and sale.decision.by == "auto"
    assert world.steps("B", STUBHUB)["reject"] == "success"
    assert "rejected automatically through StubHub" in sale.processing["reject"].message


def test_a_person_deciding_first_wins_over_the_automatic_rejection() -> None:
    world = World()
    world.notify("A", quantity=4)
    world.notify("B", marketplace_id=STUBHUB)
    sale = ion.decide(world.deps, TENANT, STUBHUB, "B", "confirm", "found other seats", T0)
    assert sale.decision is not None and sale.decision.by == "broker"
    assert sale.processing["confirm"].status == "pending"
    decide_task = world.tasks.items[-1]
    assert isinstance(decide_task, IonTask) and decide_task.kind == "decide"
    assert world.task("decide", "B", STUBHUB, T0) == "confirmed"
    # the automatic rejection comes later and finds the decision taken
    assert world.task("auto_reject", "B", STUBHUB, T0 + dt.timedelta(hours=1)) == "confirmed"
    assert world.marketplace.calls == [("confirm", "B")]
    sale = world.sales.get(TENANT, STUBHUB, "B")
    assert sale is not None and sale.confirmed and "reject" not in sale.processing
    # the opposite now is a conflict; the same again answers the sale
    with pytest.raises(Conflict, match="confirmed by you"):
        ion.decide(world.deps, TENANT, STUBHUB, "B", "reject", "", T0)
    assert ion.decide(world.deps, TENANT, STUBHUB, "B", "confirm", "", T0).confirmed


def test_after_the_automatic_rejection_a_confirm_is_refused() -> None:
    world = World(native=False)
    world.notify("A", quantity=4)
    world.notify("B")
    assert world.task("auto_reject", "B", GENERIC, T0 + dt.timedelta(hours=1)) == "rejected"
    assert sale_state(world.deps.sales, world.deps.orders, TENANT, GENERIC, "B").status == "rejected"
    with pytest.raises(Conflict, match="rejected automatically"):
        ion.decide(world.deps, TENANT, GENERIC, "B", "confirm", "", T0)
    assert ion.decide(world.deps, TENANT, GENERIC, "B", "reject", "", T0).rejected


def test_a_cancellation_before_the_sale_keeps_it_from_being_made() -> None:
    world = World()
    assert world.notify("C", event="cancelled") == "cancelled before the sale"
    assert world.notify("C") == "cancelled before"
    assert world.sales.get(TENANT, GENERIC, "C") is None
    assert world.pos.orders == {}
    world.orders.note_received(TENANT, GENERIC, "C", T0)  # as POST /ion/v1/sales records it
    assert sale_state(world.deps.sales, world.deps.orders, TENANT, GENERIC, "C").status == "cancelled"


def test_a_cancelled_hold_gives_its_seats_back() -> None:
    world = World()
    assert (
        world.notify(
            "P",
            event="provisional",
            marketplace_id=STUBHUB,
            ticketgroupid="500",
            quantity=2,
            price_per_seat=Decimal("10"),
        )
        == "held"
    )
    assert world.pos.seats["500"]["1"] is not None
    assert world.notify("P", event="cancelled", marketplace_id=STUBHUB) == "cancelled"
    assert world.pos.seats["500"] == dict.fromkeys(["1", "2", "3", "4"])
    sale = world.sales.get(TENANT, STUBHUB, "P")
    assert sale is not None and sale.cancelled and sale.processing["confirm"].status == "error"
    # the sale that follows the cancellation is not made
    assert world.notify("P", marketplace_id=STUBHUB) == "cancelled before"
    assert world.marketplace.calls == []


def test_a_marketplace_down_leaves_the_message_for_later_and_shows_why() -> None:
    world = World()
    world.marketplace.fail = [MarketplaceError("503 Service Unavailable", transient=True, status=503)]
    with pytest.raises(ion.Retry):
        world.notify("D", marketplace_id=STUBHUB)
    sale = world.sales.get(TENANT, STUBHUB, "D")
    assert sale is not None and not sale.confirmed
    assert (
        sale.processing["confirm"].status == "error" and "trying again" in sale.processing["confirm"].message
    )
    # the message comes back: confirmed, with one confirm call that succeeded
    assert world.notify("D", marketplace_id=STUBHUB) == "confirmed"
    assert world.marketplace.calls == [("confirm", "D")]
    assert world.sales.creates == 1


def test_a_refusal_is_recorded_and_not_retried() -> None:
    world = World()
    world.marketplace.fail = [MarketplaceError("the sale is not yours", transient=False, status=403)]
    assert world.notify("E", marketplace_id=STUBHUB) == "confirm refused"
    assert world.steps("E", STUBHUB)["confirm"] == "error"
    assert world.notify("E", marketplace_id=STUBHUB) == "duplicate"


def test_missing_credentials_are_a_refusal_that_says_how_to_fix_it() -> None:
    world = World()
    world.credentials.rows.clear()
    assert world.notify("F", marketplace_id=STUBHUB) == "confirm refused"
    sale = world.sales.get(TENANT, STUBHUB, "F")
    assert sale is not None and "marketplace-credentials set" in sale.processing["confirm"].message


def test_a_pos_that_does_not_answer_means_retry() -> None:
    world = World()
    world.pos.down = True
    with pytest.raises(ion.Retry):
        world.notify("G")
    world.pos.down = False
    assert world.notify("G") == "confirmed"


def test_one_worker_at_a_time_per_order() -> None:
    world = World()
    world.orders.lock(TENANT, GENERIC, "H", "someone-else", int(T0.timestamp()), 60)
    with pytest.raises(ion.Busy):
        world.notify("H")


def test_a_notification_without_the_listing_is_completed_from_the_marketplace() -> None:
    world = World()
    world.marketplace.sales["S9"] = MarketplaceSale(
        marketplace_id=STUBHUB, order_id="S9", ticketgroupid="500", quantity=1, price_per_seat=Decimal("5")
    )
    assert world.notify("S9", marketplace_id=STUBHUB, ticketgroupid=None, quantity=None) == "confirmed"
    assert world.marketplace.calls == [("get_sale", "S9"), ("confirm", "S9")]


def test_no_seat_is_sold_twice_whatever_the_order_of_news() -> None:
    world = World()
    for n, order in enumerate(["A", "B", "C", "D"]):
        world.notify(order, marketplace_id=STUBHUB if n % 2 else GENERIC, quantity=1 + n % 2)
    assert all(len(orders) == 1 for orders in world.pos.sold().values())
    assert sum(len(o) for o in world.pos.sold().values()) == 4
