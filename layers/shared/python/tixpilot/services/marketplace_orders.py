"""Order Integration (docs/marketplaces.md): a marketplace holds seats of the builtin POS, then
invoices (the sale is confirmed) or releases them.

Every call names the marketplace's order id; repeating a call with the same order id returns
the same result and changes nothing. A hold is one transaction that records the order and moves
each seat from available to held; invoice and release are one transaction each over the order,
its seats and its sale (repositories.marketplace_orders). The sale is created through the sales
repository (index keys and the marketplace-key check), so every OI order shows in /v2/sales.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal, Protocol

from pydantic import BaseModel

from tixpilot.errors import Conflict, NotFound
from tixpilot.models.sales import (
    CreateOutcome,
    DeliveryFormat,
    Hold,
    Sale,
    SaleDetails,
    SaleEvent,
    SalePrices,
    SaleSeat,
    StepResult,
)
from tixpilot.models.tenants import Credential
from tixpilot.services.sales import fingerprint

OrderState = Literal["held", "invoiced", "released"]
MAX_SEATS_PER_HOLD = 95  # a transaction holds 100 items: the order, its seats and its sale
HOLD_ATTEMPTS = 3  # a hold that lost a seat to a concurrent hold picks again from what is left

DELIVERY_OF_STOCK: dict[str, DeliveryFormat] = {
    "eticket": "eticket",
    "mobile": "mobileqr",
    "qr_screenshot": "mobileqr",
    "transfer": "transfer",
    "hard": "hard",
    "flash": "flash",
    "willcall": "willcall",
}


class OrderLedger(Protocol):
    def ticket_group(self, tenant_id: str, tgid: str) -> dict[str, Any] | None: ...

    def seats(self, tenant_id: str, tgid: str) -> list[dict[str, Any]]: ...


class OrderStore(Protocol):
    def order(self, tenant_id: str, marketplace_id: int, order_id: str) -> dict[str, Any] | None: ...

    def hold(self, tenant_id: str, order: dict[str, Any]) -> str: ...

    def change(
        self,
        tenant_id: str,
        order: dict[str, Any],
        *,
        state: Literal["invoiced", "released"],
        order_sets: dict[str, Any],
        sale_sets: dict[str, Any],
        sale_removes: tuple[str, ...] = (),
    ) -> str: ...


class SaleCreator(Protocol):
    def create(self, sale: Sale, credential_hash: str) -> CreateOutcome: ...


@dataclass(frozen=True)
class OrderRepos:
    ledger: OrderLedger
    orders: OrderStore
    sales: SaleCreator


@dataclass(frozen=True)
class Marketplace:
    """The authenticated marketplace key: its tenant, marketplace, credid and hash."""

    credential: Credential
    credential_hash: str

    @property
    def tenant_id(self) -> str:
        return self.credential.tenant_id

    @property
    def marketplace_id(self) -> int:
        assert self.credential.marketplace_id is not None
        return self.credential.marketplace_id


class HoldRequest(BaseModel):
    order_id: str
    ticketgroupid: int
    quantity: int
    price_per_seat: Decimal


class OrderResult(BaseModel):
    order_id: str
    marketplace_id: int
    ticketgroupid: int
    quantity: int
    price_per_seat: Decimal
    seats: list[str]
    state: OrderState
    invoice_id: str = ""


def _seat_order(seat: str) -> tuple[Any, ...]:
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", seat))


def _result(order: dict[str, Any]) -> OrderResult:
    return OrderResult(
        order_id=str(order["order_id"]),
        marketplace_id=int(order["marketplace_id"]),
        ticketgroupid=int(order["tgid"]),
        quantity=len(order["seats"]),
        price_per_seat=Decimal(str(order["price_per_seat"])),
        seats=[str(s) for s in order["seats"]],
        state=order["state"],
        invoice_id=str(order.get("invoice_id") or ""),
    )


def _same_request(order: dict[str, Any], request: HoldRequest) -> bool:
    return (
        int(order["tgid"]) == request.ticketgroupid
        and len(order["seats"]) == request.quantity
        and Decimal(str(order["price_per_seat"])) == request.price_per_seat
    )


def _starts_at(group: dict[str, Any], now: dt.datetime) -> dt.datetime:
    if group.get("starts_at"):
        return dt.datetime.fromisoformat(str(group["starts_at"])).replace(tzinfo=None)
    if group.get("event_date"):
        return dt.datetime.fromisoformat(str(group["event_date"]))
    return now.replace(tzinfo=None, microsecond=0)


def _sale(
    market: Marketplace, request: HoldRequest, group: dict[str, Any], seats: list[str], now: dt.datetime
) -> Sale:
    starts_at = _starts_at(group, now)
    total = request.price_per_seat * len(seats)
    cost = group.get("cost_perseat")
    details = SaleDetails(
        marketplace_id=market.marketplace_id,
        order_id=request.order_id,
        credential_id=market.credential.credential_id,
        pos="builtin",
        delivery_format=DELIVERY_OF_STOCK.get(str(group.get("stock") or ""), "eticket"),
        sold_at=now,
        ticket_group_id=str(request.ticketgroupid),
        invoice_id="",
        in_hand_date=starts_at.date(),
        confirmed=False,
        fulfilled=False,
        prices=SalePrices(
            list_perseat=request.price_per_seat,
            face_perseat=Decimal(0),
            cost_perseat=Decimal(str(cost)) if cost is not None else Decimal(0),
            total=total,
            fees=Decimal(0),
            payout=total,
        ),
        event=SaleEvent(
            name=str(group.get("event") or ""), venue=str(group.get("venue") or ""), starts_at=starts_at
        ),
        section=str(group.get("section") or ""),
        row=str(group.get("row") or ""),
        seats=[SaleSeat(number=s, seat_id=f"{request.ticketgroupid}-{s}") for s in seats],
    )
    steps = {
        "hold": StepResult(status="success", message=f"held {len(seats)} seats: {', '.join(seats)}", at=now),
        "confirm": StepResult(status="pending", message="waiting for the marketplace's invoice", at=now),
        "invoice": StepResult(status="pending", message="waiting for the marketplace's invoice", at=now),
    }
    return Sale(
        **details.model_dump(),
        tenant_id=market.tenant_id,
        source="oi",
        hold=Hold(received=now),
        processing=steps,
        fingerprint=fingerprint(details),
        created=now,
        updated=now,
    )


def _ensure_sale(repos: OrderRepos, market: Marketplace, order: dict[str, Any]) -> None:
    """Create the order's sale unless it exists (repairs a hold whose sale write was lost)."""
    repos.sales.create(Sale.model_validate_json(str(order["sale"])), market.credential_hash)


