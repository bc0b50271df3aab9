"""The native adapters against the marketplace simulator, over real HTTP: what each call does to
the simulated marketplace (its call log and order state), auth refused, retries of transient
failures, permanent failures not retried, Vivid's success=false."""

from __future__ import annotations

import pytest

from tests.integration.marketplaces.conftest import Receiver, Sim
from tixpilot.adapters.marketplaces import tevo as tevo_module
from tixpilot.adapters.marketplaces import vivid as vivid_module
from tixpilot.adapters.marketplaces.base import MarketplaceError
from tixpilot.adapters.marketplaces.stubhub import StubHubAdapter
from tixpilot.adapters.marketplaces.tevo import TevoAdapter
from tixpilot.adapters.marketplaces.vivid import VividAdapter
from tixpilot.models.marketplaces import (
    BarcodeDelivery,
    PdfDelivery,
    QrDelivery,
    SeatBarcodes,
    TicketFile,
    TransferDelivery,
)

PDF = b"%PDF-1.4 a ticket"
STUBHUB = {"access_token": "sh-alice", "webhook_authorization": "Bearer tixpilot-says-hi"}
TEVO = {"token": "tevo-alice", "secret": "tevo-secret", "reviewer_id": "4242"}
VIVID = {"api_token": "vivid-alice"}


def pdfs(count: int) -> PdfDelivery:
    return PdfDelivery(files=[TicketFile(content=PDF + bytes([n]), seat=str(n)) for n in range(1, count + 1)])


# -- StubHub -----------------------------------------------------------------------------------


def test_stubhub_sale_from_webhook_to_delivery(sim: Sim, receiver: Receiver, stubhub: StubHubAdapter) -> None:
    sim.seller("stubhub", "sh-alice")
    webhook_id = stubhub.register_webhook(
        STUBHUB, f"{receiver.url}/webhooks/stubhub", "Bearer tixpilot-says-hi"
    )
    [registered] = sim.calls("stubhub", operation="register_webhook")
    assert registered["body"]["authorization_header"] == "Bearer tixpilot-says-hi" and webhook_id

    sim.sell("stubhub", "sh-alice", "5001", ticketgroupid="TG-77", quantity=2, price_per_seat="61.25")
    [delivery] = receiver.deliveries()
    assert stubhub.webhook_account(delivery) == stubhub.account_key(STUBHUB)
    [notification] = stubhub.parse_webhook(delivery, STUBHUB)
    assert (notification.event, notification.order_id, notification.quantity) == ("created", "5001", 2)
    assert notification.price_per_seat == 61.25 and notification.ticketgroupid is None

    sale = stubhub.get_sale(STUBHUB, "5001")
    assert (sale.ticketgroupid, sale.deliveryformat, sale.status) == ("TG-77", "eticket", "Pending")

    stubhub.confirm(STUBHUB, "5001", ["1", "2"])
    stubhub.confirm(STUBHUB, "5001", ["1", "2"])  # a repeat is fine
    assert stubhub.get_sale(STUBHUB, "5001").status == "Confirmed"
    stubhub.deliver(STUBHUB, "5001", pdfs(2))
    assert stubhub.get_sale(STUBHUB, "5001").status == "Delivered"
    [confirm, _] = sim.calls("stubhub", "5001", "confirm")
    assert confirm["body"] == {"confirmed": True}
    [upload] = sim.calls("stubhub", "5001", "deliver")
    assert [f["bytes"] for f in upload["body"]["file"]] == [len(PDF) + 1, len(PDF) + 1]


def test_stubhub_barcodes_and_transfers(sim: Sim, stubhub: StubHubAdapter) -> None:
    for order_id in ("5002", "5003"):
        sim.sell("stubhub", "sh-alice", order_id)
        stubhub.confirm(STUBHUB, order_id, [])
    barcodes = BarcodeDelivery(
        seats=[SeatBarcodes(seat="1", row="A", barcodes=["1111"]), SeatBarcodes(seat="2", barcodes=["2222"])]
    )
    stubhub.deliver(STUBHUB, "5002", barcodes)
    [sent] = sim.calls("stubhub", "5002", "deliver")
    assert sent["body"]["barcodes"][1] == {
        "seat_ordinal": 2,
        "seat": "2",
        "row": None,
        "barcode_values": ["2222"],
    }

    stubhub.deliver(
        STUBHUB,
        "5003",
        TransferDelivery(provider="Ticketmaster", confirmation_number="TM-9", urls=["https://t.example/1"]),
    )
    [sent] = sim.calls("stubhub", "5003", "deliver")
    assert sent["body"]["mobile_provider"] == "Ticketmaster"
    assert sent["body"]["eticket_urls"] == [{"url": "https://t.example/1", "index": 1}]
    with pytest.raises(MarketplaceError) as refused:  # StubHub checks the provider against its list
        stubhub.deliver(STUBHUB, "5003", TransferDelivery(provider="Nowhere Tix", confirmation_number="X"))
    assert refused.value.status == 400 and "mobile_provider" in refused.value.message
    with pytest.raises(MarketplaceError) as refused:
        stubhub.deliver(
            STUBHUB, "5003", QrDelivery(images=[TicketFile(content=b"png", content_type="image/png")])
        )
    assert not refused.value.transient


