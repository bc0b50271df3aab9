"""Fulfillment (docs/fulfillment.md): deliver what was sold, and complete it in the POS.

A sale is queued by GET /v2/fulfill; the fulfillment worker takes it (one worker per sale at a
time, a lease) and makes an *attempt*: find what to deliver for the sale's seats (the POS's ticket
data: for the builtin POS what the crawl found on the primary, crawling it again when something
is missing), decide what to hand over by the sale's delivery format (services.delivery_plan),
and deliver it through the marketplace's adapter, or, for a marketplace without one (generic v1),
make it ready for the marketplace to read (GET /oi/v1/orders/{id}/tickets,
/ion/v1/sales/{id}/tickets). Every attempt and its outcome is recorded on the sale: the `fulfill`
step says where it stands ("attempt 3: ticket file is not available yet for seat 4; next attempt
at ..."), `Sale.fulfillment` keeps the attempts and what was delivered.

An attempt that did not deliver is tried again on 1Ticket's schedule
(services.fulfillment_schedule) until the sale is delivered or its event starts: the retry timer
(a Step Functions Wait) puts the sale back on the queue when due, with a token; a later request or
retry replaces the token, so a superseded timer finds nothing to do. The tenant's delivery delays
hold a delivery until so many hours before the event. Hard stock and will call are a person's
step; rotating barcodes are never delivered as screenshots.

POST /sales/v1/complete-sale queues `complete` messages: the sale is completed in its POS and the
`complete` step records the outcome. A delivery of a sale TixPilot invoiced (OI and ION sales)
completes it in the POS as well.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tixpilot.adapters.marketplaces.base import MarketplaceAdapter, MarketplaceError
from tixpilot.adapters.pos.base import PosError, SeatTickets, UnknownOrder
from tixpilot.adapters.primaries.base import PrimaryUnavailable
from tixpilot.models.delivery import DELIVERY_KINDS, DeliveryDelay, DeliveryKind
from tixpilot.models.fulfillment import (
    MAX_HISTORY,
    Attempt,
    AttemptOutcome,
    DeliveredSeat,
    DeliveryRecord,
    Fulfillment,
    FulfillmentMessage,
)
from tixpilot.models.marketplaces import (
    BarcodeDelivery,
    Delivery,
    PdfDelivery,
    QrDelivery,
    SeatBarcodes,
    TicketFile,
    TransferDelivery,
    file_type,
)
from tixpilot.models.pos import BY_NAME
from tixpilot.models.sales import Sale, StepResult, StepStatus
from tixpilot.models.tenants import TenantSettings
from tixpilot.services.delivery_plan import Deliver, Manual, Never, NotYet, Plan, plan_delivery
from tixpilot.services.fulfillment_schedule import RetrySchedule, next_attempt
from tixpilot.services.ion import Busy, Retry
from tixpilot.services.marketplace_keys import integration_of
from tixpilot.services.pos_orders import Inventory, InventoryPorts, SaleWriter, inventory_for_sale

LEASE_S = 120  # longer than the worker's timeout: a lease outlives only a worker that died

# A delivery format -> the kind of delivery it asks for, as delivery delays name them.
KIND_OF_FORMAT: dict[str, DeliveryKind] = {
    "eticket": "pdf",
    "barcode": "barcodes",
    "transfer": "transfer",
    "mobileqr": "qr",
}


class FulfillmentLocks(Protocol):
    def lock(
        self, tenant_id: str, marketplace_id: int, order_id: str, owner: str, now_s: int, lease_s: int
    ) -> bool: ...

    def unlock(self, tenant_id: str, marketplace_id: int, order_id: str, owner: str) -> None: ...


class RetryTimer(Protocol):
    def schedule(self, message: FulfillmentMessage, due: dt.datetime) -> None: ...


class DeliveryFiles(Protocol):
    def store_delivered(
        self, tenant_id: str, marketplace_id: int, order_id: str, seat: str, content: bytes
    ) -> str: ...


class CredentialStore(Protocol):
    def get(self, tenant_id: str, marketplace_id: int) -> Mapping[str, str] | None: ...


@dataclass(frozen=True)
class FulfillmentDeps:
    inventory: InventoryPorts
    sales: SaleWriter
    locks: FulfillmentLocks
    credentials: CredentialStore  # the tenants' credentials for the marketplaces' own APIs
    adapter_for: Callable[[int], MarketplaceAdapter | None]  # native adapters by resale id
    timer: RetryTimer
    files: DeliveryFiles
    # Look at the primary again for a builtin ticket group's tickets (services.tickets); None: never.
    refresh: Callable[[str, str], bool] | None = None
    schedule: RetrySchedule = RetrySchedule()  # noqa: RUF009 (frozen, shared safely)


def marketplace_name(marketplace_id: int) -> str:
    return integration_of(marketplace_id)[0]


def generic_tickets_path(marketplace_id: int, order_id: str) -> str:
    """Where a generic v1 marketplace reads a sale's delivered tickets."""
    if integration_of(marketplace_id)[1] == "oi":
        return f"GET /oi/v1/orders/{order_id}/tickets"
    return f"GET /ion/v1/sales/{order_id}/tickets"


