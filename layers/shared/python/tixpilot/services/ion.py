"""Instant Notification (docs/marketplaces.md): a marketplace says it sold; TixPilot invoices the
seats in the tenant's inventory POS and confirms the sale with the marketplace, or, when the
seats are gone, marks it for rejection and rejects it after TIXPILOT_ION_REJECT_AFTER_S unless a
person confirms or rejects it first.

Notifications arrive on a queue (whoever received them) and are handled here one order at a
time (a lease per order), each once per (marketplace, order, event): a repeat changes nothing, a
`cancelled` that arrives before its `created` keeps the sale from ever being made. Whether a sale
is confirmed or rejected is decided once (`Sale.decision`, a conditional write), by TixPilot
(the seats were invoiced), a person, the automatic rejection or the marketplace; carrying the
decision out through the marketplace's adapter may take several tries (the marketplace may be
down), and a try that fails for a passing reason raises `Retry` so the queue hands the message
back later, with the failure shown on the sale.

A marketplace with a native adapter (StubHub, Vivid Seats, Ticket Evolution) is confirmed and
rejected through its own API with the tenant's stored credentials. For a generic v1 marketplace,
TixPilot's record is the confirmation: the marketplace reads it at GET /ion/v1/sales/{order_id}.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from tixpilot.adapters.marketplaces.base import MarketplaceAdapter, MarketplaceError
from tixpilot.adapters.pos.base import HoldRequest, PosError, PosOrder
from tixpilot.data.reference import RESALE_MARKETPLACES
from tixpilot.errors import Conflict, NotFound, Unavailable
from tixpilot.models.ion import IonOrder, IonTask, SaleMessage
from tixpilot.models.marketplaces import SaleNotification, reject_reason_of
from tixpilot.models.sales import (
    DecidedBy,
    Decision,
    Hold,
    Sale,
    SaleDecision,
    SaleDetails,
    SaleEvent,
    SalePrices,
    SaleSeat,
    Step,
    StepResult,
)
from tixpilot.services.pos_orders import (
    DELIVERY_OF_STOCK,
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
from tixpilot.services.sales import fingerprint

LEASE_S = 120  # longer than the worker's timeout: a lease outlives only a worker that died


class Retry(Exception):
    """Handling failed for a passing reason (a marketplace or the POS did not answer, another
    worker holds the order): the message is handled again later."""


class Busy(Retry):
    """Another worker is handling the same order right now."""


class OrderLocks(Protocol):
    def get(self, tenant_id: str, marketplace_id: int, order_id: str) -> IonOrder | None: ...

    def note_received(self, tenant_id: str, marketplace_id: int, order_id: str, at: dt.datetime) -> None: ...

    def lock(
        self,
        tenant_id: str,
        marketplace_id: int,
        order_id: str,
        owner: str,
        now_s: int,
        lease_s: int,
        received_at: dt.datetime | None = None,
    ) -> IonOrder | None: ...

    def unlock(
        self,
        tenant_id: str,
        marketplace_id: int,
        order_id: str,
        owner: str,
        *,
        handled: str | None = None,
        cancelled: bool = False,
    ) -> None: ...


class SaleQueue(Protocol):
    def put(self, message: SaleMessage) -> None: ...


class TaskQueue(Protocol):
    def put(self, task: IonTask, now: dt.datetime) -> None: ...


class CredentialStore(Protocol):
    def get(self, tenant_id: str, marketplace_id: int) -> Mapping[str, str] | None: ...


@dataclass(frozen=True)
class IonDeps:
    inventory: InventoryPorts
    sales: SaleWriter
    orders: OrderLocks
    credentials: CredentialStore
    adapter_for: Callable[[int], MarketplaceAdapter | None]  # native adapters by resale id
    sale_queue: SaleQueue
    tasks: TaskQueue
    hold_ttl_s: int = 1800
    reject_after_s: int = 1800
    # The time after a marketplace answered: when a sale was confirmed or rejected there.
    clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)


def binding_holds(marketplace_id: int) -> bool:
    """Whether the marketplace's holds are binding (StubHub, Vivid Seats: removing one costs a
    penalty); other ION marketplaces' holds give way to a sale elsewhere."""
    return any(e["id"] == marketplace_id and e.get("binding_holds") for e in RESALE_MARKETPLACES)


