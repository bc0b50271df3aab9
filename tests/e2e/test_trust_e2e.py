"""Trust over a real SMTP session against the local stack: a forged receipt never makes a PO on
its own, a receipt signed by the primary's domain (DKIM, key published in the primary sandbox)
does, a trusted forwarder's signed copy is verified, and a hostile message is stored, recorded
and never costs another message."""

from __future__ import annotations

import smtplib
import uuid
from pathlib import Path
from typing import Any

import pytest
import requests

from bench.hostile_mail import deep_multipart, tag_soup
from infra.local.dkim import PrimarySigner
from tests.e2e.stack import HOST, HTTP_TIMEOUT_S, LocalStack, poll_until

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

CORPUS = Path(__file__).resolve().parents[2] / "events" / "receipts"
TM_SENDER = "customer_support@email.ticketmaster.com"


@pytest.fixture(scope="module")
def ticketmaster(stack: LocalStack) -> PrimarySigner:
    """Ticketmaster's signing key, published where the stack's DKIM lookups find it."""
    signer = PrimarySigner.generate("email.ticketmaster.com", selector=f"e2e{uuid.uuid4().hex[:8]}")
    signer.publish(stack.primary_url)
    return signer


class Tenant:
    def __init__(self, stack: LocalStack, level: str) -> None:
        created = stack.cli("tenant", "create", "--name", f"Trust {level}")
        self.stack, self.id, self.token = stack, created.output["tenant_id"], created.output["api_token"]
        self.domain = f"trust-{uuid.uuid4().hex[:8]}.test"
        assert stack.cli("domain", "add", "--tenant-id", self.id, "--domain", self.domain).returncode == 0
        self.buyer = f"buyer@{self.domain}"
        self.post("/v2/settings/update", {"safeguard": level})
        (account,) = self.post(
            "/v2/accounts/add", {"username": self.buyer, "marketplaceid": "1", "password": "Pw-e2e-123"}
        )["output"]
        self.post(
            "/v2/accounts/update/v2",
            {
                "id": str(account["accountid"]),
                "posid": "100",
                "autopo": "true",
                "autopodateafter": "1/1/2020",
            },
        )

    def post(self, path: str, params: dict[str, str]) -> dict[str, Any]:
        response = requests.post(
            self.stack.api_url + path,
            params=params,
            headers={"x-api-token": self.token},
            timeout=HTTP_TIMEOUT_S,
        )
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    def get(self, path: str, **params: str) -> list[Any]:
        response = self.stack.get(path, params=params, token=self.token)
        assert response.status_code == 200, response.text
        return response.json()["output"]  # type: ignore[no-any-return]

    def purchase(self, confirmation: str) -> dict[str, Any] | None:
        found = self.get("/v2/purchases", confirmationnumber=confirmation)[0]["purchases"]
        return found[0] if found else None

    def receipt(self, message_id: str) -> dict[str, Any] | None:
        rows = self.get("/v2/receipts", page_size="500")[0]["receipts"]
        return next((r for r in rows if r["message_id"] == message_id), None)


def receipt(fixture: str = "tm_plain_seated.eml") -> tuple[bytes, str, str]:
    """A fixture with a fresh order number and Message-ID."""
    confirmation = f"{uuid.uuid4().int % 90 + 10}-{uuid.uuid4().int % 90000 + 10000}"
    message_id = f"<e2e-{uuid.uuid4().hex}@mail.test>"
    raw = (CORPUS / fixture).read_bytes().replace(b"38-41225/SF3", f"{confirmation}/SF3".encode())
    raw = raw.replace(b"<20260617183001.A1B2C3@email.ticketmaster.com>", message_id.encode())
    raw = raw.replace(b"<CAF=fwd7x9@mail.gmail.com>", message_id.encode())
    return raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"), confirmation, message_id


def send(stack: LocalStack, raw: bytes, to: str, sender: str = TM_SENDER) -> None:
    with smtplib.SMTP(HOST, stack.smtp_port, timeout=30) as smtp:
        assert smtp.sendmail(sender, [to], raw) == {}


