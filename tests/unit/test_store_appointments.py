"""The store's appointment side on both engines (real SQLite files, a real PostgreSQL
server): import, exactly-once check-in,
calling order, people ahead, no-shows, walk-in quota and statistics."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from kiosk.domain.appointment import Booking, BookingStatus
from kiosk.domain.clock import business_day
from kiosk.domain.ticket import TicketState
from kiosk.store.errors import QuotaReached, SequenceExhausted
from kiosk.store.sqlite import SqliteStore
from tests.store_sql import preissue, rows

NOW = datetime(2026, 11, 24, 8, 0, tzinfo=timezone.utc)  # 09:00 in Stuttgart
DAY = business_day(NOW)


def booking(ref="204517", minutes=0, rank=None, service="anmeldung",
            status=BookingStatus.CONFIRMED):
    return Booking(ref, service, "bb-mitte", NOW + timedelta(minutes=minutes), 15, status,
                   rank)


@pytest.fixture
def store(engine_store):
    return engine_store


@pytest.fixture
def sqlite_store(tmp_path):
    s = SqliteStore(tmp_path / "q.sqlite3")
    yield s
    s.close()


def walk_in(store, at=NOW, quota=None):
    return store.issue("anmeldung", "A", "de", at, business_day(at), quota)


def check_in(store, b, at=NOW, prefix="T"):
    return store.check_in(b, prefix, "de", at, business_day(at), timing="on_time")


def test_import_is_idempotent_and_never_touches_a_checked_in_booking(store):
    assert store.import_bookings([booking("1001"), booking("1002")], NOW) == \
        {"added": 2, "updated": 0, "unchanged": 0, "kept": 0}
    assert store.import_bookings([booking("1001"), booking("1002")], NOW)["unchanged"] == 2
    check_in(store, booking("1001"))
    counts = store.import_bookings([booking("1001", minutes=60), booking("1002", minutes=60)],
                                   NOW)
    assert counts == {"added": 0, "updated": 1, "unchanged": 0, "kept": 1}
    assert store.find_booking("1001").status is BookingStatus.CHECKED_IN
    assert store.find_booking("1001").start == NOW
    assert store.find_booking("1002").start == NOW + timedelta(minutes=60)
    assert store.find_booking("9999") is None


def test_import_is_all_or_nothing(store):
    bad = Booking("1003", "anmeldung", "bb-mitte", None, 15, BookingStatus.CONFIRMED)
    with pytest.raises(Exception):
        store.import_bookings([booking("1001"), bad], NOW)
    assert store.find_booking("1001") is None


def test_check_in_is_exactly_once(store):
    first, created = check_in(store, booking())
    again, created_again = check_in(store, booking())
    assert (created, created_again) == (True, False)
    assert again.id == first.id and first.number == "T001"
    assert first.kind == "appointment" and first.slot == NOW
    assert store.checked_in_ticket("204517").number == "T001"
    assert store.all_numbers(DAY) == ["T001"]


def test_appointment_numbers_share_the_999_rule(store):
    preissue(store, DAY, "T", "anmeldung", 999, NOW)
    with pytest.raises(SequenceExhausted):
        check_in(store, booking())
    assert store.checked_in_ticket("204517") is None


def test_appointments_do_not_count_against_the_walk_in_quota(store):
    check_in(store, booking("1001"))
    check_in(store, booking("1002"))
    walk_in(store, quota=2)
    walk_in(store, quota=2)
    with pytest.raises(QuotaReached):
        walk_in(store, quota=2)
    assert store.issued_today("anmeldung", DAY) == 2


def test_call_next_honours_the_order_and_people_ahead_counts_what_is_ahead(store):
    w1 = walk_in(store)
    w2 = walk_in(store)
    early, _ = check_in(store, booking("1001", minutes=20))   # slot not begun
    begun, _ = check_in(store, booking("1002", minutes=-5))
    emergency, _ = check_in(store, booking("1003", minutes=40, rank=1))
    assert store.people_ahead(emergency, NOW) == 0
    assert store.people_ahead(begun, NOW) == 1
    assert store.people_ahead(w1, NOW) == 2
    assert store.people_ahead(w2, NOW) == 3
    assert store.people_ahead(early, NOW) == 4
    called = [store.call_next("1", ["anmeldung"], NOW, DAY).number for _ in range(5)]
    assert called == [emergency.number, begun.number, w1.number, w2.number, early.number]
    assert store.call_next("1", ["anmeldung"], NOW, DAY) is None


def test_call_next_honours_a_services_own_order(store):
    w1 = walk_in(store)
    emergency, _ = check_in(store, booking("1003", rank=1))
    orders = {"anmeldung": ("walk_in", "appointment", "emergency")}
    assert store.people_ahead(emergency, NOW, orders) == 1
    assert store.call_next("1", ["anmeldung"], NOW, DAY, orders).id == w1.id


def test_no_shows_at_the_end_of_the_window_are_counted(store):
    store.import_bookings([booking("1001", minutes=-20), booking("1002", minutes=-10),
                           booking("1003", minutes=-30)], NOW)
    check_in(store, booking("1003", minutes=-30))
    assert store.mark_no_shows(NOW, {"anmeldung": 15}) == 1   # 1001: window closed
    assert store.find_booking("1001").status is BookingStatus.MISSED
    assert store.find_booking("1002").status is BookingStatus.CONFIRMED
    assert store.find_booking("1003").status is BookingStatus.CHECKED_IN
    assert store.mark_no_shows(NOW, {"anmeldung": 15}) == 0
    assert ("anmeldung", "no_show", 1) in store.checkin_stats(DAY)


def test_earlier_days_bookings_become_no_shows_when_the_day_changes(open_engine_store):
    first = open_engine_store()
    first.import_bookings([booking("1001")], NOW)
    first.close()
    tomorrow = NOW + timedelta(days=1)
    store = open_engine_store()
    store.issue("anmeldung", "A", "de", tomorrow, business_day(tomorrow), None)
    assert store.find_booking("1001").status is BookingStatus.MISSED
    assert ("anmeldung", "no_show", 1) in store.checkin_stats(DAY)


def test_statistics_hold_no_reference(store):
    check_in(store, booking("204517"))
    store.count_checkin(DAY, "anmeldung", "too_late")
    store.count_checkin(DAY, None, "not_a_booking")
    store.count_checkin(DAY, None, "not_a_booking")
    assert store.checkin_stats(DAY) == [("", "refused_not_a_booking", 2),
                                        ("anmeldung", "checked_in_on_time", 1),
                                        ("anmeldung", "refused_too_late", 1)]
    stored = rows(store, "SELECT * FROM checkin_stat")
    assert stored and not any("204517" in str(value) for row in stored for value in row)


def test_a_called_appointment_ticket_is_finished_like_a_walk_in(store):
    ticket, _ = check_in(store, booking())
    store.call_next("2", ["anmeldung"], NOW, DAY)
    done = store.finish(ticket.number, TicketState.DONE, NOW, DAY)
    assert done.state is TicketState.DONE and done.kind == "appointment"


def test_the_day_change_uses_the_connection_only_under_the_store_lock(sqlite_store):
    """The connection is shared by the kiosk's threads (the UI's workers, the snapshot
    writer, check-in): every statement of a day change that marks yesterday's missed
    bookings runs while some thread holds the store's lock."""
    import threading

    store = sqlite_store
    store.import_bookings([booking()], NOW)
    store._expire_once(DAY.isoformat())
    unlocked = []

    def lock_is_free() -> bool:  # asked from another thread: the lock is reentrant
        free = []
        probe = threading.Thread(target=lambda: free.append(
            store._lock.acquire(blocking=False) and (store._lock.release() or True)))
        probe.start()
        probe.join()
        return free[0]

    store._db.set_trace_callback(
        lambda sql: unlocked.append(sql) if lock_is_free() else None)
    try:
        walk_in(store, at=NOW + timedelta(days=1))
    finally:
        store._db.set_trace_callback(None)
    assert store.find_booking("204517").status is BookingStatus.MISSED
    assert unlocked == []