def _name(marketplace_id: int) -> str:
    for entry in RESALE_MARKETPLACES:
        if entry["id"] == marketplace_id:
            return str(entry["display_name"])
    return f"marketplace {marketplace_id}"


def _step(status: Literal["success", "error", "pending"], message: str, now: dt.datetime) -> StepResult:
    return StepResult(status=status, message=message, at=now)


# --- receiving (the generic v1 endpoint) ---------------------------------------------------------


def receive(deps: IonDeps, message: SaleMessage, now: dt.datetime) -> None:
    """Accept a notification for the worker: recorded as received (GET /ion/v1/sales answers it
    from now on), then queued."""
    n = message.notification
    deps.orders.note_received(message.tenant_id, n.marketplace_id, n.order_id, now)
    deps.sale_queue.put(message)


# --- the worker ----------------------------------------------------------------------------------


@dataclass
class _Work:
    """One order being handled under its lease."""

    deps: IonDeps
    tenant_id: str
    marketplace_id: int
    order_id: str
    now: dt.datetime
    record: IonOrder
    _inventory: Inventory | None = None

    @property
    def inventory(self) -> Inventory:
        if self._inventory is None:
            self._inventory = inventory_of(self.deps.inventory, self.tenant_id, self.now)
        return self._inventory

    @property
    def adapter(self) -> MarketplaceAdapter | None:
        return self.deps.adapter_for(self.marketplace_id)

    def sale(self) -> Sale | None:
        return self.deps.sales.get(self.tenant_id, self.marketplace_id, self.order_id)

    def update(
        self,
        steps: Mapping[Step, StepResult] | None = None,
        sets: Mapping[str, Any] | None = None,
        require: Mapping[str, Any] | None = None,
        removes: tuple[str, ...] = (),
    ) -> Sale | None:
        return self.deps.sales.update(
            self.tenant_id,
            self.marketplace_id,
            self.order_id,
            steps=steps,
            sets=sets,
            require=require,
            removes=removes,
        )


def _locked(
    deps: IonDeps,
    tenant_id: str,
    marketplace_id: int,
    order_id: str,
    owner: str,
    now: dt.datetime,
    received_at: dt.datetime | None = None,
) -> _Work:
    record = deps.orders.lock(
        tenant_id, marketplace_id, order_id, owner, int(now.timestamp()), LEASE_S, received_at
    )
    if record is None:
        raise Busy(f"order {order_id} of marketplace {marketplace_id} is being handled by another worker")
    return _Work(deps, tenant_id, marketplace_id, order_id, now, record)


def handled_key(notification: SaleNotification) -> str:
    """What makes a notification a repeat: (marketplace, order, event); news that can come more
    than once per order (a failed delivery, a re-transfer, an update) also by its delivery id."""
    if notification.event in ("updated", "delivery_failed", "retransfer") and notification.delivery_id:
        return f"{notification.dedupe_key}#{notification.delivery_id}"
    return notification.dedupe_key


def handle_notification(
    deps: IonDeps, message: SaleMessage, owner: str, now: dt.datetime, received_at: dt.datetime | None = None
) -> str:
    """Handle one notification (the sales worker, per queue message; `received_at`: when it was
    queued). Answers what it did; raises Retry when it should be tried again later."""
    n = message.notification
    work = _locked(deps, message.tenant_id, n.marketplace_id, n.order_id, owner, now, received_at)
    key = handled_key(n)
    if key in work.record.events:
        deps.orders.unlock(work.tenant_id, n.marketplace_id, n.order_id, owner)
        return "duplicate"
    cancelled = False
    try:
        if n.event in ("created", "provisional", "confirmed"):
            outcome = _sold(work, n, message.credential_id)
        elif n.event == "cancelled":
            outcome = _cancelled(work, n)
            cancelled = True
        else:
            outcome = _noted(work, n)
    except BaseException:
        deps.orders.unlock(work.tenant_id, n.marketplace_id, n.order_id, owner, cancelled=cancelled)
        raise
    deps.orders.unlock(work.tenant_id, n.marketplace_id, n.order_id, owner, handled=key, cancelled=cancelled)
    return outcome


