"""Issuing numbers on PostgreSQL directly: 20 clients at once, saturating (issue 13).

What: throughput (numbers/s) and per-call latency p50/p99/max of
`kiosk.store.postgres.PostgresStore.issue` (one CTE statement at READ COMMITTED, see the
module), 20 client processes (multiprocessing "spawn"), each with its own store of one
pooled connection over the Unix socket, a fixed count per client (default 200), all
released by one barrier after each has connected. A PostgreSQL 15 server of its own
(tests/pg_server.py: initdb in a temporary folder on the disk, fsync on, as `kiosk-pg`
when run as root). Every round is checked: as many numbers as successful calls, no
duplicate, no gap.

Against, in the same run (variants interleaved round by round, a fresh schema for each):
- the bare one-statement transaction with psycopg 3: a CTE that bumps the (day, prefix)
  counter with INSERT ... ON CONFLICT DO UPDATE and inserts the ticket row (id, day,
  prefix, seq) — the floor the issue quotes (4,772/s, p99 14 ms on its machine).

The 999-per-day limit: every client changes prefix after 40 numbers (A for its numbers
0-39, B for 40-79, ...), so at most 20 x 40 = 800 numbers share one (day, prefix)
counter and all clients still contend for the same counter row.

Target (ours): the store >= 0.8x the bare statement (median of the rounds), no failed
call. Run: .venv/bin/python bench/bench_pg_issue.py [--per-client N] [--rounds R]
[--clients C]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import sys
import time
from datetime import datetime, timezone

from _common import REPO, emit, log, median, percentile, row, verdict

sys.path.insert(0, str(REPO))  # tests/pg_server.py starts the server

CLIENTS = 20
BLOCK = 40  # numbers per client per prefix: 20 x 40 = 800 <= 999 per (day, prefix)
PREFIXES = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=timezone.utc)

BARE_SCHEMA = """
CREATE TABLE counter (day DATE NOT NULL, prefix TEXT NOT NULL, n INTEGER NOT NULL,
                      PRIMARY KEY (day, prefix));
CREATE TABLE ticket (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, day DATE NOT NULL,
                     prefix TEXT NOT NULL, seq INTEGER NOT NULL, UNIQUE (day, prefix, seq));
"""
BARE_ISSUE = """
WITH c AS (INSERT INTO counter AS c (day, prefix, n) VALUES (%s, %s, 1)
           ON CONFLICT (day, prefix) DO UPDATE SET n = c.n + 1 RETURNING n)
