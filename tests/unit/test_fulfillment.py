"""Fulfillment's service over in-memory fakes: what is delivered and where, every attempt on the
sale, retries on the schedule (superseded timers do nothing), the tenant's delivery delays, the
rules that stop it (rotating screenshots, hard stock, the event started), completion in the POS,
and what a generic v1 marketplace reads."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from tests.unit.fakes import (
    FakeDeliveryFiles,
    FakeLocks,
    FakeMarketplace,
    FakePos,
    FakeSales,
    FakeSellerAccounts,
    FakeTenants,
    FakeTimer,
)
from tixpilot.adapters.marketplaces.base import MarketplaceError
from tixpilot.adapters.pos.base import PosContext, PosError, PosOrder, SeatTickets, SeatTransfer
from tixpilot.errors import NotFound
from tixpilot.models.delivery import DeliveryDelay
from tixpilot.models.fulfillment import FulfillmentMessage
from tixpilot.models.marketplaces import BarcodeDelivery, PdfDelivery, TransferDelivery
from tixpilot.models.sales import Sale, SaleEvent, SalePrices, SaleSeat, StepResult
from tixpilot.models.tenants import Tenant, TenantSettings
from tixpilot.services import fulfillment
from tixpilot.services.fulfillment_schedule import RetrySchedule
from tixpilot.services.ion import Busy, Retry
from tixpilot.services.marketplace_reads import delivered_tickets
from tixpilot.services.pos_orders import InventoryPorts

T0 = dt.datetime(2030, 3, 1, 12, 0, tzinfo=dt.UTC)
TENANT = "9001"
STUBHUB, SEATGEEK = 1, 41
PDF = b"%PDF-1.4 a ticket"


class World:
    def __init__(self, settings: TenantSettings | None = None) -> None:
        self.tenants = FakeTenants()
        self.tenants.create(
            Tenant(tenant_id=TENANT, name="Broker", created=T0, settings=settings or TenantSettings())
        )
        self.pos = FakePos()
        self.sales = FakeSales()
        self.credentials = FakeSellerAccounts()
        self.credentials.put(TENANT, STUBHUB, {"access_token": "t"}, "key")
        self.marketplace = FakeMarketplace(STUBHUB)
        self.timer = FakeTimer()
        self.files = FakeDeliveryFiles()
        self.refreshed: list[str] = []
        self.on_refresh: Any = None
        self.deps = fulfillment.FulfillmentDeps(
            inventory=InventoryPorts(
                tenants=self.tenants, adapter=lambda name: self.pos, credentials=lambda t, p: None
            ),
            sales=self.sales,
            locks=FakeLocks(),
            credentials=self.credentials,
            adapter_for={STUBHUB: self.marketplace}.get,
            timer=self.timer,
            files=self.files,
            refresh=self._refresh,
            schedule=RetrySchedule(300),
        )

    def _refresh(self, tenant_id: str, tgid: str) -> bool:
        self.refreshed.append(tgid)
        if self.on_refresh:
            self.on_refresh()
        return True

    def sale(self, marketplace_id: int = STUBHUB, order_id: str = "7001", **changes: Any) -> Sale:
        sale = Sale(
            marketplace_id=marketplace_id,
            order_id=order_id,
            credential_id="",
            pos="builtin",
            delivery_format="barcode",
            sold_at=T0,
            ticket_group_id="500",
            invoice_id=f"INV-{marketplace_id}-{order_id}",
            in_hand_date=dt.date(2030, 7, 11),
            confirmed=True,
            fulfilled=False,
            prices=SalePrices(
                list_perseat=Decimal(90), face_perseat=0, cost_perseat=0, total=180, fees=0, payout=180
            ),
            event=SaleEvent(
                name="Sugarland", venue="Smart Financial Centre", starts_at=dt.datetime(2030, 7, 11, 19)
            ),
            section="101",
            row="C",
            seats=[SaleSeat(number="1", seat_id=""), SaleSeat(number="2", seat_id="")],
            tenant_id=TENANT,
            source="ion",
            processing={"fulfill": StepResult(status="pending", message="queued for fulfillment", at=T0)},
            created=T0,
            updated=T0,
        ).model_copy(update=changes)
        self.sales.create(sale, None)
        self.pos.orders[(marketplace_id, order_id)] = PosOrder(
            marketplace_id=marketplace_id,
            order_id=order_id,
            ticketgroupid="500",
            seats=("1", "2"),
            price_per_seat=Decimal(90),
            state="invoiced",
            binding=True,
            held_at=T0,
            expires_at=None,
            invoice_id=f"INV-{marketplace_id}-{order_id}",
        )
        return sale

    def tickets(self, *, barcodes: bool = False, files: bool = False, transfer: bool = False, rotating=False):
        for seat in ("1", "2"):
            ref = f"{TENANT}/77/{seat}.pdf" if files else None
            if ref:
                self.pos.files[ref] = PDF + seat.encode()
            self.pos.tickets[("500", seat)] = SeatTickets(
                seat=seat,
                barcodes=(f"BC-{seat}",) if barcodes else (),
                file_ref=ref,
                transfer=SeatTransfer("Ticketmaster", "TM-55", f"https://tm.example/claim/{seat}")
                if transfer
                else None,
                rotating_barcodes=rotating,
            )

    def run(self, order_id: str = "7001", at: dt.datetime = T0, marketplace_id: int = STUBHUB, **fields: Any):
        message = FulfillmentMessage(
            tenant_id=TENANT, marketplace_id=marketplace_id, order_id=order_id, **fields
        )
        return fulfillment.handle(self.deps, message, "worker-1", at)

    def fire(self, at: dt.datetime | None = None) -> str:
        """The last scheduled retry comes due."""
        message, due = self.timer.scheduled[-1]
        assert isinstance(message, FulfillmentMessage)
        return fulfillment.handle(self.deps, message, "timer", at or due)

    def get(self, order_id: str = "7001", marketplace_id: int = STUBHUB) -> Sale:
        sale = self.sales.get(TENANT, marketplace_id, order_id)
        assert sale is not None
        return sale


def test_a_sale_is_delivered_with_exactly_the_barcodes_of_its_seats_and_completed():
    w = World()
    w.sale()
    w.tickets(barcodes=True)
    assert w.run() == "delivered"
    ((order, delivery),) = w.marketplace.delivered
    assert order == "7001" and isinstance(delivery, BarcodeDelivery)
    assert [(s.seat, s.row, s.barcodes) for s in delivery.seats] == [
        ("1", "C", ["BC-1"]),
        ("2", "C", ["BC-2"]),
    ]
    sale = w.get()
    assert sale.fulfilled and "filled" in sale.states()
    assert sale.processing["fulfill"].status == "success"
    assert sale.processing["fulfill"].message == "attempt 1: delivered the barcodes of 2 seats to StubHub"
    assert sale.processing["complete"].status == "success"  # an ION sale: completed in its POS
    assert w.pos.orders[(STUBHUB, "7001")].completed
    assert sale.fulfillment is not None and sale.fulfillment.delivered is not None
    assert w.timer.scheduled == []


def test_files_not_there_yet_are_retried_on_the_schedule_and_delivered_when_they_come():
    w = World()
    w.sale(delivery_format="eticket")
    w.marketplace.deliveries = frozenset({"pdf"})
    assert w.run() == "waiting"
    sale = w.get()
    assert sale.processing["fulfill"].status == "pending"
    assert sale.processing["fulfill"].message == (
        "attempt 1: ticket file is not available yet for seats 1, 2; next attempt at 2030-03-01 12:05:00 UTC"
    )
    assert w.refreshed == ["500"]  # the primary was crawled again first
    ((message, due),) = w.timer.scheduled
    assert due == T0 + dt.timedelta(minutes=5) and message.schedule == sale.fulfillment.schedule
    assert w.fire() == "waiting"  # still nothing
    w.tickets(files=True)
    assert w.fire() == "delivered"
    ((_, delivery),) = w.marketplace.delivered
    assert isinstance(delivery, PdfDelivery)
    assert [(f.seat, f.content, f.content_type) for f in delivery.files] == [
        ("1", PDF + b"1", "application/pdf"),
        ("2", PDF + b"2", "application/pdf"),
    ]
    sale = w.get()
    assert sale.fulfillment.attempts == 3
    assert [(a.number, a.outcome) for a in sale.fulfillment.history] == [
        (1, "waiting"),
        (2, "waiting"),
        (3, "delivered"),
    ]
    assert sale.fulfillment.next_at is None and sale.fulfillment.schedule is None


def test_the_crawl_that_finds_the_files_serves_the_same_attempt():
    w = World()
    w.sale(delivery_format="eticket")
    w.on_refresh = lambda: w.tickets(files=True)
    assert w.run() == "delivered"
    assert w.get().fulfillment.attempts == 1


def test_a_marketplace_failing_is_retried_and_each_attempt_shows():
    w = World()
    w.sale()
    w.tickets(barcodes=True)
    w.marketplace.fail = [
        MarketplaceError("503 Service Unavailable", transient=True, status=503),
        MarketplaceError("the sale is not in a state that can be delivered", transient=False, status=403),
    ]
    assert w.run() == "failed"
    assert w.get().processing["fulfill"].status == "error"
    assert "attempt 1: StubHub did not answer: 503" in w.get().processing["fulfill"].message
    assert w.fire() == "refused"
    assert "attempt 2: StubHub refused: the sale is not" in w.get().processing["fulfill"].message
    assert w.fire() == "delivered"
    history = w.get().fulfillment.history
    assert [(a.number, a.outcome) for a in history] == [(1, "failed"), (2, "refused"), (3, "delivered")]
    assert [due - T0 for _, due in w.timer.scheduled] == [dt.timedelta(minutes=5), dt.timedelta(minutes=15)]


def test_a_superseded_timer_does_nothing():
    w = World()
    w.sale()
    assert w.run() == "waiting"
    stale, _ = w.timer.scheduled[-1]
    assert w.run(at=T0 + dt.timedelta(minutes=1)) == "waiting"  # a new request takes over
    assert fulfillment.handle(w.deps, stale, "timer", T0 + dt.timedelta(minutes=5)) == "superseded"
    assert w.get().fulfillment.attempts == 2


def test_a_filled_sale_is_not_delivered_again():
    w = World()
    w.sale(fulfilled=True, processing={"fulfill": StepResult(status="success", message="filled", at=T0)})
    w.tickets(barcodes=True)
    assert w.run() == "filled already"
    assert w.marketplace.delivered == []


def test_not_before_the_sale_is_confirmed_with_the_marketplace():
    w = World()
    w.sale(confirmed=False)
    w.tickets(barcodes=True)
    assert w.run() == "waiting"
    assert "waiting for the sale to be confirmed with StubHub" in w.get().processing["fulfill"].message
    assert w.marketplace.delivered == []


def test_no_attempt_once_the_event_started():
    w = World()
    w.sale()
    started = dt.datetime(2030, 7, 11, 23, 5, tzinfo=dt.UTC)  # 19:05 in New York
    assert w.run(at=started) == "given_up"
    step = w.get().processing["fulfill"]
    assert step.status == "error" and "the event started" in step.message
    assert w.timer.scheduled == []


def test_the_last_attempt_is_before_the_event():
    w = World()
    w.sale()
    late = dt.datetime(2030, 7, 11, 22, 30, tzinfo=dt.UTC)  # half an hour before it starts
    assert w.run(at=late) == "waiting"
    assert w.run(at=late + dt.timedelta(hours=1, minutes=5)) == "given_up"
    assert w.timer.scheduled[0][1] < dt.datetime(2030, 7, 11, 23, tzinfo=dt.UTC)


def test_a_delivery_delay_holds_the_sale_until_so_many_hours_before_the_event():
    settings = TenantSettings(
        delivery_delays=[DeliveryDelay(marketplace_id=STUBHUB, kind="barcodes", hours_before_event=72)]
    )
    w = World(settings)
    w.sale()
    w.tickets(barcodes=True)
    assert w.run() == "held"
    sale = w.get()
    assert sale.processing["fulfill"].message.startswith(
        "held until 2030-07-08 23:00:00 UTC: you deliver barcodes"
    )
    assert sale.fulfillment.attempts == 0 and w.marketplace.delivered == []
    ((_, due),) = w.timer.scheduled
    assert due == dt.datetime(2030, 7, 8, 23, tzinfo=dt.UTC)
    assert w.fire() == "delivered"
    assert w.get().fulfillment.attempts == 1


def test_another_kind_or_marketplace_is_not_held():
    settings = TenantSettings(
        delivery_delays=[DeliveryDelay(marketplace_id=STUBHUB, kind="pdf", hours_before_event=72)]
    )
    w = World(settings)
    w.sale()
    w.tickets(barcodes=True)
    assert w.run() == "delivered"


def test_rotating_barcodes_are_never_delivered_as_screenshots():
    w = World()
    w.sale(delivery_format="mobileqr")
    w.tickets(barcodes=True, files=True, rotating=True)
    assert w.run() == "impossible"
    step = w.get().processing["fulfill"]
    assert step.status == "error" and "never delivered as screenshots" in step.message
    assert w.marketplace.delivered == [] and w.timer.scheduled == []


def test_hard_stock_is_a_persons_step():
    w = World()
    w.sale(delivery_format="hard")
    assert w.run() == "manual"
    step = w.get().processing["fulfill"]
    assert step.status == "pending" and step.message.startswith("attempt 1: to do by you: hard stock")
    assert w.timer.scheduled == []


def test_a_transfer_is_delivered_with_provider_confirmation_and_links():
    w = World()
    w.sale(delivery_format="transfer")
    w.tickets(transfer=True)
    assert w.run() == "delivered"
    ((_, delivery),) = w.marketplace.delivered
    assert isinstance(delivery, TransferDelivery)
    assert (delivery.provider, delivery.confirmation_number) == ("Ticketmaster", "TM-55")
    assert delivery.urls == ["https://tm.example/claim/1", "https://tm.example/claim/2"]


def test_missing_credentials_are_said_and_retried():
    w = World()
    w.credentials.rows.clear()
    w.sale()
    w.tickets(barcodes=True)
    assert w.run() == "refused"
    assert "tixpilot marketplace-credentials set" in w.get().processing["fulfill"].message
    assert len(w.timer.scheduled) == 1


def test_a_pos_that_does_not_answer_is_an_attempt_retried():
    w = World()
    w.sale()
    w.pos.down = True
    assert w.run() == "failed"
    assert "the POS did not answer" in w.get().processing["fulfill"].message
    assert len(w.timer.scheduled) == 1


def test_a_generic_marketplace_reads_what_was_delivered():
    w = World()
    w.sale(marketplace_id=SEATGEEK, order_id="8001", delivery_format="eticket")
    w.tickets(files=True)
    pending = delivered_tickets(w.sales, w.files, TENANT, SEATGEEK, "8001")
    assert pending.status == "pending" and pending.seats == []
    assert w.run("8001", marketplace_id=SEATGEEK) == "delivered"
    step = w.get("8001", SEATGEEK).processing["fulfill"]
    assert step.message == "attempt 1: 2 ticket files ready for SeatGeek at GET /ion/v1/sales/8001/tickets"
    state = delivered_tickets(w.sales, w.files, TENANT, SEATGEEK, "8001")
    assert state.status == "delivered" and state.kind == "pdf"
    assert [(s.seat, s.file_type) for s in state.seats] == [
        ("1", "application/pdf"),
        ("2", "application/pdf"),
    ]
    assert all(s.file_url and s.file_url.endswith("?signed") for s in state.seats)
    assert sorted(w.files.kept.values()) == [PDF + b"1", PDF + b"2"]  # kept as delivered
    with pytest.raises(NotFound):
        delivered_tickets(w.sales, w.files, TENANT, SEATGEEK, "nope")


def test_an_oi_marketplace_reads_its_tickets_under_oi():
    w = World()
    w.sale(marketplace_id=25, order_id="8002")  # Gametime: Order Integration
    w.tickets(barcodes=True)
    assert w.run("8002", marketplace_id=25) == "delivered"
    assert "GET /oi/v1/orders/8002/tickets" in w.get("8002", 25).processing["fulfill"].message


def test_one_worker_at_a_time_per_sale():
    w = World()
    w.sale()
    assert w.deps.locks.lock(TENANT, STUBHUB, "7001", "someone", int(T0.timestamp()), 120)
    with pytest.raises(Busy):
        w.run()


# --- completion ---------------------------------------------------------------------------------


def test_complete_sale_completes_the_order_in_its_pos():
    w = World()
    w.sale(source="api")
    assert w.run(kind="complete") == "completed"
    step = w.get().processing["complete"]
    assert step.status == "success" and step.message == "completed in the builtin POS (invoice INV-1-7001)"
    assert w.pos.orders[(STUBHUB, "7001")].completed


def test_a_sale_the_pos_never_invoiced_cannot_be_completed():
    w = World()
    w.sale(source="api")
    del w.pos.orders[(STUBHUB, "7001")]
    assert w.run(kind="complete") == "not completed"
    step = w.get().processing["complete"]
    assert step.status == "error" and "has no invoice for order 7001" in step.message


def test_a_pos_down_brings_the_completion_back_later():
    w = World()
    w.sale(source="api")
    w.pos.down = True
    with pytest.raises(Retry):
        w.run(kind="complete")
    assert w.get().processing["complete"].status == "pending"
    w.pos.down = False
    assert w.run(kind="complete") == "completed"


def test_a_pos_without_an_adapter_says_so():
    w = World()
    w.sale(source="api", pos="posnext")
    w.deps = fulfillment.FulfillmentDeps(
        **{
            **vars(w.deps),
            "inventory": InventoryPorts(
                tenants=w.tenants, adapter=lambda name: None, credentials=lambda t, p: None
            ),
        }
    )
    assert w.run(kind="complete") == "not completed"
    assert "cannot complete sales in posnext" in w.get().processing["complete"].message


def test_the_pos_context_names_the_tenant():
    w = World()
    w.sale()
    seen: list[PosContext] = []
    original = w.pos.ticket_data

    def spy(context: PosContext, tgid: str, seats: list[str]) -> list[SeatTickets]:
        seen.append(context)
        return original(context, tgid, seats)

    w.pos.ticket_data = spy  # type: ignore[method-assign]
    w.tickets(barcodes=True)
    w.run()
    assert seen and all(c.tenant_id == TENANT for c in seen)


def test_a_pos_error_while_reading_files_is_retried():
    w = World()
    w.sale(delivery_format="eticket")
    w.tickets(files=True)
    w.pos.files.clear()

    def broken(context: PosContext, ref: str) -> bytes:
        raise PosError("file store down", transient=True)

    w.pos.ticket_file = broken  # type: ignore[method-assign]
    assert w.run() == "failed"
    assert "the ticket files could not be read" in w.get().processing["fulfill"].message


# --- the delivery delays setting --------------------------------------------------------------------


def test_delivery_delays_are_read_from_names_aliases_and_ids():
    from tixpilot.services.reference import resale_aliases
    from tixpilot.services.settings import parse_delivery_delays

    delays = parse_delivery_delays("vivid/pdf:72, StubHub:24h,41/qr:2,vivid/pdf:48", resale_aliases())
    assert [(d.marketplace_id, d.kind, d.hours_before_event) for d in delays] == [
        (4, "pdf", 48),  # the last word for a marketplace and kind counts
        (1, None, 24),
        (41, "qr", 2),
    ]
    assert parse_delivery_delays("none", resale_aliases()) == []
    assert parse_delivery_delays("", resale_aliases()) == []


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("vivid", "is not a delivery delay"),
        ("nowhere:5", "'nowhere' is not a resale marketplace"),
        ("999:5", "'999' is not a resale marketplace"),
        ("vivid/paper:5", "'paper' is not a kind of delivery"),
        ("vivid:0", "1 to 8760 hours"),
        ("vivid:9000", "1 to 8760 hours"),
    ],
)
def test_a_bad_delivery_delay_says_what_is_wrong(text, says):
    from tixpilot.services.reference import resale_aliases
    from tixpilot.services.settings import parse_delivery_delays

    with pytest.raises(ValueError, match=says):
        parse_delivery_delays(text, resale_aliases())


def test_sales_show_every_attempt_beside_the_legacy_steps():
    from tixpilot.api.mapping.sales import sale_to_legacy

    w = World()
    w.sale(delivery_format="eticket")
    w.marketplace.deliveries = frozenset({"pdf"})
    w.run()
    w.tickets(files=True)
    w.fire()
    out = sale_to_legacy(w.get(), "StubHub", "America/New_York").model_dump()
    fulfill = next(step for step in out["processing"] if "fulfill" in step)
    assert set(fulfill) == {"fulfill", "message"}  # the legacy step keeps its two keys
    assert fulfill == {"fulfill": "success", "message": "attempt 2: delivered 2 ticket files to StubHub"}
    assert out["fulfillment"]["attempts"] == 2 and out["fulfillment"]["delivery"] == "pdf"
    assert out["fulfillment"]["delivered"] == "3/1/2030 7:05:00 AM"  # New York time
    assert [(a["attempt"], a["outcome"]) for a in out["fulfillment"]["history"]] == [
        (1, "waiting"),
        (2, "delivered"),
    ]
    assert out["fulfillment"]["next_attempt"] == ""
