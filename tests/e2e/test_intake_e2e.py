"""A receipt sent with smtplib to the local stack shows up in /v2/purchases with every field the
email holds; a repeat is a duplicate and noise is kept as unparsed, both listed in /v2/receipts."""

from __future__ import annotations

import smtplib
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.stack import DEMO_DOMAIN, HOST, LocalStack, poll_until

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

CORPUS = Path(__file__).resolve().parents[2] / "events" / "receipts"


def receipt_for_a_new_order() -> tuple[bytes, str, str]:
    """tm_plain_seated.eml with a fresh order number and Message-ID, so reruns never collide."""
    confirmation = f"{uuid.uuid4().int % 90 + 10}-{uuid.uuid4().int % 90000 + 10000}"
    message_id = f"<e2e-{uuid.uuid4().hex}@email.ticketmaster.com>"
    raw = (CORPUS / "tm_plain_seated.eml").read_bytes()
    raw = raw.replace(b"38-41225/SF3", f"{confirmation}/SF3".encode())
    raw = raw.replace(b"<20260617183001.A1B2C3@email.ticketmaster.com>", message_id.encode())
    return raw, confirmation, message_id


def send(stack: LocalStack, raw: bytes, to: str) -> None:
    wire = raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")  # SMTP lines end in CRLF
    with smtplib.SMTP(HOST, stack.smtp_port, timeout=10) as smtp:
        assert smtp.sendmail("customer_support@email.ticketmaster.com", [to], wire) == {}


def purchase_with(stack: LocalStack, confirmation: str) -> dict[str, Any] | None:
    response = stack.get("/v2/purchases", params={"page_size": "500"})
    assert response.status_code == 200, response.text
    found = [
        p
        for p in response.json()["output"][0]["purchases"]
        if p["receipt"]["confirmation_number"] == confirmation
    ]
    assert len(found) <= 1, found  # one order is one purchase, whatever arrives
    return found[0] if found else None


def receipts(stack: LocalStack, status: str) -> list[dict[str, Any]]:
    response = stack.get("/v2/receipts", params={"status": status, "page_size": "500"})
    assert response.status_code == 200, response.text
    return response.json()["output"][0]["receipts"]  # type: ignore[no-any-return]


def test_a_receipt_over_smtp_becomes_a_purchase_with_every_field(stack: LocalStack) -> None:
    raw, confirmation, message_id = receipt_for_a_new_order()
    to = f"buyer1@{DEMO_DOMAIN}"
    send(stack, raw, to)
    purchase = poll_until(lambda: purchase_with(stack, confirmation), "the purchase in /v2/purchases")

    assert purchase["receipt"]["confirmation_region"] == "SF3"
    assert purchase["receipt"]["seen_emailreceipt"] is True
    assert purchase["receipt"]["seen_onlinereceipt"] is False
    assert purchase["receipt"]["cost_group"] == "94.95"
    assert purchase["receipt"]["face_perseat"] == "33"
    assert purchase["receipt"]["creditcard"] == "4242"
    assert purchase["receipt"]["purchasedate"] == "6/17/2026"
    assert purchase["purchasing_account"]["account_username"] == to
    assert purchase["event"]["name"] == "Sugarland"
    assert purchase["event"]["venue"] == "Smart Financial Centre at Sugar Land"
    assert purchase["event"]["datetime"] == "7/11/2026 7:00:00 PM"
    items = purchase["items"]
    assert (items["section"], items["row"], items["seat_first"], items["seat_last"]) == ("309", "H", "5", "6")
    assert (items["quantity"], items["stock"]) == ("2", "mobile")
    assert purchase["disclosures"] == [] and purchase["rotating_barcodes"] is None  # not in an email

    (parsed,) = [r for r in receipts(stack, "parsed") if r["message_id"] == message_id]
    assert parsed["rid"] == purchase["rid"] and parsed["to"] == to and "reason" not in parsed

    send(stack, raw, to)  # the same Message-ID again
    poll_until(
        lambda: [r for r in receipts(stack, "duplicate") if r["message_id"] == message_id],
        "the repeat listed as a duplicate",
    )
    # changed nothing (the purchase pipeline moves `pipeline.state` on by itself, e.g. to waiting)
    again = purchase_with(stack, confirmation)
    assert again is not None
    assert {k: v for k, v in again.items() if k != "pipeline"} == {
        k: v for k, v in purchase.items() if k != "pipeline"
    }


def test_noise_over_smtp_is_listed_as_unparsed_with_the_reason(stack: LocalStack) -> None:
    raw = (CORPUS / "noise_tm_password_reset.eml").read_bytes()
    message_id = f"<e2e-noise-{uuid.uuid4().hex}@email.ticketmaster.com>"
    raw = raw.replace(b"<reset.77@email.ticketmaster.com>", message_id.encode())
    send(stack, raw, f"buyer1@{DEMO_DOMAIN}")
    (row,) = poll_until(
        lambda: [r for r in receipts(stack, "unparsed") if r["message_id"] == message_id],
        "the password reset listed as unparsed",
    )
    assert "order number" in row["reason"] and "rid" not in row