def filled(sale: Sale) -> bool:
    """Delivered (or marked filled by complete-sale or sales/add): nothing more to deliver. A
    delivery the marketplace refused afterwards (StubHub's failed barcode validation) or a
    re-transfer it asks for sets the step back, and the sale can be delivered again."""
    step = sale.processing.get("fulfill")
    return sale.fulfilled and step is not None and step.status == "success"


def _utc(moment: dt.datetime) -> str:
    return f"{moment.astimezone(dt.UTC):%Y-%m-%d %H:%M:%S} UTC"


def _zone(settings: TenantSettings) -> ZoneInfo:
    try:
        return ZoneInfo(settings.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(TenantSettings().timezone)


def event_start(sale: Sale, settings: TenantSettings) -> dt.datetime:
    """When the event starts, as an aware time: the sale has the venue's wall-clock time; the
    venue's zone is not recorded, so the tenant's time zone stands in for it."""
    return sale.event.starts_at.replace(tzinfo=_zone(settings))


def delivery_delay(delays: list[DeliveryDelay], sale: Sale) -> DeliveryDelay | None:
    """The tenant's delay that applies to this sale: its marketplace's for the sale's kind of
    delivery, else its marketplace's for any kind."""
    kind = KIND_OF_FORMAT.get(sale.delivery_format)
    mine = [d for d in delays if d.marketplace_id == sale.marketplace_id]
    return next((d for d in mine if d.kind is not None and d.kind == kind), None) or next(
        (d for d in mine if d.kind is None), None
    )


# --- the worker ---------------------------------------------------------------------------------


@dataclass
class _Work:
    deps: FulfillmentDeps
    message: FulfillmentMessage
    now: dt.datetime

    @property
    def key(self) -> tuple[str, int, str]:
        m = self.message
        return m.tenant_id, m.marketplace_id, m.order_id

    @property
    def name(self) -> str:
        return marketplace_name(self.message.marketplace_id)

    def sale(self) -> Sale | None:
        return self.deps.sales.get(*self.key)

    def update(self, steps: Mapping[Any, StepResult], sets: Mapping[str, Any]) -> Sale | None:
        return self.deps.sales.update(*self.key, steps=steps, sets=sets)


def _locked(deps: FulfillmentDeps, message: FulfillmentMessage, owner: str, now: dt.datetime) -> _Work:
    work = _Work(deps, message, now)
    if not deps.locks.lock(*work.key, owner, int(now.timestamp()), LEASE_S):
        raise Busy(f"sale {message.order_id} of marketplace {message.marketplace_id} is being handled")
    return work


def handle(deps: FulfillmentDeps, message: FulfillmentMessage, owner: str, now: dt.datetime) -> str:
    """Handle one message of the fulfillment queue (the worker): deliver the sale, or complete it
    in the POS. Answers what it did; raises Retry when the message should come back later."""
    work = _locked(deps, message, owner, now)
    try:
        if message.kind == "complete":
            return _complete(work)
        return _fulfill(work)
    finally:
        deps.locks.unlock(*work.key, owner)


def _fulfill(work: _Work) -> str:
    sale = work.sale()
    if sale is None:
        return "no sale"
    state = sale.fulfillment or Fulfillment(requested_at=work.now)
    if work.message.schedule is not None and work.message.schedule != state.schedule:
        return "superseded"  # a later request or retry took over
    if filled(sale):
        return "filled already"
    if sale.rejected or sale.cancelled:
        why = "rejected" if sale.rejected else "cancelled by the marketplace"
        return _outcome(work, state, "impossible", f"not delivered: the sale was {why}", counts=False)
    tenant = work.deps.inventory.tenants.get(sale.tenant_id)
    settings = tenant.settings if tenant else TenantSettings()
    starts = event_start(sale, settings)
    if work.now >= starts:
        return _outcome(
            work,
            state,
            "given_up",
            f"not delivered: the event started at {_utc(starts)} after {state.attempts} attempts",
            counts=False,
        )
    delay = delivery_delay(settings.delivery_delays, sale)
    if delay is not None:
        not_before = starts - dt.timedelta(hours=delay.hours_before_event)
        if work.now < not_before:
            kind = f"{delay.kind} " if delay.kind else ""
            reason = (
                f"held until {_utc(not_before)}: you deliver {kind}to {work.name} {delay.hours_before_event} "
                "hours before the event (GET /v2/settings, delivery_delays)"
            )
            return _outcome(work, state, "held", reason, counts=False, due=not_before)
    adapter = work.deps.adapter_for(sale.marketplace_id)
    if adapter is not None and not sale.confirmed:
        return _retry(
            work, state, starts, sale, "waiting", f"waiting for the sale to be confirmed with {work.name}"
        )
    inventory = inventory_for_sale(work.deps.inventory, sale, work.now)
    if inventory is None:
        return _outcome(
            work,
            state,
            "manual",
            f"TixPilot cannot read tickets from {sale.pos}: deliver them on {work.name} yourself, then "
            "POST /sales/v1/complete-sale",
        )
    takes = adapter.deliveries if adapter is not None else frozenset(DELIVERY_KINDS)
    try:
        plan = _plan(work, inventory, sale, takes)
    except PosError as exc:
        words = "did not answer" if exc.transient else "refused"
        return _retry(work, state, starts, sale, "failed", f"the POS {words}: {exc.message}")
    if isinstance(plan, Manual):
        return _outcome(work, state, "manual", f"to do by you: {plan.reason}")
    if isinstance(plan, Never):
        return _outcome(work, state, "impossible", f"not delivered: {plan.reason}")
    if isinstance(plan, NotYet):
        return _retry(work, state, starts, sale, "waiting", plan.reason)
    return _deliver(work, state, starts, sale, inventory, adapter, plan)


def _plan(work: _Work, inventory: Inventory, sale: Sale, takes: frozenset[DeliveryKind]) -> Plan:
    """What to deliver; when something is missing and the tickets come from the crawl (the
    builtin POS), the primary is crawled again first."""
    seats = [s.number for s in sale.seats]

    def plan_now() -> Plan:
        tickets = inventory.adapter.ticket_data(inventory.context, sale.ticket_group_id, seats)
        return plan_delivery(sale.delivery_format, seats, tickets, takes, work.name)

    plan = plan_now()
    refresh = work.deps.refresh
    if isinstance(plan, NotYet) and refresh is not None and inventory.pos == "builtin":
        try:
            refreshed = refresh(sale.tenant_id, sale.ticket_group_id)
        except PrimaryUnavailable as exc:
            return NotYet(f"{plan.reason} (the primary could not be crawled: {exc})")
        if refreshed:
            plan = plan_now()
    return plan


def _files(inventory: Inventory, sale: Sale, seats: tuple[SeatTickets, ...]) -> list[TicketFile]:
    files = []
    for seat in seats:
        assert seat.file_ref is not None
        content = inventory.adapter.ticket_file(inventory.context, seat.file_ref)
        extension, content_type = file_type(content)
        files.append(
            TicketFile(
                content=content,
                seat=seat.seat,
                filename=f"{sale.order_id}-{seat.seat}.{extension}".replace("/", "_"),
                content_type=content_type,
            )
        )
    return files


def _delivery(plan: Deliver, sale: Sale, files: list[TicketFile]) -> Delivery:
    if plan.kind == "pdf":
        return PdfDelivery(files=files)
    if plan.kind == "qr":
        return QrDelivery(images=files)
    if plan.kind == "barcodes":
        return BarcodeDelivery(
            seats=[
                SeatBarcodes(seat=s.seat, row=sale.row or None, barcodes=list(s.barcodes)) for s in plan.seats
            ]
        )
    transfer = plan.seats[0].transfer
    assert transfer is not None
    return TransferDelivery(
        provider=transfer.provider,
        confirmation_number=transfer.confirmation_number,
        urls=[s.transfer.url for s in plan.seats if s.transfer is not None and s.transfer.url],
        provider_url=transfer.provider_url,
    )


def _what(plan: Deliver) -> str:
    count = len(plan.seats)
    return {
        "pdf": f"{count} ticket file{'s' if count > 1 else ''}",
        "qr": f"{count} QR screenshot{'s' if count > 1 else ''}",
        "barcodes": f"the barcodes of {count} seat{'s' if count > 1 else ''}",
        "transfer": f"the mobile transfer of {count} seat{'s' if count > 1 else ''}",
    }[plan.kind]


def _deliver(
    work: _Work,
    state: Fulfillment,
    starts: dt.datetime,
    sale: Sale,
    inventory: Inventory,
    adapter: MarketplaceAdapter | None,
    plan: Deliver,
) -> str:
    try:
        files = _files(inventory, sale, plan.seats) if plan.kind in ("pdf", "qr") else []
    except PosError as exc:
        return _retry(
            work, state, starts, sale, "failed", f"the ticket files could not be read: {exc.message}"
        )
    record = DeliveryRecord(
        kind=plan.kind,
        to="marketplace" if adapter is not None else "generic",
        seats=[
            DeliveredSeat(
                seat=s.seat,
                row=sale.row or None,
                barcodes=list(s.barcodes) if plan.kind == "barcodes" else [],
                transfer_url=s.transfer.url if plan.kind == "transfer" and s.transfer else None,
            )
            for s in plan.seats
        ],
        at=work.now,
    )
    if plan.kind == "transfer" and plan.seats[0].transfer is not None:
        transfer = plan.seats[0].transfer
        record = record.model_copy(
            update={
                "transfer_provider": transfer.provider,
                "transfer_confirmation": transfer.confirmation_number,
                "transfer_provider_url": transfer.provider_url,
            }
        )
    if adapter is None:
        # generic v1: the delivery is what the marketplace reads; the files as delivered are kept
        for seat, file in zip(record.seats, files, strict=False):
            seat.file_key = work.deps.files.store_delivered(
                sale.tenant_id, sale.marketplace_id, sale.order_id, seat.seat, file.content
            )
            seat.file_type = file.content_type
        where = generic_tickets_path(sale.marketplace_id, sale.order_id)
        done = f"{_what(plan)} ready for {work.name} at {where}"
    else:
        credentials = work.deps.credentials.get(sale.tenant_id, sale.marketplace_id)
        if not credentials:
            return _retry(
                work,
                state,
                starts,
                sale,
                "refused",
                f"no credentials for {work.name}'s API: tixpilot marketplace-credentials set "
                f"--marketplace-id {sale.marketplace_id}",
            )
        try:
            adapter.deliver(credentials, sale.order_id, _delivery(plan, sale, files))
        except MarketplaceError as exc:
            if exc.transient:
                return _retry(
                    work, state, starts, sale, "failed", f"{work.name} did not answer: {exc.message}"
                )
            return _retry(work, state, starts, sale, "refused", f"{work.name} refused: {exc.message}")
        done = f"delivered {_what(plan)} to {work.name}"
    outcome = _outcome(work, state, "delivered", done, delivered=record)
    if sale.source in ("oi", "ion"):  # TixPilot invoiced it: the POS learns it is fulfilled
        _complete_in_pos(work, sale, inventory, retry=False)
    return outcome


def _retry(
    work: _Work, state: Fulfillment, starts: dt.datetime, sale: Sale, outcome: AttemptOutcome, reason: str
) -> str:
    """An attempt that did not deliver: the next on the schedule, or given up when the event
    starts before it."""
    started = state.started_at or work.now
    due = next_attempt(
        now=work.now,
        started=started,
        event_starts=starts,
        in_hand=sale.in_hand_date,
        schedule=work.deps.schedule,
    )
    if due is None:
        reason += f"; not tried again: the event starts at {_utc(starts)}"
        return _outcome(work, state, outcome, reason, status="error")
    return _outcome(
        work, state, outcome, reason, due=due, status="error" if outcome != "waiting" else "pending"
    )


_STATUS_OF: dict[AttemptOutcome, StepStatus] = {
    "delivered": "success",
    "impossible": "error",
    "given_up": "error",
}


def _outcome(
    work: _Work,
    state: Fulfillment,
    outcome: AttemptOutcome,
    reason: str,
    *,
    counts: bool = True,
    due: dt.datetime | None = None,
    status: StepStatus | None = None,
    delivered: DeliveryRecord | None = None,
) -> str:
    """Record an attempt (or, `counts=False`, a decision that is not one) on the sale: the step,
    the history, and the next attempt, scheduled on the retry timer."""
    number = state.attempts + 1 if counts else 0
    message = f"attempt {number}: {reason}" if counts else reason
    if due is not None:
        message += f"; next attempt at {_utc(due)}"
    token = uuid.uuid4().hex if due is not None else None
    history = [*state.history, Attempt(number=number, at=work.now, outcome=outcome, message=message)]
    updated = state.model_copy(
        update={
            "started_at": state.started_at or (work.now if counts else None),
            "attempts": state.attempts + int(counts),
            "history": history[-MAX_HISTORY:],
            "next_at": due,
            "schedule": token,
            "delivered": delivered or state.delivered,
        }
    )
    if status is None:
        status = _STATUS_OF.get(outcome, "pending")
    sets: dict[str, Any] = {"fulfillment": updated.model_dump(mode="json")}
    if delivered is not None:
        sets["fulfilled"] = True
    work.update({"fulfill": StepResult(status=status, message=message, at=work.now)}, sets)
    if due is not None and token is not None:
        work.deps.timer.schedule(work.message.model_copy(update={"schedule": token, "kind": "fulfill"}), due)
    return outcome


# --- completion in the POS ------------------------------------------------------------------------


def _complete(work: _Work) -> str:
    sale = work.sale()
    if sale is None:
        return "no sale"
    inventory = inventory_for_sale(work.deps.inventory, sale, work.now)
    if inventory is None:
        step = StepResult(
            status="error",
            message=f"TixPilot cannot complete sales in {sale.pos}: mark it fulfilled there",
            at=work.now,
        )
        work.update({"complete": step}, {})
        return "not completed"
    return _complete_in_pos(work, sale, inventory, retry=True)


def _complete_in_pos(work: _Work, sale: Sale, inventory: Inventory, *, retry: bool) -> str:
    """Complete the sale's order in its POS and record the `complete` step. A POS that does not
    answer: the message comes back later (`retry`), or the step says to ask again."""
    title = BY_NAME[inventory.pos].title if inventory.pos in BY_NAME else inventory.pos
    status: Literal["success", "error"] = "success"
    try:
        order = inventory.adapter.complete(inventory.context, sale.marketplace_id, sale.order_id)
        message = f"completed in {title}" + (f" (invoice {order.invoice_id})" if order.invoice_id else "")
    except UnknownOrder:
        status = "error"
        message = (
            f"{title} has no invoice for order {sale.order_id} (a sale added with POST /v2/sales/add is not "
            "invoiced there): nothing to complete"
        )
    except PosError as exc:
        if exc.transient and retry:
            waiting = StepResult(
                status="pending", message=f"{title} did not answer; trying again", at=work.now
            )
            work.update({"complete": waiting}, {})
            raise Retry(f"{title} did not answer: {exc.message}") from exc
        status, message = "error", f"{title} refused: {exc.message}"
        if exc.transient:
            message = f"{title} did not answer ({exc.message}); POST /sales/v1/complete-sale to try again"
    work.update({"complete": StepResult(status=status, message=message, at=work.now)}, {})
    return "completed" if status == "success" else "not completed"
