"""The booking import's rule (kiosk.domain.booking_import), the same for both store
engines: a new reference is added, a changed booking updated, an equal one left
unchanged, and one the visitor has checked in with (by its status or by a check-in row)
kept as it is; the check-in is asked about only when it decides."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from kiosk.domain.appointment import Booking, BookingStatus
from kiosk.domain.booking_import import OUTCOMES, import_outcome, stored_values

START = datetime(2026, 11, 24, 9, 0, tzinfo=timezone.utc)


def values(status=BookingStatus.CONFIRMED, minutes=0, rank=None) -> tuple:
    booking = Booking("1001", "anmeldung", "bb-mitte", START + timedelta(minutes=minutes),
                      15, status, rank)
    return stored_values(booking, booking.start.isoformat())


class Asked:
    def __init__(self, answer: bool):
        self.answer, self.times = answer, 0

    def __call__(self) -> bool:
        self.times += 1
        return self.answer


def test_the_outcomes_in_the_order_the_import_counts_them():
    assert OUTCOMES == ("added", "updated", "unchanged", "kept")


def test_stored_values_in_the_columns_order():
    booking = Booking("1001", "anmeldung", "bb-mitte", START, 15, BookingStatus.MISSED, 2)
    assert stored_values(booking, "start") == ("anmeldung", "bb-mitte", "start", 15,
                                               "missed", 2)


def test_a_new_reference_is_added_without_asking_for_a_check_in():
    asked = Asked(True)
    assert import_outcome(None, values(), asked) == "added" and asked.times == 0


@pytest.mark.parametrize("status", [BookingStatus.CONFIRMED, BookingStatus.CANCELLED,
                                    BookingStatus.MISSED])
def test_a_booking_that_may_change(status):
    stored = values(status)
    assert import_outcome(stored, stored, Asked(False)) == "unchanged"
    assert import_outcome(list(stored), stored, Asked(False)) == "unchanged"  # a db row
    assert import_outcome(stored, values(status, minutes=30), Asked(False)) == "updated"
    assert import_outcome(stored, values(BookingStatus.CONFIRMED, rank=1),
                          Asked(False)) == "updated"
    asked = Asked(True)  # a check-in row: kept, whatever the status says
    assert import_outcome(stored, values(status, minutes=30), asked) == "kept"
    assert asked.times == 1


@pytest.mark.parametrize("status", [BookingStatus.CHECKED_IN, BookingStatus.CALLED,
                                    BookingStatus.DONE])
def test_a_booking_the_visitor_has_used_is_kept_without_asking(status):
    asked = Asked(False)
    assert import_outcome(values(status), values(minutes=30), asked) == "kept"
    assert import_outcome(values(status), values(status), asked) == "kept"
    assert asked.times == 0


def test_both_engines_apply_the_rule(engine_store):
    """On a real SQLite file and a real PostgreSQL schema: a cancelled booking booked
    again is updated, an equal missed one unchanged, a called one kept as it is."""
    def booking(ref, status, minutes=0):
        return Booking(ref, "anmeldung", "bb-mitte", START + timedelta(minutes=minutes), 15,
                       status)

    store = engine_store
    first = [booking("2001", BookingStatus.CANCELLED), booking("2002", BookingStatus.MISSED),
             booking("2003", BookingStatus.CALLED)]
    assert store.import_bookings(first, START) == {"added": 3, "updated": 0,
                                                   "unchanged": 0, "kept": 0}
    again = [booking("2001", BookingStatus.CONFIRMED, 30),
             booking("2002", BookingStatus.MISSED),
             booking("2003", BookingStatus.CONFIRMED, 30)]
    assert store.import_bookings(again, START) == {"added": 0, "updated": 1,
                                                   "unchanged": 1, "kept": 1}
    assert store.find_booking("2001").status is BookingStatus.CONFIRMED
    assert store.find_booking("2001").start == START + timedelta(minutes=30)
    assert store.find_booking("2003").status is BookingStatus.CALLED
    assert store.find_booking("2003").start == START
