"""The builtin POS (posid 100): TixPilot's own inventory ledger in DynamoDB (repositories.ledger)."""

from __future__ import annotations

from typing import Any, ClassVar, Protocol

from tixpilot.adapters.pos.base import PoRequest, PoResult, PosError
from tixpilot.adapters.pos.registry import register
from tixpilot.models.pos import PosName
from tixpilot.repositories.ledger import MAX_SEATS_PER_PO, LedgerPo


class Ledger(Protocol):
    def create_po(self, entry: LedgerPo) -> tuple[str, bool]: ...

    def po_for(self, tenant_id: str, rid: int, pos: str = "builtin") -> str | None: ...


class Numbers(Protocol):
    def next(self, name: str) -> int: ...


def seat_numbers(request: PoRequest) -> list[str]:
    """The purchase's seats, or GA-1..GA-n for a general-admission quantity."""
    items = request.purchase.items
    if items.seats:
        return list(items.seats)
    if items.quantity:
        return [f"GA-{n}" for n in range(1, items.quantity + 1)]
    raise PosError("the purchase has neither seats nor a quantity; a ticket group needs at least one seat")


class BuiltinPos:
    name: ClassVar[PosName] = "builtin"

    def __init__(self, ledger: Ledger | None = None, numbers: Numbers | None = None) -> None:
        self._ledger = ledger
        self._numbers = numbers

    @property
    def ledger(self) -> Ledger:
        if self._ledger is None:
            from tixpilot.repositories.ledger import LedgerRepository

            self._ledger = LedgerRepository()
        return self._ledger

    @property
    def numbers(self) -> Numbers:
        if self._numbers is None:
            from tixpilot.repositories.sequences import SequenceRepository

            self._numbers = SequenceRepository()
        return self._numbers

    def create_po(self, request: PoRequest) -> PoResult:
        purchase = request.purchase
        existing = self.ledger.po_for(purchase.tenant_id, purchase.rid)
        if existing is not None:
            return PoResult(poid=existing, created=False)
        seats = seat_numbers(request)
        if len(seats) > MAX_SEATS_PER_PO:
            raise PosError(
                f"{len(seats)} seats in one purchase; the builtin POS takes up to {MAX_SEATS_PER_PO}"
            )
        money = purchase.money
        event = purchase.event
        po: dict[str, Any] = {
            "vendor": request.settings.customer_id or None,
            "creditcard": request.settings.creditcard_id or None,
            "stock": request.stock,
            "cost_group": money.cost_group,
            "cost_perseat": money.cost_perseat,
            "confirmation_number": purchase.confirmation_number,
        }
        group: dict[str, Any] = {
            "event": event.name,
            "venue": event.venue,
            "event_date": event.starts_at.date().isoformat() if event.starts_at else None,
            "starts_at": event.starts_at.isoformat() if event.starts_at else None,
            "section": purchase.items.section,
            "row": purchase.items.row,
            "stock": request.stock,
            "cost_perseat": money.cost_perseat,
        }
        entry = LedgerPo(
            tenant_id=purchase.tenant_id,
            rid=purchase.rid,
            poid=self.numbers.next("poid"),
            tgid=self.numbers.next("tgid"),
            po=po,
            ticket_group=group,
            seats=seats,
        )
        poid, created = self.ledger.create_po(entry)
        return PoResult(poid=poid, created=created)


@register(BuiltinPos.name)
def _builtin() -> BuiltinPos:
    return BuiltinPos()
