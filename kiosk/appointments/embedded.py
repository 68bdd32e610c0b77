"""The embedded appointment source: bookings imported into this terminal's own store
(`kiosk appointments import FILE`). Arrival is the store's exactly-once check-in itself,
so mark_arrived has nothing to tell anyone."""

from __future__ import annotations

from datetime import datetime

from kiosk.domain.appointment import Booking, BookingCode


class EmbeddedSource:
    """find() raises StoreError (not SourceUnavailable) when the store fails: the
    check-in service reports that as not available, not as an unreachable system."""

    def __init__(self, store) -> None:
        self.store = store

    def find(self, code: BookingCode) -> Booking | None:
        return self.store.find_booking(code.reference)

    def mark_arrived(self, booking: Booking, at: datetime) -> bool:
        return True