def test_a_forged_receipt_is_recorded_unverified_and_never_pod_at_level_1(stack: LocalStack) -> None:
    tenant = Tenant(stack, "1")
    forger = PrimarySigner.generate("mailer.attacker.test")  # a valid signature, for its own domain
    forger.publish(stack.primary_url)
    raw, confirmation, message_id = receipt()
    send(stack, forger.sign(raw), tenant.buyer)

    def parked() -> dict[str, Any] | None:
        found = tenant.purchase(confirmation)
        return found if found and found["pipeline"]["state"] in ("waiting", "awaiting_quickpo") else None

    # the Safeguard decided: wait for the primary's data (the sandbox has no such order)
    purchase = poll_until(parked, "the Safeguard to hold the forged purchase", timeout_s=30)
    assert purchase["receipt"]["verified"] is False and purchase["purchaseorders"] == {}
    assert tenant.get("/v2/inventory", rid=str(purchase["rid"])) == []
    row = tenant.receipt(message_id)
    assert row is not None and row["verified"] is False and row["status"] == "parsed"
    assert (row["verdicts"]["dkim"], row["verdicts"]["dmarc"]) == ("PASS", "FAIL")
    assert "email.ticketmaster.com" in row["verification"]


def test_a_receipt_signed_by_ticketmaster_is_pod_at_level_1(
    stack: LocalStack, ticketmaster: PrimarySigner
) -> None:
    tenant = Tenant(stack, "1")
    raw, confirmation, message_id = receipt()
    send(stack, ticketmaster.sign(raw), tenant.buyer)

    def po_made() -> dict[str, Any] | None:
        found = tenant.purchase(confirmation)
        return found if found and found["purchaseorders"].get("builtin") else None

    purchase = poll_until(po_made, "the builtin PO", timeout_s=30)
    assert purchase["receipt"]["verified"] is True
    (group,) = tenant.get("/v2/inventory", rid=str(purchase["rid"]))
    assert [s["status"] for s in group["seats"]] == ["available", "available"]
    row = tenant.receipt(message_id)
    assert row is not None and row["verified"] is True and row["verdicts"]["dmarc"] == "PASS"


def test_a_trusted_forwarders_signed_copy_is_verified(stack: LocalStack) -> None:
    tenant = Tenant(stack, "2")
    gmail = PrimarySigner.generate("gmail.com", selector=f"g{uuid.uuid4().hex[:8]}")
    gmail.publish(stack.primary_url)
    forwarder = "la.buyer.2026@gmail.com"
    added = stack.cli("forwarder", "add", "--tenant-id", tenant.id, "--address", forwarder)
    assert added.returncode == 0 and added.output["address"] == forwarder
    raw, _, message_id = receipt("tm_forwarded_gmail.eml")
    send(
        stack,
        gmail.sign(raw.replace(b"la@demo.tixpilot.test", tenant.buyer.encode())),
        tenant.buyer,
        forwarder,
    )
    row = poll_until(lambda: tenant.receipt(message_id), "the forwarded receipt")
    assert row["verified"] is True and "trusted forwarder" in row["verification"]


def test_a_hostile_message_is_stored_and_recorded_and_the_next_one_still_arrives(
    stack: LocalStack, ticketmaster: PrimarySigner
) -> None:
    tenant = Tenant(stack, "2")
    for hostile, message_id in (
        (deep_multipart(), "<deep_multipart@attacker.test>"),
        (tag_soup(), "<tag_soup@attacker.test>"),
    ):
        send(stack, hostile.replace(b"buyer@demo.tixpilot.test", tenant.buyer.encode()), tenant.buyer)
        row = poll_until(lambda m=message_id: tenant.receipt(m), f"the record of {message_id}")
        assert row["status"] == "unparsed" and row["reason"]
    assert "MIME boundary lines" in (tenant.receipt("<deep_multipart@attacker.test>") or {})["reason"]
    raw, confirmation, _ = receipt()
    send(stack, ticketmaster.sign(raw), tenant.buyer)
    poll_until(lambda: tenant.purchase(confirmation), "the receipt sent after the hostile ones")
