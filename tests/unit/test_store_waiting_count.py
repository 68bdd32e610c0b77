"""The walk-ins ahead of a new ticket that kiosk_issue reads from the day's counter row
(walk_ins - gone, kiosk/store/pg/005_waiting_walk_ins.sql) instead of counting the queue:
after every kind of state change -- issue, call, call by number, done, no-show, recall,
an offline ticket replayed from a terminal's outbox, a check-in, the expiry of an
earlier day, a terminal's file imported, a database migrated from version 4 -- the
people ahead an issue brings along are people_ahead of the new ticket, for every calling
order (on SQLite, which keeps counting, as well)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import psycopg
import pytest

from kiosk.domain.appointment import Booking, BookingStatus
from kiosk.domain.clock import business_day
from kiosk.domain.ticket import TicketState
from tests.unit.test_store_ahead_issue import ORDERS

NOW = datetime(2026, 11, 24, 8, 0, tzinfo=timezone.utc)  # 09:00 in Stuttgart
DAY = business_day(NOW)
YESTERDAY = DAY - timedelta(days=1)


def _agree(store, day=DAY, now=NOW, service="anmeldung", prefix="A") -> list[int]:
    """Issues one walk-in per calling order; each one's count must be people_ahead."""
    seen = []
    for order in ORDERS:
        orders = None if order is None else {service: order}
        ticket, ahead = store.issue_counted(service, prefix, "de", now, day, None,
                                            call_orders=orders)
        assert ahead == store.people_ahead(ticket, now, orders), (order, ahead)
        seen.append(ahead)
    return seen


def _booking(ref: str, minutes: int, rank: int | None = None) -> Booking:
    return Booking(ref, "anmeldung", "bb-mitte", NOW + timedelta(minutes=minutes), 15,
                   BookingStatus.CONFIRMED, rank)


def test_every_state_change_keeps_the_count(engine_store):
    """GIVEN a day's queue WHEN tickets are called, finished, recalled, replayed from a
    terminal's outbox, checked in and an earlier day expires THEN after each step the
    people ahead of a new walk-in are people_ahead's, for every calling order."""
    store = engine_store
    store.issue("anmeldung", "A", "de", NOW - timedelta(days=1), YESTERDAY, None)
    store.issue_counted("anmeldung", "A", "de", NOW - timedelta(days=1), YESTERDAY, None)
    for _ in range(3):
        store.issue("anmeldung", "A", "de", NOW, DAY, None)
    store.issue("pass", "P", "de", NOW, DAY, None)
    first = _agree(store)
    assert first[0] == 3  # the three walk-ins before; yesterday's and the other service's not
    store.call_next("1", ["anmeldung"], NOW, DAY)
    assert _agree(store)[0] == first[0] + len(ORDERS) - 1  # one left, the last round came
    store.finish_current("1", TicketState.DONE, NOW, DAY)
    _agree(store)
    store.call_number("2", "A003", NOW, DAY)
    _agree(store)
    store.finish("A003", TicketState.NO_SHOW, NOW, DAY)
    store.recall("2", NOW, DAY)
    _agree(store)
    store.adopt_offline("A901", "anmeldung", "de", NOW, "t9")  # a replayed offline ticket
    _agree(store)
    begun, early, urgent = _booking("1001", -5), _booking("1002", 30), _booking("1003", 40, 1)
    store.import_bookings([begun, early, urgent], NOW)
    for b in (begun, early, urgent):
        store.check_in(b, "T", "de", NOW, DAY, timing="on_time")
    assert len(set(_agree(store))) > 3  # the orders rank the kinds differently here
    called = store.call_next("3", ["anmeldung"], NOW, DAY)
    assert called.kind == "appointment"
    _agree(store)
    for counter in ("4", "5", "6"):
        store.call_next(counter, ["anmeldung"], NOW, DAY)
    _agree(store)
    # yesterday's two waiting walk-ins expired at today's first issue: none ahead
    assert _agree(store, YESTERDAY, NOW - timedelta(days=1))[0] == 0


@pytest.fixture
def server_store(pg_dsn):
    from kiosk.store.postgres import PostgresStore

    store = PostgresStore(pg_dsn, terminal_id="server")
    yield store
    store.close()


def test_a_terminals_imported_file_keeps_the_count(tmp_path, server_store):
    """GIVEN a terminal's SQLite file with waiting, called and finished walk-ins WHEN it
    is imported into the office server's PostgreSQL store THEN the people ahead of the
    server's next walk-ins are people_ahead's (the file's called ones not among them)."""
    from kiosk.store.import_sqlite import import_sqlite
    from kiosk.store.sqlite import SqliteStore

    path = tmp_path / "terminal.sqlite3"
    terminal = SqliteStore(path, terminal_id="terminal-7")
    try:
        for _ in range(5):
            terminal.issue("anmeldung", "A", "de", NOW, DAY, None)
        terminal.call_next("1", ["anmeldung"], NOW, DAY)
        terminal.finish_current("1", TicketState.DONE, NOW, DAY)
        terminal.call_next("1", ["anmeldung"], NOW, DAY)
    finally:
        terminal.close()
    report = import_sqlite(path, server_store, NOW, DAY)
    assert report.tickets == 5
    assert _agree(server_store)[0] == 3


def test_a_version_4_database_is_back_filled(pg_dsn):
    """GIVEN a database at schema version 4 with four walk-ins of a prefix, two still
    waiting WHEN a store of this kiosk opens it THEN migration 005 back-fills the count
    and the next walk-in has those two ahead."""
    from kiosk.store.postgres import SCHEMA_VERSION, PostgresStore, migrations

    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE kiosk_schema (version INTEGER NOT NULL)")
        for _number, _name, sql in migrations()[:4]:
            conn.execute(sql)
        conn.execute("INSERT INTO kiosk_schema (version) VALUES (4)")
        for seq, state in enumerate(("done", "waiting", "called", "waiting"), 1):
            conn.execute("INSERT INTO ticket (business_day, service, prefix, seq, number, "
                         "reference, terminal, lang, issued_at, state) VALUES "
                         "(%s, 'anmeldung', 'A', %s, %s, %s, 't1', 'de', %s, %s)",
                         (DAY, seq, f"A{seq:03d}", f"ref{seq}", NOW, state))
        conn.execute("INSERT INTO ticket_counter (business_day, prefix, last_seq, walk_ins) "
                     "VALUES (%s, 'A', 4, 4)", (DAY,))
    store = PostgresStore(pg_dsn)
    try:
        with psycopg.connect(pg_dsn, autocommit=True) as conn:
            assert conn.execute("SELECT version FROM kiosk_schema").fetchall() == [
                (SCHEMA_VERSION,)]
        assert _agree(store)[0] == 2
    finally:
        store.close()