def hold(repos: OrderRepos, market: Marketplace, request: HoldRequest, now: dt.datetime) -> OrderResult:
    """Hold `quantity` available seats of the ticket group for the order; Conflict when they are
    not available. The same order again returns its recorded result."""
    tenant = market.tenant_id
    for _ in range(HOLD_ATTEMPTS):
        existing = repos.orders.order(tenant, market.marketplace_id, request.order_id)
        if existing is not None:
            if not _same_request(existing, request):
                raise Conflict(
                    f"order {request.order_id} already holds {len(existing['seats'])} seats of ticket group "
                    f"{existing['tgid']} at {existing['price_per_seat']}; an order id is held once"
                )
            _ensure_sale(repos, market, existing)
            return _result(existing)
        group = repos.ledger.ticket_group(tenant, str(request.ticketgroupid))
        if group is None:
            raise NotFound(
                f"no ticket group {request.ticketgroupid} in this account; GET /v2/inventory lists them"
            )
        available = sorted(
            (
                str(s["seatnumber"])
                for s in repos.ledger.seats(tenant, str(request.ticketgroupid))
                if s["status"] == "available"
            ),
            key=_seat_order,
        )
        if len(available) < request.quantity:
            raise Conflict(
                f"not available: ticket group {request.ticketgroupid} has {len(available)} available seats, "
                f"{request.quantity} asked"
            )
        seats = available[: request.quantity]
        sale = _sale(market, request, group, seats, now)
        order = {
            "order_id": request.order_id,
            "marketplace_id": market.marketplace_id,
            "tgid": str(request.ticketgroupid),
            "seats": seats,
            "price_per_seat": str(request.price_per_seat),
            "state": "held",
            "held_at": now.isoformat(),
            "sale": sale.model_dump_json(),
        }
        outcome = repos.orders.hold(tenant, order)
        if outcome == "held":
            repos.sales.create(sale, market.credential_hash)
            return _result(order)
        # "order_exists": a concurrent call with this order id won; the next turn answers with it.
        # "taken": a seat went to another order; pick again from what is left.
    raise Conflict(
        f"not available: the seats of ticket group {request.ticketgroupid} are being held by other orders"
    )


