"""What is delivered for a sale, by delivery format, tickets and what the marketplace takes."""

from __future__ import annotations

import pytest

from tixpilot.adapters.pos.base import SeatTickets, SeatTransfer
from tixpilot.services.delivery_plan import Deliver, Manual, Never, NotYet, plan_delivery

SEATS = ["1", "2"]
STUBHUB = frozenset({"pdf", "barcodes", "transfer"})
VIVID = frozenset({"pdf", "transfer", "qr"})
TEVO = frozenset({"pdf"})
GENERIC = frozenset({"pdf", "barcodes", "transfer", "qr"})
TRANSFER = SeatTransfer(provider="Ticketmaster", confirmation_number="TM-1", url=None)


def seats(*, files: bool = False, barcodes: bool = False, transfer: bool = False, rotating=False, only=None):
    return [
        SeatTickets(
            seat=s,
            barcodes=(f"B{s}",) if barcodes else (),
            file_ref=f"t/1/{s}.pdf" if files else None,
            transfer=TRANSFER if transfer else None,
            rotating_barcodes=rotating,
        )
        for s in (only or SEATS)
    ]


@pytest.mark.parametrize(
    ("fmt", "tickets", "takes", "expected"),
    [
        # eticket: the files; else the barcodes where the marketplace takes them
        ("eticket", seats(files=True, barcodes=True), STUBHUB, ("deliver", "pdf")),
        ("eticket", seats(barcodes=True), STUBHUB, ("deliver", "barcodes")),
        (
            "eticket",
            seats(barcodes=True),
            VIVID,
            ("not yet", "ticket file is not available yet for seats 1, 2"),
        ),
        (
            "eticket",
            seats(files=True, only=["1"]),
            TEVO,
            ("not yet", "ticket file is not available yet for seat 2"),
        ),
        ("eticket", [], GENERIC, ("not yet", "ticket file is not available yet for seats 1, 2")),
        (
            "eticket",
            seats(barcodes=True, rotating=True),
            STUBHUB,
            ("not yet", "ticket file is not available"),
        ),
        # barcode: the barcodes; a marketplace that takes none gets the files
        ("barcode", seats(files=True, barcodes=True), STUBHUB, ("deliver", "barcodes")),
        ("barcode", seats(files=True, barcodes=True), VIVID, ("deliver", "pdf")),
        ("barcode", seats(), STUBHUB, ("not yet", "barcodes are not available yet for seats 1, 2")),
        ("barcode", seats(barcodes=True, rotating=True), frozenset({"barcodes"}), ("never", "rotate")),
        # transfer: the transfer's details; a marketplace without a transfer API is a person's job
        ("transfer", seats(transfer=True), STUBHUB, ("deliver", "transfer")),
        ("transfer", seats(transfer=True, only=["2"]), STUBHUB, ("not yet", "transfer details are not")),
        ("transfer", seats(transfer=True), TEVO, ("manual", "on its own site")),
        # mobile QR: screenshots only of barcodes known not to rotate
        ("mobileqr", seats(files=True, rotating=False), VIVID, ("deliver", "qr")),
        ("mobileqr", seats(files=True, barcodes=True, rotating=True), VIVID, ("never", "never delivered as")),
        (
            "mobileqr",
            seats(files=True, barcodes=True, rotating=None),
            VIVID,
            ("not yet", "whether the barcodes"),
        ),
        ("mobileqr", seats(barcodes=True, rotating=False), STUBHUB, ("deliver", "barcodes")),
        ("mobileqr", seats(rotating=False), VIVID, ("not yet", "mobile ticket screenshot is not available")),
        (
            "mobileqr",
            seats(files=True, rotating=False),
            TEVO,
            ("manual", "neither QR screenshots nor barcodes"),
        ),
        # what no API carries: a person's step
        ("hard", seats(files=True), GENERIC, ("manual", "hard stock")),
        ("willcall", [], STUBHUB, ("manual", "will call")),
        ("localpickup", [], STUBHUB, ("manual", "local pickup")),
        ("flash", [], STUBHUB, ("manual", "Flash Seats")),
    ],
)
def test_what_is_delivered(fmt, tickets, takes, expected):
    plan = plan_delivery(fmt, SEATS, tickets, takes, "Vivid Seats")
    kind, detail = expected
    if kind == "deliver":
        assert isinstance(plan, Deliver) and plan.kind == detail
        assert [t.seat for t in plan.seats] == SEATS  # every seat, in the sale's order
    else:
        assert isinstance(plan, {"not yet": NotYet, "manual": Manual, "never": Never}[kind])
        assert detail in plan.reason


def test_manual_steps_say_how_to_close_them():
    plan = plan_delivery("hard", SEATS, [], GENERIC, "Gametime")
    assert isinstance(plan, Manual) and "POST /sales/v1/complete-sale" in plan.reason


def test_tickets_come_back_in_the_sales_seat_order_whatever_the_pos_answered():
    plan = plan_delivery("barcode", ["2", "1"], seats(barcodes=True), STUBHUB, "StubHub")
    assert isinstance(plan, Deliver) and [t.barcodes for t in plan.seats] == [("B2",), ("B1",)]
