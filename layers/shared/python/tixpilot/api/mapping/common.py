"""What every legacy mapping shares: the time zone a tenant's times are written in, and text."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

DEFAULT_TIMEZONE = "America/New_York"


def local(value: datetime, timezone: str) -> datetime:
    """`value` (naive means UTC) as the wall-clock time in `timezone`, naive as the legacy API writes it."""
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return aware.astimezone(ZoneInfo(timezone)).replace(tzinfo=None)


def text(value: object) -> str:
    """A legacy string field: empty for a missing value."""
    return "" if value is None else str(value)
