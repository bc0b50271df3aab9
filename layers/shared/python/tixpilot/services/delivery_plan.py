"""What to hand a marketplace for a sale, from its delivery format and the tickets there are: a
pure decision (docs/fulfillment.md, "What is delivered").

- `eticket`: the ticket files (PDF); else the barcodes, where the marketplace takes them.
- `barcode`: the barcodes per seat; else the ticket files, where it does not take barcodes.
- `transfer`: the mobile transfer (provider, confirmation number, claim links).
- `mobileqr`: screenshots of the mobile tickets, only once the primary says the barcodes do not
  rotate (a screenshot of a rotating barcode is worthless at the gate); else the static barcodes.
- `hard`, `willcall`/`localpickup`, `flash`: nothing TixPilot can hand over: a person's step.
Every seat of the sale must have what is delivered; otherwise it is not there yet.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from tixpilot.adapters.pos.base import SeatTickets
from tixpilot.models.delivery import DeliveryKind

MANUAL: dict[str, str] = {
    "hard": "hard stock: ship the tickets to the buyer yourself",
    "willcall": "will call: the buyer collects the tickets at the box office; leave them there in the "
    "buyer's name",
    "localpickup": "local pickup: hand the tickets to the buyer yourself",
    "flash": "Flash Seats: transfer the tickets on Flash Seats' site yourself",
}
DONE_HINT = "then POST /sales/v1/complete-sale to mark the sale filled"


@dataclass(frozen=True)
class Deliver:
    kind: DeliveryKind
    seats: tuple[SeatTickets, ...]  # in the sale's seat order


@dataclass(frozen=True)
class NotYet:
    """Something is missing that may come (ticket files, barcodes, the rotating status)."""

    reason: str


@dataclass(frozen=True)
class Manual:
    """Nothing TixPilot can hand over: a person delivers, then completes the sale."""

    reason: str


@dataclass(frozen=True)
class Never:
    """It must not be delivered this way, whatever comes (rotating barcodes as screenshots)."""

    reason: str


Plan = Deliver | NotYet | Manual | Never


def _seats(numbers: Sequence[str]) -> str:
    return f"seat{'s' if len(numbers) > 1 else ''} {', '.join(numbers)}"


def _rotating(tickets: Sequence[SeatTickets]) -> bool | None:
    """True if any seat's barcodes rotate, False if every seat's are known not to, else None."""
    states = {t.rotating_barcodes for t in tickets}
    if True in states:
        return True
    return False if states == {False} else None


def plan_delivery(
    delivery_format: str,
    seats: Sequence[str],
    tickets: Sequence[SeatTickets],
    takes: Collection[DeliveryKind],
    marketplace: str,
) -> Plan:
    """What to deliver for a sale of `seats` in `delivery_format`, given the tickets the POS has
    (`tickets`, any order, seats it knows nothing of left out) and what the marketplace's API
    takes (`takes`; every kind for a generic v1 marketplace). `marketplace` names it in reasons."""
    if delivery_format in MANUAL:
        return Manual(f"{MANUAL[delivery_format]}; {DONE_HINT}")
    by_seat = {t.seat: t for t in tickets}
    known = [by_seat[s] for s in seats if s in by_seat]
    rotating = _rotating(known) if len(known) == len(seats) else None

    def ready(kind: DeliveryKind) -> tuple[SeatTickets, ...] | list[str]:
        """Every seat's tickets for `kind`, or the seats that lack it."""
        missing = []
        for seat in seats:
            ticket = by_seat.get(seat)
            has = (
                ticket is not None
                and {
                    "pdf": ticket.file_ref is not None,
                    "qr": ticket.file_ref is not None,
                    "barcodes": bool(ticket.barcodes),
                    "transfer": ticket.transfer is not None
                    and bool(ticket.transfer.confirmation_number or ticket.transfer.url),
                }[kind]
            )
            if not has:
                missing.append(seat)
        return list(missing) if missing else tuple(by_seat[s] for s in seats)

    def first_ready(*kinds: DeliveryKind) -> Deliver | None:
        for kind in kinds:
            if kind in takes:
                found = ready(kind)
                if isinstance(found, tuple):
                    return Deliver(kind, found)
        return None

    def not_there(kind: DeliveryKind, what: str) -> NotYet:
        found = ready(kind)
        lacking = found if isinstance(found, list) else list(seats)
        return NotYet(f"{what} not available yet for {_seats(lacking)}")

    barcodes_ok = rotating is not True  # a rotating barcode copied out is refused at the gate

    if delivery_format == "eticket":
        chosen = first_ready("pdf", *(("barcodes",) if barcodes_ok else ()))
        if chosen:
            return chosen
        if "pdf" in takes:
            return not_there("pdf", "ticket file is")
        if "barcodes" in takes and barcodes_ok:
            return not_there("barcodes", "barcodes are")
        return Manual(f"{marketplace} takes neither ticket files nor barcodes through its API; {DONE_HINT}")

    if delivery_format == "barcode":
        chosen = first_ready(*(("barcodes",) if barcodes_ok else ()), "pdf")
        if chosen:
            return chosen
        if "barcodes" in takes and barcodes_ok:
            return not_there("barcodes", "barcodes are")
        if "pdf" in takes:
            return not_there("pdf", "ticket file is")
        if not barcodes_ok:
            return Never("the barcodes rotate, so they cannot be delivered as barcodes; transfer the tickets")
        return Manual(f"{marketplace} takes no barcodes through its API; {DONE_HINT}")

    if delivery_format == "transfer":
        if "transfer" not in takes:
            return Manual(
                f"{marketplace} takes mobile transfers on its own site, not through its API: transfer the "
                f"tickets there; {DONE_HINT}"
            )
        return first_ready("transfer") or not_there("transfer", "transfer details are")

    if delivery_format == "mobileqr":
        if rotating is True:
            return Never(
                "the barcodes rotate: rotating barcodes are never delivered as screenshots; transfer the "
                "tickets instead"
            )
        if "qr" not in takes and "barcodes" not in takes:
            return Manual(
                f"{marketplace} takes neither QR screenshots nor barcodes through its API; {DONE_HINT}"
            )
        if rotating is None and len(known) == len(seats):
            return NotYet(
                "the primary has not said yet whether the barcodes rotate; QR screenshots only once it says "
                "they do not"
            )
        chosen = first_ready("qr", "barcodes")
        if chosen:
            return chosen
        if "qr" in takes:
            return not_there("qr", "mobile ticket screenshot is")
        return not_there("barcodes", "barcodes are")

    return Manual(f"TixPilot does not deliver {delivery_format} tickets; {DONE_HINT}")
