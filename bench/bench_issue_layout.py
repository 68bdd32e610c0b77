"""Measurement 1d (info): what the ticket table's layout costs one issued number, and
what the layouts that write fewer pages cost the queue's reads (issue 9 item 2).

What, per layout, on fresh files in one process (no kiosk code runs but the v8 schema):
- held: `BEGIN IMMEDIATE; <the layout's numbering read>; INSERT; COMMIT` with
  `synchronous=OFF`, two connections on one file in turn (each re-reads the pages the
  other wrote, as with 4 processes), 4 services' prefixes interleaved; median and p10 µs.
  CPU and page copies only: robust on a busy shared machine.
- WAL frames per number (each one a page written and synced under the write lock), from
  a dump of 400 commits, with 1, 4 and 8 prefixes interleaved, and the share of commits
  that wrote exactly one page (the rest split a page).
- reads on a file with a year of history (365 days x 500) and today's 2,000 tickets of 4
  services, 40 of them waiting, one prefix issued once in the morning: the numbering read
  of a busy and of a rare prefix, a ticket by its number (finish, call a number), the
  waiting tickets of two services (call next, under the write lock), the waiting count.
Layouts: today's v8 table (rowid, UNIQUE (business_day, prefix, seq), ticket_state);
v8 without ticket_state; WITHOUT ROWID keyed (business_day, prefix, seq), the id derived
from the key; the rowid derived from the key ((day ordinal x 26 + letter) x 1000 + seq);
the rowid = day ordinal x 100,000 + the day's issue order and no index at all (the last
number of a prefix found by reading the day's rows backwards); and the bare one-row
counter. The partial call indexes of v8 are in every ticket layout (an issue does not
write them). Info only, no target.
Run: .venv/bin/python bench/bench_issue_layout.py [--count N] [--rounds R]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import struct
import sys
import tempfile
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

from _common import emit, log, median

from kiosk.store.schema import migrate  # the schema as shipped (v8 when this was written)

DAY = date(2026, 11, 24)
COLUMNS = """business_day TEXT NOT NULL, service TEXT NOT NULL, prefix TEXT NOT NULL,
    seq INTEGER NOT NULL, number TEXT NOT NULL, reference TEXT NOT NULL,
    terminal TEXT NOT NULL, lang TEXT NOT NULL, issued_at TEXT NOT NULL,
    state TEXT NOT NULL, counter TEXT, called_at TEXT, finished_at TEXT, printed INTEGER,
    print_error TEXT, call_seq INTEGER, printed_at TEXT,
    kind TEXT NOT NULL DEFAULT 'walk_in', slot_start TEXT, priority_rank INTEGER"""
CALL_INDEXES = (
    "CREATE INDEX ticket_service_called ON ticket (service, called_at) "
    "WHERE called_at IS NOT NULL",
    "CREATE INDEX ticket_calls ON ticket (business_day, call_seq) WHERE call_seq IS NOT NULL")
INSERT = ("INSERT INTO ticket (id, business_day, service, prefix, seq, number, reference,"
          " terminal, lang, issued_at, state) VALUES (?,?,?,?,?,?,?,?,?,?,?)")
V8_LAST = "SELECT COALESCE(MAX(seq), 0) FROM ticket WHERE business_day = ? AND prefix = ?"

LABELS = {
    "v8": "as shipped (v8): rowid + UNIQUE (day, prefix, seq) + ticket_state",
    "v8-no-state": "v8 without ticket_state",
    "key-without-rowid": "WITHOUT ROWID, PRIMARY KEY (day, prefix, seq); id from the key",
    "key-rowid": "rowid = (day ordinal x 26 + letter) x 1000 + seq",
    "day-rowid": "rowid = day ordinal x 100,000 + issue order; no index",
    "bare": "bare counter (one row)",
}


def _key_id(day: str, prefix: str, seq: int = 0) -> int:
    return (date.fromisoformat(day).toordinal() * 26 + ord(prefix) - 65) * 1000 + seq


def _day_range(day: str) -> tuple[int, int]:
    low = date.fromisoformat(day).toordinal() * 100_000
    return low, low + 99_999


def create(path: Path, layout: str) -> None:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    if layout == "bare":
        db.execute("CREATE TABLE counter (id INTEGER PRIMARY KEY, value INTEGER NOT NULL)")
        db.execute("INSERT INTO counter VALUES (1, 0)")
    elif layout.startswith("v8"):
        db.execute("BEGIN IMMEDIATE")
        migrate(db, path)
        db.execute("COMMIT")
        if layout == "v8-no-state":
            db.execute("DROP INDEX ticket_state")
    else:
        if layout == "key-without-rowid":
            db.execute(f"CREATE TABLE ticket (id INTEGER NOT NULL, {COLUMNS}, "
                       "PRIMARY KEY (business_day, prefix, seq)) WITHOUT ROWID")
        else:
            db.execute(f"CREATE TABLE ticket (id INTEGER PRIMARY KEY, {COLUMNS})")
        for sql in CALL_INDEXES:
            db.execute(sql)
    db.close()


def _row(tid: int, day: str, prefix: str, seq: int, ref: str, state: str = "waiting"):
    return (tid, day, f"svc-{prefix}", prefix, seq, f"{prefix}{seq % 1000:03d}", ref,
            "bench", "de", f"{day}T09:00:00.000000+00:00", state)


def issue(db: sqlite3.Connection, layout: str, day: str, prefix: str, ref: str) -> None:
    """The layout's issuing transaction's body: the last number read, the row written."""
    if layout == "bare":
        db.execute("UPDATE counter SET value = value + 1 WHERE id = 1")
        db.execute("SELECT value FROM counter WHERE id = 1").fetchone()
        return
    if layout.startswith("v8"):
        seq = db.execute(V8_LAST, (day, prefix)).fetchone()[0] + 1
        db.execute(INSERT, (None, *_row(0, day, prefix, seq, ref)[1:]))
    elif layout == "key-without-rowid":
        seq = db.execute(V8_LAST, (day, prefix)).fetchone()[0] + 1
        db.execute(INSERT, _row(_key_id(day, prefix, seq), day, prefix, seq, ref))
    elif layout == "key-rowid":
        base = _key_id(day, prefix)
        tid = db.execute("SELECT COALESCE(MAX(id), ?) + 1 FROM ticket WHERE id BETWEEN ? "
                         "AND ?", (base, base + 1, base + 999)).fetchone()[0]
        db.execute(INSERT, _row(tid, day, prefix, tid - base, ref))
    else:  # day-rowid
        low, high = _day_range(day)
        top = db.execute("SELECT COALESCE(MAX(id), ?) + 1 FROM ticket WHERE id BETWEEN ? "
                         "AND ?", (low, low, high)).fetchone()[0]
        last = db.execute("SELECT seq FROM ticket WHERE id BETWEEN ? AND ? AND prefix = ? "
                          "ORDER BY id DESC LIMIT 1", (low, high, prefix)).fetchone()
        db.execute(INSERT, _row(top, day, prefix, (last[0] if last else 0) + 1, ref))


def held(layout: str, count: int) -> list[int]:
    """ns per transaction, two connections on one file in turn, 4 prefixes."""
    tmp = Path(tempfile.mkdtemp(prefix="kiosk-bench-layout-"))
    try:
        path = tmp / "q.sqlite3"
        create(path, layout)
        pair = [sqlite3.connect(path, isolation_level=None) for _ in range(2)]
        for db in pair:
            db.execute("PRAGMA synchronous = OFF")
        out = []
        for i in range(count + 20):
            db = pair[i % 2]
            t0 = time.perf_counter_ns()
            db.execute("BEGIN IMMEDIATE")
            issue(db, layout, DAY.isoformat(), "ABCD"[i % 4], f"r{i:011d}")
            db.execute("COMMIT")
            out.append(time.perf_counter_ns() - t0)
        for db in pair:
            db.close()
        return out[20:]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _commits(wal: Path, page: int) -> list[int]:
    """Frames written by each commit in a WAL file (its frame headers)."""
    data = wal.read_bytes()
    sizes, frames, offset = [], 0, 32
    while offset + 24 + page <= len(data):
        frames += 1
        if struct.unpack(">I", data[offset + 4:offset + 8])[0]:  # commit frame
            sizes.append(frames)
            frames = 0
        offset += 24 + page
    return sizes


def frames(layout: str, prefixes: int) -> list[int]:
    tmp = Path(tempfile.mkdtemp(prefix="kiosk-bench-layout-"))
    try:
        path = tmp / "q.sqlite3"
        create(path, layout)
        db = sqlite3.connect(path, isolation_level=None)
        db.execute("PRAGMA synchronous = OFF")
        letters = "ABCDEFGH"[:prefixes]

        def run(first: int, last: int) -> None:
            for i in range(first, last):
                db.execute("BEGIN IMMEDIATE")
                issue(db, layout, DAY.isoformat(), letters[i % prefixes], f"r{i:011d}")
                db.execute("COMMIT")
        run(0, 500)  # the day's first pages and splits are behind us
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.execute("PRAGMA wal_autocheckpoint = 0")
        run(500, 900)
        page = db.execute("PRAGMA page_size").fetchone()[0]
        sizes = _commits(Path(f"{path}-wal"), page)
        db.close()
        return sizes
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _fill(db: sqlite3.Connection, layout: str, waiting: int) -> None:
    """365 days x 500 finished tickets (6 services), then today's 2,000 of 4 services,
    the last `waiting` still waiting, the first one of prefix Z (a rare service)."""
    rows, tid = [], 0
    for back in range(365, -1, -1):
        day = (DAY - timedelta(days=back)).isoformat()
        n, letters = (2000, "ABCD") if back == 0 else (500, "ABCDEF")
        seqs: Counter = Counter()
        for i in range(n):
            prefix = "Z" if back == 0 and i == 0 else letters[i % len(letters)]
            seqs[prefix] += 1
            tid += 1
            state = "waiting" if back == 0 and i >= n - waiting else "done"
            if layout == "key-without-rowid" or layout == "key-rowid":
                key = _key_id(day, prefix, seqs[prefix])
            elif layout == "day-rowid":
                key = _day_range(day)[0] + i + 1
            else:
                key = tid
            rows.append(_row(key, day, prefix, seqs[prefix], f"h{tid:015x}", state))
    db.execute("BEGIN")
    db.executemany(INSERT, rows)
    db.execute("COMMIT")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def reads(layout: str, calls: int) -> dict[str, float]:
    """Median µs of each of the queue's reads in the layout's form."""
    tmp = Path(tempfile.mkdtemp(prefix="kiosk-bench-layout-"))
    try:
        path = tmp / "q.sqlite3"
        create(path, layout)
        db = sqlite3.connect(path, isolation_level=None)
        _fill(db, layout, 40)
        day = DAY.isoformat()
        if layout == "day-rowid":
            low, high = _day_range(day)
            where, args = "id BETWEEN ? AND ?", (low, high)
            last = ("SELECT seq FROM ticket WHERE id BETWEEN ? AND ? AND prefix = ? "
                    "ORDER BY id DESC LIMIT 1")
            queries = {"last number, busy prefix": (last, (low, high, "B")),
                       "last number, rare prefix": (last, (low, high, "Z")),
                       "last number, no ticket yet": (last, (low, high, "Y"))}
        elif layout == "key-rowid":  # the day's rows: the ids of its A000 to Z999
            where, args = "id BETWEEN ? AND ?", (_key_id(day, "A"), _key_id(day, "Z", 999))
            last = "SELECT MAX(id) FROM ticket WHERE id BETWEEN ? AND ?"
            queries = {f"last number, {name}": (last, (_key_id(day, p), _key_id(day, p, 999)))
                       for name, p in (("busy prefix", "B"), ("rare prefix", "Z"),
                                       ("no ticket yet", "Y"))}
        else:
            where, args = "business_day = ?", (day,)
            queries = {f"last number, {name}": (V8_LAST, (day, p))
                       for name, p in (("busy prefix", "B"), ("rare prefix", "Z"),
                                       ("no ticket yet", "Y"))}
        if layout == "key-rowid":
            queries["a ticket by its number"] = ("SELECT id, state FROM ticket WHERE id = ?",
                                                 (_key_id(day, "B", 20),))
        else:
            queries["a ticket by its number"] = (
                f"SELECT id, state FROM ticket WHERE {where} AND prefix = ? AND seq = ?",
                (*args, "B", 20))
        queries["waiting of 2 services (call next)"] = (
            f"SELECT id, service, kind, slot_start, priority_rank FROM ticket WHERE {where} "
            "AND state = 'waiting' AND service IN (?, ?)", (*args, "svc-A", "svc-B"))
        queries["waiting count of a service"] = (
            f"SELECT COUNT(*) FROM ticket WHERE {where} AND service = ? AND "
            "state = 'waiting'", (*args, "svc-B"))
        out = {}
        for name, (sql, params) in queries.items():
            times = []
            for _ in range(calls):
                t0 = time.perf_counter_ns()
                db.execute(sql, params).fetchall()
                times.append(time.perf_counter_ns() - t0)
            out[name] = median(times) / 1e3
        db.close()
        return out
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if not 1 <= args.count <= 3600:  # 4 prefixes, at most 999 numbers each
        sys.exit("--count from 1 to 3600")
    load = "%.1f" % os.getloadavg()[0]
    held_us: dict[str, list[tuple[float, float]]] = {}
    for r in range(args.rounds):
        for layout in LABELS:  # interleaved, so that a busy moment hits every layout
            ns = sorted(held(layout, args.count))
            held_us.setdefault(layout, []).append((median(ns) / 1e3,
                                                   ns[len(ns) // 10] / 1e3))
            log(f"[layout] round {r + 1} {layout}: held median "
                f"{held_us[layout][-1][0]:.1f} us")
    rows = []
    for layout, label in LABELS.items():
        per = []
        for prefixes in (1, 4, 8):
            sizes = frames(layout, prefixes)
            per.append(f"{sum(sizes) / len(sizes):.2f} ({100 * sizes.count(1) // len(sizes)}"
                       f" % one page)")
        runs = held_us[layout]
        rows.append({"measurement": "1d held per number, synchronous=OFF; WAL frames per "
                                    "number with 1 / 4 / 8 prefixes (info)",
                     "variant": label,
                     "result": f"median {median([m for m, _ in runs]):.1f} us (rounds "
                               + ", ".join(f"{m:.1f}" for m, _ in runs) + "; p10 "
                               + ", ".join(f"{p:.1f}" for _, p in runs) + "); frames "
                               + " / ".join(per),
                     "target": "—", "verdict": "—"})
    for layout, label in LABELS.items():
        if layout in ("bare", "v8-no-state"):
            continue  # no ticket rows / the same reads as v8 but for the waiting ones
        got = reads(layout, 100)
        rows.append({"measurement": "1d reads, year of history + a day of 2,000 tickets, "
                                    "40 waiting; median us (info)",
                     "variant": label,
                     "result": "; ".join(f"{k} {v:.1f}" for k, v in got.items()),
                     "target": "—", "verdict": "—"})
    emit(rows, [f"held: two connections on one file in turn, {args.count} numbers per "
                f"layout and round, {args.rounds} rounds, layouts interleaved, 4 prefixes; "
                f"frames: a WAL dump of 400 commits after 500; load average at the "
                f"start {load}"])


if __name__ == "__main__":
    main()