def _sold(work: _Work, n: SaleNotification, credential_id: str) -> str:
    """A sale (or StubHub's provisional sale, or a sale the marketplace already shows confirmed):
    hold the seats, invoice them, confirm; or mark it for rejection when they are gone."""
    if work.record.cancelled:
        sale = work.sale()
        if sale is not None and not sale.cancelled:
            _cancel_sale(work, sale)
        return "cancelled before"
    sale = work.sale()
    if n.event == "provisional":
        if sale is not None:
            return "held already"
        try:
            _hold_for(work, n, credential_id, binding=binding_holds(n.marketplace_id))
        except PosError as exc:
            if exc.transient:
                raise Retry(f"the POS did not answer: {exc.message}") from exc
            return f"not held: {exc.message}"  # nothing to reject: a sale may still follow
        return "held"
    if sale is not None and sale.invoice_id:
        # invoiced already (a repeat after a crash, or a hold's sale): carry on from the decision
        return _confirm_invoiced(work, sale, n)
    order = _pos_order(work, n, credential_id)
    if isinstance(order, str):  # the seats are not available: reason
        return _unavailable(work, n, credential_id, order)
    try:
        invoiced = work.inventory.adapter.invoice(work.inventory.context, n.marketplace_id, n.order_id)
    except PosError as exc:
        if exc.transient:
            raise Retry(f"the POS did not answer: {exc.message}") from exc
        return _unavailable(work, n, credential_id, exc.message)
    steps: dict[Step, StepResult] = {"invoice": _step("success", invoiced.invoice_id, work.now)}
    sale = work.update(steps=steps, sets={"invoice_id": invoiced.invoice_id})
    assert sale is not None  # _pos_order made it
    return _confirm_invoiced(work, sale, n)


def _enrich(work: _Work, n: SaleNotification) -> SaleNotification:
    """A notification that does not name the broker's listing (StubHub's webhooks) completed from
    the marketplace's own view of the order."""
    adapter = work.adapter
    if (n.ticketgroupid and n.quantity) or adapter is None:
        return n
    credentials = work.deps.credentials.get(work.tenant_id, work.marketplace_id)
    if not credentials:
        return n
    try:
        full = adapter.get_sale(credentials, n.order_id)
    except MarketplaceError as exc:
        if exc.transient:
            raise Retry(f"{_name(work.marketplace_id)} did not answer: {exc.message}") from exc
        return n
    # what the notification said stands; the marketplace's view fills what it did not say
    missing = {
        k: v for k, v in dict(full).items() if getattr(n, k, None) in (None, []) and v not in (None, [])
    }
    return n.model_copy(update=missing)


