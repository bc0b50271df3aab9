"""The SkyBox adapter's selling side against the fake SkyBox over HTTP, its order records in the
emulator: marketplace orders as SkyBox holds and invoices, idempotent per order, no seat held
or sold twice, and recovery from a call that died half-way."""

from __future__ import annotations

import base64
import datetime as dt
import threading
import uuid
from decimal import Decimal
from typing import Any

import pytest

from tests.integration.skybox.conftest import Fake, SkyBoxAccount, purchase_body
from tixpilot.adapters.http import RetryingHttp
from tixpilot.adapters.pos.base import (
    HoldRequest,
    OrderConflict,
    PosContext,
    PosError,
    SeatsUnavailable,
    SeatTickets,
    UnknownOrder,
    UnknownTicketGroup,
)
from tixpilot.adapters.pos.skybox import SkyBoxPos, skybox_error
from tixpilot.repositories.pos_order_records import PosOrderRecords

TICKPICK, GAMETIME = 16, 25  # OI marketplaces


def adapter(skybox: Fake) -> SkyBoxPos:
    http = RetryingHttp("skybox", error=skybox_error, backoff_s=0.001, timeout_s=5)
    return SkyBoxPos(http=http, base_url=skybox.url)


@pytest.fixture
def context(moto_server: str, account: SkyBoxAccount) -> PosContext:
    return PosContext(
        tenant_id=f"sell-{uuid.uuid4().hex[:10]}",
        now=dt.datetime.now(dt.UTC),
        credentials=account.credentials,
    )


@pytest.fixture
def stock(account: SkyBoxAccount, event: dict[str, Any]) -> dict[str, Any]:
    """Seats 5 and 6 (barcodes BC5, BC6) of section 101 row A in the fake account."""
    body = purchase_body(account, event["id"])
    body["lines"][0]["inventory"]["tickets"] = [
        {
            "seatNumber": seat,
            "section": "101",
            "row": "A",
            "cost": 55.5,
            "faceValue": 50,
            "sellPrice": 0,
            "stockType": "MOBILE_TRANSFER",
            "status": "AVAILABLE",
            "barCode": f"BC{seat}",
        }
        for seat in (5, 6)
    ]
    body["lines"][0]["inventory"]["stockType"] = "MOBILE_TRANSFER"
    made = account.ok("POST", "/purchases", body)
    (found,) = account.ok("GET", "/inventory", purchaseId=made["id"], includeTickets="true")["rows"]
    return dict(found)


def ask(stock: dict[str, Any], order_id: str, quantity: int = 1, **changes: Any) -> HoldRequest:
    values: dict[str, Any] = {
        "marketplace_id": TICKPICK,
        "order_id": order_id,
        "ticketgroupid": str(stock["id"]),
        "quantity": quantity,
        "price_per_seat": Decimal("80.00"),
        "expires_at": dt.datetime.now(dt.UTC) + dt.timedelta(minutes=30),
        **changes,
    }
    return HoldRequest(**values)


def skybox_holds(account: SkyBoxAccount, ref: str) -> list[dict[str, Any]]:
    return list(account.ok("GET", "/holds", externalRef=ref)["rows"])


def test_an_order_is_a_skybox_hold_then_an_invoice_then_complete(
    skybox: Fake, account: SkyBoxAccount, stock: dict[str, Any], context: PosContext
) -> None:
    pos = adapter(skybox)
    outcome = pos.hold(context, ask(stock, "7001"))
    order = outcome.order
    assert outcome.created and (order.state, order.seats, order.binding) == ("held", ("5",), True)
    assert (order.group.event, order.group.section, order.group.row, order.group.stock) == (
        "Sugarland",
        "101",
        "A",
        "transfer",
    )
    assert order.group.starts_at == dt.datetime(2026, 9, 1, 19, 30) and order.group.cost_perseat == Decimal(
        "55.5"
    )
    (hold,) = skybox_holds(account, "7001")
    assert hold["customerId"] == account.ids["customers"]["TICKPICK"] and hold["seats"] == "5"
    assert hold["notes"].startswith("TixPilot: order 7001 of marketplace 16, binding")

    again = pos.hold(context, ask(stock, "7001"))
    assert not again.created and again.order.seats == ("5",) and len(skybox_holds(account, "7001")) == 1
    with pytest.raises(OrderConflict, match="an order id is held once"):
        pos.hold(context, ask(stock, "7001", quantity=2))

    invoiced = pos.invoice(context, TICKPICK, "7001")
    assert invoiced.state == "invoiced" and invoiced.invoice_id
    (invoice,) = account.ok("GET", "/invoices", externalRef="7001")["rows"]
    assert str(invoice["id"]) == invoiced.invoice_id and invoice["total"] == 80.0
    assert invoice["customerId"] == account.ids["customers"]["TICKPICK"]
    assert pos.invoice(context, TICKPICK, "7001").invoice_id == invoiced.invoice_id
    assert len(account.ok("GET", "/invoices", externalRef="7001")["rows"]) == 1
    assert skybox_holds(account, "7001") == []  # the invoice consumed the hold
    with pytest.raises(OrderConflict, match="invoiced"):
        pos.release(context, TICKPICK, "7001", "marketplace")

    done = pos.complete(context, TICKPICK, "7001")
    assert done.completed
    assert account.ok("GET", f"/invoices/{invoiced.invoice_id}")["fulfillmentStatus"] == "COMPLETE"
    assert pos.complete(context, TICKPICK, "7001").completed
    assert len(skybox.calls("invoices.bulk")) == 1
    assert pos.order(context, TICKPICK, "7001") == done


