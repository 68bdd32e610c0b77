"""Staff mode's store methods on both engines (a SQLite file, a real PostgreSQL server),
through the factory the app uses (kiosk.wiring.staff_store): settings by key and day,
the audit log in order, the day's figures and the terminal's last ticket."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from kiosk.domain.clock import business_day
from kiosk.domain.ticket import TicketState
from kiosk.wiring import staff_store

NOON = datetime(2026, 11, 24, 11, 0, tzinfo=timezone.utc)
DAY = business_day(NOON)


def test_settings_round_trip_with_their_day(engine_store):
    staff = staff_store(engine_store)
    assert staff.settings() == {}
    staff.put("notice", "longer_waits", DAY, NOON)
    staff.put("out_of_service", True, None, NOON)
    staff.put("notice", "card_only", DAY, NOON)  # replaces
    assert staff.settings() == {"notice": ("card_only", "2026-11-24"),
                                "out_of_service": (True, None)}
    staff.delete("notice")
    assert list(staff.settings()) == ["out_of_service"]


def test_audit_entries_are_the_newest_oldest_first(engine_store):
    staff = staff_store(engine_store)
    for i, action in enumerate(["entry", "notice", "exit"]):
        staff.audit(NOON + timedelta(minutes=i), action, "t1", None if i else "x")
    entries = staff.audit_entries(limit=2)
    assert [(at, a, t, d) for at, a, t, d in entries] == [
        (NOON + timedelta(minutes=1), "notice", "t1", None),
        (NOON + timedelta(minutes=2), "exit", "t1", None)]


def test_figures_and_last_ticket_of_the_day(open_engine_store):
    mine, other = open_engine_store("t1"), open_engine_store("t2")
    staff = staff_store(mine)
    assert staff.figures(DAY) == {"tickets": {}, "print_failures": 0,
                                  "median_wait_min": None}
    first = mine.issue("anmeldung", "A", "de", NOON, DAY, None)
    mine.issue("ausweis", "P", "de", NOON, DAY, None)
    other.issue("anmeldung", "A", "de", NOON, DAY, None)
    mine.record_print(first.id, False, "paper_out")
    mine.call_next("1", ["anmeldung"], NOON + timedelta(minutes=10), DAY)
    mine.call_next("2", ["anmeldung"], NOON + timedelta(minutes=20), DAY)
    figures = staff.figures(DAY)
    assert figures == {"tickets": {"anmeldung": 2, "ausweis": 1}, "print_failures": 1,
                       "median_wait_min": 15.0}
    last = staff.last_ticket_id("t1", DAY)
    assert mine.ticket(last).number == "P001"
    assert staff.last_ticket_id("t1", date(2026, 11, 25)) is None
    assert mine.finish("A002", TicketState.DONE, NOON, DAY).state is TicketState.DONE