def _pos_order(work: _Work, n: SaleNotification, credential_id: str) -> PosOrder | str:
    """The order's seats in the POS: its hold when it has one (a hold before the sale), else a new
    hold that may displace non-binding holds. Creates the sale. A reason when unavailable."""
    inventory = work.inventory
    try:
        existing = inventory.adapter.order(inventory.context, n.marketplace_id, n.order_id)
    except PosError as exc:
        if exc.transient:
            raise Retry(f"the POS did not answer: {exc.message}") from exc
        raise
    if existing is not None:
        if existing.state == "released":
            return f"the order's hold was released before the sale came ({existing.released_because})"
        _create_sale(work, existing, n, credential_id)
        return existing
    n = _enrich(work, n)
    if not n.ticketgroupid or not n.quantity or n.price_per_seat is None:
        missing = [f for f in ("ticketgroupid", "quantity", "price_per_seat") if getattr(n, f) in (None, "")]
        return f"the notification does not say {', '.join(missing)}; the seats cannot be found"
    request = HoldRequest(
        marketplace_id=n.marketplace_id,
        order_id=n.order_id,
        ticketgroupid=n.ticketgroupid,
        quantity=n.quantity,
        price_per_seat=n.price_per_seat,
        expires_at=work.now + dt.timedelta(seconds=work.deps.hold_ttl_s),
        binding=True,
        may_displace=True,  # a sale: non-binding holds give way
    )
    try:
        outcome = inventory.adapter.hold(inventory.context, request)
    except PosError as exc:
        record_released(work.deps.sales, work.tenant_id, getattr(exc, "displaced", ()), work.now)
        if exc.transient:
            raise Retry(f"the POS did not answer: {exc.message}") from exc
        return exc.message
    record_released(work.deps.sales, work.tenant_id, outcome.displaced, work.now)
    _create_sale(work, outcome.order, n, credential_id)
    return outcome.order


def _create_sale(work: _Work, order: PosOrder, n: SaleNotification, credential_id: str) -> None:
    waiting = "being invoiced in the POS"
    sale = sale_from_order(
        order,
        tenant_id=work.tenant_id,
        pos=work.inventory.sale_pos,
        source="ion",
        credential_id=credential_id,
        now=work.now,
        steps={
            "hold": held_step(order, work.now),
            "invoice": _step("pending", waiting, work.now),
            "confirm": _step("pending", waiting, work.now),
        },
        delivery_format=n.deliveryformat,
        event_name=n.event_name,
        event_date=n.event_date,
    )
    work.deps.sales.create(sale, None)


def _hold_for(work: _Work, n: SaleNotification, credential_id: str, *, binding: bool) -> PosOrder:
    """Hold seats for an order that may be sold soon (StubHub's provisional sale, POST
    /ion/v1/holds): the sale shows it held; a binding hold may displace non-binding ones.
    Raises the POS's refusal (PosError)."""
    if not n.ticketgroupid or not n.quantity or n.price_per_seat is None:
        raise PosError("the hold does not say ticketgroupid, quantity and price_per_seat")
    inventory = work.inventory
    request = HoldRequest(
        marketplace_id=n.marketplace_id,
        order_id=n.order_id,
        ticketgroupid=n.ticketgroupid,
        quantity=n.quantity,
        price_per_seat=n.price_per_seat,
        expires_at=work.now + dt.timedelta(seconds=work.deps.hold_ttl_s),
        binding=binding,
        may_displace=binding,
    )
    try:
        outcome = inventory.adapter.hold(inventory.context, request)
    except PosError as exc:
        record_released(work.deps.sales, work.tenant_id, getattr(exc, "displaced", ()), work.now)
        raise
    record_released(work.deps.sales, work.tenant_id, outcome.displaced, work.now)
    order = outcome.order
    waiting = "waiting for the marketplace's sale"
    sale = sale_from_order(
        order,
        tenant_id=work.tenant_id,
        pos=inventory.sale_pos,
        source="ion",
        credential_id=credential_id,
        now=work.now,
        steps={
            "hold": held_step(order, work.now),
            "invoice": _step("pending", waiting, work.now),
            "confirm": _step("pending", waiting, work.now),
        },
        delivery_format=n.deliveryformat,
        event_name=n.event_name,
        event_date=n.event_date,
    )
    work.deps.sales.create(sale, None)
    if outcome.created and order.expires_at is not None:
        work.deps.tasks.put(
            IonTask(
                tenant_id=work.tenant_id,
                kind="expire_hold",
                marketplace_id=n.marketplace_id,
                order_id=n.order_id,
                due=order.expires_at,
            ),
            work.now,
        )
    return order


