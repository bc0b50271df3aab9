"""The builtin POS's inventory (GET /v2/inventory): ticket groups with their seats' status."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Literal, Protocol

from tixpilot.models.base import Model


class LedgerReader(Protocol):
    def ticket_group(self, tenant_id: str, tgid: str) -> dict[str, Any] | None: ...

    def ticket_groups(
        self, tenant_id: str, rid: int | None = None, event_date: str | None = None
    ) -> list[dict[str, Any]]: ...

    def seats(self, tenant_id: str, tgid: str) -> list[dict[str, Any]]: ...


class SeatOut(Model):
    seatnumber: str
    status: Literal["available", "held", "sold"]


class TicketGroupOut(Model):
    ticketgroupid: int
    rid: int
    poid: str
    event: str | None = None
    venue: str | None = None
    eventdate: str | None = None
    section: str | None = None
    row: str | None = None
    quantity: int
    seats: list[SeatOut]


def _seat_order(seat: str) -> tuple[Any, ...]:
    """Natural order: 2 before 10, GA-2 before GA-10."""
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", seat))


def _legacy_date(iso: str | None) -> str | None:
    if not iso:
        return None
    day = dt.date.fromisoformat(iso)
    return f"{day.month}/{day.day}/{day.year}"


def inventory(
    ledger: LedgerReader,
    tenant_id: str,
    rid: int | None = None,
    ticketgroupid: int | None = None,
    eventdate: dt.date | None = None,
) -> list[TicketGroupOut]:
    if ticketgroupid is not None:
        one = ledger.ticket_group(tenant_id, str(ticketgroupid))
        groups = [one] if one else []
        if rid is not None:
            groups = [g for g in groups if int(g["rid"]) == rid]
        if eventdate is not None:
            groups = [g for g in groups if g.get("event_date") == eventdate.isoformat()]
    else:
        groups = ledger.ticket_groups(tenant_id, rid, eventdate.isoformat() if eventdate else None)
    out: list[TicketGroupOut] = []
    for group in sorted(groups, key=lambda g: int(g["tgid"])):
        seats = sorted(
            ledger.seats(tenant_id, str(group["tgid"])), key=lambda s: _seat_order(str(s["seatnumber"]))
        )
        out.append(
            TicketGroupOut(
                ticketgroupid=int(group["tgid"]),
                rid=int(group["rid"]),
                poid=str(group["poid"]),
                event=group.get("event"),
                venue=group.get("venue"),
                eventdate=_legacy_date(group.get("event_date")),
                section=group.get("section"),
                row=group.get("row"),
                quantity=int(group.get("quantity") or len(seats)),
                seats=[SeatOut(seatnumber=str(s["seatnumber"]), status=s["status"]) for s in seats],
            )
        )
    return out