INSERT INTO ticket (day, prefix, seq) SELECT %s, %s, n FROM c RETURNING id, seq
"""
VARIANTS = {
    "store": "kiosk `PostgresStore.issue` (one CTE statement, READ COMMITTED)",
    "bare": "bare one-statement CTE with psycopg 3 (counter upsert + ticket insert)",
}


def _worker(index: int, tasks, results, barrier) -> None:
    """Runs tasks (variant, dsn, per_client) until None; one result per task."""
    import psycopg

    from kiosk.domain.clock import business_day
    from kiosk.store.postgres import PostgresStore

    day = business_day(NOW)
    while True:
        task = tasks.get()
        if task is None:
            return
        variant, dsn, per_client = task
        lat, numbers, errors = [], [], []
        store = conn = None
        try:
            if variant == "store":
                store = PostgresStore(dsn, terminal_id=f"c{index}", pool_size=1)
                store.issue("warm", "x", "de", NOW, day, None)  # connect, expire (not counted)
            else:
                conn = psycopg.connect(dsn, autocommit=True)
        except Exception as err:
            errors.append(f"{type(err).__name__}: {err}")
        barrier.wait(timeout=120)
        start = time.perf_counter()
        for i in range(per_client if not errors else 0):
            prefix = PREFIXES[i // BLOCK]
            t0 = time.perf_counter()
            try:
                if store is not None:
                    numbers.append(store.issue(f"s{prefix}", prefix, "de", NOW, day,
                                               None).number)
                else:
                    seq = conn.execute(BARE_ISSUE, (day, prefix, day, prefix)).fetchone()[1]
                    numbers.append(f"{prefix}{seq:03d}")
            except Exception as err:
                errors.append(f"{type(err).__name__}: {err}")
                continue
            lat.append(time.perf_counter() - t0)
        end = time.perf_counter()
        if store is not None:
            store.close()
        if conn is not None:
            conn.close()
        results.put((index, start, end, lat, numbers, errors[:3]))


def _fresh_schema(server, name: str, variant: str) -> str:
    import psycopg

    with psycopg.connect(server.dsn(), autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")
        conn.execute(f"CREATE SCHEMA {name}")
        if variant == "bare":
            conn.execute(f"SET search_path = {name}")
            conn.execute(BARE_SCHEMA)
    return server.dsn(options=f"-csearch_path={name}")


def _check(numbers: list[str], calls: int) -> str | None:
    """None when the numbers are unique and gapless per prefix; else what is wrong."""
    if len(numbers) != calls:
        return f"{len(numbers)} numbers for {calls} calls"
    if len(set(numbers)) != len(numbers):
        return f"{len(numbers) - len(set(numbers))} duplicates"
    by_prefix: dict[str, list[int]] = {}
    for n in numbers:
        by_prefix.setdefault(n[0], []).append(int(n[1:]))
    for prefix, seqs in by_prefix.items():
        if sorted(seqs) != list(range(1, len(seqs) + 1)):
            return f"gap in prefix {prefix}"
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-client", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=CLIENTS)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.per_client > BLOCK * len(PREFIXES):
        parser.error(f"--per-client at most {BLOCK * len(PREFIXES)}")

    from tests.pg_server import start_server

    log("starting PostgreSQL (initdb, fsync on)")
    server = start_server()
    ctx = mp.get_context("spawn")
    barrier, results = ctx.Barrier(args.clients), ctx.Queue()
    queues = [ctx.Queue() for _ in range(args.clients)]
    procs = [ctx.Process(target=_worker, args=(i, queues[i], results, barrier))
             for i in range(args.clients)]
    for p in procs:
        p.start()
    per_variant = {v: [] for v in VARIANTS}  # (rate, latencies, problem)
    try:
        for round_ in range(1, args.rounds + 1):
            for variant in VARIANTS:
                dsn = _fresh_schema(server, f"bench_{variant}_{round_}", variant)
                for q in queues:
                    q.put((variant, dsn, args.per_client))
                answers = [results.get(timeout=600) for _ in procs]
                starts = [a[1] for a in answers]
                ends = [a[2] for a in answers]
                lat = [x for a in answers for x in a[3]]
                numbers = [n for a in answers for n in a[4]]
                errors = [e for a in answers for e in a[5]]
                rate = len(numbers) / (max(ends) - min(starts))
                problem = _check(numbers, len(lat)) or (
                    f"{len(errors)}+ failed calls: {errors[0]}" if errors else None)
                per_variant[variant].append((rate, lat, problem))
                log(f"round {round_} {variant}: {rate:,.0f}/s, p99 "
                    f"{percentile(lat, 99) * 1000:.1f} ms{'; ' + problem if problem else ''}")
    finally:
        for q in queues:
            q.put(None)
        for p in procs:
            p.join(timeout=60)
        server.stop()

    rows = []
    bare_rates = [r for r, _, _ in per_variant["bare"]]
    for variant, label in VARIANTS.items():
        runs = per_variant[variant]
        rates = [r for r, _, _ in runs]
        all_lat = [x for _, lat, _ in runs for x in lat]
        problems = [p for _, _, p in runs if p]
        rounds = "; ".join(f"round {i}: {r:,.0f}/s, p99 {percentile(lat, 99) * 1000:.1f} ms"
                           for i, (r, lat, _) in enumerate(runs, 1))
        result = (f"{median(rates):,.0f}/s median ({rounds}); all rounds: p50 "
                  f"{percentile(all_lat, 50) * 1000:.2f} ms, p99 "
                  f"{percentile(all_lat, 99) * 1000:.2f} ms, max "
                  f"{max(all_lat) * 1000:.1f} ms; "
                  + ("0 duplicates, 0 gaps" if not problems else "; ".join(problems)))
        target = verdict_text = "—"
        if variant == "store":
            ratio = median(rates) / median(bare_rates)
            result += f"; {ratio:.2f}x the bare statement"
            target = ">= 0.8x the bare statement, 0 duplicates, 0 gaps"
            verdict_text = verdict(ratio >= 0.8 and not problems)
        rows.append(row(f"issuance on PostgreSQL, {args.clients} clients, saturating",
                        label, result, target, verdict_text))
    emit(rows, [f"bench_pg_issue: {args.clients} clients x {args.per_client} numbers per "
                f"round, {args.rounds} rounds, PostgreSQL {server.bindir.parent.name} on "
                f"the same machine over a Unix socket, fsync on"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