def test_seats_held_for_one_order_are_not_held_for_another(
    skybox: Fake, account: SkyBoxAccount, stock: dict[str, Any], context: PosContext
) -> None:
    pos = adapter(skybox)
    pos.hold(context, ask(stock, "7101"))
    with pytest.raises(SeatsUnavailable, match="1 free seats, 2 asked"):
        pos.hold(context, ask(stock, "7102", quantity=2, marketplace_id=GAMETIME))
    assert pos.order(context, GAMETIME, "7102") is None  # nothing recorded: the order may try again
    assert pos.hold(context, ask(stock, "7102", marketplace_id=GAMETIME)).order.seats == ("6",)


def test_a_released_order_gives_its_seats_back(
    skybox: Fake, account: SkyBoxAccount, stock: dict[str, Any], context: PosContext
) -> None:
    pos = adapter(skybox)
    pos.hold(context, ask(stock, "7201", quantity=2))
    released = pos.release(context, TICKPICK, "7201", "marketplace")
    assert (released.state, released.released_because) == ("released", "marketplace")
    assert skybox_holds(account, "7201") == []
    assert pos.release(context, TICKPICK, "7201", "marketplace") == released
    with pytest.raises(OrderConflict, match="released"):
        pos.invoice(context, TICKPICK, "7201")
    with pytest.raises(OrderConflict, match="only an invoiced order"):
        pos.complete(context, TICKPICK, "7201")
    assert pos.hold(context, ask(stock, "7202", quantity=2)).order.seats == ("5", "6")


def test_an_expired_hold_is_released_not_invoiced(
    skybox: Fake, account: SkyBoxAccount, stock: dict[str, Any], context: PosContext
) -> None:
    pos = adapter(skybox)
    pos.hold(context, ask(stock, "7301"))
    later = PosContext(context.tenant_id, context.now + dt.timedelta(hours=1), context.credentials)
    with pytest.raises(OrderConflict, match="expired"):
        pos.invoice(later, TICKPICK, "7301")
    order = pos.order(later, TICKPICK, "7301")
    assert order is not None and (order.state, order.released_because) == ("released", "expired")
    assert skybox_holds(account, "7301") == []


def test_a_sale_displaces_non_binding_holds_only(
    skybox: Fake, account: SkyBoxAccount, stock: dict[str, Any], context: PosContext
) -> None:
    pos = adapter(skybox)
    pos.hold(context, ask(stock, "7401", marketplace_id=1, binding=False))  # a non-binding ION hold
    pos.hold(context, ask(stock, "7402"))  # binding
    with pytest.raises(SeatsUnavailable):
        pos.hold(context, ask(stock, "7403", marketplace_id=GAMETIME))  # may not displace
    sale = pos.hold(context, ask(stock, "7404", marketplace_id=GAMETIME, may_displace=True))
    assert sale.order.seats == ("5",)
    (displaced,) = sale.displaced
    assert (displaced.order_id, displaced.state, displaced.released_because) == (
        "7401",
        "released",
        f"displaced by {GAMETIME}#7404",
    )
    with pytest.raises(SeatsUnavailable):  # the binding hold stays
        pos.hold(context, ask(stock, "7405", marketplace_id=GAMETIME, may_displace=True))


def test_concurrent_orders_never_share_a_seat(
    skybox: Fake, account: SkyBoxAccount, stock: dict[str, Any], context: PosContext
) -> None:
    results: list[Any] = []
    start = threading.Barrier(6)

    def run(n: int) -> None:
        start.wait()
        try:
            results.append(adapter(skybox).hold(context, ask(stock, f"75{n:02d}")).order)
        except PosError as exc:
            results.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    held = [r for r in results if not isinstance(r, Exception)]
    assert sorted(s for order in held for s in order.seats) == ["5", "6"]
    assert all(isinstance(r, SeatsUnavailable) for r in results if isinstance(r, Exception)), results


