"""When a closed service opens next, and how a closed button says it."""

from datetime import datetime, timezone

from kiosk.domain.hours import OpeningHours, parse_range
from kiosk.domain.next_opening import next_opening

WEEKDAYS = OpeningHours({day: (parse_range("07:30-12:00"), parse_range("13:00-15:30"))
                         for day in ("mon", "tue", "wed", "thu", "fri")})


def _berlin(opening):
    return (opening.weekday(), opening.hour, opening.minute)


def test_after_friday_closing_it_opens_monday_morning():
    friday_evening = datetime(2026, 11, 27, 17, 0, tzinfo=timezone.utc)
    assert _berlin(next_opening(WEEKDAYS, friday_evening)) == (0, 7, 30)


def test_at_lunch_it_opens_the_same_afternoon():
    tuesday_lunch = datetime(2026, 11, 24, 11, 30, tzinfo=timezone.utc)  # 12:30 CET
    opening = next_opening(WEEKDAYS, tuesday_lunch)
    assert opening.date().isoformat() == "2026-11-24" and _berlin(opening) == (1, 13, 0)


def test_before_opening_it_is_today_in_office_time():
    # 06:00 UTC = 07:00 CET: opens at 07:30 the same day (not 06:30 UTC read as local)
    opening = next_opening(WEEKDAYS, datetime(2026, 11, 24, 6, 0, tzinfo=timezone.utc))
    assert opening.utcoffset().total_seconds() == 3600 and _berlin(opening) == (1, 7, 30)


def test_one_day_a_week_opens_up_to_seven_days_later():
    tuesdays = OpeningHours({"tue": (parse_range("08:00-09:00"),)})
    after = datetime(2026, 11, 24, 9, 0, tzinfo=timezone.utc)  # Tuesday 10:00 CET
    assert next_opening(tuesdays, after).date().isoformat() == "2026-12-01"


def test_no_hours_means_nothing_to_say():
    now = datetime(2026, 11, 24, 9, 0, tzinfo=timezone.utc)
    assert next_opening(OpeningHours.around_the_clock(), now) is None
    assert next_opening(OpeningHours({}), now) is None
    assert next_opening(OpeningHours({"mon": ()}), now) is None
