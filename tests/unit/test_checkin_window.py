"""Check-in window edges with an injected clock, including both DST switches."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from kiosk.config_model import ServiceAppointments
from kiosk.domain.appointment import Booking, BookingStatus
from kiosk.domain.checkin_window import Timing, Verdict, evaluate
from kiosk.domain.clock import OFFICE_ZONE, local

RULES = ServiceAppointments(prefix="T", early_min=30, late_min=15)
SLOT = datetime(2026, 11, 24, 10, 30, tzinfo=OFFICE_ZONE)


def booking(start=SLOT, status=BookingStatus.CONFIRMED, office="bb-mitte", rank=None):
    return Booking("204517", "anmeldung", office, start, 20, status, rank)


def at(minutes_from_slot: float, start=SLOT) -> datetime:
    return (start + timedelta(minutes=minutes_from_slot)).astimezone(timezone.utc)


@pytest.mark.parametrize("offset, verdict, timing", [
    (-30.01, Verdict.TOO_EARLY, None),
    (-30, Verdict.OK, Timing.ON_TIME),     # the window opens exactly early_min before
    (0, Verdict.OK, Timing.ON_TIME),       # at the slot: still on time
    (0.01, Verdict.OK, Timing.LATE),
    (15, Verdict.OK, Timing.LATE),         # the last moment of the window
    (15.01, Verdict.TOO_LATE, None),
])
def test_window_edges(offset, verdict, timing):
    result = evaluate(booking(), RULES, "bb-mitte", at(offset))
    assert (result.verdict, result.timing) == (verdict, timing)


def test_too_early_says_when_the_window_opens():
    result = evaluate(booking(), RULES, "bb-mitte", at(-90))
    assert result.verdict is Verdict.TOO_EARLY
    assert local(result.come_back_at).strftime("%H:%M") == "10:00"


def test_too_early_may_check_in_anyway_when_configured():
    rules = ServiceAppointments(prefix="T", too_early="check_in")
    result = evaluate(booking(), rules, "bb-mitte", at(-90))
    assert (result.verdict, result.timing) == (Verdict.OK, Timing.EARLY)


def test_office_is_compared_without_case_and_another_office_is_refused():
    assert evaluate(booking(office="BB-MITTE"), RULES, "bb-mitte", at(0)).verdict is Verdict.OK
    assert evaluate(booking(office="bb-sued"), RULES, "bb-mitte", at(0)).verdict is \
        Verdict.WRONG_OFFICE


def test_wrong_day_is_the_business_day_in_berlin():
    # 00:10 on the 25th in Berlin is still the 24th in UTC: another business day
    late_slot = datetime(2026, 11, 25, 0, 10, tzinfo=OFFICE_ZONE)
    now = datetime(2026, 11, 24, 23, 50, tzinfo=OFFICE_ZONE).astimezone(timezone.utc)
    assert evaluate(booking(late_slot), RULES, "bb-mitte", now).verdict is Verdict.WRONG_DAY
    assert evaluate(booking(), RULES, "bb-mitte", at(24 * 60)).verdict is Verdict.WRONG_DAY


@pytest.mark.parametrize("status, verdict", [
    (BookingStatus.CANCELLED, Verdict.CANCELLED),
    (BookingStatus.CHECKED_IN, Verdict.ALREADY_CHECKED_IN),
    (BookingStatus.CALLED, Verdict.ALREADY_CHECKED_IN),
    (BookingStatus.DONE, Verdict.ALREADY_CHECKED_IN),
    (BookingStatus.MISSED, Verdict.TOO_LATE),
])
def test_status_decides_before_the_window(status, verdict):
    assert evaluate(booking(status=status), RULES, "bb-mitte", at(0)).verdict is verdict


def test_cancelled_wins_over_another_office():
    result = evaluate(booking(status=BookingStatus.CANCELLED, office="x"), RULES, "bb-mitte",
                      at(0))
    assert result.verdict is Verdict.CANCELLED


def test_spring_forward_counts_real_minutes():
    """29 March 2026: 02:00 CET jumps to 03:00 CEST. A 03:10 slot opens for check-in at
    01:40 wall time (30 real minutes before), not at 02:40 (a time that does not exist)."""
    slot = datetime(2026, 3, 29, 3, 10, tzinfo=OFFICE_ZONE)
    opens = datetime(2026, 3, 29, 1, 40, tzinfo=OFFICE_ZONE).astimezone(timezone.utc)
    result = evaluate(booking(slot), RULES, "bb-mitte", opens - timedelta(seconds=1))
    assert result.verdict is Verdict.TOO_EARLY
    assert local(result.come_back_at).strftime("%H:%M") == "01:40"
    assert evaluate(booking(slot), RULES, "bb-mitte", opens).verdict is Verdict.OK


def test_fall_back_counts_real_minutes():
    """25 October 2026: 03:00 CEST falls back to 02:00 CET. A slot at the first 02:30
    (CEST) is 75 real minutes before the second 02:45 (CET): too late, although the
    wall clock shows 15 minutes."""
    slot = datetime(2026, 10, 25, 2, 30, tzinfo=OFFICE_ZONE, fold=0)
    second = datetime(2026, 10, 25, 2, 45, tzinfo=OFFICE_ZONE, fold=1).astimezone(timezone.utc)
    assert (second - slot).total_seconds() == 75 * 60
    assert evaluate(booking(slot), RULES, "bb-mitte", second).verdict is Verdict.TOO_LATE
    first = datetime(2026, 10, 25, 2, 45, tzinfo=OFFICE_ZONE, fold=0).astimezone(timezone.utc)
    assert evaluate(booking(slot), RULES, "bb-mitte", first).verdict is Verdict.OK


def test_a_booking_ends_in_real_minutes_across_the_switch():
    start = datetime(2026, 3, 29, 1, 50, tzinfo=OFFICE_ZONE)
    b = Booking("204517", "anmeldung", "bb-mitte", start, 20, BookingStatus.CONFIRMED)
    # (subtracting two Europe/Berlin datetimes would be wall-clock arithmetic as well)
    assert (b.end.astimezone(timezone.utc) - start.astimezone(timezone.utc)).total_seconds() \
        == 20 * 60
    assert local(b.end).strftime("%H:%M") == "03:10"


def test_a_clock_in_office_time_on_the_fall_back_night():
    """A clock that hands out Europe/Berlin datetimes: the second 02:05 (CET, 01:05 UTC)
    is 10 minutes after a 02:55 slot in CEST (00:55 UTC), although its wall time is
    earlier: late, not on time."""
    slot = datetime(2026, 10, 25, 2, 55, tzinfo=OFFICE_ZONE, fold=0)
    now = datetime(2026, 10, 25, 2, 5, tzinfo=OFFICE_ZONE, fold=1)
    result = evaluate(booking(slot), RULES, "bb-mitte", now)
    assert (result.verdict, result.timing) == (Verdict.OK, Timing.LATE)
