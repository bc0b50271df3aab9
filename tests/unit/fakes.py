"""Small in-memory stand-ins for the repositories, for unit tests of the services."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from collections import defaultdict
from collections.abc import Mapping

from tixpilot.adapters.marketplaces.base import MarketplaceError
from tixpilot.adapters.pos.base import (
    HoldOutcome,
    HoldRequest,
    OrderConflict,
    PosContext,
    PosError,
    PosOrder,
    SeatsUnavailable,
    TicketGroupInfo,
    UnknownOrder,
    UnknownTicketGroup,
)
from tixpilot.errors import Conflict
from tixpilot.models.domains import Domain
from tixpilot.models.ion import IonOrder
from tixpilot.models.marketplace_credentials import SellerAccount
from tixpilot.models.marketplaces import MarketplaceSale
from tixpilot.models.receipts import Receipt
from tixpilot.models.sales import CreateOutcome, Sale, Step, StepResult
from tixpilot.models.tenants import Credential, Tenant


class FakeCredentials:
    def __init__(self) -> None:
        self.rows: dict[str, Credential] = {}

    def get(self, token_hash: str) -> Credential | None:
        return self.rows.get(token_hash)

    def put(self, token_hash: str, credential: Credential) -> None:
        assert token_hash not in self.rows
        self.rows[token_hash] = credential

    def of_tenant(self, tenant_id: str) -> list[tuple[str, Credential]]:
        return [(h, c) for h, c in self.rows.items() if c.tenant_id == tenant_id]

    def delete(self, token_hash: str) -> None:
        self.rows.pop(token_hash, None)


class FakeTenants:
    def __init__(self) -> None:
        self.rows: dict[str, Tenant] = {}

    def get(self, tenant_id: str) -> Tenant | None:
        return self.rows.get(tenant_id)

    def create(self, tenant: Tenant) -> None:
        assert tenant.tenant_id not in self.rows
        self.rows[tenant.tenant_id] = tenant


class FakeDomains:
    def __init__(self) -> None:
        self.rows: dict[str, Domain] = {}

    def add(self, domain: Domain) -> None:
        if domain.domain in self.rows:
            raise Conflict(f"the domain {domain.domain} is already registered")
        self.rows[domain.domain] = domain

    def owner_of(self, domain: str) -> Domain | None:
        return self.rows.get(domain)


class FakeSequences:
    def __init__(self) -> None:
        self.counters: dict[str, itertools.count[int]] = defaultdict(lambda: itertools.count(1))

    def next(self, name: str) -> int:
        return next(self.counters[name])


class FakeReceipts:
    def __init__(self) -> None:
        self.first: dict[tuple[str, str], Receipt] = {}
        self.duplicates: list[Receipt] = []

    def add_first(self, receipt: Receipt) -> bool:
        key = (receipt.tenant_id, receipt.message_id)
        if key in self.first and self.first[key].transport_id != receipt.transport_id:
            return False  # the same delivery again (a retry) is not a duplicate
        self.first[key] = receipt
        return True

    def add_duplicate(self, receipt: Receipt) -> None:
        self.duplicates.append(receipt)

    def save(self, receipt: Receipt) -> None:
        self.first[(receipt.tenant_id, receipt.message_id)] = receipt


class FakeForwarders:
    """Trusted forwarders by (tenant, address)."""

    def __init__(self, *trusted: tuple[str, str]) -> None:
        self.trusted = {(tenant, address.lower()) for tenant, address in trusted}

    def is_trusted(self, tenant_id: str, address: str) -> bool:
        return (tenant_id, address.lower()) in self.trusted


class FakeSellerAccounts:
    """Marketplace credentials by (tenant, marketplace), with the account-key lookup and the
    one-tenant-per-account rule of the real repository (no encryption: nothing is persisted)."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, int], tuple[dict[str, str], str]] = {}

    def get(self, tenant_id: str, marketplace_id: int) -> dict[str, str] | None:
        row = self.rows.get((tenant_id, marketplace_id))
        return dict(row[0]) if row else None

    def put(
        self, tenant_id: str, marketplace_id: int, credentials: Mapping[str, str], account_key: str
    ) -> None:
        for (other, market), (_, key) in self.rows.items():
            if market == marketplace_id and key == account_key and other != tenant_id:
                raise Conflict(f"this marketplace {marketplace_id} account is already another tenant's")
        self.rows[(tenant_id, marketplace_id)] = (dict(credentials), account_key)

    def find_by_account(self, marketplace_id: int, account_key: str) -> SellerAccount | None:
        for (tenant_id, market), (credentials, key) in self.rows.items():
            if market == marketplace_id and key == account_key:
                return SellerAccount(tenant_id, marketplace_id, dict(credentials))
        return None

    def tenants_of(self, marketplace_id: int) -> list[str]:
        return sorted(tenant for tenant, market in self.rows if market == marketplace_id)


