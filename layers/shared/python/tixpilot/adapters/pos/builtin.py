"""The builtin POS (posid 100): TixPilot's own inventory ledger in DynamoDB (repositories.ledger).

Selling: a marketplace order holds seats of a ticket group in one transaction with the order
item; invoice and release are one transaction each (repositories.ledger). A hold that finds too
few available seats frees what it may first: holds past their expiry (any request), and holds
that are not binding (a request that `may_displace`), each released in its own transaction
before the seats are picked again, and reported back as `displaced` so their sales are told.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any, ClassVar, Literal, Protocol

from tixpilot.adapters.pos.base import (
    HoldOutcome,
    HoldRequest,
    OrderConflict,
    PoRequest,
    PoResult,
    PosContext,
    PosError,
    PosOrder,
    SeatsUnavailable,
    SeatTickets,
    TicketGroupInfo,
    UnknownOrder,
    UnknownTicketGroup,
)
from tixpilot.adapters.pos.registry import register
from tixpilot.models.pos import PosName
from tixpilot.models.purchases import Purchase
from tixpilot.repositories.ledger import (
    MAX_SEATS_PER_PO,
    ChangeWrite,
    HoldWrite,
    LedgerPo,
    OrderGuard,
)

MAX_SEATS_PER_HOLD = 95  # a transaction holds 100 items: the order and its seats
HOLD_ATTEMPTS = 4  # a hold that lost a seat to a concurrent hold picks again from what is left


class Ledger(Protocol):
    def create_po(self, entry: LedgerPo) -> tuple[str, bool]: ...

    def po_for(self, tenant_id: str, rid: int, pos: str = "builtin") -> str | None: ...

    def ticket_group(self, tenant_id: str, tgid: str) -> dict[str, Any] | None: ...

    def seats(self, tenant_id: str, tgid: str) -> list[dict[str, Any]]: ...

    def order(self, tenant_id: str, marketplace_id: int, order_id: str) -> dict[str, Any] | None: ...

    def order_by_entity(self, tenant_id: str, entity: str) -> dict[str, Any] | None: ...

    def hold(self, tenant_id: str, order: dict[str, Any]) -> HoldWrite: ...

    def change_order(
        self,
        tenant_id: str,
        order: dict[str, Any],
        *,
        state: Literal["invoiced", "released"],
        sets: dict[str, Any],
        now_s: int,
        guard: OrderGuard | None = None,
    ) -> ChangeWrite: ...

    def complete_order(self, tenant_id: str, order: dict[str, Any], completed_at: str) -> bool: ...


class Numbers(Protocol):
    def next(self, name: str) -> int: ...


class PurchaseReader(Protocol):
    def get(self, tenant_id: str, rid: int, consistent: bool = False) -> Purchase | None: ...


class FileReader(Protocol):
    def read(self, key: str) -> bytes: ...


def seat_numbers(request: PoRequest) -> list[str]:
    """The purchase's seats, or GA-1..GA-n for a general-admission quantity."""
    items = request.purchase.items
    if items.seats:
        return list(items.seats)
    if items.quantity:
        return [f"GA-{n}" for n in range(1, items.quantity + 1)]
    raise PosError("the purchase has neither seats nor a quantity; a ticket group needs at least one seat")


def seat_order(seat: str) -> tuple[Any, ...]:
    """Natural order: 2 before 10, GA-2 before GA-10."""
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", seat))


def _epoch(moment: dt.datetime) -> int:
    return int(moment.timestamp())


def _group_info(group: dict[str, Any]) -> dict[str, Any]:
    """What an order keeps of its ticket group, for the sale record."""
    return {
        key: group.get(key)
        for key in ("event", "venue", "starts_at", "event_date", "section", "row", "stock", "cost_perseat")
    }


def _info(group: dict[str, Any]) -> TicketGroupInfo:
    starts_at = None
    if group.get("starts_at"):
        starts_at = dt.datetime.fromisoformat(str(group["starts_at"])).replace(tzinfo=None)
    elif group.get("event_date"):
        starts_at = dt.datetime.fromisoformat(str(group["event_date"]))
    cost = group.get("cost_perseat")
    return TicketGroupInfo(
        event=str(group.get("event") or ""),
        venue=str(group.get("venue") or ""),
        starts_at=starts_at,
        section=str(group.get("section") or ""),
        row=str(group.get("row") or ""),
        stock=str(group.get("stock") or ""),
        cost_perseat=Decimal(str(cost)) if cost is not None else None,
    )


def _order(item: dict[str, Any]) -> PosOrder:
    return PosOrder(
        marketplace_id=int(item["marketplace_id"]),
        order_id=str(item["order_id"]),
        ticketgroupid=str(item["tgid"]),
        seats=tuple(str(s) for s in item["seats"]),
        price_per_seat=Decimal(str(item["price_per_seat"])),
        state=item["state"],
        binding=bool(item.get("binding", True)),
        held_at=dt.datetime.fromisoformat(str(item["held_at"])),
        expires_at=dt.datetime.fromtimestamp(int(item["hold_until"]), dt.UTC)
        if "hold_until" in item
        else None,
        group=_info(item.get("group") or {}),
        invoice_id=str(item.get("invoice_id") or ""),
        released_because=str(item.get("released_because") or ""),
        completed=bool(item.get("completed_at")),
    )


