"""Order Integration (docs/marketplaces.md): a marketplace holds seats of the tenant's inventory
POS, then invoices them (the sale is confirmed) or releases them.

Only marketplaces whose integration is OI may call it. Every call names the marketplace's order
id; repeating a call with the same order id returns the same result and changes nothing. The
seats move in the POS through its adapter (one transaction per change for the builtin POS); the
order's sale (source `oi`) is created through the sales repository, with the marketplace-key
check, so every OI order shows in /v2/sales. A hold neither invoiced nor released expires after
TIXPILOT_HOLD_TTL_S: it is released when someone next asks about it, when another hold needs its
seats, or by the sweep the hold schedules, whichever comes first.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal, Protocol

from tixpilot.adapters.pos.base import HoldRequest as PosHoldRequest
from tixpilot.adapters.pos.base import OrderConflict, PosError, PosOrder
from tixpilot.errors import Conflict
from tixpilot.models.base import Model
from tixpilot.models.ion import IonTask
from tixpilot.models.sales import Step, StepResult
from tixpilot.services.marketplace_keys import Marketplace, require_integration
from tixpilot.services.pos_orders import (
    Inventory,
    InventoryPorts,
    SaleWriter,
    api_error,
    held_step,
    inventory_of,
    record_released,
    released_changes,
    sale_from_order,
)

OrderState = Literal["held", "invoiced", "released"]
MAX_SEATS_PER_HOLD = 95


class TaskQueue(Protocol):
    def put(self, task: IonTask, now: dt.datetime) -> None: ...


@dataclass(frozen=True)
class OrderRepos:
    inventory: InventoryPorts
    sales: SaleWriter
    # Where a hold's expiry is scheduled (the sales worker releases it then); None: a hold expires
    # only when asked about or when another hold needs its seats.
    tasks: TaskQueue | None = None
    hold_ttl_s: int = 1800


class HoldRequest(Model):
    order_id: str
    ticketgroupid: int
    quantity: int
    price_per_seat: Decimal


class OrderResult(Model):
    order_id: str
    marketplace_id: int
    ticketgroupid: int
    quantity: int
    price_per_seat: Decimal
    seats: list[str]
    state: OrderState
    invoice_id: str = ""


def _result(order: PosOrder) -> OrderResult:
    return OrderResult(
        order_id=order.order_id,
        marketplace_id=order.marketplace_id,
        ticketgroupid=int(order.ticketgroupid),
        quantity=len(order.seats),
        price_per_seat=order.price_per_seat,
        seats=list(order.seats),
        state=order.state,
        invoice_id=order.invoice_id,
    )


def _pending_steps(order: PosOrder, now: dt.datetime) -> dict[Step, StepResult]:
    waiting = "waiting for the marketplace's invoice"
    return {
        "hold": held_step(order, now),
        "confirm": StepResult(status="pending", message=waiting, at=now),
        "invoice": StepResult(status="pending", message=waiting, at=now),
    }


def _ensure_sale(repos: OrderRepos, market: Marketplace, inventory: Inventory, order: PosOrder) -> None:
    """Create the order's sale unless it exists (also repairs a hold whose sale write was lost)."""
    now = inventory.context.now
    sale = sale_from_order(
        order,
        tenant_id=market.tenant_id,
        pos=inventory.sale_pos,
        source="oi",
        credential_id=market.credential.credential_id,
        now=now,
        steps=_pending_steps(order, now),
    )
    repos.sales.create(sale, market.credential_hash)


def _record(
    repos: OrderRepos,
    market: Marketplace,
    inventory: Inventory,
    order: PosOrder,
    steps: dict[Step, StepResult],
    sets: dict[str, Any],
    require: dict[str, Any],
) -> None:
    """Update the order's sale unless it already says so (`require` no longer holds: a repeated
    call changes nothing); a sale whose creation was lost is created first."""
    tenant, marketplace_id = market.tenant_id, market.marketplace_id
    if repos.sales.update(tenant, marketplace_id, order.order_id, steps=steps, sets=sets, require=require):
        return
    if repos.sales.get(tenant, marketplace_id, order.order_id) is None:
        _ensure_sale(repos, market, inventory, order)
        repos.sales.update(tenant, marketplace_id, order.order_id, steps=steps, sets=sets, require=require)