# --- selling: sales, the inventory POS, Instant Notification's records and queues ----------------


def _path_get(data: dict, dotted: str) -> object:
    for part in dotted.split("."):
        if not isinstance(data, dict) or part not in data:
            return None
        data = data[part]
    return data


def _path_set(data: dict, dotted: str, value: object) -> None:
    *parents, last = dotted.split(".")
    for part in parents:
        data = data.setdefault(part, {})
    if value is None:
        data.pop(last, None)
    else:
        data[last] = value


class FakeSales:
    """The sales repository's create/get/update, with its conditions."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, int, str], dict] = {}
        self.creates = 0

    def get(self, tenant_id: str, marketplace_id: int, order_id: str) -> Sale | None:
        row = self.rows.get((tenant_id, marketplace_id, order_id))
        return Sale.model_validate(row) if row else None

    def create(self, sale: Sale, credential_hash: str | None) -> CreateOutcome:
        key = (sale.tenant_id, sale.marketplace_id, sale.order_id)
        if key in self.rows:
            return "exists"
        self.creates += 1
        self.rows[key] = sale.model_dump(mode="json")
        return "created"

    def update(
        self,
        tenant_id: str,
        marketplace_id: int,
        order_id: str,
        *,
        steps: Mapping[Step, StepResult] | None = None,
        sets: Mapping[str, object] | None = None,
        require: Mapping[str, object] | None = None,
        removes: tuple[str, ...] = (),
    ) -> Sale | None:
        row = self.rows.get((tenant_id, marketplace_id, order_id))
        if row is None:
            return None
        for name, expected in (require or {}).items():
            if _path_get(row, name) != expected:
                return None
        for name, step in (steps or {}).items():
            row.setdefault("processing", {})[name] = step.model_dump(mode="json")
        for name, value in (sets or {}).items():
            _path_set(row, name, value.isoformat() if isinstance(value, dt.datetime) else value)
        for name in removes:
            _path_set(row, name, None)
        return Sale.model_validate(row)


class FakeOrderLocks:
    """Instant Notification's per-order records, with the lease."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, int, str], dict] = {}

    def _row(self, tenant_id: str, marketplace_id: int, order_id: str) -> dict:
        return self.rows.setdefault((tenant_id, marketplace_id, order_id), {"events": set()})

    def _record(self, key: tuple[str, int, str], row: dict) -> IonOrder:
        return IonOrder(
            tenant_id=key[0],
            marketplace_id=key[1],
            order_id=key[2],
            events=set(row["events"]),
            cancelled=row.get("cancelled", False),
            received_at=row.get("received_at"),
        )

    def get(self, tenant_id: str, marketplace_id: int, order_id: str) -> IonOrder | None:
        key = (tenant_id, marketplace_id, order_id)
        return self._record(key, self.rows[key]) if key in self.rows else None

    def note_received(self, tenant_id: str, marketplace_id: int, order_id: str, at: dt.datetime) -> None:
        self._row(tenant_id, marketplace_id, order_id).setdefault("received_at", at)

    def lock(
        self,
        tenant_id: str,
        marketplace_id: int,
        order_id: str,
        owner: str,
        now_s: int,
        lease_s: int,
        received_at: dt.datetime | None = None,
    ) -> IonOrder | None:
        row = self._row(tenant_id, marketplace_id, order_id)
        if received_at is not None:
            row.setdefault("received_at", received_at)
        if row.get("owner") not in (None, owner) and row.get("until", 0) >= now_s:
            return None
        row.update(owner=owner, until=now_s + lease_s)
        return self._record((tenant_id, marketplace_id, order_id), row)

    def unlock(
        self,
        tenant_id: str,
        marketplace_id: int,
        order_id: str,
        owner: str,
        *,
        handled: str | None = None,
        cancelled: bool = False,
    ) -> None:
        row = self._row(tenant_id, marketplace_id, order_id)
        if handled:
            row["events"].add(handled)
        if cancelled:
            row["cancelled"] = True
        if row.get("owner") == owner:
            row.pop("owner", None)
            row.pop("until", None)


class FakeQueue:
    """What was put on a queue, in order."""

    def __init__(self) -> None:
        self.items: list[object] = []

    def put(self, item: object, now: dt.datetime | None = None) -> None:
        self.items.append(item)


