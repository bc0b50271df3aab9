"""The AutoPO Safeguard (docs/safeguard.md): a pure rule.

- Level 1 (off): PO as soon as any data about the purchase exists (usually the email).
- Level 2 (on): PO once the primary's own data is in: cost, quantity, section/row or GA, and
  disclosures (possibly none) are known. The rotating-barcode status may still be unknown.
- Level 3 (on, rotating required): level 2 plus the rotating-barcode status known (true or false).

Email data that no authenticated receipt vouches for is not enough at level 1: anyone can send
a receipt-shaped email. Such a purchase waits for the primary's own data exactly as level 2
does (or for QuickPO); levels 2 and 3 need the primary's data anyway.

Unknown is None on the purchase (services.purchases never guesses), so the rule only reads
which fields are None.
"""

from __future__ import annotations

from dataclasses import dataclass

from tixpilot.models.purchases import Purchase
from tixpilot.models.tenants import MobilePoAs, SafeguardLevel

# The names `missing` reports, in this order.
FIELDS_LEVEL_2 = ("cost", "quantity", "seating", "disclosures")
FIELDS_LEVEL_3 = (*FIELDS_LEVEL_2, "rotating_barcodes")

# The flag put on a purchase PO'd as a QR screenshot although its barcodes may rotate.
FLAG_QR_ROTATING = "qr_screenshot_may_rotate"


@dataclass(frozen=True)
class SafeguardDecision:
    ready: bool
    missing: tuple[str, ...] = ()


def unknown_fields(purchase: Purchase) -> tuple[str, ...]:
    """Which of the Safeguard's fields are still unknown on the purchase."""
    money, items = purchase.money, purchase.items
    missing: list[str] = []
    if money.cost_perseat is None and money.cost_group is None:
        missing.append("cost")
    if items.quantity is None and not items.seats:
        missing.append("quantity")
    if not (items.general_admission is True or (items.section is not None and items.row is not None)):
        missing.append("seating")
    if purchase.disclosures is None:
        missing.append("disclosures")
    if purchase.rotating_barcodes is None:
        missing.append("rotating_barcodes")
    return tuple(missing)


def email_authenticated(purchase: Purchase) -> bool:
    """False while the purchase's email data rests on unauthenticated receipts only (True when an
    authenticated receipt vouches for it, or when no email recorded it)."""
    return purchase.receipt_verified is not False


def evaluate_safeguard(
    purchase: Purchase, level: SafeguardLevel, *, email_authenticated: bool
) -> SafeguardDecision:
    """Whether AutoPO may fire for this purchase now, and if not, what is still unknown.

    `email_authenticated` False turns level 1 into level 2: the PO waits for the primary's data."""
    if level == 1 and not email_authenticated:
        level = 2
    if level == 1:
        return SafeguardDecision(ready=True)
    required = FIELDS_LEVEL_2 if level == 2 else FIELDS_LEVEL_3
    missing = tuple(f for f in unknown_fields(purchase) if f in required)
    return SafeguardDecision(ready=not missing, missing=missing)


@dataclass(frozen=True)
class Delivery:
    """How a PO's stock is recorded in the POS, and whether the purchase gets the risk flag."""

    stock: str | None
    flag: str | None = None


def po_delivery(purchase: Purchase, mobile_po_as: MobilePoAs) -> Delivery:
    """Mobile stock is PO'd as `transfer` or `qr_screenshot` (the tenant's setting); a screenshot
    PO whose barcodes rotate or may rotate (unknown) is flagged."""
    stock = purchase.items.stock
    if stock != "mobile":
        return Delivery(stock=stock)
    if mobile_po_as == "transfer":
        return Delivery(stock="transfer")
    risky = purchase.rotating_barcodes is not False
    return Delivery(stock="qr_screenshot", flag=FLAG_QR_ROTATING if risky else None)
