"""The primary sandbox's connector (infra/local/sandbox.py; docs/local-stack.md), over HTTP."""

from __future__ import annotations

import datetime as dt
import json
import urllib.error
import urllib.request
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote

from tixpilot.adapters.primaries.base import PrimaryUnavailable
from tixpilot.models.purchases import EventInfo, Items, Money, Observation, Ticket, TicketTransfer

TIMEOUT_S = 10.0
_STOCKS = {"eticket", "mobile", "transfer", "hard", "flash", "willcall", "paperless", "pdf"}


def _money(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _when(value: Any) -> dt.datetime | None:
    if not value:
        return None
    try:
        return dt.datetime.fromisoformat(str(value))
    except ValueError:
        return None


def tickets_of(order: dict[str, Any]) -> list[Ticket] | None:
    """The order's tickets per seat as the primary shows them; None before it shows any."""
    shown = order.get("tickets")
    if not shown:
        return None
    return [
        Ticket(
            seatnumber=str(t["seat"]),
            barcode=t.get("barcode") or None,
            file_ref=t.get("file") or None,
            transfer_url=t.get("transfer_url") or None,
        )
        for t in shown
        if t.get("seat")
    ]


def transfer_of(order: dict[str, Any]) -> TicketTransfer | None:
    transfer = order.get("transfer") or {}
    if not transfer.get("provider"):
        return None
    return TicketTransfer(
        provider=str(transfer["provider"]),
        confirmation_number=transfer.get("confirmation_number") or None,
        provider_url=transfer.get("provider_url") or None,
    )


def observation_of(order: dict[str, Any]) -> Observation:
    """The sandbox's order as an observation; what it does not state stays None."""
    seats = order.get("seats") or None
    quantity = order.get("quantity") or (len(seats) if seats else None)
    event = order.get("event") or {}
    stock = order.get("stock")
    return Observation(
        account_username=str(order["account_username"]).strip().lower(),
        confirmation_number=str(order["confirmation_number"]).strip(),
        confirmation_region=order.get("region") or None,
        event=EventInfo(
            name=event.get("name"), venue=event.get("venue"), starts_at=_when(event.get("datetime"))
        ),
        items=Items(
            section=order.get("section"),
            row=order.get("row"),
            seats=seats,
            quantity=quantity,
            general_admission=seats is None and quantity is not None,
            stock=stock if stock in _STOCKS else None,
        ),
        money=Money(
            cost_perseat=_money(order.get("cost_perseat")),
            face_perseat=_money(order.get("face_perseat")),
            fees=_money(order.get("fees")),
        ),
        # the sandbox always knows the disclosures (possibly none)
        disclosures=list(order.get("disclosures") or []),
        rotating_barcodes=order.get("rotating_barcodes"),
        status="active",
        tickets=tickets_of(order),
        transfer=transfer_of(order),
    )


class SandboxConnector:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")

    def _fetch(self, path: str) -> bytes | None:
        try:
            with urllib.request.urlopen(self.base_url + path, timeout=TIMEOUT_S) as response:
                return bytes(response.read())
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                return None
            raise PrimaryUnavailable(f"the primary answered {exc.code}") from exc
        except (urllib.error.URLError, OSError) as exc:
            raise PrimaryUnavailable(f"the primary could not be reached: {exc}") from exc

    def _get(self, path: str) -> Any | None:
        body = self._fetch(path)
        try:
            return json.loads(body) if body is not None else None
        except ValueError as exc:
            raise PrimaryUnavailable(f"the primary answered something unreadable: {exc}") from exc

    def ticket_file(self, file_ref: str) -> bytes:
        if not file_ref.startswith("/files/"):
            raise PrimaryUnavailable(f"{file_ref!r} is not a ticket file of this primary")
        content = self._fetch(file_ref)
        if content is None:
            raise PrimaryUnavailable(f"the primary no longer has the ticket file {file_ref}")
        return content

    def order(self, username: str, confirmation_number: str) -> Observation | None:
        found = self._get(
            f"/accounts/{quote(username, safe='@')}/orders/{quote(confirmation_number, safe='/')}"
        )
        return observation_of(found) if found else None

    def orders(self, username: str) -> list[Observation]:
        found = self._get(f"/accounts/{quote(username, safe='@')}/orders") or {}
        return [observation_of(o) for o in found.get("orders", [])]
