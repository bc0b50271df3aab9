"""Marketplace orders in the tenant's inventory POS, as Order Integration and Instant
Notification both use them: which POS sells (the tenant setting `inventory_pos`), the sale an
order makes, and what its sale says once its hold is gone (released, expired, displaced).

The POS is the truth about seats (`adapters.pos.base.PosAdapter`: one transaction per change, no
seat held or sold twice); the sale in the sales table follows it. A sale write that a crash lost
is made again by the next call for the same order, since every POS call is idempotent per order.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from tixpilot.adapters.pos.base import (
    OrderConflict,
    PosAdapter,
    PosContext,
    PosError,
    PosOrder,
    SeatsUnavailable,
    UnknownOrder,
    UnknownTicketGroup,
)
from tixpilot.errors import Conflict, NotFound, TixPilotError, Unavailable, Unprocessable
from tixpilot.models.pos import BY_NAME
from tixpilot.models.sales import (
    CreateOutcome,
    DeliveryFormat,
    Hold,
    Sale,
    SaleDetails,
    SaleEvent,
    SalePrices,
    SaleSeat,
    SaleSource,
    Step,
    StepResult,
)
from tixpilot.models.tenants import Tenant
from tixpilot.services.sales import fingerprint

# How a ticket group's stock is delivered, when the marketplace does not say.
DELIVERY_OF_STOCK: dict[str, DeliveryFormat] = {
    "eticket": "eticket",
    "mobile": "mobileqr",
    "qr_screenshot": "mobileqr",
    "transfer": "transfer",
    "hard": "hard",
    "flash": "flash",
    "willcall": "willcall",
}


class TenantReader(Protocol):
    def get(self, tenant_id: str) -> Tenant | None: ...


class SaleWriter(Protocol):
    def get(self, tenant_id: str, marketplace_id: int, order_id: str) -> Sale | None: ...

    def create(self, sale: Sale, credential_hash: str | None) -> CreateOutcome: ...

    def update(
        self,
        tenant_id: str,
        marketplace_id: int,
        order_id: str,
        *,
        steps: Mapping[Step, StepResult] | None = None,
        sets: Mapping[str, Any] | None = None,
        require: Mapping[str, Any] | None = None,
        removes: tuple[str, ...] = (),
    ) -> Sale | None: ...


@dataclass(frozen=True)
class InventoryPorts:
    tenants: TenantReader
    adapter: Callable[[str], PosAdapter | None]  # by POS name (adapters.pos.registry.adapter_by_name)
    # The tenant's stored credentials for a POS (SkyBox), None when there are none.
    credentials: Callable[[str, str], Mapping[str, str] | None]


@dataclass(frozen=True)
class Inventory:
    """The POS a tenant's marketplaces sell from, and how to call it now."""

    pos: str  # its name in the POS table
    adapter: PosAdapter
    context: PosContext

    @property
    def sale_pos(self) -> str:
        """The POS as a sale names it (/v2/sales/add's `posused`)."""
        return BY_NAME[self.pos].posused or self.pos


def inventory_of(ports: InventoryPorts, tenant_id: str, now: dt.datetime) -> Inventory:
    """The tenant's inventory POS (`inventory_pos`, builtin unless set)."""
    tenant = ports.tenants.get(tenant_id)
    if tenant is None:
        raise NotFound("the account this key belongs to no longer exists")
    name = tenant.settings.inventory_pos
    adapter = ports.adapter(name)
    if adapter is None:
        raise Unprocessable(
            f"inventory_pos is {name}, which TixPilot cannot sell from yet; "
            "POST /v2/settings/update?inventory_pos=builtin"
        )
    credentials = ports.credentials(tenant_id, name) or {}
    return Inventory(pos=name, adapter=adapter, context=PosContext(tenant_id, now, credentials))


def api_error(exc: PosError) -> TixPilotError:
    """A POS refusal as the marketplace-facing API answers it."""
    if isinstance(exc, SeatsUnavailable | OrderConflict):
        return Conflict(exc.message)
    if isinstance(exc, UnknownTicketGroup | UnknownOrder):
        return NotFound(exc.message)
    if exc.transient:
        return Unavailable(f"the POS did not answer ({exc.message}); try again")
    return Unprocessable(f"the POS refused: {exc.message}")


