"""Safeguard level 1 in the local stack: a receipt sent over SMTP, signed by Ticketmaster's domain
(DKIM, its key published in the primary sandbox), becomes a purchase whose PO (builtin POS) shows
up in /v2/purchases and its seats in /v2/inventory, with no crawl needed."""

from __future__ import annotations

import smtplib
import uuid
from pathlib import Path
from typing import Any

import pytest
import requests

from infra.local.dkim import PrimarySigner
from tests.e2e.stack import HOST, HTTP_TIMEOUT_S, LocalStack, poll_until

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

CORPUS = Path(__file__).resolve().parents[2] / "events" / "receipts"


def post(stack: LocalStack, token: str, path: str, params: dict[str, str]) -> dict[str, Any]:
    response = requests.post(
        stack.api_url + path, params=params, headers={"x-api-token": token}, timeout=HTTP_TIMEOUT_S
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def test_level_1_email_to_po_in_purchases_and_inventory(stack: LocalStack) -> None:
    created = stack.cli("tenant", "create", "--name", "Level One Tickets")
    tenant_id, token = created.output["tenant_id"], created.output["api_token"]
    domain = f"l1-{uuid.uuid4().hex[:8]}.test"
    assert stack.cli("domain", "add", "--tenant-id", tenant_id, "--domain", domain).returncode == 0
    post(stack, token, "/v2/settings/update", {"safeguard": "1"})
    buyer = f"buyer@{domain}"
    (account,) = post(
        stack, token, "/v2/accounts/add", {"username": buyer, "marketplaceid": "1", "password": "Pw-e2e-123"}
    )["output"]
    post(
        stack,
        token,
        "/v2/accounts/update/v2",
        {"id": str(account["accountid"]), "posid": "100", "autopo": "true", "autopodateafter": "1/1/2020"},
    )

    confirmation = f"{uuid.uuid4().int % 90 + 10}-{uuid.uuid4().int % 90000 + 10000}"
    raw = (
        (CORPUS / "tm_plain_seated.eml").read_bytes().replace(b"38-41225/SF3", f"{confirmation}/SF3".encode())
    )
    raw = raw.replace(b"<20260617183001.A1B2C3@email.ticketmaster.com>", f"<{uuid.uuid4().hex}@e2e>".encode())
    signer = PrimarySigner.generate("email.ticketmaster.com", selector=f"l1{uuid.uuid4().hex[:8]}")
    signer.publish(stack.primary_url)
    with smtplib.SMTP(HOST, stack.smtp_port, timeout=10) as smtp:
        wire = signer.sign(raw)
        assert smtp.sendmail("customer_support@email.ticketmaster.com", [buyer], wire) == {}

    def po_made() -> dict[str, Any] | None:
        response = stack.get("/v2/purchases", params={"confirmationnumber": confirmation}, token=token)
        assert response.status_code == 200, response.text
        found = response.json()["output"][0]["purchases"]
        return found[0] if found and found[0]["purchaseorders"].get("builtin") else None

    purchase = poll_until(po_made, "the builtin PO on the purchase", timeout_s=30)
    assert purchase["pipeline"]["state"] == "po_created"
    assert purchase["pipeline"]["safeguard_overridden"] is False
    poid = purchase["purchaseorders"]["builtin"]

    response = stack.get("/v2/inventory", params={"rid": str(purchase["rid"])}, token=token)
    assert response.status_code == 200, response.text
    (group,) = response.json()["output"]
    assert (group["poid"], group["rid"], group["section"], group["row"]) == (
        poid,
        purchase["rid"],
        "309",
        "H",
    )
    assert group["quantity"] == 2
    assert group["seats"] == [
        {"seatnumber": "5", "status": "available"},
        {"seatnumber": "6", "status": "available"},
    ]
