"""Ticketmaster US: the "You Got Tickets To ..." purchase confirmation, plain, HTML or forwarded.

Order numbers read `38-41225/SF3` (confirmation number, then the region code after the slash);
the event block is the event name, a date line `Sat · Jul 11, 2026 · 7:00 PM` and the venue line;
each ticket line reads `Sec 309, Row H, Seat 5 - 6`, or the GA area without seats.
"""

from __future__ import annotations

import re
from datetime import date, datetime
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
_ORDER = re.compile(r"(?<![\w-])(\d{1,3}-\d{3,7})/([A-Z][A-Z0-9]{1,3})\b")
_GOT_TICKETS = re.compile(r"^You Got Tickets To:?\s+(.+)$", _I)
_EVENT_DATE = re.compile(
    rf"^{WEEKDAY}\s*[^\w\s]?\s*{MONTH}\s+(\d{{1,2}}),?\s+(\d{{4}})\s*(?:[^\w\s]|at)?\s*"
    r"(\d{1,2}):(\d{2})\s*([AP])\.?M\.?",
    _I,
)
_CITY_STATE = re.compile(r"^(.+?), ([^,]+), ([A-Z]{2})(?: \d{5})?$")
_SEATED = re.compile(
    r"\bSec(?:tion)?\.?\s*([A-Z0-9][\w-]*(?: [A-Z0-9][\w-]*){0,3}?)\s*,?\s*Row\s*([A-Z0-9]{1,4})\s*,?\s*"
    r"Seats?\s*:?\s*([A-Z0-9]{1,4})(?:\s*(?:-|\u2013|to)\s*([A-Z0-9]{1,4}))?",
    _I,
)
_SEAT_LIST = re.compile(r"\bSeats?\s*:?\s*(\d{1,4}(?:\s*,\s*\d{1,4})+)\b", _I)
_GA = re.compile(r"\b(General Admission|GA)\b", _I)
_QUANTITY = re.compile(
    r"\b(?:Quantity|Qty)\s*:?\s*(\d{1,3})\b|\b(\d{1,3})\s+(?:General Admission |GA )?Tickets?\b", _I
)
_FACE = re.compile(rf"\b(?:Ticket Price|Face Value|Price per Ticket|Tickets?)\s*:?\s*{MONEY}", _I)
_FEE_TOTAL = re.compile(rf"\bTotal Fees\s*:?\s*{MONEY}", _I)
_FEE_LINE = re.compile(
    rf"^(?:Service Fee|Facility (?:Charge|Fee)|(?:Order )?Processing Fee|Convenience Fee|Delivery Fee"
    rf"|Handling Fee)s?\s*:?\s*{MONEY}(?:\s*x\s*(\d{{1,3}}))?",
    _I,
)
_TOTAL = re.compile(
    rf"^(?:Order Total|Total Charged|Total Paid|Grand Total|Total)\s*:?\s*(?:USD\s*)?{MONEY}", _I
)
_ORDER_DATE = re.compile(
    rf"\bOrder (?:Date|Placed)\s*:?\s*(?:{WEEKDAY},?\s*)?(?:{MONTH}\s+(\d{{1,2}}),?\s+(\d{{4}})"
    r"|(\d{1,2})/(\d{1,2})/(\d{4}))",
    _I,
)
_NOT_RECEIPT = re.compile(r"\b(cancel+ed|cancellation|refund(?:ed)?|postponed|rescheduled)\b", _I)


