"""Opening hours per weekday in Europe/Berlin, and whether a moment lies inside them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time

from kiosk.domain.clock import local

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_END_OF_DAY = time(23, 59, 59)  # "24:00" is stored as the last second
_RANGE = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")


def parse_range(text: str) -> tuple[time, time]:
    """'07:30-12:00' -> (07:30, 12:00); ValueError with a readable reason."""
    match = _RANGE.match(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not a range like \"07:30-12:00\"")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 == 24 and m2 != 0):
        raise ValueError(f"{text!r} is not a valid time of day")
    start = time(h1, m1)
    end = _END_OF_DAY if h2 == 24 else time(h2, m2)
    if end <= start:
        raise ValueError(f"{text!r} ends before it starts")
    return start, end


@dataclass(frozen=True)
class OpeningHours:
    """Opening ranges per weekday; a weekday without ranges is closed.

    `always_open` is only for a configuration without any hours table: a table that is
    present but has no range on any day means closed every day, never "open around the
    clock" (an emptied table must not silently open the office at night)."""

    days: dict[str, tuple[tuple[time, time], ...]]
    always_open: bool = False

    @classmethod
    def around_the_clock(cls) -> OpeningHours:
        return cls({}, always_open=True)

    @property
    def always_closed(self) -> bool:
        return not self.always_open and not any(self.days.values())

    def is_open(self, now: datetime) -> bool:
        if self.always_open:
            return True
        moment = local(now)
        ranges = self.days.get(WEEKDAYS[moment.weekday()], ())
        return any(start <= moment.time() < end for start, end in ranges)

    def describe(self) -> str:
        """One line for operators, e.g. "mon 07:30-12:00, 13:00-15:30; tue ..."."""
        if self.always_open:
            return "always open"
        if self.always_closed:
            return "never open"
        return "; ".join(
            f"{day} " + ", ".join(f"{s:%H:%M}-{'24:00' if e == _END_OF_DAY else f'{e:%H:%M}'}"
                                  for s, e in self.days[day])
            for day in WEEKDAYS if self.days.get(day))
