"""Measurement 1c: how long one number holds the write queue, the stretch every other
terminal waits for (issue 9 item 2), and how many WAL frames its commit writes.

What: `SqliteStore.issue` with two stores on one file used in turn, in one process, so
that each one's page cache is invalidated by the other's commit (as when 4 processes
take turns); the time from taking the write queue's lock (`flock` LOCK_EX) to letting it
go, per number, median and p10. With `synchronous=OFF` the stretch is CPU and page
copies only, which a busy shared machine disturbs little; "shipped" is each as it runs:
the store syncs the WAL after letting the lock go (not in the stretch), the bare counter
with FULL syncs inside COMMIT (in the stretch; on a shared disk mostly the other tenants'
I/O). Also the WAL frames written per number (each frame is two `pwrite` calls and 4 KiB
more to sync).

Against, in the same run (variants interleaved, fresh file each): the bare sqlite3
counter (BEGIN IMMEDIATE; UPDATE; SELECT; COMMIT) behind the same write queue, the
floor for a fair hand-over; with `--before REV`, the store as it was at REV.
Info only: no target of the issue is judged here (bench_issue_sqlite.py does that).
Run: .venv/bin/python bench/bench_issue_held.py [--count N] [--rounds R] [--before REV]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import REPO, emit, log, median

PREFIXES = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
BLOCK = 900  # numbers per prefix: below the 999 a day


def _child(root: str, variant: str, sync: str, count: int) -> None:
    """In a fresh interpreter: the variant's held stretches; prints one JSON line. `root`:
    where REV's kiosk package was unpacked, or "" for the one this interpreter imports
    (the work tree, or run_all.py --at's snapshot on PYTHONPATH)."""
    if root:
        sys.path.insert(0, root)
    import sqlite3
    from datetime import datetime, timezone

    import kiosk.store.write_queue as write_queue

    real, marks = write_queue.fcntl, []

    class Stamped:  # the queue's flock calls, time-stamped when they return
        LOCK_EX, LOCK_NB, LOCK_UN = real.LOCK_EX, real.LOCK_NB, real.LOCK_UN

        @staticmethod
        def flock(fd, operation):
            real.flock(fd, operation)
            marks.append((operation, time.perf_counter_ns()))

    write_queue.fcntl = Stamped
    tmp = Path(tempfile.mkdtemp(prefix="kiosk-bench-held-"))
    path = tmp / "q.sqlite3"
    try:
        if variant == "bare":
            db = sqlite3.connect(path, isolation_level=None)
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("CREATE TABLE counter (id INTEGER PRIMARY KEY, value INTEGER NOT NULL)")
            db.execute("INSERT INTO counter VALUES (1, 0)")
            db.close()
            pairs = []
            for _ in range(2):
                db = sqlite3.connect(path, isolation_level=None, timeout=10.0)
                db.execute(f"PRAGMA synchronous = {'FULL' if sync == 'shipped' else sync}")
                pairs.append((db, write_queue.open_write_queue(path)))

            def bump(db):
                db.execute("BEGIN IMMEDIATE")
                db.execute("UPDATE counter SET value = value + 1 WHERE id = 1")
                db.execute("SELECT value FROM counter WHERE id = 1").fetchone()
                db.execute("COMMIT")

            def one(i: int) -> None:
                db, queue = pairs[i % 2]
                queue.run(lambda: bump(db), 10.0)

            connections = [db for db, _ in pairs]
        else:
            from kiosk.domain.clock import business_day
            from kiosk.store.sqlite import SqliteStore

            now = datetime(2026, 11, 24, 9, 0, tzinfo=timezone.utc)
            day = business_day(now)
            stores = [SqliteStore(path, terminal_id="bench") for _ in range(2)]
            for store in stores:
                if sync != "shipped":  # bench only: OFF, the CPU and page copies alone
                    store._sync_wal = lambda: None
                    store._db.execute(f"PRAGMA synchronous = {sync}")

            def one(i: int) -> None:
                prefix = PREFIXES[i // BLOCK]
                stores[i % 2].issue(f"svc-{prefix}", prefix, "de", now, day, None)

            connections = [store._db for store in stores]
        for i in range(20):  # the day's expiry and the first pages are behind us
            one(i)
        held = []
        for i in range(20, 20 + count):
            marks.clear()
            one(i)
            taken = next(t for op, t in marks if op & Stamped.LOCK_EX)
            freed = next(t for op, t in marks if op == Stamped.LOCK_UN)
            held.append(freed - taken)
        # WAL frames per number: without checkpoints for a while, the WAL only grows
        page = connections[0].execute("PRAGMA page_size").fetchone()[0]
        connections[0].execute("PRAGMA wal_checkpoint(TRUNCATE)")
        for db in connections:
            db.execute("PRAGMA wal_autocheckpoint = 0")
        start, extra = 20 + count, 300
        for i in range(start, start + extra):
            one(i)
        frames = (os.path.getsize(f"{path}-wal") - 32) / (page + 24) / extra
        print("HELD " + json.dumps({"held_ns": held, "frames": frames}), flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _run(root: str, variant: str, sync: str, count: int) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", root, variant, sync,
                          str(count)], capture_output=True, text=True, timeout=900)
    line = next((l for l in out.stdout.splitlines() if l.startswith("HELD ")), None)
    if line is None:
        raise RuntimeError(f"{variant} {sync}: no result ({out.stderr.strip()[-300:]})")
    return json.loads(line[5:])


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _child(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--before", metavar="REV", default="")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.count + 340 > BLOCK * len(PREFIXES):
        sys.exit(f"--count at most {BLOCK * len(PREFIXES) - 340}")
    snapshot = None
    variants = [("store", "", "kiosk `SqliteStore.issue` (this tree)"),
                ("bare", "", "bare sqlite3 counter behind the same write queue")]
    if args.before:
        snapshot = Path(tempfile.mkdtemp(prefix="kiosk-bench-held-before-"))
        archive = subprocess.run(["git", "archive", args.before, "kiosk"], cwd=REPO,
                                 capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(snapshot)], input=archive, check=True)
        variants.insert(1, ("store", str(snapshot),
                            f"kiosk `SqliteStore.issue` as it was at {args.before}"))
    results: dict[tuple[str, str], list[dict]] = {}
    try:
        for r in range(args.rounds):
            for sync in ("OFF", "shipped"):
                for variant, root, label in variants:
                    got = _run(root, variant, sync, args.count)
                    results.setdefault((label, sync), []).append(got)
                    log(f"[held] round {r + 1} {label} {sync}: median "
                        f"{median(got['held_ns']) / 1e3:.1f} us, {got['frames']:.2f} frames")
    finally:
        if snapshot is not None:
            shutil.rmtree(snapshot, ignore_errors=True)
    rows = []
    for (label, sync), runs in results.items():
        medians = [median(run["held_ns"]) / 1e3 for run in runs]
        p10s = [sorted(run["held_ns"])[len(run["held_ns"]) // 10] / 1e3 for run in runs]
        frames = median([run["frames"] for run in runs])
        how = f"synchronous={sync}" if sync == "OFF" else \
            "as shipped (store: WAL synced after the lock; bare counter: FULL)"
        rows.append({"measurement": f"1c write queue held per number, {how} (info)",
                     "variant": label,
                     "result": f"median {median(medians):.1f} us (rounds: "
                               + ", ".join(f"{m:.1f}" for m in medians) + "); p10 "
                               + ", ".join(f"{p:.1f}" for p in p10s)
                               + f" us; {frames:.2f} WAL frames per number",
                     "target": "—", "verdict": "—"})
    emit(rows, [f"held: two connections on one file in turn, {args.count} numbers per "
                f"variant and round, {args.rounds} rounds, variants interleaved; flock "
                "LOCK_EX returned -> LOCK_UN returned"])


if __name__ == "__main__":
    main()