def test_one_order_asked_for_at_once_is_one_skybox_hold(
    skybox: Fake, account: SkyBoxAccount, stock: dict[str, Any], context: PosContext
) -> None:
    outcomes: list[Any] = []
    start = threading.Barrier(5)

    def run() -> None:
        start.wait()
        outcomes.append(adapter(skybox).hold(context, ask(stock, "7601")))

    threads = [threading.Thread(target=run) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(outcomes) == 5 and sum(o.created for o in outcomes) == 1
    assert {o.order.seats for o in outcomes} == {("5",)}
    assert len(skybox_holds(account, "7601")) == 1


def test_a_call_that_died_placing_or_invoicing_is_finished_by_the_next(
    skybox: Fake, account: SkyBoxAccount, stock: dict[str, Any], context: PosContext
) -> None:
    pos, records = adapter(skybox), PosOrderRecords()
    pos.hold(context, ask(stock, "7701"))
    # as if the placing call died after SkyBox answered: its record back to placing, lease run out
    records.change(
        context.tenant_id,
        "skybox",
        TICKPICK,
        "7701",
        states=("held",),
        sets={"state": "placing", "lease_until": 0},
        removes=("hold_id",),
    )
    adopted = pos.hold(context, ask(stock, "7701"))
    assert adopted.created and adopted.order.seats == ("5",)
    assert len(skybox_holds(account, "7701")) == 1  # the hold SkyBox had, not a second

    pos.invoice(context, TICKPICK, "7701")
    records.change(  # as if the invoicing call died after SkyBox invoiced
        context.tenant_id,
        "skybox",
        TICKPICK,
        "7701",
        states=("invoiced",),
        sets={"state": "invoicing", "lease_until": 0},
        removes=("invoice_id",),
    )
    with pytest.raises(OrderConflict, match="invoiced"):  # a release finds SkyBox's invoice
        pos.release(context, TICKPICK, "7701", "marketplace")
    assert pos.invoice(context, TICKPICK, "7701").state == "invoiced"
    assert len(account.ok("GET", "/invoices", externalRef="7701")["rows"]) == 1


def test_ticket_data_and_files_come_from_skybox(
    skybox: Fake, account: SkyBoxAccount, stock: dict[str, Any], context: PosContext
) -> None:
    pos = adapter(skybox)
    first = stock["tickets"][0]
    skybox.control(
        "tickets",
        {
            "account_id": account.account_id,
            "ticket_id": first["id"],
            "pdf_base64": base64.b64encode(b"%PDF-1.7 seat 5").decode(),
        },
    )
    data = pos.ticket_data(context, str(stock["id"]), ["5", "6", "7"])
    assert data[1] == SeatTickets(seat="6", barcodes=("BC6",), file_ref=None)
    assert data[0].barcodes == ("BC5",) and data[0].file_ref
    assert pos.ticket_file(context, str(data[0].file_ref)) == b"%PDF-1.7 seat 5"
    with pytest.raises(UnknownOrder):
        pos.ticket_file(context, "nothing.pdf")


def test_unknown_inventory_orders_and_credentials(
    skybox: Fake, account: SkyBoxAccount, stock: dict[str, Any], context: PosContext
) -> None:
    pos = adapter(skybox)
    with pytest.raises(UnknownTicketGroup):
        pos.hold(context, ask(stock, "7801", ticketgroupid="999999"))
    with pytest.raises(UnknownTicketGroup):
        pos.hold(context, ask(stock, "7801", ticketgroupid="TG-1"))
    with pytest.raises(UnknownOrder):
        pos.invoice(context, TICKPICK, "nope")
    refused = PosContext(context.tenant_id, context.now, {**account.credentials, "application_token": "x"})
    with pytest.raises(PosError) as denied:
        pos.hold(refused, ask(stock, "7802"))
    assert denied.value.status == 401 and "SkyBox refused the credentials" in denied.value.message
    assert pos.order(context, TICKPICK, "7802") is None
    assert pos.hold(context, ask(stock, "7802")).created


def test_an_outage_while_holding_is_transient_and_leaves_nothing(
    skybox: Fake, account: SkyBoxAccount, stock: dict[str, Any], context: PosContext
) -> None:
    pos = adapter(skybox)
    skybox.control("faults", {"operation": "holds.create", "status": 503, "times": 4})
    with pytest.raises(PosError) as down:
        pos.hold(context, ask(stock, "7901"))
    assert down.value.transient and pos.order(context, TICKPICK, "7901") is None
    assert pos.hold(context, ask(stock, "7901")).created


def test_a_refusal_that_is_not_about_seats_keeps_skyboxs_words(
    skybox: Fake, account: SkyBoxAccount, stock: dict[str, Any], context: PosContext
) -> None:
    past = ask(stock, "7951", expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1))
    with pytest.raises(PosError) as refused:
        adapter(skybox).hold(context, past)
    assert not isinstance(refused.value, SeatsUnavailable) and refused.value.status == 400
    assert "expiryDate must be in the future" in refused.value.message
    assert adapter(skybox).order(context, TICKPICK, "7951") is None