def test_stubhub_reject_and_refusals(sim: Sim, stubhub: StubHubAdapter) -> None:
    sim.sell("stubhub", "sh-alice", "5004")
    stubhub.reject(STUBHUB, "5004", "unavailable", "seats no longer available")
    stubhub.reject(STUBHUB, "5004", "unavailable")  # already rejected: done
    assert stubhub.get_sale(STUBHUB, "5004").status == "Rejected"
    with pytest.raises(MarketplaceError) as refused:  # a rejected sale cannot be confirmed
        stubhub.confirm(STUBHUB, "5004", [])
    assert refused.value.status == 403 and not refused.value.transient

    sim.sell("stubhub", "sh-alice", "5005")
    with pytest.raises(MarketplaceError) as refused:  # delivering before confirming
        stubhub.deliver(STUBHUB, "5005", pdfs(1))
    assert refused.value.status == 403


def test_stubhub_wrong_token_is_permanent_and_not_retried(sim: Sim, stubhub: StubHubAdapter) -> None:
    sim.sell("stubhub", "sh-alice", "5006")
    with pytest.raises(MarketplaceError) as refused:
        stubhub.confirm({**STUBHUB, "access_token": "expired"}, "5006", [])
    assert (refused.value.status, refused.value.transient) == (401, False)
    assert [c["status"] for c in sim.calls("stubhub", "5006")] == [401]


def test_stubhub_transient_failures_are_retried(sim: Sim, stubhub: StubHubAdapter) -> None:
    sim.sell("stubhub", "sh-alice", "5007")
    sim.fault("stubhub", "confirm", 503, times=2)
    stubhub.confirm(STUBHUB, "5007", [])
    assert [c["status"] for c in sim.calls("stubhub", "5007", "confirm")] == [503, 503, 200]

    sim.sell("stubhub", "sh-alice", "5008")
    sim.fault("stubhub", "confirm", 502, times=10)
    with pytest.raises(MarketplaceError) as failed:
        stubhub.confirm(STUBHUB, "5008", [])
    assert (failed.value.status, failed.value.transient) == (502, True)
    assert len(sim.calls("stubhub", "5008", "confirm")) == 4  # the first try and 3 retries


def test_stubhub_permanent_failures_are_not_retried(sim: Sim, stubhub: StubHubAdapter) -> None:
    sim.sell("stubhub", "sh-alice", "5009")
    sim.fault("stubhub", "confirm", 400, message="validation failed")
    with pytest.raises(MarketplaceError) as failed:
        stubhub.confirm(STUBHUB, "5009", [])
    assert (failed.value.status, failed.value.transient) == (400, False)
    # one confirm, then one read to see whether the sale was confirmed all the same
    assert [c["operation"] for c in sim.calls("stubhub", "5009")] == ["confirm", "get_sale"]
    stubhub.confirm(STUBHUB, "5009", [])  # the fault was for one call


# -- Ticket Evolution --------------------------------------------------------------------------


def test_tevo_sale_from_webhook_to_delivery(sim: Sim, receiver: Receiver, tevo: TevoAdapter) -> None:
    sim.seller("tevo", "tevo-alice", "tevo-secret")
    sim.sell("tevo", "tevo-alice", "6001", ticketgroupid="TG-88", quantity=2, price_per_seat="80.00")
    [delivery] = receiver.deliveries()
    assert tevo.webhook_account(delivery) == tevo.account_key(TEVO)
    [notification] = tevo.parse_webhook(delivery, TEVO)
    assert (notification.event, notification.order_id, notification.ticketgroupid) == (
        "created",
        "6001",
        "TG-88",
    )
    assert notification.quantity == 2 and notification.seats == ["1", "2"]

    tevo.confirm(TEVO, "6001", ["1", "2"])
    tevo.confirm(TEVO, "6001", ["1", "2"])  # TEvo refuses a second accept (422): already accepted is done
    assert tevo.get_sale(TEVO, "6001").status == "accepted"
    [accept, again] = sim.calls("tevo", "6001", "confirm")
    assert accept["body"] == {"reviewer_id": 4242, "seats": [1, 2]} and again["status"] == 422

    tevo.deliver(TEVO, "6001", pdfs(1))
    [deliver] = sim.calls("tevo", "6001", "deliver")
    assert deliver["body"]["etickets"][0]["item_id"] == 60012  # the item's order_item_id


