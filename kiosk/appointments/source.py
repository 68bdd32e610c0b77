"""The one interface every appointment source offers the check-in service."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from kiosk.domain.appointment import Booking, BookingCode


class SourceUnavailable(Exception):
    """The booking system did not answer usefully (timeout, 5xx, nonsense). The message is
    one line for operators and logs; it never contains a code or reference."""


class AppointmentSource(Protocol):
    def find(self, code: BookingCode) -> Booking | None:
        """The booking the code names, or None when it is unknown or the authenticator
        does not match (ZMS 404/403). Raises SourceUnavailable."""
        ...

    def mark_arrived(self, booking: Booking, at: datetime) -> bool:
        """Tell the booking system the visitor is here. True when this call made the
        change; False when the booking was already marked (a second scan, another
        terminal). Raises SourceUnavailable."""
        ...
