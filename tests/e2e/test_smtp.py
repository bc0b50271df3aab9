"""Inbound mail over real SMTP: the raw message lands in S3 and a receipt is recorded per tenant."""

from __future__ import annotations

import hashlib
import smtplib
import uuid
from email.message import EmailMessage
from typing import Any

import pytest

from tests.e2e.stack import DEMO_DOMAIN, HOST, LocalStack, poll_until

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

RAW_BUCKET = "tixpilot-local-raw-email"
RECEIPTS_TABLE = "tixpilot-local-receipts"
UNROUTED = "_unrouted"


def message(message_id: str, to: list[str], subject: str) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = "orders@primary.example"
    mail["To"] = ", ".join(to)
    mail["Subject"] = subject
    mail["Message-ID"] = message_id
    mail.set_content(f"Your order is confirmed.\n{subject}\n")
    return mail


def record_key(tenant_id: str, message_id: str) -> str:
    """A message's first record is keyed by a hash of its Message-ID (any length fits a key)."""
    return f"{tenant_id}#mid:{hashlib.sha256(message_id.encode()).hexdigest()}"


def send(stack: LocalStack, mail: EmailMessage) -> None:
    with smtplib.SMTP(HOST, stack.smtp_port, timeout=10) as smtp:
        refused = smtp.send_message(mail)
    assert refused == {}


def receipts_for(stack: LocalStack, message_id: str) -> list[dict[str, Any]]:
    table = stack.aws("dynamodb")
    items: list[dict[str, Any]] = []
    for page in table.get_paginator("scan").paginate(
        TableName=RECEIPTS_TABLE,
        FilterExpression="message_id = :m",
        ExpressionAttributeValues={":m": {"S": message_id}},
    ):
        items.extend({k: next(iter(v.values())) for k, v in item.items()} for item in page["Items"])
    return items


def wait_for_receipts(stack: LocalStack, message_id: str, count: int, what: str) -> list[dict[str, Any]]:
    def recorded() -> list[dict[str, Any]] | None:
        found = receipts_for(stack, message_id)
        return found if len(found) >= count else None

    return poll_until(recorded, what)


def raw_message(stack: LocalStack, key: str) -> bytes:
    s3 = stack.aws("s3")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=RAW_BUCKET, Prefix=key).get("Contents", [])]
    assert key in keys, keys
    return bytes(s3.get_object(Bucket=RAW_BUCKET, Key=key)["Body"].read())


def test_mail_is_kept_and_routed_by_recipient_domain(stack: LocalStack, demo_tenant_id: str) -> None:
    unique = uuid.uuid4().hex
    message_id = f"<e2e-{unique}@mail.primary.example>"
    subject = f"Order confirmation {unique}"
    to = [f"anyone@{DEMO_DOMAIN}", "someone@nobody-owns-this.test"]
    send(stack, message(message_id, to, subject))

    receipts = wait_for_receipts(stack, message_id, 2, "a receipt for each recipient's tenant")
    by_tenant = {r["tenant_id"]: r for r in receipts}
    assert set(by_tenant) == {demo_tenant_id, UNROUTED}, receipts

    demo = by_tenant[demo_tenant_id]
    assert demo["receipt_key"] == record_key(demo_tenant_id, message_id)
    assert demo["recipient"] == f"anyone@{DEMO_DOMAIN}"
    assert demo["subject"] == subject
    assert demo["status"] == "unparsed"

    unrouted = by_tenant[UNROUTED]
    assert unrouted["receipt_key"] == record_key(UNROUTED, message_id)
    assert unrouted["recipient"] == "someone@nobody-owns-this.test"
    assert "nobody-owns-this.test" in unrouted["reason"]

    # One delivery, one raw message, which both receipts point at.
    assert demo["raw_key"] == unrouted["raw_key"]
    assert demo["raw_key"].startswith("inbound/")
    raw = raw_message(stack, demo["raw_key"])
    assert message_id.encode() in raw and subject.encode() in raw


def test_same_message_id_twice_is_a_duplicate(stack: LocalStack, demo_tenant_id: str) -> None:
    unique = uuid.uuid4().hex
    message_id = f"<e2e-dup-{unique}@mail.primary.example>"
    for attempt in ("first", "second"):
        send(stack, message(message_id, [f"buyer@{DEMO_DOMAIN}"], f"Order {unique} ({attempt})"))

    receipts = wait_for_receipts(stack, message_id, 2, "the first delivery and its duplicate")
    assert len(receipts) == 2, receipts
    assert {r["tenant_id"] for r in receipts} == {demo_tenant_id}
    first = next(r for r in receipts if r["receipt_key"] == record_key(demo_tenant_id, message_id))
    duplicate = next(r for r in receipts if r is not first)
    assert first["status"] == "unparsed"
    assert first["subject"].endswith("(first)")
    assert duplicate["status"] == "duplicate"
    assert duplicate["subject"].endswith("(second)")
    assert duplicate["receipt_key"].startswith(f"{demo_tenant_id}#")
    # Each delivery is kept as it arrived, the duplicate too.
    assert duplicate["raw_key"] != first["raw_key"]
    assert b"(second)" in raw_message(stack, duplicate["raw_key"])
    assert b"(first)" in raw_message(stack, first["raw_key"])