class TicketmasterUS:
    id = "ticketmaster_us"
    marketplace_id = 1
    sending_domains: tuple[str, ...] = ("ticketmaster.com",)

    def recognises(self, mail: MailText) -> bool:
        return from_domain(mail, *self.sending_domains) or bool(_GOT_TICKETS.match(mail.effective_subject))

    def parse(self, mail: MailText) -> ParsedReceipt:
        lines = mail.lines
        order = first_match(_ORDER, lines)
        if order is None:
            raise NotAReceipt("Ticketmaster mail without an order number (like 12-34567/NY): not a receipt")
        if _NOT_RECEIPT.search(mail.effective_subject):
            raise NotAReceipt(f"a Ticketmaster notice, not a purchase receipt: {mail.effective_subject!r}")
        seated, general_admission, section, row, seats = self._tickets(lines)
        quantity = len(seats) if seats else self._quantity(lines)
        method, stock = delivery(lines)
        starts_at, venue = self._event(lines)
        face = first_match(_FACE, lines)
        total = first_match(_TOTAL, lines)
        return ParsedReceipt(
            parser=self.id,
            marketplace_id=self.marketplace_id,
            confirmation_number=order.group(1),
            confirmation_region=order.group(2),
            event_name=self._event_name(mail),
            venue=venue,
            starts_at=starts_at,
            section=section,
            row=row,
            seats=seats,
            quantity=quantity,
            general_admission=general_admission if (seated or general_admission) else None,
            stock=stock,
            delivery_method=method,
            face_perseat=money(face.group(1)) if face else None,
            fees=self._fees(lines),
            cost_group=money(total.group(1)) if total else None,
            creditcard_last4=card_last4(lines),
            purchase_date=self._purchase_date(lines),
        )

    def _event_name(self, mail: MailText) -> str | None:
        for text in (*mail.lines[:40], mail.effective_subject):
            match = _GOT_TICKETS.match(text)
            if match:
                return match.group(1).strip().rstrip("!").strip()
        return None

    def _event(self, lines: list[str]) -> tuple[datetime | None, str | None]:
        for index, line in enumerate(lines):
            match = _EVENT_DATE.search(line)
            if match:
                month, day, year, hour, minute, meridiem = match.groups()
                starts_at = clock_time(calendar_date(month, day, year), hour, minute, meridiem)
                venue_line = lines[index + 1] if index + 1 < len(lines) else ""
                return starts_at, self._venue(venue_line)
        return None, None

    def _venue(self, line: str) -> str | None:
        if not line or _SEATED.search(line) or _ORDER.search(line) or "$" in line:
            return None
        match = _CITY_STATE.match(line)
        return match.group(1) if match else line

    def _tickets(self, lines: list[str]) -> tuple[bool, bool, str | None, str | None, list[str] | None]:
        """(seated, general admission, section, row, seats) from the ticket lines."""
        groups: list[tuple[str, str, list[str] | None]] = []
        for line in lines:
            match = _SEATED.search(line)
            if match:
                listed = _SEAT_LIST.search(line)
                listed_seats = (
                    [s.strip() for s in listed.group(1).split(",")]
                    if listed
                    else seat_range(match.group(3), match.group(4))
                )
                groups.append((match.group(1), match.group(2), listed_seats))
        if groups:
            section, row = groups[0][0], groups[0][1]
            if any((s, r) != (section, row) for s, r, _ in groups):
                # several sections in one order: the receipt does not say one section and row
                return True, False, None, None, None
            combined: list[str] = []
            for _, _, group_seats in groups:
                if group_seats is None:
                    return True, False, section, row, None
                combined += [s for s in group_seats if s not in combined]
            return True, False, section, row, combined
        for line in lines:
            if (
                _GA.search(line)
                and len(line) <= 60
                and not _GOT_TICKETS.match(line)
                and not _CITY_STATE.match(line)  # "Atlanta, GA" is a venue, not an area
            ):
                return False, True, line, None, None
        return False, False, None, None, None

    def _quantity(self, lines: list[str]) -> int | None:
        match = first_match(_QUANTITY, lines)
        if match:
            count = int(match.group(1) or match.group(2))
            return count if count >= 1 else None
        return None

    def _fees(self, lines: list[str]) -> Decimal | None:
        stated = first_match(_FEE_TOTAL, lines)
        if stated:
            return money(stated.group(1))
        total: Decimal | None = None
        for line in lines:
            match = _FEE_LINE.match(line)
            if match:
                amount = money(match.group(1))
                if amount is not None:
                    total = (total or Decimal(0)) + amount * int(match.group(2) or 1)
        return total

    def _purchase_date(self, lines: list[str]) -> date | None:
        match = first_match(_ORDER_DATE, lines)
        if not match:
            return None
        month, day, year, m_num, d_num, y_num = match.groups()
        if month:
            return calendar_date(month, day, year)
        try:
            return date(int(y_num), int(m_num), int(d_num))
        except ValueError:
            return None


PARSER = TicketmasterUS()
