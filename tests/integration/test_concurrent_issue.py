"""Processes issue numbers into one store at once, on both engines (a SQLite file, a
real PostgreSQL server): no duplicate, no gap, the quota's last slot goes once; and 20
connections issue 1,000 tickets on PostgreSQL."""

from __future__ import annotations

import multiprocessing as mp
from datetime import date, datetime, timedelta, timezone

from kiosk.domain.clock import business_day
from tests.store_sql import open_store_at, rows

PER_PROCESS = 150
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=timezone.utc)


def _issue_many(engine: str, path: str, start, results) -> None:
    try:
        store = open_store_at(engine, path, terminal_id="proc")
        start.wait()
        numbers = [store.issue("anmeldung", "A", "de", NOW, business_day(NOW), None).number
                   for _ in range(PER_PROCESS)]
        store.close()
    except Exception as err:  # the test's failure message says what went wrong
        results.put(f"{type(err).__name__}: {err}")
        raise
    results.put(numbers)


def test_four_processes_no_duplicate_no_gap(engine_place):
    ctx = mp.get_context("spawn")
    start, results = ctx.Event(), ctx.Queue()
    engine, path = engine_place
    procs = [ctx.Process(target=_issue_many, args=(engine, path, start, results))
             for _ in range(4)]
    for p in procs:
        p.start()
    start.set()
    answers = [results.get(timeout=60) for _ in procs]
    assert not [a for a in answers if isinstance(a, str)], answers
    numbers = [n for answer in answers for n in answer]
    for p in procs:
        p.join(timeout=30)
        assert p.exitcode == 0
    expected = [f"A{i:03d}" for i in range(1, 4 * PER_PROCESS + 1)]
    assert sorted(numbers) == expected


def _issue_until_killed(engine: str, path: str, ready) -> None:
    store = open_store_at(engine, path, terminal_id="victim")
    ready.set()
    issued = 0
    while True:  # a new day every 900 numbers, so the loop never meets the 999 limit
        day = NOW + timedelta(days=issued // 900)
        store.issue("anmeldung", "A", "de", day, business_day(day), None)
        issued += 1


def test_killed_process_leaves_no_hole_or_duplicate(engine_place):
    """GIVEN a process issuing in a loop WHEN it is killed mid-transaction THEN the store
    holds a gapless sequence and the next number continues it."""
    ctx = mp.get_context("spawn")
    engine, path = engine_place
    ready = ctx.Event()
    proc = ctx.Process(target=_issue_until_killed, args=(engine, path, ready))
    proc.start()
    assert ready.wait(30)
    import time

    time.sleep(0.5)
    proc.kill()
    proc.join()
    store = open_store_at(engine, path)
    days = [str(r[0]) for r in rows(store, "SELECT DISTINCT business_day FROM ticket")]
    last_day = max(days)
    for day in days:
        numbers = store.all_numbers(date.fromisoformat(day))
        assert numbers == [f"A{i:03d}" for i in range(1, len(numbers) + 1)]
    when = datetime.fromisoformat(last_day + "T09:00:00+00:00")
    numbers = store.all_numbers(date.fromisoformat(last_day))
    nxt = store.issue("anmeldung", "A", "de", when, business_day(when), None).number
    assert nxt == f"A{len(numbers) + 1:03d}"
    store.close()


QUOTA = 5
RACERS = 6
ROUNDS = 30  # one race per business day: many chances for a lost update to show


def _race_for_the_last_slot(engine: str, path: str, start, results) -> None:
    from kiosk.store.errors import QuotaReached

    store = open_store_at(engine, path, terminal_id="racer")
    start.wait()  # a barrier: every racer has its store open before the first asks
    outcomes = []
    for round_ in range(ROUNDS):
        when = NOW + timedelta(days=round_)
        try:
            outcomes.append(store.issue("ausweis", "P", "de", when, business_day(when),
                                        QUOTA).number)
        except QuotaReached:
            outcomes.append("refused")
    store.close()
    results.put(outcomes)


def test_processes_racing_for_the_last_quota_slot(engine_place):
    """GIVEN a quota of 5 with 4 issued WHEN 6 processes ask at the same moment THEN
    exactly one gets P005, the others are refused, and no number is skipped (30 days,
    one race each)."""
    engine, path = engine_place
    store = open_store_at(engine, path)
    days = [NOW + timedelta(days=r) for r in range(ROUNDS)]
    for when in days:
        for _ in range(QUOTA - 1):
            store.issue("ausweis", "P", "de", when, business_day(when), QUOTA)
    ctx = mp.get_context("spawn")
    start, results = ctx.Barrier(RACERS), ctx.Queue()
    procs = [ctx.Process(target=_race_for_the_last_slot,
                         args=(engine, path, start, results)) for _ in range(RACERS)]
    for p in procs:
        p.start()
    per_racer = [results.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=30)
        assert p.exitcode == 0
    for round_, when in enumerate(days):
        outcomes = sorted(r[round_] for r in per_racer)
        assert outcomes == ["P005"] + ["refused"] * (RACERS - 1), (round_, outcomes)
        assert store.all_numbers(business_day(when)) == \
            [f"P{i:03d}" for i in range(1, QUOTA + 1)]
    store.close()


CONNECTIONS = 20
TICKETS = 1000  # two prefixes, 500 each: one prefix stops at 999 a day


def test_twenty_connections_issue_a_thousand_tickets_on_postgres(pg_dsn):
    """GIVEN 20 connections to one PostgreSQL database (one store each, all started at
    one barrier) WHEN they issue 1,000 tickets at once THEN 0 duplicates and 0 gaps."""
    import threading

    from kiosk.store.postgres import PostgresStore

    stores = [PostgresStore(pg_dsn, terminal_id=f"c{i}", pool_size=1)
              for i in range(CONNECTIONS)]
    barrier = threading.Barrier(CONNECTIONS)
    issued, failures = [], []

    def run(store, index):
        try:
            barrier.wait(timeout=60)
            for k in range(TICKETS // CONNECTIONS):
                service, prefix = ("anmeldung", "A") if (index + k) % 2 else ("ausweis", "P")
                issued.append(store.issue(service, prefix, "de", NOW, business_day(NOW),
                                          None).number)
        except Exception as err:  # the assertion below names it
            failures.append(f"{type(err).__name__}: {err}")

    threads = [threading.Thread(target=run, args=(s, i)) for i, s in enumerate(stores)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    for s in stores:
        s.close()
    assert not failures, failures[:3]
    assert len(issued) == TICKETS and len(set(issued)) == TICKETS  # 0 duplicates
    half = TICKETS // 2
    assert sorted(issued) == [f"A{i:03d}" for i in range(1, half + 1)] + \
        [f"P{i:03d}" for i in range(1, half + 1)]  # 0 gaps
