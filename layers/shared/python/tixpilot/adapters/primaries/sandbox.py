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
from tixpilot.models.purchases import EventInfo, Items, Money, Observation

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
    )


class SandboxConnector:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")

    def _get(self, path: str) -> Any | None:
        try:
            with urllib.request.urlopen(self.base_url + path, timeout=TIMEOUT_S) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                return None
            raise PrimaryUnavailable(f"the primary answered {exc.code}") from exc
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise PrimaryUnavailable(f"the primary could not be reached: {exc}") from exc

    def order(self, username: str, confirmation_number: str) -> Observation | None:
        found = self._get(
            f"/accounts/{quote(username, safe='@')}/orders/{quote(confirmation_number, safe='/')}"
        )
        return observation_of(found) if found else None

    def orders(self, username: str) -> list[Observation]:
        found = self._get(f"/accounts/{quote(username, safe='@')}/orders") or {}
        return [observation_of(o) for o in found.get("orders", [])]
