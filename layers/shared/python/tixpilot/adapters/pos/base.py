"""The interface every POS adapter implements."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Protocol

from tixpilot.models.accounts import PosSettings
from tixpilot.models.pos import PosName
from tixpilot.models.purchases import Purchase


class PosError(Exception):
    """The POS refused or failed the request; `message` is the POS's own words, shown to the
    broker on the purchase (Purchase.errors)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


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