def _confirm_invoiced(work: _Work, sale: Sale, n: SaleNotification) -> str:
    """The seats are invoiced: decide to confirm (unless someone decided already) and do it."""
    by: DecidedBy = "marketplace" if n.event == "confirmed" else "tixpilot"
    decided = _decide(work, "confirm", by, "") or work.sale() or sale
    return _carry_out(work, decided)


def _decide(work: _Work, action: Decision, by: DecidedBy, reason: str) -> Sale | None:
    """Claim the order's decision (once); None when it was decided already."""
    decision = {"action": action, "by": by, "reason": reason, "at": work.now.isoformat()}
    return work.update(sets={"decision": decision}, require={"decision": None})


def _carry_out(work: _Work, sale: Sale) -> str:
    """Do the sale's decision through the marketplace, unless done already."""
    decision = sale.decision
    if decision is None:
        return "undecided"
    if decision.action == "confirm":
        if sale.confirmed:
            return "confirmed"
        return _confirm(work, sale)
    if sale.rejected:
        return "rejected"
    return _reject(work, sale)


def _credentials(work: _Work) -> Mapping[str, str]:
    credentials = work.deps.credentials.get(work.tenant_id, work.marketplace_id)
    if not credentials:
        raise MarketplaceError(
            f"no credentials for {_name(work.marketplace_id)}: set them with `tixpilot "
            f"marketplace-credentials set --marketplace-id {work.marketplace_id}`",
            transient=False,
        )
    return credentials


def _confirm(work: _Work, sale: Sale) -> str:
    assert sale.decision is not None
    adapter = work.adapter
    who = {"tixpilot": "", "broker": " (confirmed by you)", "auto": "", "marketplace": ""}[sale.decision.by]
    if sale.decision.by == "marketplace":
        message = f"confirmed on {_name(work.marketplace_id)}"
    elif adapter is None:
        message = f"confirmed{who}; the marketplace reads it at GET /ion/v1/sales/{sale.order_id}"
    else:
        try:
            adapter.confirm(_credentials(work), sale.order_id, [s.number for s in sale.seats])
        except MarketplaceError as exc:
            return _failed(work, "confirm", exc)
        message = f"confirmed with {_name(work.marketplace_id)}{who}"
    # a rejection that was pending is no longer: the step goes
    removes = ("processing.reject",) if "reject" in sale.processing and not sale.rejected else ()
    work.update(
        steps={"confirm": _step("success", message, work.deps.clock())},
        sets={"confirmed": True, "reject_due": None},
        removes=removes,
    )
    return "confirmed"


def _reject(work: _Work, sale: Sale) -> str:
    assert sale.decision is not None
    reason = sale.decision.reason or "the seats are no longer available"
    adapter = work.adapter
    who = {"tixpilot": "", "broker": "rejected by you", "auto": "rejected automatically", "marketplace": ""}[
        sale.decision.by
    ]
    if adapter is None:
        message = (
            f"{who or 'rejected'}: {reason}; the marketplace reads it at GET /ion/v1/sales/{sale.order_id}"
        )
    else:
        try:
            adapter.reject(_credentials(work), sale.order_id, reject_reason_of(reason), reason)
        except MarketplaceError as exc:
            return _failed(work, "reject", exc)
        message = f"{who or 'rejected'} through {_name(work.marketplace_id)}: {reason}"
    invoice = sale.processing.get("invoice")
    if invoice is not None and invoice.status == "success":
        message += f"; invoice {sale.invoice_id} stays in the POS: void it there"
    _release_if_held(work)
    work.update(
        steps={"reject": _step("success", message, work.deps.clock())},
        sets={"rejected": True, "reject_due": None},
    )
    return "rejected"


def _release_if_held(work: _Work) -> None:
    """A rejected or cancelled order's seats, still held, come back."""
    inventory = work.inventory
    try:
        order = inventory.adapter.order(inventory.context, work.marketplace_id, work.order_id)
        if order is not None and order.state == "held":
            inventory.adapter.release(inventory.context, work.marketplace_id, work.order_id, "rejected")
    except PosError as exc:
        if exc.transient:
            raise Retry(f"the POS did not answer: {exc.message}") from exc


