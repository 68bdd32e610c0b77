"""An honest wait estimate: computed from today's real service times and the counters
actually calling, or 'unknown' when there is too little to go on."""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import median

MIN_COMPLETIONS = 5  # fewer completed tickets today: the median means little
ACTIVE_WINDOW_S = 30 * 60  # a counter that called within 30 minutes counts as active


@dataclass(frozen=True)
class WaitEstimate:
    people_ahead: int | None  # None: the queue could not be read after issuing
    minutes: int | None  # None: unknown, never an invented number

    @property
    def known(self) -> bool:
        return self.minutes is not None


def estimate_wait(people_ahead: int, active_counters: int,
                  service_times_s: list[float]) -> WaitEstimate:
    """ceil(people ahead / active counters) x median service time, in whole minutes.
    Non-positive service times are dropped: a wall clock that jumped back between call
    and done leaves them, and they say nothing about how long a visit takes."""
    if people_ahead < 0:
        raise ValueError("people_ahead cannot be negative")
    service_times_s = [t for t in service_times_s if t > 0]
    if active_counters <= 0 or len(service_times_s) < MIN_COMPLETIONS:
        return WaitEstimate(people_ahead, None)
    rounds = math.ceil(people_ahead / active_counters)
    if rounds == 0:
        return WaitEstimate(0, 0)  # next in line at a working counter
    seconds = rounds * median(service_times_s)
    return WaitEstimate(people_ahead, max(1, math.ceil(seconds / 60)))


UNKNOWN = WaitEstimate(None, None)  # the number is issued; the queue is not readable now
