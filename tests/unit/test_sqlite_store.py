"""The queue store on both engines (a real SQLite file, a real PostgreSQL server):
numbering, daily reset, life of a ticket. WAL mode and the query plans are SQLite's."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from kiosk.domain.clock import business_day
from kiosk.domain.ticket import TicketState
from kiosk.store.errors import (QuotaReached, SequenceExhausted, TicketNotFound,
                                TransitionRefused)
from kiosk.store.sqlite import INSERT_TICKET, SqliteStore
from tests.store_sql import preissue, rows

NOON = datetime(2026, 11, 24, 11, 0, tzinfo=timezone.utc)


@pytest.fixture
def store(engine_store):
    return engine_store


@pytest.fixture
def sqlite_store(tmp_path):
    s = SqliteStore(tmp_path / "q.sqlite3", terminal_id="t1")
    yield s
    s.close()


def issue(store, service="anmeldung", prefix="A", at=NOON, quota=None):
    return store.issue(service, prefix, "de", at, business_day(at), quota)


def test_numbers_count_up_per_prefix(store):
    assert [issue(store).number for _ in range(3)] == ["A001", "A002", "A003"]
    assert issue(store, "ausweis", "P").number == "P001"


def test_store_runs_in_wal_mode_and_syncs_itself(sqlite_store):
    store = sqlite_store
    assert store._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    # NORMAL: the store syncs the WAL after each write (test_store_write_path.py)
    assert store._db.execute("PRAGMA synchronous").fetchone()[0] == 1


def test_numbers_reset_at_midnight_berlin(store):
    """GIVEN tickets issued late on Tuesday WHEN the clock passes midnight in Stuttgart
    THEN numbering starts again at 001."""
    late = datetime(2026, 11, 24, 22, 58, tzinfo=timezone.utc)  # 23:58 CET
    assert issue(store, at=late).number == "A001"
    assert issue(store, at=late + timedelta(minutes=1)).number == "A002"
    after = late + timedelta(minutes=3)  # 00:01 CET on Wednesday
    assert issue(store, at=after).number == "A001"


def test_waiting_tickets_expire_the_next_day(store):
    old = issue(store)
    issue(store, at=NOON + timedelta(days=1))
    assert store.ticket_by_number(old.number, old.business_day).state is TicketState.EXPIRED


def test_quota_refuses_and_issues_nothing(store):
    issue(store, quota=2)
    issue(store, quota=2)
    with pytest.raises(QuotaReached):
        issue(store, quota=2)
    assert store.all_numbers(business_day(NOON)) == ["A001", "A002"]


def test_people_ahead_counts_only_waiting_earlier_tickets_of_the_service(store):
    first, second = issue(store), issue(store)
    issue(store, "ausweis", "P")
    third = issue(store)
    assert store.people_ahead(first) == 0
    assert store.people_ahead(third) == 2
    store.call_next("3", ["anmeldung"], NOON, business_day(NOON))
    assert store.people_ahead(third) == 1
    assert store.people_ahead(second) == 0


def test_ticket_life_waiting_called_done(store):
    ticket = issue(store)
    called = store.call_next("4", ["anmeldung"], NOON, business_day(NOON))
    assert called.number == ticket.number and called.state is TicketState.CALLED
    assert called.counter == "4"
    done = store.finish(ticket.number, TicketState.DONE, NOON + timedelta(minutes=6),
                        business_day(NOON))
    assert done.state is TicketState.DONE
    assert store.service_times_s("anmeldung", business_day(NOON)) == [360.0]
    with pytest.raises(TransitionRefused):
        store.finish(ticket.number, TicketState.NO_SHOW, NOON, business_day(NOON))


def test_a_waiting_ticket_cannot_be_done_without_a_call(store):
    ticket = issue(store)
    with pytest.raises(TransitionRefused):
        store.finish(ticket.number, TicketState.DONE, NOON, business_day(NOON))


def test_unknown_number(store):
    with pytest.raises(TicketNotFound):
        store.finish("A404", TicketState.DONE, NOON, date(2026, 11, 24))


def test_active_counters_look_back_thirty_minutes(store):
    for _ in range(3):
        issue(store)
    day = business_day(NOON)
    store.call_next("1", ["anmeldung"], NOON - timedelta(minutes=40), day)
    store.call_next("2", ["anmeldung"], NOON - timedelta(minutes=10), day)
    assert store.active_counters("anmeldung", NOON - timedelta(minutes=30)) == 1


def test_reference_is_random_not_derived(store):
    refs = {issue(store).reference for _ in range(20)}
    assert len(refs) == 20 and all(len(r) == 12 for r in refs)


def test_a_year_of_history_does_not_slow_the_hot_queries(sqlite_store):
    """GIVEN a year of history written with the store's own INSERT (300 tickets a day,
    called and done) WHEN a visit and a counter run through the store's real methods
    THEN every statement they execute finds its rows by an index, never by a scan
    (bench/README.md measured 14 ms per tap before these indexes)."""
    store = sqlite_store
    first = date(2025, 11, 24)
    rows = []
    for d in range(365):
        day = first + timedelta(days=d)
        at = datetime(day.year, day.month, day.day, 8, tzinfo=timezone.utc)
        for seq in range(1, 301):
            rows.append((day.isoformat(), "anmeldung", "A", seq, f"A{seq:03d}",
                         f"r{d:03d}{seq:03d}xxxxxx", "t1", "de", at.isoformat(), "waiting"))
    with store._write() as db:
        db.executemany(INSERT_TICKET, rows)
        # the day's tickets were called and finished (what call_next/finish write)
        db.execute("UPDATE ticket SET state = 'done', counter = '1', call_seq = seq, "
                   "called_at = issued_at, finished_at = issued_at")
    assert store._db.execute("SELECT COUNT(*) FROM ticket").fetchone()[0] == 365 * 300

    statements = []
    store._db.set_trace_callback(statements.append)
    try:
        ticket = issue(store)
        for method in (store.issued_today, store.waiting_count, store.service_times_s):
            method("anmeldung", business_day(NOON))
        store.last_sequence("A", business_day(NOON))
        store.people_ahead(ticket)
        store.active_counters("anmeldung", NOON - timedelta(minutes=30))
        store.call_next("2", ["anmeldung"], NOON, business_day(NOON))
        store.recent_calls(business_day(NOON))
        store.record_print(ticket.id, True, None)
        store.finish(ticket.number, TicketState.DONE, NOON, business_day(NOON))
        store.ticket_by_number(ticket.number, business_day(NOON))
    finally:
        store._db.set_trace_callback(None)
    checked = 0
    for sql in statements:
        if not sql.lstrip().upper().startswith(("SELECT", "UPDATE", "DELETE", "INSERT")):
            continue  # BEGIN/COMMIT
        plan = [row[-1] for row in store._db.execute("EXPLAIN QUERY PLAN " + sql)]
        assert not [line for line in plan if line.startswith("SCAN ticket")], (sql, plan)
        checked += 1
    assert checked >= 15, statements


def test_numbering_resets_exactly_at_local_midnight_on_dst_days(store):
    """GIVEN the spring and autumn switch days in Europe/Berlin WHEN tickets are issued
    a microsecond before and at local midnight THEN the second one starts at 001."""
    for midnight_utc in (datetime(2026, 3, 28, 23, 0, tzinfo=timezone.utc),   # 29 Mar CET
                         datetime(2026, 3, 29, 22, 0, tzinfo=timezone.utc),   # 30 Mar CEST
                         datetime(2026, 10, 24, 22, 0, tzinfo=timezone.utc),  # 25 Oct CEST
                         datetime(2026, 10, 25, 23, 0, tzinfo=timezone.utc)):  # 26 Oct CET
        before = midnight_utc - timedelta(microseconds=1)
        issue(store, at=before - timedelta(hours=20))
        last = issue(store, at=before)
        assert last.number != "A001" and last.business_day < business_day(midnight_utc)
        assert issue(store, at=midnight_utc).number == "A001"
    # the 23- and 25-hour days keep one business day each
    assert business_day(datetime(2026, 3, 29, 21, 59, tzinfo=timezone.utc)) == \
        date(2026, 3, 29)
    assert business_day(datetime(2026, 10, 25, 22, 59, tzinfo=timezone.utc)) == \
        date(2026, 10, 25)


def test_number_999_is_the_last_and_not_called_a_quota(store):
    day = business_day(NOON)
    preissue(store, day, "A", "anmeldung", 998, NOON)  # 998 numbers already issued today
    assert issue(store).number == "A999"
    assert store.last_sequence("A", day) == 999
    with pytest.raises(SequenceExhausted) as caught:
        issue(store)
    assert "all 999 numbers of prefix A are used today" in str(caught.value)
    assert "quota" not in str(caught.value)
    with pytest.raises(SequenceExhausted):
        issue(store, quota=5000)  # a quota above 999 is not what stops it
    assert len(store.all_numbers(day)) == 999
    assert issue(store, "ausweis", "P").number == "P001"  # other prefixes go on
    assert issue(store, at=NOON + timedelta(days=1)).number == "A001"


def test_a_clock_that_jumps_back_keeps_the_queue_in_issue_order(store):
    """GIVEN tickets issued while the wall clock jumps back an hour (NTP, RTC) WHEN the
    counter calls THEN they are called in the order they were issued, and the sign's
    latest call is the one made last."""
    first = issue(store, at=NOON)
    second = issue(store, at=NOON - timedelta(hours=1))  # clock went back
    third = issue(store, at=NOON - timedelta(minutes=50))
    day = business_day(NOON)
    assert store.people_ahead(third) == 2
    calls = [store.call_next("1", ["anmeldung"], NOON + timedelta(minutes=5), day),
             store.call_next("2", ["anmeldung"], NOON - timedelta(minutes=40), day)]
    assert [c.number for c in calls] == [first.number, second.number]
    assert [t.number for t in store.recent_calls(day)] == [second.number, first.number]
    assert store.call_next("3", ["anmeldung"], NOON - timedelta(minutes=30),
                           day).number == third.number


def test_a_print_error_is_stored_as_a_result_code_only(store):
    ticket = issue(store)
    store.record_print(ticket.id, False, "paper_out")
    assert rows(store, "SELECT print_error FROM ticket") == [("paper_out",)]
    store.record_print(ticket.id, False, "cannot encode 'Müller' in cp858")
    assert rows(store, "SELECT printed, print_error FROM ticket") == [(0, "failed")]
    store.record_print(ticket.id, True, "ignored")
    assert rows(store, "SELECT printed, print_error FROM ticket") == [(1, None)]


def test_walk_ins_are_counted_against_the_quota_only_near_it(sqlite_store):
    """Below the quota an issue reads the last number (one index lookup); counting the
    walk-ins reads every earlier ticket of the prefix under the write lock, so it runs
    only once the numbers have reached the quota, and the quota still holds exactly."""
    day = business_day(NOON)
    preissue(sqlite_store, day, "A", "anmeldung", 40, NOON)
    statements = []
    sqlite_store._db.set_trace_callback(statements.append)
    try:
        issue(sqlite_store, quota=120)
        assert not [sql for sql in statements if "SUM(kind" in sql]
        with pytest.raises(QuotaReached):
            issue(sqlite_store, quota=41)
        assert [sql for sql in statements if "SUM(kind" in sql]
    finally:
        sqlite_store._db.set_trace_callback(None)
    assert sqlite_store.all_numbers(day)[-1] == "A041"