def test_tevo_delivers_one_file_per_seat_by_add_and_finalize(sim: Sim, tevo: TevoAdapter) -> None:
    sim.seller("tevo", "tevo-alice", "tevo-secret")
    sim.sell("tevo", "tevo-alice", "6002", quantity=3)
    tevo.confirm(TEVO, "6002", [])
    tevo.deliver(TEVO, "6002", pdfs(3))
    add, finalize = sim.calls("tevo", "6002", "deliver")
    assert len(add["body"]["files"]) == 3 and finalize["body"] == {"keep_pages": [1, 2, 3]}
    assert tevo.get_sale(TEVO, "6002").status == "accepted"
    with pytest.raises(MarketplaceError):
        tevo.deliver(TEVO, "6002", TransferDelivery(provider="Ticketmaster", confirmation_number="1"))


def test_tevo_reject_with_its_reason(sim: Sim, tevo: TevoAdapter) -> None:
    sim.seller("tevo", "tevo-alice", "tevo-secret")
    sim.sell("tevo", "tevo-alice", "6003")
    tevo.reject(TEVO, "6003", "unavailable", "seats no longer available")
    tevo.reject(TEVO, "6003", "unavailable")
    [reject, _] = sim.calls("tevo", "6003", "reject")
    assert reject["body"] == {
        "reviewer_id": 4242,
        "reason": "Tickets No Longer Available",
        "rejection_notes": "seats no longer available",
    }
    assert tevo.get_sale(TEVO, "6003").status == "rejected"


def test_tevo_wrong_secret_is_permanent(sim: Sim, tevo: TevoAdapter) -> None:
    sim.seller("tevo", "tevo-alice", "tevo-secret")
    sim.sell("tevo", "tevo-alice", "6004")
    with pytest.raises(MarketplaceError) as refused:
        tevo.get_sale({**TEVO, "secret": "guessed"}, "6004")
    assert (refused.value.status, refused.value.transient) == (401, False)
    assert len(sim.calls("tevo", "6004")) == 1


def test_tevo_poll_pages_through_pending_orders(
    sim: Sim, tevo: TevoAdapter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tevo_module, "PER_PAGE", 2)
    sim.seller("tevo", "tevo-alice", "tevo-secret")
    for order_id in ("6101", "6102", "6103"):
        sim.sell("tevo", "tevo-alice", order_id)
    tevo.confirm(TEVO, "6102", [])  # accepted: not pending any more
    sim.seller("tevo", "tevo-bob", "bob-secret")
    sim.sell("tevo", "tevo-bob", "6104")  # another seller's

    seen, cursor, pages = [], None, 0
    while True:
        page = tevo.poll(TEVO, "pending", cursor)
        seen += [(n.order_id, n.event) for n in page.notifications]
        pages, cursor = pages + 1, page.cursor
        if cursor is None:
            break
    assert seen == [("6101", "created"), ("6103", "created")] and pages == 1

    sim.sell("tevo", "tevo-alice", "6105")
    first = tevo.poll(TEVO, "pending", None)
    assert [n.order_id for n in first.notifications] == ["6101", "6103"] and first.cursor == "2"
    second = tevo.poll(TEVO, "pending", first.cursor)
    assert [n.order_id for n in second.notifications] == ["6105"] and second.cursor is None


# -- Vivid Seats -------------------------------------------------------------------------------


