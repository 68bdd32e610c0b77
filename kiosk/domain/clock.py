"""Time in the office's zone. Domain code receives `now` from its caller and only
converts it here, so tests can move the clock freely."""

from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

OFFICE_ZONE = ZoneInfo("Europe/Berlin")


def local(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: pass an aware one (UTC or Europe/Berlin)")
    return moment.astimezone(OFFICE_ZONE)


def business_day(moment: datetime) -> date:
    """The day a ticket belongs to: numbers reset at midnight Europe/Berlin."""
    return local(moment).date()


def utc_now() -> datetime:
    """The one place that reads the real clock; services take it as a parameter."""
    return datetime.now(timezone.utc)
