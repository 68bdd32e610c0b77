"""Measurement 1b (info): what a year of history costs each issued ticket, query by query.

What: single process, on a SQLite file holding 365 days x 500 finished tickets (as
measurement 1's history variant) and, against it in the same run, on an empty file:
the per-call time of the store work one tap does besides the INSERT, median of 50 calls:
- `SqliteStore._expire` (the UPDATE that runs inside every issue() and call_next()
  transaction, i.e. while holding the write lock),
- `SqliteStore.active_counters` (run by TicketService.estimate for every issued ticket),
- `SqliteStore.people_ahead` and `service_times_s` (the rest of the estimate),
- a whole `SqliteStore.issue` (FULL) for comparison,
plus the query plans SQLite chooses for the two history-sized ones.
No target: it explains rows of measurements 1 and 2.
Run: .venv/bin/python bench/bench_store_history.py
"""

from __future__ import annotations

import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from _common import emit, fill_history, log, median, row

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=timezone.utc)
CALLS = 50


def per_call(fn) -> float:
    times = []
    for _ in range(CALLS):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return median(times)


def measure(path: Path, history: bool) -> dict:
    from kiosk.domain.clock import business_day
    from kiosk.store.sqlite import SqliteStore

    store = SqliteStore(path, terminal_id="bench")
    if history:
        fill_history(store._db, NOW.date(), 365, 500)
    day = business_day(NOW)
    ticket = store.issue("anmeldung", "A", "de", NOW, day, None)
    since = NOW - timedelta(minutes=30)
    db = store._db

    def expire():
        with store._lock:
            db.execute("BEGIN IMMEDIATE")
            store._expire(db, day.isoformat())
            db.execute("ROLLBACK")

    out = {
        "_expire (in the write lock)": per_call(expire),
        "active_counters": per_call(lambda: store.active_counters("anmeldung", since)),
        "people_ahead": per_call(lambda: store.people_ahead(ticket)),
        "service_times_s": per_call(lambda: store.service_times_s("anmeldung", day)),
        "whole issue() (FULL)": per_call(
            lambda: store.issue("anmeldung", "B", "de", NOW, day, None)),
    }
    plans = {
        "_expire": db.execute("EXPLAIN QUERY PLAN UPDATE ticket SET state = 'expired' WHERE "
                              "state = 'waiting' AND business_day < ?",
                              (day.isoformat(),)).fetchall(),
        "active_counters": db.execute("EXPLAIN QUERY PLAN SELECT COUNT(DISTINCT counter) "
                                      "FROM ticket WHERE service = ? AND called_at >= ?",
                                      ("anmeldung", since.isoformat())).fetchall(),
    }
    store.close()
    return {"times": out, "plans": {k: "; ".join(p[-1] for p in v) for k, v in plans.items()}}


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="kiosk-bench-history-") as tmp_name:
        tmp = Path(tmp_name)
        empty = measure(tmp / "empty.sqlite3", history=False)
        full = measure(tmp / "year.sqlite3", history=True)
    rows = []
    for name, t_year in full["times"].items():
        t_empty = empty["times"][name]
        rows.append(row("1b store cost per tap (info)", f"`{name}`",
                        f"{t_year * 1000:.3f} ms with 1 year of history (182,500 tickets) vs "
                        f"{t_empty * 1000:.3f} ms on an empty file (median of {CALLS})"))
        log(f"[history] {rows[-1]['variant']}: {rows[-1]['result']}")
    notes = [f"store history: query plans: {k}: {v}" for k, v in full["plans"].items()]
    emit(rows, notes)


if __name__ == "__main__":
    main()
