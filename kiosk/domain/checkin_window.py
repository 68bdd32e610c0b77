"""The check-in rules of one booking at one moment: right office, right business day,
inside the window (early_min before the slot to late_min after its start), not cancelled,
not checked in yet. Pure: the caller passes `now`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from enum import Enum

from kiosk.config_model import ServiceAppointments
from kiosk.domain.appointment import Booking, BookingStatus
from kiosk.domain.clock import business_day


class Verdict(Enum):
    OK = "ok"
    WRONG_OFFICE = "wrong_office"
    WRONG_DAY = "wrong_day"
    TOO_EARLY = "too_early"
    TOO_LATE = "too_late"
    CANCELLED = "cancelled"
    ALREADY_CHECKED_IN = "already_checked_in"


class Timing(Enum):
    """How a check-in that is let in stands to its slot, for the statistics:
    early = before the window opened (only with too_early = "check_in"),
    on_time = in the window up to the slot's start, late = after the slot's start."""
    EARLY = "early"
    ON_TIME = "on_time"
    LATE = "late"


@dataclass(frozen=True)
class WindowResult:
    verdict: Verdict
    timing: Timing | None = None          # set when verdict is OK
    come_back_at: datetime | None = None  # too early: the moment the window opens


def window_opens(booking: Booking, rules: ServiceAppointments) -> datetime:
    # in UTC: arithmetic on a Europe/Berlin datetime is wall-clock arithmetic, which
    # on a DST day gives a time that does not exist (02:40 on the spring switch)
    return booking.start.astimezone(timezone.utc) - timedelta(minutes=rules.early_min)


def window_closes(booking: Booking, rules: ServiceAppointments) -> datetime:
    return booking.start.astimezone(timezone.utc) + timedelta(minutes=rules.late_min)


def evaluate(booking: Booking, rules: ServiceAppointments, office_id: str,
             now: datetime) -> WindowResult:
    """Checked in this order: cancelled, already here, office, day, window. A booking
    the office itself already gave up (missed) counts as too late."""
    status = booking.status
    if status is BookingStatus.CANCELLED:
        return WindowResult(Verdict.CANCELLED)
    if status in (BookingStatus.CHECKED_IN, BookingStatus.CALLED, BookingStatus.DONE):
        return WindowResult(Verdict.ALREADY_CHECKED_IN)
    # QR codes carry the office upper-cased; ids are compared without case
    if booking.office.strip().casefold() != office_id.strip().casefold():
        return WindowResult(Verdict.WRONG_OFFICE)
    if business_day(booking.start) != business_day(now):
        return WindowResult(Verdict.WRONG_DAY)
    # compared in UTC: two datetimes with the same zone compare by wall time
    now = now.astimezone(timezone.utc)
    start = booking.start.astimezone(timezone.utc)
    if status is BookingStatus.MISSED or now > window_closes(booking, rules):
        return WindowResult(Verdict.TOO_LATE)
    opens = window_opens(booking, rules)
    if now < opens:
        if rules.too_early == "check_in":
            return WindowResult(Verdict.OK, Timing.EARLY)
        return WindowResult(Verdict.TOO_EARLY, come_back_at=opens)
    return WindowResult(Verdict.OK, Timing.ON_TIME if now <= start else Timing.LATE)
