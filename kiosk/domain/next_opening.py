"""When a closed service opens next, from its weekly opening hours (Europe/Berlin), so a
closed button can say "opens Monday 07:30" instead of only "closed"."""

from __future__ import annotations

from datetime import datetime, timedelta

from kiosk.domain.clock import OFFICE_ZONE, local
from kiosk.domain.hours import WEEKDAYS, OpeningHours


def next_opening(hours: OpeningHours, now: datetime) -> datetime | None:
    """The next moment after `now` at which `hours` open (office time, aware), or None
    when there are no hours to go by (always open or never open)."""
    if hours.always_open:
        return None
    moment = local(now)
    for days_ahead in range(8):  # today, the next six days, and today next week
        day = (moment + timedelta(days=days_ahead)).date()
        for start, _end in sorted(hours.days.get(WEEKDAYS[day.weekday()], ())):
            opening = datetime.combine(day, start, tzinfo=OFFICE_ZONE)
            if opening > moment:
                return opening
    return None