def _failed(work: _Work, step: Literal["confirm", "reject"], exc: MarketplaceError) -> str:
    """A marketplace call failed: shown on the step; tried again later when it may pass."""
    name = _name(work.marketplace_id)
    if exc.transient:
        message = f"{name} did not answer ({exc.message}); trying again"
        status: Literal["error", "pending"] = "error" if step == "confirm" else "pending"
        work.update(steps={step: _step(status, message, work.now)})
        raise Retry(message) from exc
    work.update(steps={step: _step("error", f"{name} refused: {exc.message}", work.now)})
    return f"{step} refused"


def _unavailable(work: _Work, n: SaleNotification, credential_id: str, reason: str) -> str:
    """The seats are gone: the sale shows why, and is rejected after the window unless a person
    confirms or rejects it first."""
    due = work.now + dt.timedelta(seconds=work.deps.reject_after_s)
    sale = work.sale()
    if sale is None:
        sale = _sale_from_notification(work, n, credential_id)
        work.deps.sales.create(sale, None)
    if sale.decision is not None:
        return _carry_out(work, sale)
    if n.event == "confirmed":  # the marketplace shows it confirmed: nothing to reject
        work.update(steps={"invoice": _step("error", f"not invoiced: {reason}", work.now)})
        return "confirmed elsewhere, not invoiced"
    steps: dict[Step, StepResult] = {
        "invoice": _step("error", f"not invoiced: {reason}", work.now),
        "reject": _step(
            "pending",
            f"to be rejected at {due:%Y-%m-%d %H:%M:%S} UTC unless you confirm or reject it first "
            "(POST /v2/sales/confirm or /v2/sales/reject)",
            work.now,
        ),
        "confirm": _step("pending", "not confirmed: the seats are not available", work.now),
    }
    work.update(steps=steps, sets={"reject_due": due})
    work.deps.tasks.put(
        IonTask(
            tenant_id=work.tenant_id,
            kind="auto_reject",
            marketplace_id=work.marketplace_id,
            order_id=work.order_id,
            due=due,
        ),
        work.now,
    )
    return "unavailable"


def _sale_from_notification(work: _Work, n: SaleNotification, credential_id: str) -> Sale:
    """The sale as the marketplace states it, for an order the POS has no seats for."""
    starts_at = (n.event_date or work.now).replace(tzinfo=None, microsecond=0)
    quantity = n.quantity or len(n.seats) or 0
    price = n.price_per_seat or 0
    total = price * quantity
    seats = n.seats or []
    details = SaleDetails(
        marketplace_id=n.marketplace_id,
        order_id=n.order_id,
        credential_id=credential_id,
        pos=work.inventory.sale_pos,
        delivery_format=n.deliveryformat or DELIVERY_OF_STOCK["eticket"],
        sold_at=work.now,
        ticket_group_id=n.ticketgroupid or "",
        invoice_id="",
        in_hand_date=starts_at.date(),
        confirmed=False,
        fulfilled=False,
        prices=SalePrices(
            list_perseat=price, face_perseat=0, cost_perseat=0, total=total, fees=0, payout=total
        ),
        event=SaleEvent(name=n.event_name or "", venue="", starts_at=starts_at),
        section=n.section or "",
        row=n.row or "",
        seats=[SaleSeat(number=s, seat_id="") for s in seats],
    )
    return Sale(
        **details.model_dump(),
        tenant_id=work.tenant_id,
        source="ion",
        hold=Hold(received=work.now) if n.event == "provisional" else None,
        processing={},
        fingerprint=fingerprint(details),
        created=work.now,
        updated=work.now,
    )


