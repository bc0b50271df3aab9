"""What the fake SkyBox knows and does: accounts, the event catalogue, purchases with their
inventory and tickets, holds, invoices and ticket files, behind one lock.

Behaviour where SkyBox's documentation is silent, decided here (docs/skybox.md says why):
- a hold takes `quantity` free seats of the inventory: from `lowSeat` up, consecutive, when it is
  given, else the lowest free ones; none free enough = 400. Its `seats` is the seat numbers,
  comma-separated ("5,6"). A hold past its `expiryDate` is gone: its seats are free again.
- deleting a hold that is already gone (deleted, expired or invoiced) answers it unchanged.
- invoicing a held ticket needs `force=true`; the hold then loses that ticket (and is gone once
  it has none). A sold ticket cannot be invoiced again.
- `Line.amount` is the line's total; `Inventory.cost` and `faceValue` are per ticket.
"""

from __future__ import annotations

import base64
import datetime as dt
import itertools
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from infra.local.skybox_fake import models

ACCOUNT_MARKETPLACES = models.Marketplace.__args__  # type: ignore[attr-defined]


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def iso(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


class Refused(Exception):
    """An answer other than 200: `status` and the body."""

    def __init__(self, status: int, message: str, violations: list[dict[str, str]] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.body: Any = violations if violations is not None else {"message": message}


def invalid(message: str) -> Refused:
    return Refused(400, message)


@dataclass
class Account:
    id: int
    api_token: str
    application_token: str
    vendors: dict[int, str]  # id -> display name
    cards: set[int]
    customers: dict[int, str]  # id -> display name
    default_customers: dict[str, int]  # SkyBox marketplace -> customer id


@dataclass
class Event:
    id: int
    name: str
    venue: str
    date: dt.datetime  # the venue's wall-clock time, as SkyBox shows event dates
    city: str = ""
    state: str = ""

    def view(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "date": self.date.replace(tzinfo=None).isoformat(),
            "venue": {"id": 700000 + self.id, "name": self.venue, "city": self.city, "state": self.state},
        }


@dataclass
class TicketRec:
    id: int
    account_id: int
    inventory_id: int
    seat_number: int
    section: str
    row: str
    cost: float
    face_value: float
    sell_price: float
    stock_type: str
    event_id: int | None
    status: str = "AVAILABLE"
    bar_code: str | None = None
    external_ticket_id: str | None = None
    file_name: str | None = None
    purchase_line_id: int | None = None
    invoice_line_id: int | None = None

    def view(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "seatNumber": self.seat_number,
            "section": self.section,
            "row": self.row,
            "cost": self.cost,
            "faceValue": self.face_value,
            "sellPrice": self.sell_price,
            "stockType": self.stock_type,
            "status": self.status,
            "barCode": self.bar_code,
            "externalTicketId": self.external_ticket_id,
            "fileName": self.file_name,
            "inventoryId": self.inventory_id,
            "purchaseLineId": self.purchase_line_id,
            "invoiceLineId": self.invoice_line_id,
            "eventId": self.event_id,
            "accountId": self.account_id,
        }


@dataclass
class InventoryRec:
    id: int
    account_id: int
    purchase_id: int
    exchange_pos_id: int
    body: dict[str, Any]  # the Inventory as received (JSON names)
    ticket_ids: list[int]
    mapping_id: int | None = None
    created: dt.datetime = field(default_factory=now)


@dataclass
class PurchaseRec:
    id: int
    account_id: int
    body: dict[str, Any]
    total: float
    created: dt.datetime = field(default_factory=now)


@dataclass
class HoldRec:
    id: int
    account_id: int
    inventory_id: int
    ticket_ids: list[int]
    expiry: dt.datetime
    customer_id: int | None
    external_ref: str | None
    notes: str | None
    created: dt.datetime = field(default_factory=now)
    removed: dt.datetime | None = None

    def active(self, at: dt.datetime) -> bool:
        return self.removed is None and self.expiry > at and bool(self.ticket_ids)


@dataclass
class InvoiceRec:
    id: int
    account_id: int
    body: dict[str, Any]
    lines: list[dict[str, Any]]
    fulfillment_status: str
    payment_status: str
    status: str | None = None
    fulfillment_date: dt.datetime | None = None
    created: dt.datetime = field(default_factory=now)


def _present(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


class SkyBoxStore:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._ids = itertools.count(100001)
        self.accounts: dict[int, Account] = {}
        self.events: dict[int, Event] = {}
        self.purchases: dict[int, PurchaseRec] = {}
        self.inventory: dict[int, InventoryRec] = {}
        self.tickets: dict[int, TicketRec] = {}
        self.holds: dict[int, HoldRec] = {}
        self.invoices: dict[int, InvoiceRec] = {}
        self.files: dict[str, bytes] = {}

    def next_id(self) -> int:
        with self.lock:
            return next(self._ids)

    # -- set-up (the control endpoints) ---------------------------------------------------------

    def add_account(self, account_id: int | None, api_token: str, application_token: str) -> Account:
        with self.lock:
            number = account_id or self.next_id()
            if number in self.accounts:
                raise Refused(409, f"account {number} exists")
            customers = {self.next_id(): f"{m.title()} (marketplace)" for m in ACCOUNT_MARKETPLACES}
            account = Account(
                id=number,
                api_token=api_token,
                application_token=application_token,
                vendors={self.next_id(): "Ticketmaster"},
                cards={self.next_id()},
                customers=customers,
                default_customers=dict(zip(ACCOUNT_MARKETPLACES, customers, strict=True)),
            )
            self.accounts[number] = account
            return account

    def account_view(self, account: Account) -> dict[str, Any]:
        return {
            "account_id": account.id,
            "vendor_id": next(iter(account.vendors)),
            "credit_card_id": next(iter(account.cards)),
            "customers": dict(account.default_customers),
        }

    def add_event(self, name: str, venue: str, date: dt.datetime, city: str = "", state: str = "") -> Event:
        with self.lock:
            event = Event(self.next_id(), name, venue, date.replace(tzinfo=None), city, state)
            self.events[event.id] = event
            return event

    def authenticate(self, account: str, api_token: str, application_token: str) -> Account | None:
        with self.lock:
            found = self.accounts.get(int(account)) if account.isdigit() else None
        if found is None or found.api_token != api_token or found.application_token != application_token:
            return None
        return found

    def attach(
        self, account: Account, ticket_id: int, bar_code: str | None, pdf: bytes | None
    ) -> dict[str, Any]:
        """A barcode or a PDF put on a ticket, as a broker does in SkyBox."""
        with self.lock:
            ticket = self._ticket(account, ticket_id)
            if bar_code is not None:
                ticket.bar_code = bar_code
            if pdf is not None:
                ticket.file_name = f"t{ticket.id}.pdf"
                self.files[ticket.file_name] = pdf
            return ticket.view()

    # -- events ---------------------------------------------------------------------------------

    def search_events(self, params: dict[str, list[str]]) -> list[dict[str, Any]]:
        term = _one(params, "event").lower()
        venue = _one(params, "venue").lower()
        ids = {int(v) for v in params.get("eventId", []) if v.isdigit()}
        start, end = _day(_one(params, "eventDateFrom")), _day(_one(params, "eventDateTo"))
        limit = _int(params, "limit", 50)
        if limit > 1000:
            raise invalid("limit: at most 1000 events per page")
        with self.lock:
            events = sorted(self.events.values(), key=lambda e: e.id)
        found = [
            e.view()
            for e in events
            if (not term or term in e.name.lower())
            and (not venue or venue in e.venue.lower())
            and (not ids or e.id in ids)
            and (start is None or e.date.date() >= start)
            and (end is None or e.date.date() <= end)
        ]
        return found[:limit]

    def get_event(self, event_id: int) -> dict[str, Any]:
        with self.lock:
            event = self.events.get(event_id)
        if event is None:
            raise Refused(404, f"event {event_id} not found")
        return event.view()

    # -- purchases ------------------------------------------------------------------------------

    def create_purchase(
        self, account: Account, purchase: models.Purchase, raw: dict[str, Any]
    ) -> dict[str, Any]:
        with self.lock:
            if purchase.vendor_id not in account.vendors:
                raise invalid(f"vendorId {purchase.vendor_id}: no such vendor in account {account.id}")
            if purchase.credit_card_id is not None and purchase.credit_card_id not in account.cards:
                raise invalid(f"creditCardId {purchase.credit_card_id}: no such card in account {account.id}")
            for n, line in enumerate(purchase.lines):
                if line.account_id != account.id:
                    raise invalid(
                        f"lines[{n}].accountId {line.account_id} is not this account ({account.id})"
                    )
                inventory = line.inventory
                if (
                    inventory is not None
                    and inventory.event_id is not None
                    and inventory.event_id not in self.events
                ):
                    raise invalid(f"lines[{n}].inventory.eventId {inventory.event_id}: event not found")
                if inventory is not None:
                    _seat_numbers(inventory, f"lines[{n}].inventory")  # refuses before anything is stored
            purchase_id = self.next_id()
            body = dict(raw)
            lines = []
            for line, raw_line in zip(purchase.lines, raw["lines"], strict=True):
                line_id = self.next_id()
                shown = {**raw_line, "id": line_id, "lineType": raw_line.get("lineType") or "PURCHASE"}
                if line.inventory is not None:
                    stock = self._add_inventory(
                        account, purchase_id, line_id, line.inventory, raw_line["inventory"]
                    )
                    shown["inventoryIds"] = [stock.id]
                    shown["inventory"] = self._inventory_view(stock)
                lines.append(shown)
            body.update(
                id=purchase_id,
                accountId=account.id,
                lines=lines,
                paymentStatus=body.get("paymentStatus") or "UNPAID",
                createdDate=iso(now()),
            )
            record = PurchaseRec(purchase_id, account.id, body, sum(line.amount for line in purchase.lines))
            self.purchases[purchase_id] = record
            return dict(body)

    def _add_inventory(
        self,
        account: Account,
        purchase_id: int,
        line_id: int,
        inventory: models.Inventory,
        raw: dict[str, Any],
    ) -> InventoryRec:
        record = InventoryRec(
            id=self.next_id(),
            account_id=account.id,
            purchase_id=purchase_id,
            exchange_pos_id=self.next_id(),
            body=dict(raw),
            ticket_ids=[],
            mapping_id=self.next_id() if inventory.event_id is None else None,
        )
        given = {t.seat_number: t for t in inventory.tickets or []}
        for seat in _seat_numbers(inventory, "inventory"):
            ticket = TicketRec(
                id=self.next_id(),
                account_id=account.id,
                inventory_id=record.id,
                seat_number=seat,
                section=inventory.section,
                row=inventory.row,
                cost=inventory.cost,
                face_value=inventory.face_value or 0.0,
                sell_price=inventory.list_price or 0.0,
                stock_type=inventory.stock_type,
                event_id=inventory.event_id,
                purchase_line_id=line_id,
            )
            if seat in given:
                ticket.bar_code = given[seat].bar_code
                ticket.external_ticket_id = given[seat].external_ticket_id
                if given[seat].base64_file_bytes:
                    ticket.file_name = f"t{ticket.id}.pdf"
                    self.files[ticket.file_name] = base64.b64decode(given[seat].base64_file_bytes or "")
            self.tickets[ticket.id] = ticket
            record.ticket_ids.append(ticket.id)
        self.inventory[record.id] = record
        return record

    def search_purchases(self, account: Account, params: dict[str, list[str]]) -> list[dict[str, Any]]:
        ids = _ints(params, "id")
        ref = _one(params, "externalRef")
        vendor = _one(params, "vendorId")
        inventory_id = _one(params, "inventoryId")
        with self.lock:
            found = []
            for p in sorted(self.purchases.values(), key=lambda p: p.id):
                if p.account_id != account.id or (ids and p.id not in ids):
                    continue
                if ref and p.body.get("externalRef") != ref:
                    continue
                if vendor and str(p.body.get("vendorId")) != vendor:
                    continue
                inventories = [i for i in self.inventory.values() if i.purchase_id == p.id]
                if inventory_id and not any(str(i.id) == inventory_id for i in inventories):
                    continue
                first = inventories[0].body if inventories else {}
                found.append(
                    {
                        **p.body,
                        "displayName": account.vendors.get(int(p.body["vendorId"]), ""),
                        "quantity": sum(len(i.ticket_ids) for i in inventories),
                        "section": first.get("section"),
                        "row": first.get("row"),
                        "eventName": self._event_name(first),
                        "total": p.total,
                    }
                )
            return found[: _int(params, "limit", 100)]

    def get_purchase(self, account: Account, purchase_id: int) -> dict[str, Any]:
        with self.lock:
            p = self.purchases.get(purchase_id)
            if p is None or p.account_id != account.id:
                raise Refused(404, f"purchase {purchase_id} not found")
            return dict(p.body)

    # -- inventory ------------------------------------------------------------------------------

    def _inventory_view(self, record: InventoryRec, tickets: bool = True) -> dict[str, Any]:
        at = now()
        held = {
            t
            for h in self.holds.values()
            if h.inventory_id == record.id and h.active(at)
            for t in h.ticket_ids
        }
        states = [self.tickets[t].status for t in record.ticket_ids]
        available = [t for t in record.ticket_ids if self.tickets[t].status == "AVAILABLE" and t not in held]
        status = "AVAILABLE" if available else ("ON_HOLD" if held else "DEPLETED")
        view = {
            **record.body,
            "id": record.id,
            "accountId": record.account_id,
            "exchangePosId": record.exchange_pos_id,
            "mappingId": record.mapping_id,
            "quantity": states.count("AVAILABLE"),
            "status": status,
            "filesUploaded": any(self.tickets[t].file_name for t in record.ticket_ids),
            "barCodesEntered": any(self.tickets[t].bar_code for t in record.ticket_ids),
            "createdDate": iso(record.created),
        }
        view.pop("tickets", None)
        if tickets:
            view["tickets"] = [self.tickets[t].view() for t in record.ticket_ids]
        return view

    def search_inventory(self, account: Account, params: dict[str, list[str]]) -> list[dict[str, Any]]:
        ids, purchases = _ints(params, "inventoryId") | _ints(params, "id"), _ints(params, "purchaseId")
        exchange, events = _ints(params, "exchangePosId"), _ints(params, "eventId")
        with_tickets = _one(params, "includeTickets").lower() == "true"
        at = now()
        with self.lock:
            found = []
            for record in sorted(self.inventory.values(), key=lambda r: r.id):
                if record.account_id != account.id:
                    continue
                if (ids and record.id not in ids) or (purchases and record.purchase_id not in purchases):
                    continue
                if exchange and record.exchange_pos_id not in exchange:
                    continue
                if events and record.body.get("eventId") not in events:
                    continue
                view = self._inventory_view(record, tickets=with_tickets)
                hold = next(
                    (h for h in self.holds.values() if h.inventory_id == record.id and h.active(at)), None
                )
                seats = [self.tickets[t].seat_number for t in record.ticket_ids]
                view.update(
                    seatNumbers=",".join(str(s) for s in seats),
                    holdId=hold.id if hold else None,
                    purchaseId=record.purchase_id,
                    event=self.events[record.body["eventId"]].view() if record.body.get("eventId") else None,
                )
                found.append(view)
            return found[: _int(params, "limit", 100)]

    def get_inventory(self, account: Account, inventory_id: int) -> dict[str, Any]:
        with self.lock:
            return self._inventory_view(self._inventory(account, inventory_id))

    def barcodes(self, account: Account, exchange_pos_id: int) -> list[dict[str, Any]]:
        with self.lock:
            record = next(
                (
                    r
                    for r in self.inventory.values()
                    if r.exchange_pos_id == exchange_pos_id and r.account_id == account.id
                ),
                None,
            )
            if record is None:
                raise Refused(404, f"exchangePosId {exchange_pos_id} not found")
            return [
                {
                    "exchangePosId": record.exchange_pos_id,
                    "inventoryId": record.id,
                    "id": t.id,
                    "section": t.section,
                    "row": t.row,
                    "seatNumber": t.seat_number,
                    "barCode": t.bar_code,
                    "externalTicketId": t.external_ticket_id,
                }
                for t in (self.tickets[i] for i in record.ticket_ids)
            ]

    def asset(self, account: Account, filename: str) -> str:
        with self.lock:
            owner = next((t for t in self.tickets.values() if t.file_name == filename), None)
            if owner is None or owner.account_id != account.id or filename not in self.files:
                raise Refused(404, f"no file {filename}")
            return base64.b64encode(self.files[filename]).decode()

    # -- holds ----------------------------------------------------------------------------------

    def create_hold(self, account: Account, request: models.HoldRequest) -> dict[str, Any]:
        at = now()
        with self.lock:
            if (request.inventory_id is None) == (request.exchange_pos_id is None):
                raise invalid("give inventoryId or exchangePosId (one of them)")
            if request.inventory_id is not None:
                record = self.inventory.get(request.inventory_id)
            else:
                record = next(
                    (r for r in self.inventory.values() if r.exchange_pos_id == request.exchange_pos_id), None
                )
            if record is None or record.account_id != account.id:
                raise invalid(f"inventory {request.inventory_id or request.exchange_pos_id} not found")
            if aware(request.expiry_date) <= at:
                raise invalid("expiryDate must be in the future")
            held = {
                t
                for h in self.holds.values()
                if h.inventory_id == record.id and h.active(at)
                for t in h.ticket_ids
            }
            free = sorted(
                (
                    self.tickets[t]
                    for t in record.ticket_ids
                    if self.tickets[t].status == "AVAILABLE" and t not in held
                ),
                key=lambda t: t.seat_number,
            )
            wanted = request.quantity or len(record.ticket_ids)
            if request.low_seat is not None:
                by_seat = {t.seat_number: t for t in free}
                chosen = [by_seat.get(s) for s in range(request.low_seat, request.low_seat + wanted)]
                if None in chosen:
                    raise invalid(
                        f"seats {request.low_seat}-{request.low_seat + wanted - 1} are not all available"
                    )
                picked = [t for t in chosen if t is not None]
            else:
                if len(free) < wanted:
                    raise invalid(f"only {len(free)} of the {wanted} tickets asked for are available to hold")
                picked = free[:wanted]
            hold = HoldRec(
                id=self.next_id(),
                account_id=account.id,
                inventory_id=record.id,
                ticket_ids=[t.id for t in picked],
                expiry=aware(request.expiry_date),
                customer_id=request.customer_id,
                external_ref=request.external_ref,
                notes=request.notes,
            )
            self.holds[hold.id] = hold
            return self._hold_view(hold)

    def _hold_view(self, hold: HoldRec) -> dict[str, Any]:
        record = self.inventory[hold.inventory_id]
        tickets = [self.tickets[t] for t in hold.ticket_ids]
        removed = hold.removed or (hold.expiry if hold.expiry <= now() else None)
        return _present(
            {
                "id": hold.id,
                "accountId": hold.account_id,
                "inventoryId": hold.inventory_id,
                "createdDate": iso(hold.created),
                "expiryDate": iso(hold.expiry),
                "removedDate": iso(removed) if removed else None,
                "customerId": hold.customer_id,
                "externalRef": hold.external_ref,
                "notes": hold.notes,
                "quantity": len(tickets),
                "section": record.body.get("section"),
                "row": record.body.get("row"),
                "seats": ",".join(str(t.seat_number) for t in tickets),
                "cost": sum(t.cost for t in tickets),
                "listPrice": record.body.get("listPrice"),
                "eventId": record.body.get("eventId"),
            }
        )

    def search_holds(self, account: Account, params: dict[str, list[str]]) -> list[dict[str, Any]]:
        ids, inventories = _ints(params, "id"), _ints(params, "inventoryId")
        refs = set(params.get("externalRef", []))
        customer = _one(params, "customerId")
        at = now()
        with self.lock:
            return [
                {
                    **self._hold_view(h),
                    "inventory": self._inventory_view(self.inventory[h.inventory_id], False),
                }
                for h in sorted(self.holds.values(), key=lambda h: h.id)
                if h.account_id == account.id
                and h.active(at)
                and (not ids or h.id in ids)
                and (not inventories or h.inventory_id in inventories)
                and (not refs or h.external_ref in refs)
                and (not customer or str(h.customer_id) == customer)
            ][: _int(params, "limit", 100)]

    def get_hold(self, account: Account, hold_id: int) -> dict[str, Any]:
        with self.lock:
            return self._hold_view(self._hold(account, hold_id))

    def delete_hold(self, account: Account, hold_id: int) -> dict[str, Any]:
        with self.lock:
            hold = self._hold(account, hold_id)
            if hold.active(now()):
                hold.removed = now()
            return self._hold_view(hold)

    # -- invoices -------------------------------------------------------------------------------

    def create_invoice(
        self, account: Account, invoice: models.Invoice, raw: dict[str, Any], force: bool
    ) -> dict[str, Any]:
        at = now()
        with self.lock:
            if invoice.customer_id not in account.customers:
                raise invalid(f"customerId {invoice.customer_id}: no such customer in account {account.id}")
            holds = [h for h in self.holds.values() if h.account_id == account.id and h.active(at)]
            wanted: set[int] = set()
            for n, line in enumerate(invoice.lines):
                if line.account_id != account.id:
                    raise invalid(
                        f"lines[{n}].accountId {line.account_id} is not this account ({account.id})"
                    )
                for item in line.item_ids or []:
                    ticket = self.tickets.get(item)
                    if ticket is None or ticket.account_id != account.id:
                        raise invalid(f"lines[{n}].itemIds: ticket {item} not found")
                    if ticket.status != "AVAILABLE" or item in wanted:
                        raise invalid(
                            f"lines[{n}].itemIds: ticket {item} is {ticket.status.lower()}, not available"
                        )
                    holder = next((h for h in holds if item in h.ticket_ids), None)
                    if holder is not None and not force:
                        raise invalid(
                            f"ticket {item} is on hold {holder.id}: invoicing held inventory needs force=true"
                        )
                    wanted.add(item)
            invoice_id = self.next_id()
            lines = []
            for line, raw_line in zip(invoice.lines, raw["lines"], strict=True):
                line_id = self.next_id()
                items = line.item_ids or []
                for item in items:
                    ticket = self.tickets[item]
                    ticket.status, ticket.invoice_line_id = "SOLD", line_id
                    ticket.sell_price = round(line.amount / len(items), 2)
                    for hold in holds:
                        if item in hold.ticket_ids:
                            hold.ticket_ids.remove(item)
                            if not hold.ticket_ids:
                                hold.removed = at
                lines.append({**raw_line, "id": line_id, "lineType": "INVOICE", "quantity": len(items)})
            record = InvoiceRec(
                id=invoice_id,
                account_id=account.id,
                body={**raw, "id": invoice_id, "accountId": account.id},
                lines=lines,
                fulfillment_status=invoice.fulfillment_status,
                payment_status=invoice.payment_status,
                fulfillment_date=at if invoice.fulfillment_status == "COMPLETE" else None,
            )
            self.invoices[invoice_id] = record
            return self._invoice_view(record)

    def _invoice_view(self, record: InvoiceRec) -> dict[str, Any]:
        return _present(
            {
                **record.body,
                "lines": record.lines,
                "fulfillmentStatus": record.fulfillment_status,
                "paymentStatus": record.payment_status,
                "status": record.status,
                "fulfillmentDate": iso(record.fulfillment_date) if record.fulfillment_date else None,
                "createdDate": iso(record.created),
                "total": sum(float(line.get("amount") or 0) for line in record.lines),
            }
        )

    def search_invoices(self, account: Account, params: dict[str, list[str]]) -> list[dict[str, Any]]:
        ids = _ints(params, "id")
        refs = set(params.get("externalRef", []))
        customer, fulfillment = _one(params, "customerId"), _one(params, "fulfillmentStatus")
        with self.lock:
            return [
                self._invoice_view(i)
                for i in sorted(self.invoices.values(), key=lambda i: i.id)
                if i.account_id == account.id
                and (not ids or i.id in ids)
                and (not refs or i.body.get("externalRef") in refs)
                and (not customer or str(i.body.get("customerId")) == customer)
                and (not fulfillment or i.fulfillment_status == fulfillment)
            ][: _int(params, "limit", 100)]

    def get_invoice(self, account: Account, invoice_id: int) -> dict[str, Any]:
        with self.lock:
            record = self.invoices.get(invoice_id)
            if record is None or record.account_id != account.id:
                raise Refused(404, f"invoice {invoice_id} not found")
            return self._invoice_view(record)

    def bulk_update_invoices(self, account: Account, update: models.BulkInvoiceUpdate) -> None:
        with self.lock:
            records = [self.invoices.get(i) for i in update.invoice_ids]
            missing = [
                i
                for i, r in zip(update.invoice_ids, records, strict=True)
                if r is None or r.account_id != account.id
            ]
            if missing:
                raise invalid(f"invoiceIds: {', '.join(map(str, missing))} not found")
            for record in records:
                assert record is not None
                if (
                    update.fulfillment_status is not None
                    and update.fulfillment_status != record.fulfillment_status
                ):
                    record.fulfillment_status = update.fulfillment_status
                    record.fulfillment_date = now() if update.fulfillment_status == "COMPLETE" else None
                if update.payment_status is not None:
                    record.payment_status = update.payment_status
                if update.status is not None:
                    record.status = update.status

    def invoice_tickets(self, account: Account, external_ref: str) -> list[dict[str, Any]]:
        with self.lock:
            found = []
            for record in sorted(self.invoices.values(), key=lambda i: i.id):
                if record.account_id != account.id or record.body.get("externalRef") != external_ref:
                    continue
                line_ids = {line["id"] for line in record.lines}
                for ticket in sorted(self.tickets.values(), key=lambda t: t.id):
                    if ticket.invoice_line_id in line_ids:
                        found.append(
                            {
                                "invoiceId": record.id,
                                "ticketId": ticket.id,
                                "section": ticket.section,
                                "row": ticket.row,
                                "seatNumber": ticket.seat_number,
                                "barCode": ticket.bar_code,
                                "externalTicketId": ticket.external_ticket_id,
                            }
                        )
            if not found:
                raise Refused(404, f"no invoice tickets for external ref {external_ref}")
            return found

    def customer_defaults(self, account: Account) -> list[dict[str, Any]]:
        return [
            {"accountId": account.id, "customerId": customer, "marketplace": marketplace}
            for marketplace, customer in account.default_customers.items()
        ]

    # -- lookups --------------------------------------------------------------------------------

    def _inventory(self, account: Account, inventory_id: int) -> InventoryRec:
        record = self.inventory.get(inventory_id)
        if record is None or record.account_id != account.id:
            raise Refused(404, f"inventory {inventory_id} not found")
        return record

    def _hold(self, account: Account, hold_id: int) -> HoldRec:
        hold = self.holds.get(hold_id)
        if hold is None or hold.account_id != account.id:
            raise Refused(404, f"hold {hold_id} not found")
        return hold

    def _ticket(self, account: Account, ticket_id: int) -> TicketRec:
        ticket = self.tickets.get(ticket_id)
        if ticket is None or ticket.account_id != account.id:
            raise Refused(404, f"ticket {ticket_id} not found")
        return ticket

    def _event_name(self, inventory: dict[str, Any]) -> str | None:
        if inventory.get("eventId") in self.events:
            return self.events[inventory["eventId"]].name
        mapping = inventory.get("eventMapping") or {}
        return mapping.get("eventName")


def _seat_numbers(inventory: models.Inventory, where: str) -> list[int]:
    """The seats an inserted inventory covers: its tickets', or lowSeat..highSeat by seat type."""
    if inventory.tickets:
        seats = [t.seat_number for t in inventory.tickets]
        if seats != sorted(set(seats)):
            raise invalid(f"{where}.tickets: seat numbers must be distinct and passed low to high")
        return seats
    low, high = inventory.low_seat or 0, inventory.high_seat or 0
    step = 2 if inventory.seat_type == "ALTERNATING" else 1
    seats = list(range(low, high + 1, step))
    if high < low or len(seats) != inventory.quantity:
        raise invalid(
            f"{where}: lowSeat {low} to highSeat {high} ({inventory.seat_type}) is {len(seats)} seats, "
            f"quantity says {inventory.quantity}"
        )
    return seats


def _one(params: dict[str, list[str]], name: str) -> str:
    values = params.get(name)
    return values[-1] if values else ""


def _ints(params: dict[str, list[str]], name: str) -> set[int]:
    values: Iterable[str] = params.get(name, [])
    try:
        return {int(v) for v in values}
    except ValueError:
        raise invalid(f"{name}: whole numbers only") from None


def _int(params: dict[str, list[str]], name: str, default: int) -> int:
    text = _one(params, name)
    if not text:
        return default
    if not text.isdigit():
        raise invalid(f"{name}: a whole number")
    return int(text)


def _day(text: str) -> dt.date | None:
    """`yyyy-MM-dd` as documented for events, or a datetime as the generated client sends."""
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        raise invalid(f"{text!r}: a date as yyyy-MM-dd") from None
