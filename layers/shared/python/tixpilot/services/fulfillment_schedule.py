"""When fulfillment tries a sale again: 1Ticket's schedule, as a pure function (docs/fulfillment.md).

Until the sale is delivered or its event has started:
- several times in the first hour after the first attempt: 5, 15, 30 and 60 minutes after it;
- then hourly when the event is within 24 hours;
- every 4 hours when it is within 7 days, or when the in-hand date has passed;
- daily otherwise.

`first_s` (TIXPILOT_FULFILL_RETRY_S, production 300) is the first retry delay, and every delay
and the first hour scale with it: with `first_s=1` the first hour is 12 s and a day 288 s, so a
test sees the whole cadence in seconds. How far the event is stays real time: it is a fact about
the event, not a pace. No attempt is scheduled at or after the event's start: the last one is the
last before it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

PRODUCTION_FIRST_S = 300
HOUR_S = 3600
# The retries of the first hour, after the first attempt (production seconds).
FIRST_HOUR_S: tuple[int, ...] = (300, 900, 1800, 3600)
HOURLY_S, FOUR_HOURLY_S, DAILY_S = HOUR_S, 4 * HOUR_S, 24 * HOUR_S
NEAR_EVENT = dt.timedelta(hours=24)
SOON_EVENT = dt.timedelta(days=7)


@dataclass(frozen=True)
class RetrySchedule:
    first_s: float = PRODUCTION_FIRST_S  # TIXPILOT_FULFILL_RETRY_S

    @property
    def scale(self) -> float:
        return self.first_s / PRODUCTION_FIRST_S

    def scaled(self, production_s: int) -> dt.timedelta:
        return dt.timedelta(seconds=production_s * self.scale)


def interval_s(to_event: dt.timedelta | None, past_in_hand: bool) -> int:
    """The production interval after the first hour: hourly within 24 h of the event, every 4 h
    within 7 days of it or past the in-hand date, daily otherwise (an unknown event: daily)."""
    if to_event is not None and to_event <= NEAR_EVENT:
        return HOURLY_S
    if past_in_hand or (to_event is not None and to_event <= SOON_EVENT):
        return FOUR_HOURLY_S
    return DAILY_S


def next_attempt(
    *,
    now: dt.datetime,
    started: dt.datetime,
    event_starts: dt.datetime | None,
    in_hand: dt.date | None,
    schedule: RetrySchedule = RetrySchedule(),  # frozen: one shared default is safe
) -> dt.datetime | None:
    """The time of the next attempt after one made at `now` (the first was made at `started`),
    or None when the event starts before it (or has started): delivery is given up.

    All datetimes are aware (UTC or any zone). `in_hand`: the date the tickets were to be in
    hand; a day past it counts as late."""
    if event_starts is not None and now >= event_starts:
        return None
    since_start = now - started
    first_hour = schedule.scaled(HOUR_S)
    due: dt.datetime | None = None
    if since_start < first_hour:
        # the next of the first hour's retries, counted from the first attempt
        for offset_s in FIRST_HOUR_S:
            candidate = started + schedule.scaled(offset_s)
            if candidate > now:
                due = candidate
                break
    if due is None:
        to_event = (event_starts - now) if event_starts is not None else None
        past_in_hand = in_hand is not None and now.date() > in_hand
        due = now + schedule.scaled(interval_s(to_event, past_in_hand))
    if event_starts is not None and due >= event_starts:
        return None
    return due