def _held_order(repos: OrderRepos, market: Marketplace, order_id: str) -> dict[str, Any]:
    order = repos.orders.order(market.tenant_id, market.marketplace_id, order_id)
    if order is None:
        raise NotFound(f"no order {order_id} held by this marketplace; hold it first (POST /oi/v1/holds)")
    return order


def invoice(repos: OrderRepos, market: Marketplace, order_id: str, now: dt.datetime) -> OrderResult:
    """Sell the order's held seats in the builtin POS; the sale is confirmed. Again: same answer."""
    invoice_id = f"OI-{market.marketplace_id}-{order_id}"
    stamp = now.isoformat()
    for _ in range(2):
        order = _held_order(repos, market, order_id)
        if order["state"] == "invoiced":
            return _result(order)
        if order["state"] == "released":
            raise Conflict(f"order {order_id} was released; a released order cannot be invoiced")
        outcome = repos.orders.change(
            market.tenant_id,
            order,
            state="invoiced",
            order_sets={"invoice_id": invoice_id, "invoiced_at": stamp},
            sale_sets={
                "confirmed": True,
                "invoice_id": invoice_id,
                "updated": stamp,
                "processing.invoice": {"status": "success", "message": invoice_id, "at": stamp},
                "processing.confirm": {
                    "status": "success",
                    "message": "confirmed by the marketplace's invoice",
                    "at": stamp,
                },
            },
        )
        if outcome == "done":
            return _result({**order, "state": "invoiced", "invoice_id": invoice_id})
        if outcome == "no_sale":
            _ensure_sale(repos, market, order)
        # "state": a concurrent invoice or release moved it; the next turn reads what it did.
    order = _held_order(repos, market, order_id)
    if order["state"] != "invoiced":
        raise Conflict(f"order {order_id} is {order['state']}; it cannot be invoiced")
    return _result(order)


def release(repos: OrderRepos, market: Marketplace, order_id: str, now: dt.datetime) -> OrderResult:
    """Give the order's held seats back (available again); the sale is not confirmed."""
    stamp = now.isoformat()
    for _ in range(2):
        order = _held_order(repos, market, order_id)
        if order["state"] == "released":
            return _result(order)
        if order["state"] == "invoiced":
            raise Conflict(f"order {order_id} is invoiced; an invoiced order cannot be released")
        outcome = repos.orders.change(
            market.tenant_id,
            order,
            state="released",
            order_sets={"released_at": stamp},
            sale_sets={
                "updated": stamp,
                "hold.removed_at": stamp,
                "hold.removed_by": "marketplace",
                "processing.confirm": {
                    "status": "error",
                    "message": "released by the marketplace; the seats are available again",
                    "at": stamp,
                },
                "processing.invoice": {"status": "error", "message": "not invoiced: released", "at": stamp},
            },
        )
        if outcome == "done":
            return _result({**order, "state": "released"})
        if outcome == "no_sale":
            _ensure_sale(repos, market, order)
    order = _held_order(repos, market, order_id)
    if order["state"] != "released":
        raise Conflict(f"order {order_id} is {order['state']}; it cannot be released")
    return _result(order)
