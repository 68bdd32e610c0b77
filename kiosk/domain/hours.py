"""Opening hours per weekday in Europe/Berlin, and whether a moment lies inside them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time

from kiosk.domain.clock import local

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
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
    end = time(23, 59, 59) if h2 == 24 else time(h2, m2)
    if end <= start:
        raise ValueError(f"{text!r} ends before it starts")
    return start, end


@dataclass(frozen=True)
class OpeningHours:
    days: dict[str, tuple[tuple[time, time], ...]]

    @property
    def always_closed(self) -> bool:
        return not any(self.days.values())

    @property
    def unrestricted(self) -> bool:
        """No hours configured at all: the office decides by switching services off."""
        return not self.days or self.always_closed

    def is_open(self, now: datetime) -> bool:
        if self.unrestricted:
            return True
        moment = local(now)
        ranges = self.days.get(WEEKDAYS[moment.weekday()], ())
        return any(start <= moment.time() < end for start, end in ranges)