class FakePos:
    """An inventory POS's selling side in memory: ticket groups of seats, one order per
    (marketplace, order), holds and invoices that never share a seat. `down` makes every call fail
    as a POS that does not answer."""

    name = "builtin"

    def __init__(self) -> None:
        self.seats: dict[str, dict[str, str | None]] = {}  # tgid -> seat -> holding order key or None
        self.orders: dict[tuple[int, str], PosOrder] = {}
        self.down = False

    def add_group(self, tgid: str, seats: list[str]) -> None:
        self.seats[tgid] = dict.fromkeys(seats)

    def _check(self) -> None:
        if self.down:
            raise PosError("the POS did not answer", transient=True)

    def hold(self, context: PosContext, request: HoldRequest) -> HoldOutcome:
        self._check()
        key = (request.marketplace_id, request.order_id)
        if key in self.orders:
            return HoldOutcome(order=self.orders[key], created=False)
        group = self.seats.get(request.ticketgroupid)
        if group is None:
            raise UnknownTicketGroup(f"no ticket group {request.ticketgroupid}")
        free = [seat for seat, holder in group.items() if holder is None]
        if len(free) < request.quantity:
            raise SeatsUnavailable(f"ticket group {request.ticketgroupid} has {len(free)} available seats")
        taken = tuple(free[: request.quantity])
        for seat in taken:
            group[seat] = f"{key}"
        order = PosOrder(
            marketplace_id=request.marketplace_id,
            order_id=request.order_id,
            ticketgroupid=request.ticketgroupid,
            seats=taken,
            price_per_seat=request.price_per_seat,
            state="held",
            binding=request.binding,
            held_at=context.now,
            expires_at=request.expires_at,
            group=TicketGroupInfo(event="Sugarland", venue="Smart Financial Centre", section="101", row="C"),
        )
        self.orders[key] = order
        return HoldOutcome(order=order, created=True)

    def order(self, context: PosContext, marketplace_id: int, order_id: str) -> PosOrder | None:
        self._check()
        return self.orders.get((marketplace_id, order_id))

    def invoice(self, context: PosContext, marketplace_id: int, order_id: str) -> PosOrder:
        self._check()
        order = self.orders.get((marketplace_id, order_id))
        if order is None:
            raise UnknownOrder(f"no order {order_id}")
        if order.state == "released":
            raise OrderConflict(f"order {order_id} was released")
        order = dataclasses.replace(order, state="invoiced", invoice_id=f"INV-{marketplace_id}-{order_id}")
        self.orders[(marketplace_id, order_id)] = order
        return order

    def release(self, context: PosContext, marketplace_id: int, order_id: str, because: str) -> PosOrder:
        self._check()
        order = self.orders.get((marketplace_id, order_id))
        if order is None:
            raise UnknownOrder(f"no order {order_id}")
        if order.state == "invoiced":
            raise OrderConflict(f"order {order_id} is invoiced")
        if order.state == "held":
            for seat in order.seats:
                self.seats[order.ticketgroupid][seat] = None
            order = dataclasses.replace(order, state="released", released_because=because)
            self.orders[(marketplace_id, order_id)] = order
        return order

    def sold(self) -> dict[tuple[str, str], list[str]]:
        """(ticket group, seat) -> the orders that invoiced it."""
        sold: dict[tuple[str, str], list[str]] = defaultdict(list)
        for order in self.orders.values():
            if order.state == "invoiced":
                for seat in order.seats:
                    sold[(order.ticketgroupid, seat)].append(order.order_id)
        return sold


class FakeMarketplace:
    """A native marketplace adapter's outbound side: records confirm/reject calls; `fail` holds the
    errors the next calls raise, in order."""

    def __init__(self, marketplace_id: int = 1) -> None:
        self.marketplace_id = marketplace_id
        self.calls: list[tuple[str, str]] = []
        self.fail: list[MarketplaceError] = []
        self.sales: dict[str, MarketplaceSale] = {}

    def _maybe_fail(self) -> None:
        if self.fail:
            raise self.fail.pop(0)

    def confirm(self, credentials: Mapping[str, str], order_id: str, seats: list[str]) -> None:
        self._maybe_fail()
        self.calls.append(("confirm", order_id))

    def reject(self, credentials: Mapping[str, str], order_id: str, reason: str, notes: str = "") -> None:
        self._maybe_fail()
        self.calls.append(("reject", order_id))

    def get_sale(self, credentials: Mapping[str, str], order_id: str) -> MarketplaceSale:
        self._maybe_fail()
        self.calls.append(("get_sale", order_id))
        return self.sales[order_id]