def _cancelled(work: _Work, n: SaleNotification) -> str:
    """The marketplace cancelled the order: a held order's seats come back; a sale not yet made
    never will be (the record remembers the cancellation)."""
    sale = work.sale()
    if sale is None:
        return "cancelled before the sale"
    _cancel_sale(work, sale)
    return "cancelled"


def _cancel_sale(work: _Work, sale: Sale) -> None:
    _release_if_held(work)
    invoiced = sale.processing.get("invoice")
    message = f"cancelled by {_name(work.marketplace_id)}"
    if invoiced is not None and invoiced.status == "success":
        message += f"; invoice {sale.invoice_id} stays in the POS: void it there"
    steps: dict[Step, StepResult] = {"confirm": _step("error", message, work.now)}
    if "reject" in sale.processing and not sale.rejected:
        steps["reject"] = _step("success", f"not needed: {message}", work.now)
    sets: dict[str, Any] = {"cancelled": True, "reject_due": None}
    if sale.hold is not None and sale.hold.removed_at is None:
        sets.update({"hold.removed_at": work.now, "hold.removed_by": "marketplace"})
    work.update(steps=steps, sets=sets)


def _noted(work: _Work, n: SaleNotification) -> str:
    """News about an existing sale that concerns its delivery."""
    sale = work.sale()
    if sale is None:
        return "no sale"
    if n.event == "delivery_failed":
        work.update(
            steps={"fulfill": _step("error", f"{_name(work.marketplace_id)} refused the tickets", work.now)}
        )
    elif n.event == "retransfer":
        work.update(steps={"fulfill": _step("pending", "the buyer asks for the transfer again", work.now)})
    return n.event


# --- tasks: automatic rejection, a person's decision, a hold's expiry -------------------------------


def handle_task(deps: IonDeps, task: IonTask, owner: str, now: dt.datetime) -> str:
    """Handle one task (the sales worker, per queue message): a task that comes before it is due
    is sent again with the rest of its delay."""
    if task.due > now:
        deps.tasks.put(task, now)
        return "not due"
    work = _locked(deps, task.tenant_id, task.marketplace_id, task.order_id, owner, now)
    try:
        if task.kind == "expire_hold":
            return _expire(work)
        sale = work.sale()
        if sale is None:
            return "no sale"
        if sale.cancelled:
            return "cancelled"
        if task.kind == "auto_reject" and sale.decision is None:
            sale = _decide(work, "reject", "auto", _unavailable_reason(sale)) or work.sale() or sale
        return _carry_out(work, sale)
    finally:
        deps.orders.unlock(work.tenant_id, task.marketplace_id, task.order_id, owner)


def _unavailable_reason(sale: Sale) -> str:
    """Why the seats could not be invoiced, as the invoice step says it."""
    invoice = sale.processing.get("invoice")
    text = invoice.message.removeprefix("not invoiced: ") if invoice is not None else ""
    return text or "the seats are no longer available"


def _expire(work: _Work) -> str:
    inventory = work.inventory
    try:
        order = inventory.adapter.order(inventory.context, work.marketplace_id, work.order_id)
        if order is None or not order.expired(work.now):
            return "not expired"
        released = inventory.adapter.release(inventory.context, work.marketplace_id, work.order_id, "expired")
    except PosError as exc:
        if exc.transient:
            raise Retry(f"the POS did not answer: {exc.message}") from exc
        return f"not released: {exc.message}"
    steps, sets = released_changes(released, work.now)
    work.update(steps=steps, sets=sets, require={"hold.removed_at": None})
    return "expired"


# --- a person's decision (POST /v2/sales/confirm|reject) -------------------------------------------