def _same_request(item: dict[str, Any], request: HoldRequest) -> bool:
    return (
        str(item["tgid"]) == request.ticketgroupid
        and len(item["seats"]) == request.quantity
        and Decimal(str(item["price_per_seat"])) == request.price_per_seat
    )


def invoice_id(marketplace_id: int, order_id: str) -> str:
    return f"INV-{marketplace_id}-{order_id}"


class BuiltinPos:
    name: ClassVar[PosName] = "builtin"

    def __init__(
        self,
        ledger: Ledger | None = None,
        numbers: Numbers | None = None,
        purchases: PurchaseReader | None = None,
        files: FileReader | None = None,
    ) -> None:
        self._ledger = ledger
        self._numbers = numbers
        self._purchases = purchases
        self._files = files

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

    # --- selling ---------------------------------------------------------------------------------

    def hold(self, context: PosContext, request: HoldRequest) -> HoldOutcome:
        if not 1 <= request.quantity <= MAX_SEATS_PER_HOLD:
            raise PosError(f"a hold takes 1 to {MAX_SEATS_PER_HOLD} seats, not {request.quantity}")
        tenant = context.tenant_id
        displaced: list[PosOrder] = []
        for _ in range(HOLD_ATTEMPTS):
            existing = self.ledger.order(tenant, request.marketplace_id, request.order_id)
            if existing is not None:
                if not _same_request(existing, request):
                    raise OrderConflict(
                        f"order {request.order_id} already holds {len(existing['seats'])} seats of ticket "
                        f"group {existing['tgid']} at {existing['price_per_seat']}; an order id is held once"
                    )
                return HoldOutcome(order=_order(existing), created=False, displaced=tuple(displaced))
            group = self.ledger.ticket_group(tenant, request.ticketgroupid)
            if group is None:
                raise UnknownTicketGroup(
                    f"no ticket group {request.ticketgroupid} in this account; GET /v2/inventory lists them"
                )
            seats = self.ledger.seats(tenant, request.ticketgroupid)
            available = sorted(
                (str(s["seatnumber"]) for s in seats if s["status"] == "available"), key=seat_order
            )
            if len(available) < request.quantity:
                try:
                    displaced.extend(
                        self._make_room(context, request, seats, request.quantity - len(available))
                    )
                except SeatsUnavailable as exc:
                    raise SeatsUnavailable(exc.message, displaced=tuple(displaced)) from None
                continue  # read the seats again, whoever won the released ones
            order = {
                "order_id": request.order_id,
                "marketplace_id": request.marketplace_id,
                "tgid": request.ticketgroupid,
                "seats": available[: request.quantity],
                "price_per_seat": str(request.price_per_seat),
                "state": "held",
                "binding": request.binding,
                "held_at": context.now.isoformat(),
                "hold_until": _epoch(request.expires_at),
                "group": _group_info(group),
            }
            outcome = self.ledger.hold(tenant, order)
            if outcome == "held":
                return HoldOutcome(order=_order(order), created=True, displaced=tuple(displaced))
            # "order_exists": a concurrent call with this order id won; the next turn answers with it.
            # "taken": a seat went to another order; pick again from what is left.
        raise SeatsUnavailable(
            f"not available: the seats of ticket group {request.ticketgroupid} are held by other orders",
            displaced=tuple(displaced),
        )

    def _make_room(
        self, context: PosContext, request: HoldRequest, seats: list[dict[str, Any]], missing: int
    ) -> list[PosOrder]:
        """Release the holds that may give way (expired ones; non-binding ones for a request that
        may displace them), soonest-expiring first, until `missing` seats are free; SeatsUnavailable
        (and nothing released) when even all of them would not be enough."""
        now_s = _epoch(context.now)
        holders: dict[str, tuple[OrderGuard, int, int]] = {}  # order entity -> (why, expiry, seats)
        for seat in seats:
            if seat["status"] != "held" or "held_by" not in seat:
                continue
            until = int(seat.get("held_until") or 0)
            guard: OrderGuard | None = None
            if until and until <= now_s:
                guard = "expired"
            elif request.may_displace and seat.get("held_binding") is False:
                guard = "non_binding"
            if guard is not None:
                _, _, count = holders.get(str(seat["held_by"]), (guard, until, 0))
                holders[str(seat["held_by"])] = (guard, until, count + 1)
        chosen: list[tuple[str, OrderGuard]] = []
        gained = 0
        for entity, (guard, _, count) in sorted(
            holders.items(), key=lambda h: (h[1][0] != "expired", h[1][1])
        ):
            if gained >= missing:
                break
            chosen.append((entity, guard))
            gained += count
        if gained < missing:
            free = sum(1 for s in seats if s["status"] == "available")
            raise SeatsUnavailable(
                f"not available: ticket group {request.ticketgroupid} has {free} available seats, "
                f"{request.quantity} asked"
            )
        released: list[PosOrder] = []
        for entity, guard in chosen:
            item = self.ledger.order_by_entity(context.tenant_id, entity)
            if item is None or item["state"] != "held":
                continue
            because = (
                "expired"
                if guard == "expired"
                else f"displaced by {request.marketplace_id}#{request.order_id}"
            )
            done = self._change(context, item, "released", {"released_because": because}, guard)
            if done:
                released.append(_order({**item, "state": "released", "released_because": because}))
        return released

    def _change(
        self,
        context: PosContext,
        item: dict[str, Any],
        state: Literal["invoiced", "released"],
        sets: dict[str, Any],
        guard: OrderGuard | None,
    ) -> bool:
        stamp = context.now.isoformat()
        sets = {**sets, f"{'invoiced' if state == 'invoiced' else 'released'}_at": stamp}
        outcome = self.ledger.change_order(
            context.tenant_id, item, state=state, sets=sets, now_s=_epoch(context.now), guard=guard
        )
        return outcome == "done"

    def _existing(self, context: PosContext, marketplace_id: int, order_id: str) -> dict[str, Any]:
        item = self.ledger.order(context.tenant_id, marketplace_id, order_id)
        if item is None:
            raise UnknownOrder(f"no hold for order {order_id} of marketplace {marketplace_id}; hold it first")
        return item

    def order(self, context: PosContext, marketplace_id: int, order_id: str) -> PosOrder | None:
        item = self.ledger.order(context.tenant_id, marketplace_id, order_id)
        return _order(item) if item else None

    def invoice(self, context: PosContext, marketplace_id: int, order_id: str) -> PosOrder:
        for _ in range(3):
            item = self._existing(context, marketplace_id, order_id)
            order = _order(item)
            if order.state == "invoiced":
                return order
            if order.state == "released":
                raise OrderConflict(
                    f"order {order_id} was released ({order.released_because}); a released hold cannot be "
                    "invoiced"
                )
            if order.expired(context.now):
                self.release(context, marketplace_id, order_id, "expired")
                raise OrderConflict(
                    f"the hold of order {order_id} expired at {order.expires_at:%Y-%m-%d %H:%M:%S} UTC; its "
                    "seats are available again"
                )
            number = invoice_id(marketplace_id, order_id)
            if self._change(context, item, "invoiced", {"invoice_id": number}, "unexpired"):
                return _order({**item, "state": "invoiced", "invoice_id": number})
            # refused: a concurrent invoice, release or the expiry came first; read what happened
        raise OrderConflict(f"order {order_id} changed while being invoiced; try again")

    def release(self, context: PosContext, marketplace_id: int, order_id: str, because: str) -> PosOrder:
        for _ in range(3):
            item = self._existing(context, marketplace_id, order_id)
            order = _order(item)
            if order.state == "released":
                return order
            if order.state == "invoiced":
                raise OrderConflict(
                    f"order {order_id} is invoiced ({order.invoice_id}); it cannot be released"
                )
            if self._change(context, item, "released", {"released_because": because}, None):
                return _order({**item, "state": "released", "released_because": because})
        raise OrderConflict(f"order {order_id} changed while being released; try again")

    def complete(self, context: PosContext, marketplace_id: int, order_id: str) -> PosOrder:
        item = self._existing(context, marketplace_id, order_id)
        if not self.ledger.complete_order(context.tenant_id, item, context.now.isoformat()):
            raise OrderConflict(f"order {order_id} is {item['state']}; only an invoiced order is completed")
        return _order({**item, "completed_at": context.now.isoformat()})

    def ticket_data(self, context: PosContext, ticketgroupid: str, seats: list[str]) -> list[SeatTickets]:
        """From the purchase the ticket group was PO'd from: each seat's barcode and PDF."""
        group = self.ledger.ticket_group(context.tenant_id, ticketgroupid)
        if group is None:
            raise UnknownTicketGroup(f"no ticket group {ticketgroupid} in this account")
        purchase = self.purchases.get(context.tenant_id, int(group["rid"]))
        tickets = {t.seatnumber: t for t in (purchase.tickets or [])} if purchase else {}
        found = []
        for seat in seats:
            ticket = tickets.get(seat)
            if ticket is not None and (ticket.barcode or ticket.pdf_key):
                found.append(
                    SeatTickets(
                        seat=seat,
                        barcodes=(ticket.barcode,) if ticket.barcode else (),
                        file_ref=ticket.pdf_key,
                    )
                )
        return found

    def ticket_file(self, context: PosContext, file_ref: str) -> bytes:
        if not file_ref.startswith(f"{context.tenant_id}/"):
            raise UnknownOrder(f"no ticket file {file_ref} in this account")
        return self.files.read(file_ref)

    @property
    def purchases(self) -> PurchaseReader:
        if self._purchases is None:
            from tixpilot.repositories.purchases import PurchaseRepository

            self._purchases = PurchaseRepository()
        return self._purchases

    @property
    def files(self) -> FileReader:
        if self._files is None:
            from tixpilot.repositories.ticket_files import TicketFiles

            self._files = TicketFiles()
        return self._files


@register(BuiltinPos.name)
def _builtin() -> BuiltinPos:
    return BuiltinPos()