@pytest.mark.parametrize("sim", [0.0], indirect=True)  # no rate limit: paging alone (the limit: below)
def test_vivid_poll_pages_with_bookmarks(
    sim: Sim, vivid: VividAdapter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(vivid_module, "PAGE_SIZE", 2)
    for order_id in ("7001", "7002", "7003", "7004", "7005"):
        sim.sell("vivid", "vivid-alice", order_id, deliveryformat="transfer")
    vivid.confirm(VIVID, "7005", ["1", "2"])

    seen, cursor = [], None
    while True:
        page = vivid.poll(VIVID, "UNCONFIRMED", cursor)
        seen.append([n.order_id for n in page.notifications])
        cursor = page.cursor
        if cursor is None:
            break
    assert seen == [["7001", "7002"], ["7003", "7004"]]
    [confirmed] = vivid.poll(VIVID, "PENDING_SHIPMENT", None).notifications
    assert (confirmed.order_id, confirmed.event, confirmed.deliveryformat) == (
        "7005",
        "confirmed",
        "transfer",
    )
    polls = sim.calls("vivid", operation="poll")
    assert len(polls) == 3 and {c["status"] for c in polls} == {200}


def test_vivid_poll_retries_when_rate_limited(sim: Sim, vivid: VividAdapter) -> None:
    sim.sell("vivid", "vivid-alice", "7010")
    sim.fault("vivid", "poll", 429, times=2, message="Too many requests")
    [notification] = vivid.poll(VIVID, "UNCONFIRMED", None).notifications
    assert notification.order_id == "7010"
    assert [c["status"] for c in sim.calls("vivid", operation="poll")] == [429, 429, 200]


def test_vivid_confirm_reject_and_deliver(sim: Sim, vivid: VividAdapter) -> None:
    for order_id in ("7101", "7102", "7103", "7104"):
        sim.sell("vivid", "vivid-alice", order_id, quantity=2)
    vivid.confirm(VIVID, "7101", ["11", "12"])
    vivid.confirm(VIVID, "7101", ["11", "12"])  # Vivid says success=false; already confirmed is done
    [confirm, _] = sim.calls("vivid", "7101", "confirm")
    assert confirm["body"] == {"orderId": "7101", "seatNumbers": "11,12"}
    vivid.deliver(VIVID, "7101", pdfs(2))
    assert vivid.get_sale(VIVID, "7101").status == "COMPLETED"

    vivid.confirm(VIVID, "7102", [])
    vivid.deliver(
        VIVID,
        "7102",
        TransferDelivery(
            provider="Ticketmaster",
            urls=["https://t.example/a", "https://t.example/b"],
            provider_url="https://www.ticketmaster.com",
        ),
    )
    [transfer] = sim.calls("vivid", "7102", "deliver")
    assert transfer["body"]["transferURLList"] == ["https://t.example/a", "https://t.example/b"]
    assert transfer["body"]["transferSource"] == "Ticketmaster"

    vivid.confirm(VIVID, "7103", [])
    vivid.deliver(
        VIVID,
        "7103",
        QrDelivery(images=[TicketFile(content=b"\x89PNG", filename="qr.png", content_type="image/png")]),
    )
    assert vivid.get_sale(VIVID, "7103").status == "COMPLETED"

    vivid.reject(VIVID, "7104", "unavailable")
    vivid.reject(VIVID, "7104", "unavailable")
    assert vivid.get_sale(VIVID, "7104").status == "REJECTED"
    with pytest.raises(MarketplaceError) as refused:  # success=false: a rejected order cannot be confirmed
        vivid.confirm(VIVID, "7104", [])
    assert (
        refused.value.status == 200 and not refused.value.transient and "UNCONFIRMED" in refused.value.message
    )


def test_vivid_success_false_faults(sim: Sim, vivid: VividAdapter) -> None:
    sim.sell("vivid", "vivid-alice", "7201")
    sim.fault("vivid", "confirm", 200, message="Order could not be confirmed")
    with pytest.raises(MarketplaceError) as refused:
        vivid.confirm(VIVID, "7201", [])
    assert not refused.value.transient and "could not be confirmed" in refused.value.message

    sim.fault("vivid", "confirm", 200, message="System busy, please try again later")
    with pytest.raises(MarketplaceError) as busy:
        vivid.confirm(VIVID, "7201", [])
    assert busy.value.transient  # the caller tries again later; the HTTP helper does not repeat a 200
    assert len(sim.calls("vivid", "7201", "confirm")) == 2
    vivid.confirm(VIVID, "7201", [])
    assert vivid.get_sale(VIVID, "7201").status == "PENDING_SHIPMENT"


def test_vivid_transient_http_failures_are_retried_and_auth_is_not(sim: Sim, vivid: VividAdapter) -> None:
    sim.sell("vivid", "vivid-alice", "7301")
    sim.fault("vivid", "reject", 504, times=3)
    vivid.reject(VIVID, "7301", "other")
    assert [c["status"] for c in sim.calls("vivid", "7301", "reject")] == [504, 504, 504, 200]
    with pytest.raises(MarketplaceError) as refused:
        vivid.get_sale({"api_token": "not-a-broker"}, "7301")
    assert (refused.value.status, refused.value.transient) == (401, False)
    with pytest.raises(MarketplaceError):
        vivid.deliver(VIVID, "7301", BarcodeDelivery(seats=[SeatBarcodes(seat="1", barcodes=["1"])]))
