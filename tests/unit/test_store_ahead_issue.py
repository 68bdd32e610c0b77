"""The people ahead that an issue brings along (issue_counted: on PostgreSQL counted by
kiosk_issue of kiosk/store/pg/003_issue_count.sql in the issuing call) is the count
people_ahead gives for the new ticket, for every calling order, on both engines."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from itertools import permutations

from kiosk.domain.appointment import Booking, BookingStatus
from kiosk.domain.clock import business_day

NOW = datetime(2026, 11, 24, 8, 0, tzinfo=timezone.utc)  # 09:00 in Stuttgart
DAY = business_day(NOW)
CLASSES = ("emergency", "appointment", "walk_in")
# every full order, every order of one or two classes (the others come last, tied)
ORDERS = [None] + [p for n in (1, 2, 3) for p in permutations(CLASSES, n)]


def _booking(ref: str, minutes: int, rank: int | None = None) -> Booking:
    return Booking(ref, "anmeldung", "bb-mitte", NOW + timedelta(minutes=minutes), 15,
                   BookingStatus.CONFIRMED, rank)


def test_an_issues_people_ahead_is_people_ahead_of_the_new_ticket(engine_store):
    """GIVEN a queue with walk-ins, an emergency, a begun and an early appointment, a
    called walk-in and another service's ticket WHEN a walk-in is issued under each
    calling order THEN the count that comes with it is people_ahead of that ticket."""
    store = engine_store
    begun, early, first, second = (_booking("1001", -5), _booking("1002", 30),
                                   _booking("1003", 40, rank=1), _booking("1004", 50, rank=2))
    store.import_bookings([begun, early, first, second], NOW)
    store.issue("anmeldung", "A", "de", NOW, DAY, None)
    for b in (begun, early, first):
        store.check_in(b, "T", "de", NOW, DAY, timing="on_time")
    store.issue("anmeldung", "A", "de", NOW, DAY, None)
    store.issue("pass", "P", "de", NOW, DAY, None)
    called = store.call_next("1", ["anmeldung"], NOW, DAY)
    assert called.priority_rank == 1  # the emergency left the queue: not counted
    store.check_in(second, "T", "de", NOW, DAY, timing="on_time")
    seen = set()
    for order in ORDERS:
        orders = None if order is None else {"anmeldung": order}
        ticket, ahead = store.issue_counted("anmeldung", "A", "de", NOW, DAY, None,
                                            call_orders=orders)
        assert ahead == store.people_ahead(ticket, NOW, orders), order
        seen.add(ahead)
    assert len(seen) > 3  # the orders do rank the kinds differently here


_PROC = ("SELECT prosrc FROM pg_proc WHERE proname = 'kiosk_issue' "
         "AND pronamespace = current_schema()::regnamespace")


def test_a_version_2_database_gets_the_new_count(pg_dsn):
    """GIVEN a database at schema version 2 with a waiting walk-in WHEN a store of this
    kiosk opens it THEN migration 003 replaces kiosk_issue and the next issue counts
    that walk-in ahead."""
    import psycopg

    from kiosk.store.postgres import SCHEMA_VERSION, PostgresStore, migrations

    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE kiosk_schema (version INTEGER NOT NULL)")
        for _number, _name, sql in migrations()[:2]:
            conn.execute(sql)
        conn.execute("INSERT INTO kiosk_schema (version) VALUES (2)")
        old = conn.execute(_PROC).fetchone()[0]
    store = PostgresStore(pg_dsn)
    try:
        with psycopg.connect(pg_dsn, autocommit=True) as conn:
            assert conn.execute("SELECT version FROM kiosk_schema").fetchall() == [(SCHEMA_VERSION,)]
            new = conn.execute(_PROC).fetchall()
        assert len(new) == 1 and new[0][0] != old
        store.issue("anmeldung", "A", "de", NOW, DAY, None)
        _ticket, ahead = store.issue_counted("anmeldung", "A", "de", NOW, DAY, None)
        assert ahead == 1
    finally:
        store.close()
