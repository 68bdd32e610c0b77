"""The store operations the office server adds, on both engines (a SQLite file, the
session's PostgreSQL server): calling a given
number, recall and finishing of a counter's current call, the calls with their times,
statistics per day and service, the offline range kept out of online issuing and
tickets adopted from it, a sealed intake with its time."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from kiosk.domain.clock import business_day
from kiosk.domain.ticket import TicketState
from kiosk.store.errors import (NumberTaken, QuotaReached, SequenceExhausted,
                                TicketNotFound, TransitionRefused)

NOON = datetime(2026, 11, 24, 11, 0, tzinfo=timezone.utc)
DAY = business_day(NOON)


@pytest.fixture
def store(engine_store):
    return engine_store  # terminal "t1"


def terminal_of(store, ticket_id: int) -> str:
    return store.read("t", lambda db: db.execute(
        f"SELECT terminal FROM ticket WHERE id = {int(ticket_id)}").fetchone()[0])


def issue(store, service="anmeldung", prefix="A", at=NOON, **kw):
    return store.issue(service, prefix, "de", at, business_day(at), kw.pop("quota", None),
                       **kw)


def test_call_number_calls_that_waiting_ticket_only(store):
    a, b = issue(store), issue(store)
    called = store.call_number("3", b.number, NOON, DAY)
    assert (called.number, called.state, called.counter) == (b.number, TicketState.CALLED,
                                                              "3")
    assert store.ticket(a.id).state is TicketState.WAITING
    with pytest.raises(TransitionRefused):
        store.call_number("4", b.number, NOON, DAY)
    with pytest.raises(TicketNotFound):
        store.call_number("4", "A999", NOON, DAY)


def test_recall_makes_the_counters_current_call_the_newest(store):
    a, b = issue(store), issue(store)
    store.call_number("1", a.number, NOON, DAY)
    store.call_number("2", b.number, NOON + timedelta(minutes=1), DAY)
    assert [t.number for t in store.recent_calls(DAY)] == [b.number, a.number]
    again = store.recall("1", NOON + timedelta(minutes=2), DAY)
    assert again.number == a.number
    assert [t.number for t in store.recent_calls(DAY)] == [a.number, b.number]
    # the visit began at the first call: called_at stays
    assert dict((t.number, at) for t, at in store.recent_calls_at(DAY))[a.number] == NOON
    assert store.recall("9", NOON, DAY) is None


def test_finish_current_finishes_the_counters_latest_call(store):
    a, b = issue(store), issue(store)
    store.call_number("1", a.number, NOON, DAY)
    store.call_number("1", b.number, NOON + timedelta(minutes=1), DAY)
    done = store.finish_current("1", TicketState.DONE, NOON + timedelta(minutes=5), DAY)
    assert done.number == b.number and done.state is TicketState.DONE
    gone = store.finish_current("1", TicketState.NO_SHOW, NOON + timedelta(minutes=6), DAY)
    assert gone.number == a.number and gone.state is TicketState.NO_SHOW
    assert store.finish_current("1", TicketState.DONE, NOON, DAY) is None
    with pytest.raises(ValueError):
        store.finish_current("1", TicketState.CALLED, NOON, DAY)


def test_queue_stats_per_day_and_service(store):
    a, b = issue(store), issue(store)
    issue(store, "ausweis", "P")
    store.call_number("1", a.number, NOON + timedelta(minutes=4), DAY)
    store.call_number("1", b.number, NOON + timedelta(minutes=10), DAY)
    store.finish(a.number, TicketState.DONE, NOON + timedelta(minutes=20), DAY)
    store.finish(b.number, TicketState.NO_SHOW, NOON + timedelta(minutes=21), DAY)
    issue(store, at=NOON + timedelta(days=1))
    rows = store.queue_stats(DAY, DAY + timedelta(days=1))
    assert rows == [(DAY, "anmeldung", 2, 2, 1, 1, [240.0, 600.0]),
                    (DAY, "ausweis", 1, 0, 0, 0, []),
                    (DAY + timedelta(days=1), "anmeldung", 1, 0, 0, 0, [])]
    assert store.queue_stats(date(2026, 1, 1), date(2026, 1, 2)) == []


def test_online_numbers_stay_below_the_offline_range(store):
    assert issue(store, below=3).number == "A001"
    assert issue(store, below=3).number == "A002"
    store.adopt_offline("A003", "anmeldung", "de", NOON, "terminal-1")
    with pytest.raises(SequenceExhausted):
        issue(store, below=3)
    assert issue(store, "ausweis", "P", below=900).number == "P001"


def test_offline_tickets_do_not_move_the_online_numbering(store):
    store.adopt_offline("A900", "anmeldung", "de", NOON, "terminal-1")
    assert issue(store, below=900).number == "A001"
    assert issue(store, below=900, quota=5).number == "A002"
    # the adopted walk-in counts for the quota: 3 of 3 used
    with pytest.raises(QuotaReached):
        issue(store, below=900, quota=3)


def test_adopt_offline_joins_the_queue_of_its_day_once(store):
    t = store.adopt_offline("A901", "anmeldung", "de", NOON, "terminal-1")
    assert t.number == "A901" and t.business_day == DAY
    assert store.waiting_count("anmeldung", DAY) == 1
    assert store.call_next("1", ["anmeldung"], NOON, DAY).number == "A901"
    with pytest.raises(NumberTaken):
        store.adopt_offline("A901", "anmeldung", "de", NOON, "terminal-2")


def test_issue_records_the_requesting_terminal(store):
    assert terminal_of(store, issue(store, terminal="terminal-7").id) == "terminal-7"
    assert terminal_of(store, issue(store).id) == "t1"


def test_sealed_intake_with_its_time(store):
    store.put_sealed("REF12345", b"\x00sealed", "k1", NOON)
    assert store.sealed_intake("REF12345") == (b"\x00sealed", "k1", NOON)
    assert store.sealed_intake("NOPE") is None
