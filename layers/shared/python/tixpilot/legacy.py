"""The legacy API's value formats: dates, booleans and lists as 1Ticket writes them."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal

_DATE = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*$")


def format_date(value: date | None) -> str:
    """`6/15/2018`; an unknown date is the empty string, as the legacy API writes it."""
    return f"{value.month}/{value.day}/{value.year}" if value else ""


def format_datetime(value: datetime | None) -> str:
    """`7/11/2018 7:00:00 PM`."""
    if value is None:
        return ""
    hour = value.hour % 12 or 12
    suffix = "AM" if value.hour < 12 else "PM"
    return f"{format_date(value)} {hour}:{value.minute:02d}:{value.second:02d} {suffix}"


def parse_date(value: str) -> date:
    """`m/d/yyyy` (leading zeros optional); ValueError names the accepted form."""
    match = _DATE.match(value)
    if not match:
        raise ValueError(f"'{value}' is not a date; use m/d/yyyy, e.g. 7/11/2026")
    month, day, year = (int(g) for g in match.groups())
    try:
        parsed = date(year, month, day)
    except ValueError as exc:
        raise ValueError(f"'{value}' is not a date on the calendar ({exc}); use m/d/yyyy") from exc
    return _in_range(parsed, value)


# The years a date may name. Date arithmetic (a day's end, a time zone's offset) runs past
# Python's calendar at year 1 and 9999, so a date there would be a 500 instead of an answer.
FIRST_YEAR, LAST_YEAR = 1900, 2199


def _in_range(value: date, text: str) -> date:
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(f"'{text}': the year must be from {FIRST_YEAR} to {LAST_YEAR}")
    return value


def parse_datetime(value: str) -> datetime:
    """`m/d/yyyy h:mm AM`, `m/d/yyyy h:mm:ss PM`, or a bare `m/d/yyyy` (midnight)."""
    text = " ".join(value.split())
    for pattern in ("%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %I:%M %p", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M"):
        try:
            parsed = datetime.strptime(text.upper(), pattern)
        except ValueError:
            continue
        _in_range(parsed.date(), value)
        return parsed
    return datetime.combine(parse_date(text), datetime.min.time())


def format_money(value: Decimal | None) -> str:
    """`65.34`, `33` for whole amounts, "" when unknown."""
    if value is None:
        return ""
    normalized = value.quantize(Decimal("0.01"))
    text = f"{normalized:f}"
    return text[:-3] if text.endswith(".00") else text


def parse_bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no"):
        return False
    raise ValueError(f"'{value}' is not a boolean; use true or false")


def split_list(value: str) -> list[str]:
    """A comma-separated list; blanks dropped."""
    return [part.strip() for part in value.split(",") if part.strip()]
