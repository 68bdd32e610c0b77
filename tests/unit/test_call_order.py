"""The documented calling order: emergency cases by rank, begun appointments by slot,
walk-ins by arrival, appointments not yet begun last; per-service order honoured."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from kiosk.domain.call_order import Waiting, ahead_of, ordered

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=timezone.utc)


def walk_in(i, service="a"):
    return Waiting(i, service)


def appt(i, minutes, rank=None, service="a"):
    return Waiting(i, service, "appointment", NOW + timedelta(minutes=minutes), rank)


def ids(entries):
    return [e.id for e in entries]


def test_default_order():
    entries = [walk_in(1), appt(2, -5), walk_in(3), appt(4, 10), appt(5, 20, rank=2),
               appt(6, -20), appt(7, 30, rank=1)]
    # emergencies by rank (whatever their slot), begun slots by slot, walk-ins by
    # arrival, then the appointment whose slot has not begun
    assert ids(ordered(entries, NOW)) == [7, 5, 6, 2, 1, 3, 4]


def test_an_appointment_moves_up_when_its_slot_begins():
    entries = [walk_in(1), appt(2, 10)]
    assert ids(ordered(entries, NOW)) == [1, 2]
    assert ids(ordered(entries, NOW + timedelta(minutes=10))) == [2, 1]


def test_per_service_order():
    entries = [walk_in(1), appt(2, -5), appt(3, 0, rank=1)]
    orders = {"a": ("walk_in", "appointment", "emergency")}
    assert ids(ordered(entries, NOW, orders)) == [1, 2, 3]


def test_an_emergency_case_checked_in_later_is_ahead_of_waiting_walk_ins():
    entries = [walk_in(1), walk_in(2), appt(3, 60, rank=1)]
    assert ahead_of(entries[2], entries, NOW) == 0
    assert ahead_of(entries[0], entries, NOW) == 1
    assert ahead_of(entries[1], entries, NOW) == 2


def test_ties_break_by_issue_order():
    entries = [appt(5, -5), appt(4, -5), walk_in(3)]
    assert ids(ordered(entries, NOW)) == [4, 5, 3]
