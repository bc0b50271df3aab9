"""The interface every POS adapter implements.

Two sides. Buying: `create_po` records a purchase as a PO with its inventory (AutoPO, QuickPO).
Selling: a marketplace order takes seats of a ticket group (`hold`), then the POS invoices them
(`invoice`, with the marketplace's order as the external reference) or gives them back
(`release`); `complete` marks an invoiced order fulfilled, and `ticket_data` / `ticket_file` read
what the POS holds to deliver (barcodes, files per seat).

Every selling call names the marketplace order (`marketplace_id`, `order_id`) and is idempotent
per order: holding the same order again answers the order as held, invoicing an invoiced order
answers it as invoiced. No seat is ever held or sold for two orders, whoever races. A hold
expires at `expires_at`; once expired its seats are free for others and it cannot be invoiced.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import ClassVar, Literal, Protocol

from tixpilot.models.accounts import PosSettings
from tixpilot.models.pos import PosName
from tixpilot.models.purchases import Purchase


class PosError(Exception):
    """The POS refused or failed the request; `message` is the POS's own words, shown to the
    broker on the purchase (Purchase.errors) or the sale (its processing steps). `transient`: the
    same call may succeed later (the POS was unreachable, rate-limited or failing); otherwise
    something must change first (credentials, the account's vendor, the request). `status`: the
    POS's HTTP status, when it answered."""

    def __init__(self, message: str, *, transient: bool = False, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.transient = transient
        self.status = status


class PoInProgress(PosError):
    """Another run (AutoPO, QuickPO) is making this purchase's PO in the POS right now; its
    number is recorded when it is done. Not a failure of the purchase."""

    def __init__(self, message: str) -> None:
        super().__init__(message, transient=True)


class SeatsUnavailable(PosError):
    """Not enough seats of the ticket group are free for the hold (a marketplace sees 409).
    `displaced`: holds released on the way all the same (see HoldOutcome.displaced)."""

    def __init__(self, message: str, *, displaced: tuple[PosOrder, ...] = ()) -> None:
        super().__init__(message)
        self.displaced = displaced


class UnknownTicketGroup(PosError):
    """No such ticket group in the tenant's inventory (404)."""


class UnknownOrder(PosError):
    """The POS has no hold or invoice for this marketplace order (404)."""


class OrderConflict(PosError):
    """The order cannot make this change: invoicing a released or expired hold, releasing an
    invoiced one, holding an order id again with another ticket group, quantity or price (409)."""


@dataclass(frozen=True)
class PoRequest:
    purchase: Purchase
    stock: str | None  # how the stock is recorded (mobile already turned into transfer/qr_screenshot)
    settings: PosSettings  # the account's vendor (customer_id) and card for this POS
    # the tenant's credentials for this POS's API (SkyBox); none for the builtin POS
    credentials: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PoResult:
    poid: str
    created: bool  # False: the purchase already had a PO in this POS (nothing new was made)


# --- the selling side ----------------------------------------------------------------------------

OrderState = Literal["held", "invoiced", "released"]


@dataclass(frozen=True)
class PosContext:
    """Who asks, and when: the tenant, its credentials for this POS (SkyBox: account, API token,
    application token; none for the builtin POS), its POS settings (vendor/customer and card ids,
    where the POS wants them on an invoice) and the time of the request (expiry is judged by it)."""

    tenant_id: str
    now: dt.datetime
    credentials: Mapping[str, str] = field(default_factory=dict)
    settings: PosSettings = field(default_factory=PosSettings)


@dataclass(frozen=True)
class HoldRequest:
    """Seats of one ticket group for one marketplace order.

    `binding`: the marketplace sells on the strength of this hold (Order Integration, and the
    Instant Notification holds of StubHub and Vivid Seats); a non-binding hold may be removed for
    a sale elsewhere without penalty. `may_displace`: this request is a sale (or binding), so it
    may take seats that other orders hold without binding; it never takes a binding hold's seats.
    """

    marketplace_id: int
    order_id: str
    ticketgroupid: str
    quantity: int
    price_per_seat: Decimal
    expires_at: dt.datetime
    binding: bool = True
    may_displace: bool = False


@dataclass(frozen=True)
class TicketGroupInfo:
    """What the POS knows of the ticket group an order holds, for the sale record."""

    event: str = ""
    venue: str = ""
    starts_at: dt.datetime | None = None  # local wall-clock time at the venue
    section: str = ""
    row: str = ""
    stock: str = ""  # eticket, mobile, transfer, hard, flash, willcall, qr_screenshot
    cost_perseat: Decimal | None = None


@dataclass(frozen=True)
class PosOrder:
    """A marketplace order as the POS holds it."""

    marketplace_id: int
    order_id: str
    ticketgroupid: str
    seats: tuple[str, ...]
    price_per_seat: Decimal
    state: OrderState
    binding: bool
    held_at: dt.datetime
    expires_at: dt.datetime | None
    group: TicketGroupInfo = field(default_factory=TicketGroupInfo)
    invoice_id: str = ""  # the POS's invoice, once invoiced
    released_because: str = ""  # once released: "marketplace", "expired", "displaced by 4#123", ...
    completed: bool = False

    def expired(self, now: dt.datetime) -> bool:
        """A hold past its expiry: its seats are free for others and it cannot be invoiced."""
        return self.state == "held" and self.expires_at is not None and self.expires_at <= now


@dataclass(frozen=True)
class HoldOutcome:
    order: PosOrder
    created: bool  # False: the order was already held (or later invoiced/released); nothing new
    # Holds released to make room for this one (expired, or non-binding ones this sale displaced):
    # their sales are told by the caller.
    displaced: tuple[PosOrder, ...] = ()


@dataclass(frozen=True)
class SeatTickets:
    """What the POS holds to deliver one seat: barcodes and/or a ticket file (`file_ref`, read with
    `ticket_file`)."""

    seat: str
    barcodes: tuple[str, ...] = ()
    file_ref: str | None = None


class PosAdapter(Protocol):
    """One POS. `create_po` makes a purchase order at most once per purchase: an adapter must make
    a repeated or concurrent `create_po` for the same purchase return the same PO (for the builtin
    POS, a claim written in the PO's own transaction). The selling calls are described in the
    module docstring; each raises a PosError subclass when refused (SeatsUnavailable,
    UnknownTicketGroup, UnknownOrder, OrderConflict) and PosError(transient=True) when the POS
    could not be reached."""

    name: ClassVar[PosName]  # its row in tixpilot.models.pos

    def create_po(self, request: PoRequest) -> PoResult: ...

    def hold(self, context: PosContext, request: HoldRequest) -> HoldOutcome:
        """Hold `quantity` free seats for the order (idempotent per marketplace order)."""
        ...

    def order(self, context: PosContext, marketplace_id: int, order_id: str) -> PosOrder | None:
        """The order as the POS has it now, or None."""
        ...

    def invoice(self, context: PosContext, marketplace_id: int, order_id: str) -> PosOrder:
        """Sell the held seats (the order's id as external reference); again: the same invoice.
        An expired hold is released instead and OrderConflict raised."""
        ...

    def release(self, context: PosContext, marketplace_id: int, order_id: str, because: str) -> PosOrder:
        """Give a held order's seats back; `because` is recorded (marketplace, expired, ...).
        Releasing a released order answers it; an invoiced one is an OrderConflict."""
        ...

    def complete(self, context: PosContext, marketplace_id: int, order_id: str) -> PosOrder:
        """Mark an invoiced order fulfilled (idempotent)."""
        ...

    def ticket_data(self, context: PosContext, ticketgroupid: str, seats: list[str]) -> list[SeatTickets]:
        """Barcodes and ticket files the POS holds for these seats (seats it knows nothing of are
        left out)."""
        ...

    def ticket_file(self, context: PosContext, file_ref: str) -> bytes:
        """The content of a ticket file named by `SeatTickets.file_ref`."""
        ...
