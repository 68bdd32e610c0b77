"""What a check-in attempt ends in: one outcome with a stable code (`kiosk checkin
--json` "outcome") and the facts a screen needs to explain it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from kiosk.domain.appointment import CodeRefusal


class CheckInOutcome(Enum):
    CHECKED_IN = "checked_in"
    ALREADY_CHECKED_IN = "already_checked_in"  # shows the number they already have
    TOO_EARLY = "too_early"                    # come back at `come_back_at`
    TOO_LATE = "too_late"                      # offer a walk-in ticket for `service`
    WRONG_DAY = "wrong_day"
    WRONG_OFFICE = "wrong_office"
    CANCELLED = "cancelled"
    UNKNOWN = "unknown"                        # no such booking (or wrong authKey)
    NOT_A_BOOKING = "not_a_booking"            # see `refusal` (Wi-Fi code, vCard, ...)
    UNREACHABLE = "unreachable"                # booking system not reachable
    NOT_AVAILABLE = "not_available"            # store fault, service disabled, 999 used
    QUEUED = "queued"                          # office server away: waits in the outbox


@dataclass(frozen=True)
class CheckInResult:
    outcome: CheckInOutcome
    service: str | None = None           # our service id, when the booking is known
    slot: datetime | None = None         # the booking's start
    number: str | None = None            # ticket number (checked in / already)
    ticket_id: int | None = None
    people_ahead: int | None = None
    estimate_min: int | None = None
    come_back_at: datetime | None = None  # too early: the window opens then
    refusal: CodeRefusal | None = None    # not a booking: what kind of code it was

    @property
    def ok(self) -> bool:
        return self.outcome is CheckInOutcome.CHECKED_IN
