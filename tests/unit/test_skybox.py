"""The SkyBox adapter's pure parts: seats to inventory lines, the purchase body (checked against
the fake's models, which follow SkyBox's published client), answers and errors."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from infra.local.skybox_fake import models as skybox_models
from tixpilot.adapters.http import HttpResponse
from tixpilot.adapters.pos.base import PosError
from tixpilot.adapters.pos.skybox import (
    STOCK,
    SeatBlock,
    describe,
    external_ref,
    purchase_body,
    rows,
    seat_blocks,
    skybox_error,
)
from tixpilot.models.purchases import EventInfo, Items, Money, Purchase, Ticket

NOW = dt.datetime(2026, 6, 17, 18, 30, tzinfo=dt.UTC)
EVENT = {"eventId": 77}


def purchase(**changes: Any) -> Purchase:
    values: dict[str, Any] = {
        "tenant_id": "t1",
        "rid": 9,
        "account_username": "buyer@acme.test",
        "confirmation_number": "12-34567",
        "confirmation_region": "NY",
        "event": EventInfo(name="Sugarland", venue="Red Rocks", starts_at=dt.datetime(2026, 9, 1, 19, 30)),
        "items": Items(section="101", row="A", seats=["5", "6"], stock="eticket"),
        "money": Money(cost_group=Decimal("151.00")),
        "datefirstseen": NOW,
        "datelastseen": NOW,
        **changes,
    }
    return Purchase(**values)


@pytest.mark.parametrize(
    ("items", "blocks"),
    [
        (Items(seats=["5", "6"]), [SeatBlock(5, 6, 2, "CONSECUTIVE")]),
        (Items(seats=["7"]), [SeatBlock(7, 7, 1, "CONSECUTIVE")]),
        (Items(seats=["6", "5", "5"]), [SeatBlock(5, 6, 2, "CONSECUTIVE")]),
        (Items(seats=["1", "3", "5"]), [SeatBlock(1, 5, 3, "ALTERNATING")]),
        (
            Items(seats=["1", "2", "9"]),
            [SeatBlock(1, 2, 2, "CONSECUTIVE"), SeatBlock(9, 9, 1, "CONSECUTIVE")],
        ),
        (Items(quantity=4, general_admission=True), [SeatBlock(1, 4, 4, "GA")]),
    ],
)
def test_seats_become_blocks(items: Items, blocks: list[SeatBlock]) -> None:
    assert seat_blocks(purchase(items=items)) == blocks


@pytest.mark.parametrize(
    ("items", "message"),
    [
        (Items(seats=["A1", "A2"]), "SkyBox seat numbers are whole numbers"),
        (Items(seats=["0"]), "SkyBox seat numbers are whole numbers"),
        (Items(section="1", row="A"), "neither seats nor a quantity"),
    ],
)
def test_seats_skybox_cannot_hold_are_a_clear_error(items: Items, message: str) -> None:
    with pytest.raises(PosError, match=message):
        seat_blocks(purchase(items=items))


def test_the_body_has_every_field_skybox_requires() -> None:
    body = purchase_body(purchase(), "eticket", vendor_id=3, card_id=4, account_id=1001, event=EVENT)
    skybox_models.Purchase.model_validate(body)
    assert external_ref(purchase()) == body["externalRef"] == "12-34567/NY"
    assert (body["vendorId"], body["creditCardId"], body["paymentMethod"]) == (3, 4, "CREDITCARD")
    (line,) = body["lines"]
    assert (line["accountId"], line["amount"], line["quantity"]) == (1001, 151.0, 2)
    inventory = line["inventory"]
    assert inventory["eventId"] == 77 and inventory["cost"] == 75.5  # per ticket
    assert "faceValue" not in inventory  # unknown stays out, it is optional
    assert inventory["notes"] == "12-34567/NY (TixPilot rid 9)"


def test_unknown_cost_and_delivery_are_said_in_the_notes() -> None:
    bought = purchase(money=Money(), items=Items(seats=["1"], section="1", row="B"))
    body = purchase_body(bought, None, vendor_id=3, card_id=None, account_id=1, event=EVENT)
    inventory = body["lines"][0]["inventory"]
    assert inventory["cost"] == 0 and inventory["stockType"] == "ELECTRONIC"
    assert "cost unknown at PO time" in inventory["notes"]
    assert "delivery unknown at PO time" in inventory["notes"]
    assert "creditCardId" not in body


def test_general_admission_without_section_is_ga_ga() -> None:
    bought = purchase(items=Items(quantity=2, general_admission=True, stock="mobile"))
    body = purchase_body(bought, "transfer", vendor_id=3, card_id=None, account_id=1, event=EVENT)
    inventory = body["lines"][0]["inventory"]
    assert (inventory["section"], inventory["row"], inventory["seatType"]) == ("GA", "GA", "GA")
    assert (inventory["lowSeat"], inventory["highSeat"], inventory["stockType"]) == (1, 2, "MOBILE_TRANSFER")


def test_seats_without_section_or_row_cannot_be_pod() -> None:
    with pytest.raises(PosError, match="section and row"):
        purchase_body(purchase(items=Items(seats=["1"])), "eticket", 3, None, 1, EVENT)


@given(
    seats=st.lists(st.integers(min_value=1, max_value=400), min_size=1, max_size=30, unique=True),
    stock=st.sampled_from([*STOCK, None]),
    cost=st.one_of(st.none(), st.decimals(min_value=0, max_value=5000, places=2)),
    barcodes=st.booleans(),
)
def test_any_seated_purchase_makes_a_body_skyboxs_models_accept(
    seats: list[int], stock: str | None, cost: Decimal | None, barcodes: bool
) -> None:
    bought = purchase(
        items=Items(section="101", row="A", seats=[str(s) for s in seats]),
        money=Money(cost_perseat=cost),
        tickets=[Ticket(seatnumber=str(s), barcode=f"B{s}") for s in seats] if barcodes else None,
    )
    body = purchase_body(bought, stock, vendor_id=3, card_id=None, account_id=1, event=EVENT)
    parsed = skybox_models.Purchase.model_validate(body)
    covered = []
    for line in parsed.lines:
        assert line.inventory is not None
        step = 2 if line.inventory.seat_type == "ALTERNATING" else 1
        covered += list(range(line.inventory.low_seat or 0, (line.inventory.high_seat or 0) + 1, step))
    assert sorted(covered) == sorted(seats)


def answer(body: bytes, status: int = 400) -> HttpResponse:
    return HttpResponse(status, body)


@pytest.mark.parametrize(
    ("body", "said"),
    [
        (
            b'[{"propertyPath": "lines[0].amount", "message": "must not be null"}]',
            "lines[0].amount: must not be null",
        ),
        (b'{"message": "vendor not found"}', "vendor not found"),
        (
            b'{"errors": [{"field": "row", "defaultMessage": "size must be between 1 and 44"}]}',
            "row: size must be",
        ),
        (b"<html>Bad Gateway</html>", "<html>Bad Gateway</html>"),
    ],
)
def test_skybox_error_bodies_are_read_in_its_own_words(body: bytes, said: str) -> None:
    assert describe(answer(body)).startswith(said)


@pytest.mark.parametrize(
    ("status", "transient", "start"),
    [
        (401, False, "SkyBox refused the credentials"),
        (400, False, "SkyBox refused the request"),
        (404, False, "SkyBox refused the request"),
        (429, True, "SkyBox's rate limit still refused"),
        (503, True, "SkyBox is unavailable"),
        (None, True, "SkyBox is unavailable"),
    ],
)
def test_failures_become_broker_messages(status: int | None, transient: bool, start: str) -> None:
    error = skybox_error("POST /purchases answered ...", transient, status)
    assert error.message.startswith(start) and error.transient is transient and error.status == status


def test_search_answers_are_read_as_rows_or_a_list() -> None:
    assert rows([{"id": 1}], "GET /x") == [{"id": 1}]
    assert rows({"rows": [{"id": 1}], "rowCount": 1}, "GET /x") == [{"id": 1}]
    with pytest.raises(PosError, match="neither a list nor rows"):
        rows({"id": 1}, "GET /x")
