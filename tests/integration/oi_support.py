"""Helpers of the Order Integration tests: a broker with a ticket group in the builtin POS and a
marketplace key, and the marketplace's calls through the real handler."""

from __future__ import annotations

import itertools
import json
from typing import Any

from tests.events import api_event
from tixpilot.data.reference import RESALE_MARKETPLACES
from tixpilot.repositories.ledger import LedgerPo, LedgerRepository
from tixpilot.services.tenants import create_marketplace_key

RESALE_IDS = {int(str(m["id"])) for m in RESALE_MARKETPLACES}
_numbers = itertools.count(700_000)


def ticket_group(tenant_id: str, seats: list[str], section: str = "101", row: str = "C") -> int:
    """A PO with one ticket group of these seats, all available; returns the ticket group id."""
    poid, tgid, rid = next(_numbers), next(_numbers), next(_numbers)
    LedgerRepository().create_po(
        LedgerPo(
            tenant_id=tenant_id,
            rid=rid,
            poid=poid,
            tgid=tgid,
            po={"vendor": None, "stock": "eticket", "cost_perseat": "40.00"},
            ticket_group={
                "event": "Sugarland",
                "venue": "Smart Financial Centre",
                "event_date": "2030-07-11",
                "starts_at": "2030-07-11T19:00:00",
                "section": section,
                "row": row,
                "stock": "mobile",
                "cost_perseat": "40.00",
            },
            seats=seats,
        )
    )
    return tgid


def marketplace_key(admin: Any, tenant_id: str, marketplace_id: int = 25) -> str:
    return create_marketplace_key(admin, tenant_id, marketplace_id, RESALE_IDS).secret


def oi_event(path: str, key: str | None, body: Any = None) -> dict[str, Any]:
    event = api_event("POST", path, body=json.dumps(body) if body is not None else None)
    if key is not None:
        event["headers"]["x-marketplace-key"] = key
        event["multiValueHeaders"]["x-marketplace-key"] = [key]
    return event


def hold_body(order_id: str, tgid: int, quantity: int, price: str = "99.50") -> dict[str, Any]:
    return {"order_id": order_id, "ticketgroupid": tgid, "quantity": quantity, "price_per_seat": price}


def seat_statuses(tenant_id: str, tgid: int) -> dict[str, str]:
    return {str(s["seatnumber"]): str(s["status"]) for s in LedgerRepository().seats(tenant_id, str(tgid))}


def seat_holders(tenant_id: str, tgid: int) -> dict[str, tuple[str, str]]:
    """Each seat's status and the order entity holding it ("" when none), as the ledger has them."""
    return {
        str(s["seatnumber"]): (str(s["status"]), str(s.get("held_by") or ""))
        for s in LedgerRepository().seats(tenant_id, str(tgid))
    }