def sale_from_order(
    order: PosOrder,
    *,
    tenant_id: str,
    pos: str,
    source: SaleSource,
    credential_id: str,
    now: dt.datetime,
    steps: dict[Step, StepResult],
    delivery_format: DeliveryFormat | None = None,
    event_name: str | None = None,
    event_date: dt.datetime | None = None,
) -> Sale:
    """The sale a marketplace order makes, from what the POS holds for it (what the marketplace
    said, where given, first)."""
    group = order.group
    starts_at = event_date or group.starts_at or now.replace(tzinfo=None, microsecond=0)
    starts_at = starts_at.replace(tzinfo=None)
    total = order.price_per_seat * len(order.seats)
    details = SaleDetails(
        marketplace_id=order.marketplace_id,
        order_id=order.order_id,
        credential_id=credential_id,
        pos=pos,
        delivery_format=delivery_format or DELIVERY_OF_STOCK.get(group.stock, "eticket"),
        sold_at=now,
        ticket_group_id=order.ticketgroupid,
        invoice_id=order.invoice_id,
        in_hand_date=starts_at.date(),
        confirmed=False,
        fulfilled=False,
        prices=SalePrices(
            list_perseat=order.price_per_seat,
            face_perseat=Decimal(0),
            cost_perseat=group.cost_perseat if group.cost_perseat is not None else Decimal(0),
            total=total,
            fees=Decimal(0),
            payout=total,
        ),
        event=SaleEvent(name=event_name or group.event, venue=group.venue, starts_at=starts_at),
        section=group.section,
        row=group.row,
        seats=[SaleSeat(number=s, seat_id=f"{order.ticketgroupid}-{s}") for s in order.seats],
    )
    return Sale(
        **details.model_dump(),
        tenant_id=tenant_id,
        source=source,
        hold=Hold(received=order.held_at),
        processing=steps,
        fingerprint=fingerprint(details),
        created=now,
        updated=now,
    )


def held_step(order: PosOrder, now: dt.datetime) -> StepResult:
    kind = "binding" if order.binding else "non-binding"
    return StepResult(
        status="success",
        message=f"held {len(order.seats)} seats ({kind}): {', '.join(order.seats)}",
        at=now,
    )


def release_message(order: PosOrder) -> str:
    """Why a released hold's seats are available again, as the broker reads it."""
    because = order.released_because
    if because == "expired":
        return "the hold expired before it was invoiced; the seats are available again"
    if because.startswith("displaced by "):
        marketplace, _, order_id = because.removeprefix("displaced by ").partition("#")
        return (
            f"a non-binding hold, removed for order {order_id} of marketplace {marketplace}; "
            "the seats went to that sale"
        )
    if because == "marketplace":
        return "released by the marketplace; the seats are available again"
    return f"released ({because}); the seats are available again"


def released_changes(order: PosOrder, now: dt.datetime) -> tuple[dict[Step, StepResult], dict[str, Any]]:
    """The steps and fields of the sale of an order whose hold was released."""
    message = release_message(order)
    steps: dict[Step, StepResult] = {
        "confirm": StepResult(status="error", message=message, at=now),
        "invoice": StepResult(status="error", message=f"not invoiced: {message}", at=now),
    }
    if order.released_because != "marketplace":
        steps["hold"] = StepResult(status="error", message=message, at=now)
    removed_by = "marketplace" if order.released_because == "marketplace" else order.released_because
    return steps, {"hold.removed_at": now, "hold.removed_by": removed_by}


def record_released(
    sales: SaleWriter, tenant_id: str, orders: tuple[PosOrder, ...], now: dt.datetime
) -> None:
    """Tell the sales of holds that are gone (expired, displaced) why."""
    for order in orders:
        steps, sets = released_changes(order, now)
        sales.update(
            tenant_id,
            order.marketplace_id,
            order.order_id,
            steps=steps,
            sets=sets,
            require={"hold.removed_at": None},
        )
