"""The fulfillment retry schedule (1Ticket's): a table of cases, and properties that hold for any
moment, event and scale."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from tixpilot.services.fulfillment_schedule import (
    DAILY_S,
    FIRST_HOUR_S,
    HOUR_S,
    RetrySchedule,
    next_attempt,
)

T0 = dt.datetime(2030, 5, 1, 12, 0, tzinfo=dt.UTC)
MIN = dt.timedelta(minutes=1)
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)


@pytest.mark.parametrize(
    ("now", "event", "in_hand", "expected"),
    [
        # several times in the first hour, counted from the first attempt
        (T0, T0 + 30 * DAY, None, T0 + 5 * MIN),
        (T0 + 5 * MIN, T0 + 30 * DAY, None, T0 + 15 * MIN),
        (T0 + 15 * MIN, T0 + 30 * DAY, None, T0 + 30 * MIN),
        (T0 + 30 * MIN, T0 + 30 * DAY, None, T0 + 60 * MIN),
        # an attempt made late in the hour (the worker was busy) still takes the next slot
        (T0 + 20 * MIN, T0 + 30 * DAY, None, T0 + 30 * MIN),
        # after the first hour: daily when the event is far and the in-hand date not passed
        (T0 + HOUR, T0 + 30 * DAY, None, T0 + HOUR + DAY),
        # every 4 hours within 7 days of the event
        (T0 + 2 * HOUR, T0 + 3 * DAY, None, T0 + 6 * HOUR),
        (T0 + 2 * HOUR, T0 + 7 * DAY + 2 * HOUR, None, T0 + 6 * HOUR),
        # ... or once the in-hand date has passed, however far the event
        (T0 + 2 * HOUR, T0 + 30 * DAY, dt.date(2030, 4, 30), T0 + 6 * HOUR),
        # (the in-hand day itself is not late)
        (T0 + 2 * HOUR, T0 + 30 * DAY, dt.date(2030, 5, 1), T0 + 2 * HOUR + DAY),
        # hourly within 24 hours of the event
        (T0 + 2 * HOUR, T0 + 20 * HOUR, None, T0 + 3 * HOUR),
        (T0 + 2 * HOUR, T0 + 26 * HOUR, None, T0 + 3 * HOUR),
        # an unknown event: daily
        (T0 + 2 * HOUR, None, None, T0 + 2 * HOUR + DAY),
        # the first hour's retries stop where the event starts
        (T0, T0 + 10 * MIN, None, T0 + 5 * MIN),
        (T0 + 5 * MIN, T0 + 10 * MIN, None, None),
        # no attempt at or after the event's start: given up
        (T0 + 2 * HOUR, T0 + 2 * HOUR + 30 * MIN, None, None),
        (T0 + 2 * HOUR, T0 + 2 * HOUR, None, None),
        (T0 + 2 * HOUR, T0, None, None),
    ],
)
def test_the_schedule(now, event, in_hand, expected):
    assert next_attempt(now=now, started=T0, event_starts=event, in_hand=in_hand) == expected


def test_the_schedule_scales_from_the_first_retry_delay():
    """TIXPILOT_FULFILL_RETRY_S=1: the first hour is 12 s, a day 288 s; how far the event is stays
    real (an event 3 days away is within 7 days whatever the scale)."""
    fast = RetrySchedule(1)
    s = dt.timedelta(seconds=1)
    steps = []
    now = T0
    for _ in range(6):
        due = next_attempt(now=now, started=T0, event_starts=T0 + 30 * DAY, in_hand=None, schedule=fast)
        assert due is not None
        steps.append((due - T0) / s)
        now = due
    assert steps == [1, 3, 6, 12, 12 + 288, 12 + 2 * 288]
    soon = next_attempt(now=T0 + 20 * s, started=T0, event_starts=T0 + 3 * DAY, in_hand=None, schedule=fast)
    assert soon == T0 + 20 * s + 48 * s  # every "4 hours": 4 x 12 s


# --- properties ------------------------------------------------------------------------------------

offsets = st.integers(min_value=0, max_value=90 * 24 * 3600)
events = st.one_of(st.none(), st.integers(min_value=-3600, max_value=90 * 24 * 3600))
firsts = st.sampled_from([1, 2, 5, 30, 300, 600])
in_hands = st.one_of(st.none(), st.integers(min_value=-30, max_value=90))


def _args(elapsed_s: int, event_in_s: int | None, in_hand_days: int | None, first_s: int):
    now = T0 + dt.timedelta(seconds=elapsed_s)
    event = now + dt.timedelta(seconds=event_in_s) if event_in_s is not None else None
    in_hand = (T0 + dt.timedelta(days=in_hand_days)).date() if in_hand_days is not None else None
    return {
        "now": now,
        "started": T0,
        "event_starts": event,
        "in_hand": in_hand,
        "schedule": RetrySchedule(first_s),
    }


@given(offsets, events, in_hands, firsts)
def test_the_next_attempt_is_later_than_now_and_before_the_event(elapsed, event_in, in_hand, first):
    args = _args(elapsed, event_in, in_hand, first)
    due = next_attempt(**args)
    if due is None:
        assert args["event_starts"] is not None
        return
    assert due > args["now"]
    assert due - args["now"] <= args["schedule"].scaled(DAILY_S)
    if args["event_starts"] is not None:
        assert due < args["event_starts"]


@given(offsets, events, in_hands, firsts)
def test_it_gives_up_only_when_the_event_starts_within_a_day(elapsed, event_in, in_hand, first):
    args = _args(elapsed, event_in, in_hand, first)
    if next_attempt(**args) is None:
        assert args["event_starts"] - args["now"] <= args["schedule"].scaled(DAILY_S)


@given(
    st.integers(min_value=HOUR_S, max_value=60 * 24 * 3600),
    st.integers(min_value=0, max_value=90 * 24 * 3600),
    st.integers(min_value=0, max_value=90 * 24 * 3600),
)
def test_a_nearer_event_never_waits_longer(elapsed, near_s, extra_s):
    """After the first hour, the closer the event, the more often: delays never grow as it nears."""
    now = T0 + dt.timedelta(seconds=elapsed)
    near = next_attempt(now=now, started=T0, event_starts=now + dt.timedelta(seconds=near_s), in_hand=None)
    far = next_attempt(
        now=now, started=T0, event_starts=now + dt.timedelta(seconds=near_s + extra_s), in_hand=None
    )
    if near is not None:
        assert far is not None and near - now <= far - now


@given(st.integers(min_value=0, max_value=30 * 24 * 3600), st.sampled_from([1, 2, 3, 10]))
def test_delays_scale_with_the_first_retry_delay(elapsed, factor):
    """Without an event (nothing real-time in play), every delay is `factor` times as long."""
    base = RetrySchedule(300)
    slow = RetrySchedule(300 * factor)
    now = T0 + dt.timedelta(seconds=elapsed)
    slow_now = T0 + dt.timedelta(seconds=elapsed * factor)
    due = next_attempt(now=now, started=T0, event_starts=None, in_hand=None, schedule=base)
    slow_due = next_attempt(now=slow_now, started=T0, event_starts=None, in_hand=None, schedule=slow)
    assert due is not None and slow_due is not None
    assert slow_due - slow_now == (due - now) * factor


@given(firsts, st.one_of(st.none(), st.integers(min_value=2 * 3600, max_value=90 * 24 * 3600)))
def test_several_attempts_in_the_first_hour_then_the_cadence(first, event_in):
    schedule = RetrySchedule(first)
    assume(event_in is None or dt.timedelta(seconds=event_in) > schedule.scaled(HOUR_S))
    event = T0 + dt.timedelta(seconds=event_in) if event_in is not None else None
    now, within_hour = T0, 0
    while True:
        due = next_attempt(now=now, started=T0, event_starts=event, in_hand=None, schedule=schedule)
        if due is None or due - T0 > schedule.scaled(HOUR_S):  # the event within the hour after
            break
        within_hour += 1
        now = due
    assert within_hour == len(FIRST_HOUR_S)
