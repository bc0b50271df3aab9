"""The ReceiptParser interface, and the small readers every template shares.

A parser is a pure function from a decoded message (MailText) to a ParsedReceipt. It says whether
a message is its kind (by sender and content), and raises NotAReceipt with a reason a broker can
act on when the message is from its primary but is not a purchase receipt.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Protocol

from tixpilot.adapters.receipts.mime import MailText
from tixpilot.models.purchases import Stock
from tixpilot.models.receipts import ParsedReceipt


class NotAReceipt(Exception):
    """The message is not a purchase receipt this parser can read; the message says why."""


class ReceiptParser(Protocol):
    id: str  # registry key: primary and template, e.g. "ticketmaster_us"
    marketplace_id: int  # buying marketplace id (reference data)
    # Where the primary's own receipts come from (subdomains included): a receipt is authentic
    # when DKIM aligned with one of these vouches for it (services/mail_trust.py).
    sending_domains: tuple[str, ...]

    def recognises(self, mail: MailText) -> bool:
        """True when the message is from this parser's primary (sender, or a forward's original)."""
        ...

    def parse(self, mail: MailText) -> ParsedReceipt:
        """The receipt's stated fields; NotAReceipt when it is the primary's mail but no receipt."""
        ...


def sender_domain(address: str) -> str:
    return address.rsplit("@", 1)[-1].lower() if "@" in address else ""


def from_domain(mail: MailText, *domains: str) -> bool:
    domain = sender_domain(mail.effective_sender)
    return any(domain == d or domain.endswith("." + d) for d in domains)


_MONEY = r"\$\s?(\d{1,3}(?:,\d{3})*(?:\.\d{2})?|\d+(?:\.\d{2})?)"
MONEY = _MONEY


def money(text: str) -> Decimal | None:
    try:
        return Decimal(text.replace(",", ""))
    except (InvalidOperation, ValueError):
        return None


_MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTHS = {m: i for i, m in enumerate(_MONTH_NAMES, start=1)}
MONTH = r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?"
WEEKDAY = r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*\.?"


def month_number(name: str) -> int | None:
    return _MONTHS.get(name[:3].lower())


def calendar_date(month: str, day: str, year: str) -> date | None:
    number = month_number(month)
    try:
        return date(int(year), number, int(day)) if number else None
    except ValueError:
        return None


def clock_time(day: date | None, hour: str, minute: str, meridiem: str) -> datetime | None:
    if day is None:
        return None
    h, m = int(hour), int(minute)
    if not (1 <= h <= 12 and 0 <= m <= 59):
        return None
    h = h % 12 + (12 if meridiem.upper().startswith("P") else 0)
    return datetime(day.year, day.month, day.day, h, m)


# Delivery methods in the words primaries use, to the stock types of the legacy API.
_DELIVERY: tuple[tuple[str, Stock], ...] = (
    (r"Mobile Entry|Mobile Tickets?|Mobile Transfer|Mobile ID|SafeTix|Mobile Delivery", "mobile"),
    (r"TicketFast|Print[- ]at[- ]Home|eTickets?|PDF Tickets?|Print Your Tickets", "eticket"),
    (r"Will Call", "willcall"),
    (r"Flash Seats", "flash"),
    (r"Standard Mail|Express Delivery|UPS(?: Delivery)?|FedEx(?: Delivery)?|Mailed Tickets", "hard"),
)
_DELIVERY_RE = [(re.compile(rf"\b({words})\b", re.IGNORECASE), stock) for words, stock in _DELIVERY]


def delivery(lines: Iterable[str]) -> tuple[str | None, Stock | None]:
    """The first delivery method a line names: (the words as written, the stock type)."""
    for line in lines:
        for pattern, stock in _DELIVERY_RE:
            match = pattern.search(line)
            if match:
                return match.group(1), stock
    return None, None


_CARD = re.compile(
    r"\b(?:Visa|Master ?Card|Amex|American Express|Discover|Card)\b[^\n\d]{0,24}?"
    r"(?:ending in|ends in|x+|\*+|-|#|:)\s*(\d{4})\b",
    re.IGNORECASE,
)


def card_last4(lines: Iterable[str]) -> str | None:
    for line in lines:
        match = _CARD.search(line)
        if match:
            return match.group(1)
    return None


def seat_range(first: str, last: str | None) -> list[str] | None:
    """Seats 5 - 6 as ["5", "6"]; a range only counts when both ends are numbers, in order."""
    if last is None:
        return [first]
    if first.isdigit() and last.isdigit() and 0 <= int(last) - int(first) < 100:
        return [str(n) for n in range(int(first), int(last) + 1)]
    return None


def first_match(pattern: re.Pattern[str], lines: Iterable[str]) -> re.Match[str] | None:
    for line in lines:
        match = pattern.search(line)
        if match:
            return match
    return None
