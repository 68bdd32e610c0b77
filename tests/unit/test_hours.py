"""Opening hours in Europe/Berlin."""

from datetime import datetime, timedelta, timezone

import pytest

from kiosk.domain.hours import WEEKDAYS, OpeningHours, parse_range


def test_parse_range():
    start, end = parse_range("07:30-12:00")
    assert (start.hour, start.minute, end.hour) == (7, 30, 12)


@pytest.mark.parametrize("text", ["7:30-12:00", "12:00-07:30", "25:00-26:00", "08:00-08:00",
                                  "08:61-09:00", "morning"])
def test_impossible_ranges_are_refused(text):
    with pytest.raises(ValueError):
        parse_range(text)


def test_open_uses_local_time():
    hours = OpeningHours({"tue": (parse_range("07:30-12:00"),)})
    # Tuesday 24 Nov 2026: 06:29 UTC = 07:29 CET (closed), 06:30 UTC = 07:30 CET (open)
    assert not hours.is_open(datetime(2026, 11, 24, 6, 29, tzinfo=timezone.utc))
    assert hours.is_open(datetime(2026, 11, 24, 6, 30, tzinfo=timezone.utc))
    assert not hours.is_open(datetime(2026, 11, 24, 11, 0, tzinfo=timezone.utc))  # 12:00
    assert not hours.is_open(datetime(2026, 11, 25, 8, 0, tzinfo=timezone.utc))  # Wednesday


def test_around_the_clock_is_open_at_night():
    assert OpeningHours.around_the_clock().is_open(
        datetime(2026, 11, 29, 3, 0, tzinfo=timezone.utc))


@pytest.mark.parametrize("days", [{}, {day: () for day in WEEKDAYS}],
                         ids=["no day", "every day empty"])
def test_hours_without_any_range_mean_closed(days):
    """Issue 7, item 13: hours with no range on any day are closed, not open all day."""
    hours = OpeningHours(days)
    assert hours.always_closed
    week = [datetime(2026, 11, 23, 0, 0, tzinfo=timezone.utc) + timedelta(hours=h)
            for h in range(0, 7 * 24)]
    assert not any(hours.is_open(moment) for moment in week)
    assert hours.describe() == "never open"


def test_describe():
    hours = OpeningHours({"mon": (parse_range("07:30-12:00"), parse_range("13:00-24:00")),
                          "fri": (parse_range("08:00-09:00"),)})
    assert hours.describe() == "mon 07:30-12:00, 13:00-24:00; fri 08:00-09:00"
    assert OpeningHours.around_the_clock().describe() == "always open"
