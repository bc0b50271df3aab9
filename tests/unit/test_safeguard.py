"""The Safeguard rule, table-driven: every level against every combination of known/unknown
fields (cost, quantity, seating, disclosures, rotating-barcode status), with the email data
authenticated or not = 3 x 32 x 2 cases."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest

from tixpilot.models.purchases import Items, Money, Purchase
from tixpilot.services.safeguard import (
    FIELDS_LEVEL_3,
    FLAG_QR_ROTATING,
    email_authenticated,
    evaluate_safeguard,
    po_delivery,
    unknown_fields,
)

NOW = dt.datetime(2026, 6, 17, 18, 30, tzinfo=dt.UTC)


def purchase(known: dict[str, bool], **extra: object) -> Purchase:
    return Purchase(
        tenant_id="t1",
        rid=1,
        account_username="buyer@x.com",
        confirmation_number="12-34567",
        money=Money(cost_perseat=Decimal("50.00") if known["cost"] else None),
        items=Items(
            seats=["1", "2"] if known["quantity"] else None,
            section="101" if known["seating"] else None,
            row="F" if known["seating"] else None,
        ),
        disclosures=[] if known["disclosures"] else None,  # known to have none
        rotating_barcodes=False if known["rotating_barcodes"] else None,
        datefirstseen=NOW,
        datelastseen=NOW,
        **extra,  # type: ignore[arg-type]
    )


COMBINATIONS = [
    dict(zip(FIELDS_LEVEL_3, bits, strict=True)) for bits in itertools.product((True, False), repeat=5)
]


def expected(level: int, known: dict[str, bool], authenticated: bool = True) -> bool:
    """The rule, written out the way docs/safeguard.md and docs/intake.md state it."""
    if level == 1 and not authenticated:
        level = 2  # an unauthenticated email waits for the primary's data like level 2
    if level == 1:
        return True  # any data at all
    level_2 = known["cost"] and known["quantity"] and known["seating"] and known["disclosures"]
    if level == 2:
        return level_2
    return level_2 and known["rotating_barcodes"]


@pytest.mark.parametrize("authenticated", [True, False], ids=["authenticated", "unauthenticated"])
@pytest.mark.parametrize("level", [1, 2, 3])
@pytest.mark.parametrize(
    "known", COMBINATIONS, ids=["".join("K" if v else "u" for v in c.values()) for c in COMBINATIONS]
)
def test_every_level_against_every_combination(
    level: int, known: dict[str, bool], authenticated: bool
) -> None:
    decision = evaluate_safeguard(
        purchase(known),
        level,  # type: ignore[arg-type]
        email_authenticated=authenticated,
    )
    assert decision.ready is expected(level, known, authenticated)
    if level == 1 and authenticated:
        assert decision.missing == ()
    else:
        needed = FIELDS_LEVEL_3 if level == 3 else FIELDS_LEVEL_3[:4]
        assert decision.missing == tuple(f for f in needed if not known[f])


@pytest.mark.parametrize(
    ("verified", "authenticated"),
    [(None, True), (True, True), (False, False)],  # None: no email, or recorded before checks
)
def test_email_data_is_authenticated_unless_only_unverified_receipts_vouch_for_it(
    verified: bool | None, authenticated: bool
) -> None:
    p = purchase(dict.fromkeys(FIELDS_LEVEL_3, False)).model_copy(update={"receipt_verified": verified})
    assert email_authenticated(p) is authenticated


def test_unknown_fields_lists_every_unknown() -> None:
    none_known = dict.fromkeys(FIELDS_LEVEL_3, False)
    assert unknown_fields(purchase(none_known)) == FIELDS_LEVEL_3


@pytest.mark.parametrize(
    ("items", "ready"),
    [
        (Items(quantity=4, general_admission=True), True),  # GA: no section/row needed
        (Items(quantity=4, section="GA"), False),  # a section without a row is not seating
        (Items(quantity=2, section="101", row="F"), True),  # quantity without seat numbers
        (Items(section="101", row="F"), False),  # no quantity
    ],
)
def test_seating_and_quantity_forms(items: Items, ready: bool) -> None:
    p = purchase(dict.fromkeys(FIELDS_LEVEL_3, True)).model_copy(update={"items": items})
    assert evaluate_safeguard(p, 2, email_authenticated=True).ready is ready


def test_cost_group_counts_as_cost() -> None:
    known = dict.fromkeys(FIELDS_LEVEL_3, True)
    p = purchase(known).model_copy(update={"money": Money(cost_group=Decimal("94.95"))})
    assert evaluate_safeguard(p, 3, email_authenticated=True).ready


@pytest.mark.parametrize(
    ("stock", "mode", "rotating", "delivered", "flag"),
    [
        ("mobile", "transfer", None, "transfer", None),
        ("mobile", "transfer", True, "transfer", None),
        ("mobile", "qr_screenshot", False, "qr_screenshot", None),
        ("mobile", "qr_screenshot", True, "qr_screenshot", FLAG_QR_ROTATING),
        ("mobile", "qr_screenshot", None, "qr_screenshot", FLAG_QR_ROTATING),  # unknown is a risk
        ("eticket", "qr_screenshot", True, "eticket", None),  # only mobile stock is converted
        (None, "transfer", None, None, None),
    ],
)
def test_mobile_po_mode_and_the_risky_screenshot_flag(
    stock: str | None, mode: str, rotating: bool | None, delivered: str | None, flag: str | None
) -> None:
    known = dict.fromkeys(FIELDS_LEVEL_3, True)
    p = purchase(known).model_copy(
        update={"items": Items(seats=["1"], section="1", row="A", stock=stock), "rotating_barcodes": rotating}
    )
    delivery = po_delivery(p, mode)  # type: ignore[arg-type]
    assert (delivery.stock, delivery.flag) == (delivered, flag)
