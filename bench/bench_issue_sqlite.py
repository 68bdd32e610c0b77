"""Measurement 1: issuing numbers on SQLite from 4 processes at once into one file.

What: throughput (numbers/s) and per-call latency p50/p99/p99.9 of
`kiosk.store.sqlite.SqliteStore.issue` as shipped (WAL; kiosk writers queue at the
store's lock file, then BEGIN IMMEDIATE; COMMIT writes the WAL without syncing it,
synchronous=NORMAL, and the store syncs the WAL with fdatasync after the write lock is
let go, before the call returns: group commit), 4 processes (multiprocessing "spawn"), a
fixed count per process (default 2,000), all released by one start barrier after each
has opened its connection. Every round is reported on its own (the tail is noisy on a
shared machine) and checked: as many numbers as successful calls, no duplicate, no gap;
the store's workers also check that their connection runs WAL and that every issue
returned after at least one sync of the WAL (the syncs are counted).

Against, in the same run (variants interleaved round by round, fresh file per round):
- a minimal bare sqlite3 transactional counter: BEGIN IMMEDIATE; UPDATE counter SET
  value = value + 1; SELECT value; COMMIT  (WAL, synchronous=FULL, SQLite's default
  busy handler with the same 10 s timeout) — the obvious alternative;
- for information: the same bare counter behind the kiosk's write queue
  (`kiosk.store.write_queue`), to show what the queue itself does to a cheap
  transaction;
- for information: the same store syncing inside COMMIT under the write lock
  (synchronous=FULL, its own sync off: the store before group commit);
- for information: the same store without the write queue (only its own jittered retry
  of BEGIN IMMEDIATE), to show what the queue does for it;
- for information: the same store without any sync (NORMAL, its own sync off), to show
  what durability costs;
- for information: the shipped store on a file that already holds one year of history
  (365 days x 500 finished tickets).

The 999-per-day limit: all processes issue on the same business day; the prefix (and
service id) changes every 200 numbers of each process (A for its numbers 0-199, B for
200-399, ...), so at most 4 x 200 = 800 numbers share one (day, prefix) counter and the
four processes still contend for the same counters and the same write lock.

Target (issue 9 item 2): p99.9 <= 20 ms in every round and throughput >= 0.8x the bare
counter (median of the rounds), no failed call.
Files live in a temporary directory (on the disk, see the header: not tmpfs).
Run: .venv/bin/python bench/bench_issue_sqlite.py [--per-process N] [--rounds R]
     [--only store,...] (a subset of the variants; bare_full always runs)
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import queue
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from _common import REPO, emit, fill_history, fs_type, log, median, percentile, row, verdict

PROCESSES = 4
BLOCK = 200  # numbers per process per prefix: 4 * 200 = 800 <= 999 per (day, prefix)
PREFIXES = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=timezone.utc)
HISTORY_DAYS, HISTORY_PER_DAY = 365, 500

VARIANTS = {
    "store": "kiosk `SqliteStore.issue` as shipped: WAL, COMMIT without a sync "
             "(synchronous=NORMAL), the WAL synced after the write lock is let go, before "
             "the call returns",
    "bare_full": "bare sqlite3 counter (BEGIN IMMEDIATE; UPDATE; COMMIT), FULL, SQLite's "
                 "busy handler",
    "bare_queued": "bare sqlite3 counter, FULL, behind the kiosk's write queue (info)",
    "store_sync_in_commit": "the same store syncing inside COMMIT, under the write lock "
                            "(synchronous=FULL, its own sync off: before group commit) (info)",
    "store_retry": "the same store without the write queue: only its own jittered retry "
                   "of BEGIN IMMEDIATE (info)",
    "store_nosync": "the same store without any sync (NORMAL, its own sync off): what "
                    "durability costs (info)",
    "store_history": "the shipped store on a file with 1 year of history "
                     f"({HISTORY_DAYS * HISTORY_PER_DAY:,} tickets), 4 x "
                     "{history_count} per round (info)",
}
HISTORY_COUNT = 250  # per process: this variant is ~40x slower
BEFORE = "store_before"  # with --before REV: the store as it was at REV
BEFORE_ROOT = "KIOSK_BENCH_BEFORE_ROOT"  # where REV's kiosk package was unpacked


def _use_before(variant: str) -> None:
    """In a worker of the --before variant: import kiosk from REV's snapshot."""
    if variant == BEFORE:
        sys.path.insert(0, os.environ[BEFORE_ROOT])


