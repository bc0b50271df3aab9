"""The interface every POS adapter implements."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Protocol

from tixpilot.models.accounts import PosSettings
from tixpilot.models.pos import PosName
from tixpilot.models.purchases import Purchase


class PosError(Exception):
    """The POS refused or failed the request; `message` is the POS's own words, shown to the
    broker on the purchase (Purchase.errors). `transient`: the same request may succeed later
    (the POS was unreachable, rate-limited or failing); otherwise something must change first
    (credentials, the account's vendor, the purchase). `status`: the POS's HTTP status, if any."""

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


@dataclass(frozen=True)
class PoRequest:
    purchase: Purchase
    stock: str | None  # how the stock is recorded (mobile already turned into transfer/qr_screenshot)
    settings: PosSettings  # the account's vendor (customer_id) and card for this POS


@dataclass(frozen=True)
class PoResult:
    poid: str
    created: bool  # False: the purchase already had a PO in this POS (nothing new was made)


class PosAdapter(Protocol):
    """Create a purchase order for a purchase, at most once per purchase: an adapter must make a
    repeated or concurrent `create_po` for the same purchase return the same PO (for the builtin
    POS, a claim written in the PO's own transaction)."""

    name: ClassVar[PosName]  # its row in tixpilot.models.pos

    def create_po(self, request: PoRequest) -> PoResult: ...
