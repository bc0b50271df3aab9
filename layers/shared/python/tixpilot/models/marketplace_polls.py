"""The pollers' shared view of a marketplace feed."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FeedSlot:
    """A feed's request slot, taken by one poller: the page cursor to ask for (None: the first)."""

    cursor: str | None