def _open(variant: str, path: str):
    """Connection/callable for one worker; returns issue_one(i) -> str."""
    if variant.startswith("store"):
        _use_before(variant)
        from kiosk.domain.clock import business_day
        from kiosk.store.sqlite import SqliteStore

        store = SqliteStore(path, terminal_id="bench")
        # bench only: the variants that change how the store syncs or queues
        if variant in ("store_sync_in_commit", "store_nosync"):
            store._sync_wal = lambda: None
            sync = "FULL" if variant == "store_sync_in_commit" else "NORMAL"
            store._db.execute(f"PRAGMA synchronous = {sync}")
        if variant == "store_retry":
            store._queue.close()
            store._queue = None
        mode, level = (store._db.execute("PRAGMA journal_mode").fetchone()[0],
                       store._db.execute("PRAGMA synchronous").fetchone()[0])
        if mode != "wal":
            raise RuntimeError(f"store connection runs {mode}, not WAL")
        # durability: FULL syncs inside COMMIT; otherwise every issue must have been
        # followed by a sync of the store's own (counted here)
        own_sync = variant != "store_nosync" and level != 2
        issued, syncs = [0], [0]
        if own_sync:
            real_sync = os.fdatasync

            def counted_sync(fd: int) -> None:
                syncs[0] += 1
                real_sync(fd)

            os.fdatasync = counted_sync
        day = business_day(NOW)

        def issue_one(i: int) -> str:
            prefix = PREFIXES[i // BLOCK]
            number = store.issue(f"svc-{prefix}", prefix, "de", NOW, day, None).number
            issued[0] += 1
            return number

        def close() -> None:
            store.close()
            if own_sync and syncs[0] < issued[0]:
                raise RuntimeError(f"{variant}: {issued[0]} issued, {syncs[0]} syncs")

        return issue_one, close
    # check_same_thread off: behind the queue the helper thread may run the transaction
    db = sqlite3.connect(path, isolation_level=None, timeout=10.0, check_same_thread=False)
    db.execute("PRAGMA busy_timeout = 10000")
    assert db.execute("PRAGMA journal_mode = WAL").fetchone()[0].lower() == "wal"
    db.execute("PRAGMA synchronous = FULL")
    write_queue = None
    if variant == "bare_queued":
        from kiosk.store.write_queue import open_write_queue

        write_queue = open_write_queue(Path(path))

    def transaction() -> str:
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute("UPDATE counter SET value = value + 1 WHERE id = 1")
            value = db.execute("SELECT value FROM counter WHERE id = 1").fetchone()[0]
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
        return str(value)

    def bump(_i: int) -> str:
        if write_queue is None:
            return transaction()
        return write_queue.run(transaction, 10.0)  # as the store writes

    def close() -> None:
        db.close()
        if write_queue is not None:
            write_queue.close()

    return bump, close


def _worker(variant: str, path: str, count: int, barrier, results) -> None:
    """Always reports: (start_ns, end_ns, latencies_ns, failures, first_error)."""
    lat: list[int] = []
    failures, first_error, start = 0, "", time.monotonic_ns()
    try:
        issue_one, close = _open(variant, path)
        barrier.wait(timeout=60)
        start = time.monotonic_ns()
        for i in range(count):
            t0 = time.monotonic_ns()
            try:
                issue_one(i)
            except Exception as err:  # noqa: BLE001 - e.g. "database is locked" after 10 s
                failures += 1
                first_error = first_error or f"{type(err).__name__}: {err}"
                continue
            lat.append(time.monotonic_ns() - t0)
        close()
    except Exception as err:  # noqa: BLE001
        first_error = first_error or f"{type(err).__name__}: {err}"
        failures += 1
    results.put((start, time.monotonic_ns(), lat, failures, first_error))


def _prepare(variant: str, path: Path) -> None:
    if variant.startswith("store"):
        _use_before(variant)
        from kiosk.store.sqlite import SqliteStore

        store = SqliteStore(path, terminal_id="bench")
        if variant == "store_history":
            fill_history(store._db, NOW.date(), HISTORY_DAYS, HISTORY_PER_DAY)
        store.close()
        return
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("CREATE TABLE counter (id INTEGER PRIMARY KEY, value INTEGER NOT NULL)")
    db.execute("INSERT INTO counter VALUES (1, 0)")
    db.close()


def run_round(variant: str, per_process: int, tmp: Path) -> tuple[float, list[int], int, str]:
    path = tmp / f"{variant}.sqlite3"
    for suffix in ("", "-wal", "-shm", "-lock"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    ctx = mp.get_context("spawn")
    if variant == BEFORE:  # REV's code makes its own file (it may know fewer versions)
        maker = ctx.Process(target=_prepare, args=(variant, path))
        maker.start()
        maker.join(120)
        if maker.exitcode != 0:
            raise RuntimeError(f"{variant}: preparing the file failed")
    else:
        _prepare(variant, path)
    barrier, results = ctx.Barrier(PROCESSES), ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(variant, str(path), per_process, barrier,
                                               results), daemon=True)
             for _ in range(PROCESSES)]
    for p in procs:
        p.start()
    got, deadline = [], time.monotonic() + 600
    try:
        while len(got) < len(procs):
            try:
                got.append(results.get(timeout=1))
            except queue.Empty:
                if time.monotonic() > deadline or not any(p.is_alive() for p in procs):
                    raise RuntimeError(f"{variant}: workers gave no result") from None
    finally:
        for p in procs:
            p.join(timeout=30)
            if p.is_alive():
                p.terminate()
    start = min(g[0] for g in got)
    end = max(g[1] for g in got)
    lat = [x for g in got for x in g[2]]
    failures = sum(g[3] for g in got)
    error = next((g[4] for g in got if g[4]), "")
    _check(variant, path, len(lat))
    return len(lat) / ((end - start) / 1e9), lat, failures, error