def test_people_ahead_counted_in_sql_is_the_calling_orders_count(store):
    """The store's COUNT (kiosk/store/ahead_sql.py) against the domain's ahead_of over
    every waiting ticket, on mixed queues: walk-ins, begun and early slots (two on one
    slot), emergency ranks (two of one rank), a called ticket, and each service order."""
    import random

    from kiosk.domain.call_order import Waiting, ahead_of

    rnd = random.Random(13)
    tickets = []
    for i in range(40):
        pick = rnd.random()
        if pick < 0.5:
            tickets.append(walk_in(store))
        else:
            minutes = rnd.choice([-30, -5, -5, 0, 10, 10, 45])
            rank = rnd.choice([1, 2, 2]) if pick > 0.85 else None
            tickets.append(check_in(store, booking(f"{3000 + i}", minutes=minutes,
                                                   rank=rank))[0])
    store.call_next("1", ["anmeldung"], NOW, DAY)  # one leaves the waiting ones
    waiting_ids = {r[0] for r in rows(store, "SELECT id FROM ticket WHERE state = "
                                             "'waiting'")}
    waiting = [Waiting(t.id, t.service, t.kind, t.slot, t.priority_rank) for t in tickets
               if t.id in waiting_ids]
    for order in (None, ("walk_in", "appointment", "emergency"),
                  ("appointment", "walk_in"), ("emergency",)):
        orders = {"anmeldung": order} if order else None
        for at in (NOW, NOW + timedelta(minutes=12)):
            expected = [ahead_of(w, waiting, at, orders) for w in waiting]
            got = [store.people_ahead(t, at, orders) for t in tickets
                   if t.id in waiting_ids]
            assert got == expected, (order, at)


def test_the_count_an_issue_brings_along_is_people_ahead(store):
    """issue_counted (one round trip on PostgreSQL: kiosk_issue in 002_issue_key.sql)
    counts as people_ahead does, amid begun, early and emergency appointments, a called
    ticket and each service order."""
    check_in(store, booking("4001", minutes=-10))
    check_in(store, booking("4002", minutes=20))
    check_in(store, booking("4003", minutes=30, rank=2))
    walk_in(store)
    store.call_next("1", ["anmeldung"], NOW, DAY)
    walk_in(store)
    for order in (None, ("walk_in", "appointment", "emergency"), ("appointment", "walk_in")):
        orders = {"anmeldung": order} if order else None
        for at in (NOW, NOW + timedelta(minutes=25)):
            ticket, ahead = store.issue_counted("anmeldung", "A", "de", at, DAY, None,
                                                call_orders=orders)
            assert ahead == store.people_ahead(ticket, at, orders), (order, at)
