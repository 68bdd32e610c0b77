"""Opening hours in Europe/Berlin."""

from datetime import datetime, timezone

import pytest

from kiosk.domain.hours import OpeningHours, parse_range


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


def test_no_hours_means_unrestricted():
    assert OpeningHours({}).is_open(datetime(2026, 11, 29, 3, 0, tzinfo=timezone.utc))
