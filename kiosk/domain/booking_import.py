"""What importing a booking does to the one stored under its reference: add it, update
it, leave it unchanged, or keep it as it is because the visitor has checked in. The same
rule for every store engine; each engine keeps its own SQL."""

from __future__ import annotations

from typing import Callable

from kiosk.domain.appointment import Booking, BookingStatus

# the counts an import returns, in this order
OUTCOMES = ("added", "updated", "unchanged", "kept")

# a stored booking in one of these may still change; any other (checked in, called,
# done) is the visitor's and stays as it is
_CHANGEABLE = frozenset(s.value for s in (BookingStatus.CONFIRMED, BookingStatus.CANCELLED,
                                          BookingStatus.MISSED))


def stored_values(booking: Booking, start) -> tuple:
    """The booking as the engines store and compare it: service, office, start (in the
    engine's own form), duration_min, status, priority_rank."""
    return (booking.service, booking.office, start, booking.duration_min,
            booking.status.value, booking.priority_rank)


def import_outcome(stored: tuple | None, incoming: tuple,
                   checked_in: Callable[[], bool]) -> str:
    """One of OUTCOMES for a booking `incoming` (stored_values) where `stored` (the same
    columns read back, None: no such reference) is. `checked_in` asks the store whether
    the reference has a check-in; it is asked only for a booking that could change."""
    if stored is None:
        return "added"
    if stored[4] not in _CHANGEABLE or checked_in():
        return "kept"
    if tuple(stored) == incoming:
        return "unchanged"
    return "updated"