def decide(
    deps: IonDeps,
    tenant_id: str,
    marketplace_id: int,
    order_id: str,
    action: Decision,
    reason: str,
    now: dt.datetime,
) -> Sale:
    """A person confirms or rejects an Instant Notification sale: decided now (unless decided
    already), carried out through the marketplace by the worker. Asking for what was already
    decided answers the sale; asking for the opposite is a Conflict."""
    sale = deps.sales.get(tenant_id, marketplace_id, order_id)
    if sale is None:
        raise NotFound(
            f"no sale {order_id} of marketplace {marketplace_id} in your account; GET /v2/sales?q={order_id}"
        )
    if sale.source != "ion":
        raise Conflict(
            f"sale {order_id} did not come by Instant Notification; an Order Integration sale is confirmed "
            "by its marketplace's invoice, and a sale you added is yours to update"
        )
    if sale.cancelled:
        raise Conflict(f"sale {order_id} was cancelled by the marketplace; there is nothing to {action}")
    verb = "confirming" if action == "confirm" else "rejecting"
    step: Step = "confirm" if action == "confirm" else "reject"
    pending = _step("pending", f"{verb} through {_name(marketplace_id)}: {reason or 'as you asked'}", now)
    decided = deps.sales.update(
        tenant_id,
        marketplace_id,
        order_id,
        steps={step: pending},
        sets={"decision": {"action": action, "by": "broker", "reason": reason, "at": now.isoformat()}},
        require={"decision": None},
    )
    if decided is None:
        current = deps.sales.get(tenant_id, marketplace_id, order_id) or sale
        decision = current.decision
        if decision is None or decision.action != action:
            raise Conflict(f"sale {order_id} was already {_decided(decision)}; it cannot be {action}ed now")
        done_already = current.confirmed if action == "confirm" else current.rejected
        if done_already:
            return current
        decided = current  # decided this way, not carried out yet (e.g. the marketplace was down)
    deps.tasks.put(
        IonTask(
            tenant_id=tenant_id, kind="decide", marketplace_id=marketplace_id, order_id=order_id, due=now
        ),
        now,
    )
    return decided


def _decided(decision: SaleDecision | None) -> str:
    if decision is None:
        return "decided"
    done = "confirmed" if decision.action == "confirm" else "rejected"
    by = {
        "tixpilot": "by TixPilot (the seats were invoiced)",
        "broker": "by you",
        "auto": "automatically",
        "marketplace": "on the marketplace",
    }[decision.by]
    return f"{done} {by} at {decision.at:%Y-%m-%d %H:%M:%S} UTC"


# --- holds (POST /ion/v1/holds, /ion/v1/holds/{id}/release) ------------------------------------------


def hold(deps: IonDeps, message: SaleMessage, now: dt.datetime) -> PosOrder:
    """Hold seats for an ION marketplace's order, binding or not as the marketplace's holds are."""
    n = message.notification
    owner = f"hold-{uuid.uuid4()}"
    try:
        work = _locked(deps, message.tenant_id, n.marketplace_id, n.order_id, owner, now)
    except Busy:
        raise Unavailable(f"order {n.order_id} is being processed; try again in a moment") from None
    try:
        if work.record.cancelled:
            raise Conflict(f"order {n.order_id} was cancelled; it cannot be held")
        try:
            held = _hold_for(work, n, message.credential_id, binding=binding_holds(n.marketplace_id))
        except PosError as exc:
            raise api_error(exc) from None
        if held.state == "released":
            raise Conflict(f"the hold of order {n.order_id} was released ({held.released_because})")
        return held
    finally:
        deps.orders.unlock(work.tenant_id, n.marketplace_id, n.order_id, owner)


def release_hold(
    deps: IonDeps, tenant_id: str, marketplace_id: int, order_id: str, now: dt.datetime
) -> PosOrder:
    """The marketplace gives the hold up: the seats are available again."""
    inventory = inventory_of(deps.inventory, tenant_id, now)
    try:
        order = inventory.adapter.release(inventory.context, marketplace_id, order_id, "marketplace")
    except PosError as exc:
        raise api_error(exc) from None
    steps, sets = released_changes(order, now)
    deps.sales.update(
        tenant_id, marketplace_id, order_id, steps=steps, sets=sets, require={"hold.removed_at": None}
    )
    return order