def _expire_if_due(repos: OrderRepos, market: Marketplace, inventory: Inventory, order: PosOrder) -> PosOrder:
    """A hold past its expiry is released now (expiry on read), and its sale told."""
    if not order.expired(inventory.context.now):
        return order
    try:
        released = inventory.adapter.release(
            inventory.context, order.marketplace_id, order.order_id, "expired"
        )
    except OrderConflict:  # invoiced just before it expired: that stands
        current = inventory.adapter.order(inventory.context, order.marketplace_id, order.order_id)
        return current or order
    steps, sets = released_changes(released, inventory.context.now)
    _record(repos, market, inventory, released, steps, sets, require={"hold.removed_at": None})
    return released


def hold(repos: OrderRepos, market: Marketplace, request: HoldRequest, now: dt.datetime) -> OrderResult:
    """Hold `quantity` available seats of the ticket group for the order; Conflict when they are
    not available. The same order again returns its recorded result."""
    require_integration(market, "oi")
    inventory = inventory_of(repos.inventory, market.tenant_id, now)
    pos_request = PosHoldRequest(
        marketplace_id=market.marketplace_id,
        order_id=request.order_id,
        ticketgroupid=str(request.ticketgroupid),
        quantity=request.quantity,
        price_per_seat=request.price_per_seat,
        expires_at=now + dt.timedelta(seconds=repos.hold_ttl_s),
        binding=True,
        may_displace=True,  # an OI hold is the marketplace selling: non-binding holds give way
    )
    try:
        outcome = inventory.adapter.hold(inventory.context, pos_request)
    except PosError as exc:
        record_released(repos.sales, market.tenant_id, getattr(exc, "displaced", ()), now)
        raise api_error(exc) from None
    record_released(repos.sales, market.tenant_id, outcome.displaced, now)
    order = outcome.order
    _ensure_sale(repos, market, inventory, order)
    if outcome.created and repos.tasks is not None and order.expires_at is not None:
        task = IonTask(
            tenant_id=market.tenant_id,
            kind="expire_hold",
            marketplace_id=market.marketplace_id,
            order_id=order.order_id,
            due=order.expires_at,
        )
        repos.tasks.put(task, now)
    if not outcome.created:
        order = _expire_if_due(repos, market, inventory, order)
    return _result(order)


def invoice(repos: OrderRepos, market: Marketplace, order_id: str, now: dt.datetime) -> OrderResult:
    """Sell the order's held seats in the POS; the sale is confirmed. Again: the same answer."""
    require_integration(market, "oi")
    inventory = inventory_of(repos.inventory, market.tenant_id, now)
    try:
        order = inventory.adapter.invoice(inventory.context, market.marketplace_id, order_id)
    except OrderConflict as exc:
        current = inventory.adapter.order(inventory.context, market.marketplace_id, order_id)
        if current is not None and current.state == "released":
            gone_steps, gone_sets = released_changes(current, now)
            _record(
                repos, market, inventory, current, gone_steps, gone_sets, require={"hold.removed_at": None}
            )
        raise Conflict(exc.message) from None
    except PosError as exc:
        raise api_error(exc) from None
    steps: dict[Step, StepResult] = {
        "invoice": StepResult(status="success", message=order.invoice_id, at=now),
        "confirm": StepResult(status="success", message="confirmed by the marketplace's invoice", at=now),
    }
    sets = {"confirmed": True, "invoice_id": order.invoice_id}
    _record(repos, market, inventory, order, steps, sets, require={"confirmed": False})
    return _result(order)


def release(repos: OrderRepos, market: Marketplace, order_id: str, now: dt.datetime) -> OrderResult:
    """Give the order's held seats back (available again); the sale is not confirmed."""
    require_integration(market, "oi")
    inventory = inventory_of(repos.inventory, market.tenant_id, now)
    try:
        order = inventory.adapter.release(inventory.context, market.marketplace_id, order_id, "marketplace")
    except PosError as exc:
        raise api_error(exc) from None
    steps, sets = released_changes(order, now)
    _record(repos, market, inventory, order, steps, sets, require={"hold.removed_at": None})
    return _result(order)
