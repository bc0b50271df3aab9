"""The tickets a crawl finds: the primary sandbox shows them per seat once released (barcodes,
ticket files, transfer details), the connector reads them, the purchase keeps them (the primary is
authoritative; a stored file is kept while the primary names the same one), the files are
downloaded once into the bucket, and the builtin POS answers them per seat for fulfillment."""

from __future__ import annotations

import datetime as dt
import threading
from http.server import ThreadingHTTPServer

import pytest

from infra.local.moto_serial import free_port
from infra.local.sandbox import Sandbox, SandboxOrder, make_sandbox_server
from tests.unit.fakes import FakeSequences
from tests.unit.test_pipeline import Store, email
from tixpilot.adapters.pos.base import PosContext, SeatTransfer
from tixpilot.adapters.pos.builtin import BuiltinPos
from tixpilot.adapters.primaries.base import PrimaryUnavailable
from tixpilot.adapters.primaries.sandbox import SandboxConnector
from tixpilot.models.marketplaces import file_type
from tixpilot.models.purchases import Ticket, TicketTransfer
from tixpilot.services.purchases import PurchaseRepos, merge_tickets
from tixpilot.services.tickets import TicketDeps, crawl_tickets, refresh_ticket_group, store_ticket_files

NOW = dt.datetime(2026, 6, 17, 18, 30, tzinfo=dt.UTC)


def sandbox_order(**changes: object) -> SandboxOrder:
    base = {
        "account_username": "buyer@x.com",
        "confirmation_number": "12-34561",
        "region": "NY",
        "event": {"name": "Sugarland", "venue": "Smart Financial Centre", "datetime": "2027-05-01T19:00:00"},
        "section": "101",
        "row": "F",
        "seats": ["1", "2"],
        "stock": "eticket",
        "rotating_barcodes": False,
        "barcodes": ["BC-1", "BC-2"],
        "ticket_files": True,
    }
    return SandboxOrder.model_validate(base | changes)


@pytest.fixture
def primary() -> tuple[Sandbox, str, list[float]]:
    clock = [0.0]
    sandbox = Sandbox(clock=lambda: clock[0])
    port = free_port()
    server: ThreadingHTTPServer = make_sandbox_server(sandbox, "127.0.0.1", port)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield sandbox, f"http://127.0.0.1:{port}", clock
    server.shutdown()
    server.server_close()


class Files:
    def __init__(self) -> None:
        self.kept: dict[str, bytes] = {}

    def store(self, tenant_id: str, rid: int, seat: str, content: bytes) -> str:
        key = f"{tenant_id}/{rid}/{seat}.{file_type(content)[0]}"
        self.kept[key] = content
        return key


def test_the_primary_shows_tickets_only_once_released(primary):
    sandbox, url, clock = primary
    sandbox.add(
        sandbox_order(tickets_after_s=60, transfer={"provider": "Ticketmaster", "urls": ["u1", "u2"]})
    )
    connector = SandboxConnector(url)
    early = connector.order("buyer@x.com", "12-34561")
    assert early is not None and early.tickets is None and early.transfer is None
    clock[0] = 61
    seen = connector.order("buyer@x.com", "12-34561")
    assert seen is not None and seen.tickets is not None
    assert [(t.seatnumber, t.barcode, t.transfer_url) for t in seen.tickets] == [
        ("1", "BC-1", "u1"),
        ("2", "BC-2", "u2"),
    ]
    assert seen.transfer is not None and seen.transfer.provider == "Ticketmaster"
    pdf = connector.ticket_file(seen.tickets[0].file_ref or "")
    assert file_type(pdf) == ("pdf", "application/pdf") and b"Seat 1" in pdf and b"BC-1" in pdf


def test_mobile_tickets_are_screenshots_and_ga_seats_are_numbered(primary):
    sandbox, url, _ = primary
    sandbox.add(sandbox_order(seats=None, quantity=2, stock="mobile", barcodes=["Q1", "Q2"]))
    seen = SandboxConnector(url).order("buyer@x.com", "12-34561")
    assert seen is not None and seen.tickets is not None
    assert [t.seatnumber for t in seen.tickets] == ["GA-1", "GA-2"]
    image = SandboxConnector(url).ticket_file(seen.tickets[1].file_ref or "")
    assert file_type(image) == ("png", "image/png")