def _check(variant: str, path: Path, total: int) -> None:
    """Every number issued exactly once: as many as succeeded, no duplicate, no gap.
    Raises (also under python -O) so that a round with a wrong count never reports."""
    db = sqlite3.connect(path)
    try:
        if variant.startswith("store"):
            since = NOW.date().isoformat()
            n, distinct = db.execute(
                "SELECT COUNT(*), COUNT(DISTINCT prefix || seq) FROM ticket "
                "WHERE business_day >= ?", (since,)).fetchone()
            if not n == distinct == total:
                raise RuntimeError(f"{variant}: {n} tickets, {distinct} distinct numbers, "
                                   f"{total} successful calls")
            for prefix, count, top in db.execute(
                    "SELECT prefix, COUNT(*), MAX(seq) FROM ticket WHERE business_day >= ? "
                    "GROUP BY prefix", (since,)):
                if count != top:
                    raise RuntimeError(f"{variant}: prefix {prefix} has {count} numbers "
                                       f"up to {top}: a gap")
        else:
            value = db.execute("SELECT value FROM counter").fetchone()[0]
            if value != total:
                raise RuntimeError(f"{variant}: counter {value}, {total} successful calls")
    finally:
        db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-process", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--before", metavar="REV", default="",
                        help="also run the store as it was at git revision REV "
                             "(same run, interleaved)")
    parser.add_argument("--only", default="",
                        help="comma-separated variants to run (default: all); "
                             "bare_full always runs as the reference")
    args = parser.parse_args()
    if args.before:
        VARIANTS[BEFORE] = (f"kiosk `SqliteStore.issue` as it was at {args.before} "
                            "(before this change), FULL, same run")
    chosen = [v for v in VARIANTS if not args.only or v in ("bare_full", BEFORE)
              or v in args.only.split(",")]
    if args.per_process > BLOCK * len(PREFIXES):
        sys.exit(f"--per-process at most {BLOCK * len(PREFIXES)}")
    tmp = Path(tempfile.mkdtemp(prefix="kiosk-bench-issue-"))
    if args.before:
        snapshot = tmp / "before"
        snapshot.mkdir()
        archive = subprocess.run(["git", "archive", args.before, "kiosk"], cwd=REPO,
                                 capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(snapshot)], input=archive, check=True)
        os.environ[BEFORE_ROOT] = str(snapshot)
    log(f"[issue] temp dir {tmp} on {fs_type(tmp)}; {PROCESSES} processes x "
        f"{args.per_process}, {args.rounds} rounds")
    through: dict[str, list[float]] = {v: [] for v in VARIANTS}
    lats: dict[str, list[int]] = {v: [] for v in VARIANTS}
    p999s: dict[str, list[float]] = {v: [] for v in VARIANTS}
    maxes: dict[str, list[float]] = {v: [] for v in VARIANTS}
    fails: dict[str, int] = {v: 0 for v in VARIANTS}
    errors: dict[str, str] = {v: "" for v in VARIANTS}
    loads: list[str] = []
    started = time.monotonic()
    try:
        for r in range(args.rounds):
            loads.append("%.2f" % os.getloadavg()[0])
            for variant in chosen:
                count = min(args.per_process, HISTORY_COUNT) \
                    if variant == "store_history" else args.per_process
                rate, lat, failed, error = run_round(variant, count, tmp)
                through[variant].append(rate)
                lats[variant].extend(lat)
                p999s[variant].append(percentile(lat, 99.9) / 1e6)
                maxes[variant].append(max(lat) / 1e6 if lat else float("nan"))
                fails[variant] += failed
                errors[variant] = errors[variant] or error
                log(f"[issue] round {r + 1} {variant}: {rate:,.0f}/s, "
                    f"p99.9 {p999s[variant][-1]:.1f} ms, max {maxes[variant][-1]:.1f} ms; "
                    f"checked: no duplicate, no gap")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    def per_round(variant: str) -> str:
        return "; ".join(f"round {i + 1}: {t:,.0f}/s, p99.9 {p:.1f} ms, max {m:.1f} ms"
                         for i, (t, p, m) in enumerate(zip(through[variant], p999s[variant],
                                                           maxes[variant])))

    bare = median(through["bare_full"])
    rows = []
    for variant, label in VARIANTS.items():
        if variant not in chosen:
            continue
        label = label.format(history_count=min(args.per_process, HISTORY_COUNT))
        rate = median(through[variant])
        lat = lats[variant]
        p50, p99, p999 = (percentile(lat, p) / 1e6 for p in (50, 99, 99.9))
        result = (f"{rate:,.0f}/s median ({per_round(variant)}); all rounds: p50 "
                  f"{p50:.2f} ms, p99 {p99:.2f} ms, p99.9 {p999:.2f} ms, max "
                  f"{max(lat) / 1e6:.1f} ms")
        if variant.startswith("store"):
            result += f"; {rate / bare:.2f}x the bare counter (rounds " + ", ".join(
                f"{a / b:.2f}x" for a, b in zip(through[variant], through["bare_full"])) + ")"
        if fails[variant]:
            result += f"; **{fails[variant]} calls FAILED** ({errors[variant]})"
        if variant == "store":
            ok = (max(p999s[variant]) <= 20 and rate >= 0.8 * bare and not fails[variant])
            rows.append(row("1 issuance, 4 processes", label, result,
                            "p99.9 <= 20 ms every round, >= 0.8x bare counter",
                            verdict(ok)))
        else:
            rows.append(row("1 issuance, 4 processes", label, result))
    shipped = median(through["store"])
    nosync = median(through["store_nosync"]) if through["store_nosync"] else None
    ratio = f"{shipped / nosync:.2f}" if nosync else "not run"
    notes = [f"issuance: {PROCESSES} x {args.per_process} per round, {args.rounds} rounds, "
             "variants interleaved; throughput = numbers/(first start..last end) per round, "
             "median of the rounds; p99.9 per round and over all calls; prefix changes "
             f"every {BLOCK} numbers per process (<= 800 per day and prefix); every round "
             "checked for as many numbers as successful calls, no duplicate and no gap; "
             f"load average (1 min) at each round's start: {', '.join(loads)}; took "
             f"{time.monotonic() - started:.0f} s",
             f"issuance: synced / unsynced throughput ratio {ratio}; shipped store "
             f"reaches {shipped / bare:.2f}x the bare counter (rounds: "
             + ", ".join(f"{a / b:.2f}x" for a, b in zip(through["store"],
                                                        through["bare_full"])) + ")"]
    emit(rows, notes)


if __name__ == "__main__":
    main()
