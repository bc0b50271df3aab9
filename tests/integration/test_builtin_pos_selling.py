"""The builtin POS's selling side (PosAdapter hold/invoice/release/complete) over the real ledger
in moto: idempotent per order, expiry decided by one transaction, non-binding holds giving way
to a sale and binding ones never."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from tests.integration.oi_support import seat_statuses, ticket_group
from tixpilot.adapters.pos.base import (
    HoldRequest,
    OrderConflict,
    PosContext,
    SeatsUnavailable,
    UnknownOrder,
    UnknownTicketGroup,
)
from tixpilot.adapters.pos.builtin import BuiltinPos

T0 = dt.datetime(2030, 1, 1, 12, 0, tzinfo=dt.UTC)


def at(seconds: float, tenant_id: str) -> PosContext:
    return PosContext(tenant_id=tenant_id, now=T0 + dt.timedelta(seconds=seconds))


def request(order_id: str, tgid: int, quantity: int, **kwargs: Any) -> HoldRequest:
    base: dict[str, Any] = {
        "marketplace_id": 25,
        "order_id": order_id,
        "ticketgroupid": str(tgid),
        "quantity": quantity,
        "price_per_seat": Decimal("50.00"),
        "expires_at": T0 + dt.timedelta(seconds=600),
    }
    return HoldRequest(**{**base, **kwargs})


@pytest.fixture
def pos(moto_server: str) -> BuiltinPos:
    return BuiltinPos()


def test_hold_is_idempotent_and_invoice_sells_once(pos: BuiltinPos, new_tenant: Any) -> None:
    tenant = new_tenant().id
    tgid = ticket_group(tenant, ["1", "2", "10", "3"])
    first = pos.hold(at(0, tenant), request("A", tgid, 2))
    assert first.created and first.order.seats == ("1", "2") and first.order.state == "held"
    assert first.order.group.event == "Sugarland" and first.order.group.section == "101"
    again = pos.hold(at(1, tenant), request("A", tgid, 2))
    assert not again.created and again.order.seats == ("1", "2")
    with pytest.raises(OrderConflict):
        pos.hold(at(1, tenant), request("A", tgid, 1))

    invoiced = pos.invoice(at(2, tenant), 25, "A")
    assert invoiced.state == "invoiced" and invoiced.invoice_id == "INV-25-A"
    assert pos.invoice(at(3, tenant), 25, "A").invoice_id == "INV-25-A"
    with pytest.raises(OrderConflict):
        pos.release(at(4, tenant), 25, "A", "marketplace")
    assert seat_statuses(tenant, tgid) == {"1": "sold", "2": "sold", "3": "available", "10": "available"}
    assert pos.complete(at(5, tenant), 25, "A").completed

    with pytest.raises(UnknownOrder):
        pos.invoice(at(5, tenant), 25, "nope")
    with pytest.raises(UnknownTicketGroup):
        pos.hold(at(5, tenant), request("B", 999_999_999, 1))


def test_release_gives_seats_back_and_a_released_hold_cannot_be_invoiced(
    pos: BuiltinPos, new_tenant: Any
) -> None:
    tenant = new_tenant().id
    tgid = ticket_group(tenant, ["1", "2"])
    pos.hold(at(0, tenant), request("A", tgid, 2))
    with pytest.raises(SeatsUnavailable):
        pos.hold(at(1, tenant), request("B", tgid, 1))
    released = pos.release(at(2, tenant), 25, "A", "marketplace")
    assert released.state == "released" and released.released_because == "marketplace"
    assert pos.release(at(3, tenant), 25, "A", "other").released_because == "marketplace"
    with pytest.raises(OrderConflict):
        pos.invoice(at(4, tenant), 25, "A")
    assert pos.hold(at(5, tenant), request("B", tgid, 1)).order.seats == ("1",)


def test_an_expired_hold_frees_its_seats_for_another_and_cannot_be_invoiced(
    pos: BuiltinPos, new_tenant: Any
) -> None:
    tenant = new_tenant().id
    tgid = ticket_group(tenant, ["1", "2", "3"])
    pos.hold(at(0, tenant), request("A", tgid, 2, expires_at=T0 + dt.timedelta(seconds=60)))
    # before expiry the seats are A's
    with pytest.raises(SeatsUnavailable):
        pos.hold(at(59, tenant), request("B", tgid, 2))
    # after it, another hold takes them and A is released as expired
    outcome = pos.hold(at(61, tenant), request("B", tgid, 2))
    assert outcome.order.state == "held" and len(outcome.order.seats) == 2
    assert [(o.order_id, o.released_because) for o in outcome.displaced] == [("A", "expired")]
    with pytest.raises(OrderConflict, match="released"):
        pos.invoice(at(62, tenant), 25, "A")


def test_invoicing_an_expired_hold_releases_it_instead(pos: BuiltinPos, new_tenant: Any) -> None:
    tenant = new_tenant().id
    tgid = ticket_group(tenant, ["1"])
    pos.hold(at(0, tenant), request("A", tgid, 1, expires_at=T0 + dt.timedelta(seconds=60)))
    with pytest.raises(OrderConflict, match="expired"):
        pos.invoice(at(60, tenant), 25, "A")
    order = pos.order(at(61, tenant), 25, "A")
    assert order is not None and order.state == "released" and order.released_because == "expired"
    assert seat_statuses(tenant, tgid) == {"1": "available"}


def test_a_sale_displaces_non_binding_holds_but_never_binding_ones(pos: BuiltinPos, new_tenant: Any) -> None:
    tenant = new_tenant().id
    tgid = ticket_group(tenant, ["1", "2", "3", "4"])
    pos.hold(at(0, tenant), request("SOFT", tgid, 2, marketplace_id=41, binding=False))
    pos.hold(at(0, tenant), request("HARD", tgid, 2, marketplace_id=1, binding=True))
    # a hold that may not displace gets nothing
    with pytest.raises(SeatsUnavailable):
        pos.hold(at(1, tenant), request("C", tgid, 2))
    # a sale takes the non-binding hold's seats
    sale = pos.hold(at(2, tenant), request("SALE", tgid, 2, marketplace_id=4, may_displace=True))
    assert set(sale.order.seats) == {"1", "2"}
    assert [(o.marketplace_id, o.order_id, o.released_because) for o in sale.displaced] == [
        (41, "SOFT", "displaced by 4#SALE")
    ]
    # the binding hold's seats stay its own
    with pytest.raises(SeatsUnavailable):
        pos.hold(at(3, tenant), request("SALE2", tgid, 1, marketplace_id=4, may_displace=True))
    assert pos.invoice(at(4, tenant), 1, "HARD").state == "invoiced"
