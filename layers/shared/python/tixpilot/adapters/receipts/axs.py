"""AXS: the "Your AXS Order Confirmation" email, labelled fields one per line.

`Order Number: 250887143`, `Event:`, `Venue:`, `Date: Friday, August 14, 2026 at 8:00 PM`,
`Section: 102 Row: 12 Seat(s): 7, 8` (or `Section: GA` with a quantity), `Delivery:`, prices.
AXS order numbers carry no region.
"""

from __future__ import annotations

import re
from decimal import Decimal

from tixpilot.adapters.receipts.base import (
    MONEY,
    MONTH,
    WEEKDAY,
    NotAReceipt,
    calendar_date,
    card_last4,
    clock_time,
    delivery,
    first_match,
    from_domain,
    money,
    seat_range,
)
from tixpilot.adapters.receipts.mime import MailText
from tixpilot.models.receipts import ParsedReceipt

_I = re.IGNORECASE
_ORDER = re.compile(r"\bOrder (?:Number|No\.?|#)\s*:?\s*#?\s*(\d{6,12})\b", _I)
_EVENT = re.compile(r"^Event\s*:\s*(.+)$", _I)
_VENUE = re.compile(r"^Venue\s*:\s*(.+)$", _I)
_CITY_STATE = re.compile(r"^(.+?), ([^,]+), ([A-Z]{2})(?: \d{5})?$")
_DATE = re.compile(
    rf"^(?:Event )?Date\s*:\s*(?:{WEEKDAY},?\s*)?{MONTH}\s+(\d{{1,2}}),?\s+(\d{{4}})\s*(?:at|@|,|-)?\s*"
    r"(\d{1,2}):(\d{2})\s*([AP])\.?M\.?",
    _I,
)
_SECTION = re.compile(r"\bSection\s*:\s*([A-Z0-9][\w-]*(?: (?!Row\b|Seat)[A-Z][\w-]*)?)", _I)
_ROW = re.compile(r"\bRow\s*:\s*([A-Z0-9]{1,4})\b", _I)
_SEATS = re.compile(r"\bSeat(?:\(s\)|s)?\s*:\s*([A-Z0-9]{1,4}(?:\s*(?:,|-|\u2013|to)\s*[A-Z0-9]{1,4})*)", _I)
_QUANTITY = re.compile(r"\b(?:Quantity|Qty|Number of Tickets)\s*:\s*(\d{1,3})\b", _I)
_GA = re.compile(r"^(GA|General Admission)\b", _I)
_FACE = re.compile(rf"\bTicket Price\s*:?\s*{MONEY}", _I)
_FEES = re.compile(rf"^(?:Total )?Fees\s*:?\s*{MONEY}", _I)
_TOTAL = re.compile(rf"^(?:Order Total|Total Charged|Total)\s*:?\s*{MONEY}", _I)
_ORDER_DATE = re.compile(rf"\bOrder Date\s*:\s*(?:{WEEKDAY},?\s*)?{MONTH}\s+(\d{{1,2}}),?\s+(\d{{4}})", _I)


class AxsConfirmation:
    id = "axs"
    marketplace_id = 1008  # AXS in the buying marketplaces
    sending_domains: tuple[str, ...] = ("axs.com",)

    def recognises(self, mail: MailText) -> bool:
        return from_domain(mail, *self.sending_domains)

    def parse(self, mail: MailText) -> ParsedReceipt:
        lines = mail.lines
        order = first_match(_ORDER, lines)
        if order is None:
            raise NotAReceipt("AXS mail without an order number: not an order confirmation")
        section = first_match(_SECTION, lines)
        row = first_match(_ROW, lines)
        seats_match = first_match(_SEATS, lines)
        seats = _seats(seats_match.group(1)) if seats_match else None
        general_admission = bool(section and _GA.match(section.group(1)))
        quantity_match = first_match(_QUANTITY, lines)
        quantity = len(seats) if seats else (int(quantity_match.group(1)) if quantity_match else None)
        event = first_match(_EVENT, lines)
        venue = first_match(_VENUE, lines)
        starts = first_match(_DATE, lines)
        method, stock = delivery(line for line in lines if line.lower().startswith("delivery"))
        face, fees, total = (first_match(p, lines) for p in (_FACE, _FEES, _TOTAL))
        ordered = first_match(_ORDER_DATE, lines)
        return ParsedReceipt(
            parser=self.id,
            marketplace_id=self.marketplace_id,
            confirmation_number=order.group(1),
            event_name=event.group(1).strip() if event else None,
            venue=_venue(venue.group(1)) if venue else None,
            starts_at=clock_time(calendar_date(*starts.groups()[:3]), *starts.groups()[3:])
            if starts
            else None,
            section=section.group(1) if section else None,
            row=row.group(1) if row and not general_admission else None,
            seats=seats if not general_admission else None,
            quantity=quantity if quantity and quantity >= 1 else None,
            general_admission=general_admission if section else None,
            stock=stock,
            delivery_method=method,
            face_perseat=_amount(face),
            fees=_amount(fees),
            cost_group=_amount(total),
            creditcard_last4=card_last4(lines),
            purchase_date=calendar_date(*ordered.groups()) if ordered else None,
        )


def _amount(match: re.Match[str] | None) -> Decimal | None:
    return money(match.group(1)) if match else None


def _venue(text: str) -> str:
    match = _CITY_STATE.match(text.strip())
    return match.group(1) if match else text.strip()


def _seats(text: str) -> list[str] | None:
    if "," in text:
        return [s.strip() for s in text.split(",") if s.strip()]
    ends = re.split(r"\s*(?:-|\u2013|to)\s*", text.strip())
    return seat_range(ends[0], ends[1] if len(ends) > 1 else None)


PARSER = AxsConfirmation()