def test_a_file_the_primary_does_not_have_is_unavailable(primary):
    _, url, _ = primary
    with pytest.raises(PrimaryUnavailable):
        SandboxConnector(url).ticket_file("/files/0123")
    with pytest.raises(PrimaryUnavailable):
        SandboxConnector(url).ticket_file("https://elsewhere.example/x.pdf")


def test_the_crawl_is_authoritative_but_keeps_a_stored_file_it_still_names():
    known = [
        Ticket(seatnumber="1", barcode="OLD", file_ref="/files/a", pdf_key="t/1/1.pdf"),
        Ticket(seatnumber="2", file_ref="/files/b", pdf_key="t/1/2.pdf"),
    ]
    seen = [
        Ticket(seatnumber="1", barcode="NEW", file_ref="/files/a"),
        Ticket(seatnumber="2", barcode="B2", file_ref="/files/b2"),  # reissued: stored anew
    ]
    merged = merge_tickets(known, seen)
    assert [(t.barcode, t.pdf_key) for t in merged] == [("NEW", "t/1/1.pdf"), ("B2", None)]


def world(primary_url: str) -> tuple[TicketDeps, Store, Files]:
    store, files = Store(), Files()
    connector = SandboxConnector(primary_url)

    class Groups:
        def ticket_group(self, tenant_id: str, tgid: str) -> dict[str, object] | None:
            return {"tgid": tgid, "rid": 1} if tgid == "500" else None

    deps = TicketDeps(
        repos=PurchaseRepos(purchases=store, sequences=FakeSequences()),
        purchases=store,
        files=files,
        connector=lambda marketplace_id: connector,
        groups=Groups(),
    )
    return deps, store, files


def test_a_crawl_keeps_each_file_once(primary):
    sandbox, url, _ = primary
    deps, store, files = world(url)
    purchase = email(store)  # the purchase 12-34561/NY, seats 1 and 2
    sandbox.add(sandbox_order())
    purchase = crawl_tickets(deps, purchase)
    assert purchase.haspdf and [t.pdf_key for t in purchase.tickets or []] == ["t1/1/1.pdf", "t1/1/2.pdf"]
    assert [t.barcode for t in purchase.tickets or []] == ["BC-1", "BC-2"]
    assert all(content.startswith(b"%PDF") for content in files.kept.values())
    files.kept.clear()
    again = crawl_tickets(deps, purchase)
    assert files.kept == {} and again.tickets == purchase.tickets  # nothing downloaded twice


def test_a_download_that_fails_leaves_what_was_kept(primary):
    _, url, _ = primary
    _, store, files = world(url)
    purchase = email(store, tickets=[Ticket(seatnumber="1", file_ref="/files/gone")])
    with pytest.raises(PrimaryUnavailable):
        store_ticket_files(store, files, SandboxConnector(url), purchase)
    assert store.get("t1", 1).tickets == purchase.tickets  # type: ignore[union-attr]


def test_refreshing_a_ticket_group_crawls_the_purchase_it_came_from(primary):
    sandbox, url, _ = primary
    deps, store, _ = world(url)
    email(store)
    sandbox.add(sandbox_order(ticket_files=False))
    assert refresh_ticket_group(deps, "t1", "500") is True
    assert [t.barcode for t in store.get("t1", 1).tickets or []] == ["BC-1", "BC-2"]  # type: ignore[union-attr]
    assert refresh_ticket_group(deps, "t1", "999") is False


def test_the_builtin_pos_answers_each_seats_tickets_from_its_purchase():
    store = Store()
    purchase = email(
        store,
        rotating_barcodes=False,
        tickets=[
            Ticket(seatnumber="1", barcode="BC-1", pdf_key="t1/1/1.pdf", transfer_url="https://claim/1"),
            Ticket(seatnumber="2", barcode="BC-2"),
        ],
        transfer=TicketTransfer(provider="Ticketmaster", confirmation_number="TM-1"),
    )

    class Ledger:
        def ticket_group(self, tenant_id: str, tgid: str) -> dict[str, object]:
            return {"tgid": tgid, "rid": purchase.rid}

    pos = BuiltinPos(ledger=Ledger(), purchases=store)  # type: ignore[arg-type]
    found = pos.ticket_data(PosContext("t1", NOW), "500", ["2", "1", "3"])
    assert [(t.seat, t.barcodes, t.file_ref, t.rotating_barcodes) for t in found] == [
        ("2", ("BC-2",), None, False),
        ("1", ("BC-1",), "t1/1/1.pdf", False),
    ]
    assert found[1].transfer == SeatTransfer("Ticketmaster", "TM-1", "https://claim/1")
