"""Issuing through the office server `kiosk serve` (issue 13): latency at an offered
load and throughput at saturation, against a minimal FastAPI + psycopg app.

What: a real `kiosk serve` (uvicorn, one worker, tests/server_process.py) on
PostgreSQL 15 of its own (tests/pg_server.py: initdb in a temporary folder, fsync on,
as `kiosk-pg` when root) -- or on SQLite with --engine sqlite, or when the PostgreSQL
store lacks the server's operations -- with a device token; load from 20 clients (4
processes x 5 threads, one keep-alive HTTP connection each, POST /api/v1/tickets with
the token, JSON answers parsed):
  1. open loop: --rate tickets/s offered for --open-s s, each request at its scheduled
     time; latency counted from that time (a stall is not hidden), p50/p99/max;
  2. saturation: every client sends its next request when the last one is answered,
     for --sat-s s: throughput and p50/p99;
  3. the same saturation against a minimal FastAPI + uvicorn app (one worker, a
     psycopg_pool of the same size, a plain `def` endpoint, no auth) that issues with
     the one-statement transaction (a CTE that bumps the (day, prefix) counter and
     inserts the ticket) on the same PostgreSQL server, a database of its own.
  Both servers run from the start, and 2. and 3. alternate for --rounds rounds (the
  order swapped each round), so that each round's pair meets about the same machine;
  the ratios are the medians of the rounds'. Every saturation round starts on a fresh
  day: its server's day tables emptied (TRUNCATE, then VACUUM ANALYZE) before it.
  CPU per ticket of each saturation phase, from /proc and getrusage: the server
  process, the PostgreSQL server (postmaster and all its children) and the 4 client
  processes; on 2 cores they share the CPU, so their total is what the throughput
  follows.
Every phase is checked: as many numbers as answers, no duplicate, no gap per prefix.
25 services (prefixes A-Z but T, the appointments'), the clients taking them in turn:
the 899 online numbers per prefix and day (900-999 are the terminals' offline range)
are never used up.
Targets (issue 13): open loop p99 <= 20 ms; saturation >= 0.8x the minimal app; and
each server's CPU seconds per ticket over its saturation phases (from /proc; on a
shared machine steadier than the throughput, which follows it while the server process
is CPU-bound): kiosk serve's <= 1.25x the minimal app's.
Run: .venv/bin/python bench/bench_serve.py [--rate N] [--open-s S] [--sat-s S]
[--rounds N] [--engine auto|postgres|sqlite]
"""

from __future__ import annotations

import argparse
import http.client
import inspect
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from pathlib import Path

from _common import REPO, emit, log, percentile, row, verdict
from pydantic import BaseModel

sys.path.insert(0, str(REPO))  # tests/server_process.py, tests/pg_server.py

PROCESSES, THREADS = 4, 5  # 20 clients
PREFIXES = "ABCDEFGHIJKLMNOPQRSUVWXYZ"  # T: the appointments' prefix
TARGET_P99_S = 0.020
TARGET_RATIO = 0.8
TARGET_CPU_RATIO = 1.25  # server CPU per ticket, kiosk serve / minimal app
LOAD_MARK = "SERVE_LOAD "

BARE_SCHEMA = """
CREATE TABLE counter (day DATE NOT NULL, prefix TEXT NOT NULL, n INTEGER NOT NULL,
                      PRIMARY KEY (day, prefix));
CREATE TABLE ticket (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, day DATE NOT NULL,
                     prefix TEXT NOT NULL, seq INTEGER NOT NULL, service TEXT NOT NULL,
                     issued_at TIMESTAMPTZ NOT NULL, UNIQUE (day, prefix, seq));
"""
BARE_ISSUE = """
WITH c AS (INSERT INTO counter AS c (day, prefix, n) VALUES (%(day)s, %(prefix)s, 1)
           ON CONFLICT (day, prefix) DO UPDATE SET n = c.n + 1 RETURNING n)
INSERT INTO ticket (day, prefix, seq, service, issued_at)
SELECT %(day)s, %(prefix)s, n, %(service)s, now() FROM c RETURNING seq
"""


def config_text(folder: Path, dsn_file: Path | None) -> str:
    services = "\n".join(
        f'[[service]]\nid = "s{p.lower()}"\nprefix = "{p}"\n'
        f'names = {{ de = "Dienst {p}", en = "Service {p}" }}\n' for p in PREFIXES)
    store = (f'[store]\nbackend = "postgres"\ndsn_file = "{dsn_file}"\npool_size = 4\n'
             if dsn_file else "")
    return (f'[terminal]\nid = "bench-server"\noffice = "Bench"\nlanguages = ["de", "en"]\n'
            f'default_language = "de"\n\n{services}\n[printer]\ntransport = "file"\n'
            f'path = "{folder / "printer.bin"}"\nprofile = "TM-T88V"\n\n{store}')


# -- the load generator (child processes) ------------------------------------------------

def _client(g: int, spec: dict, out: list, lock: threading.Lock) -> None:
    host, port = spec["host"], spec["port"]
    headers = {"Content-Type": "application/json"}
    if spec.get("token"):
        headers["Authorization"] = f"Bearer {spec['token']}"
    conn = http.client.HTTPConnection(host, port, timeout=30)
    clients, rate = spec["clients"], spec["rate"]
    start, end = spec["start_at"], spec["start_at"] + spec["duration"]
    lat, numbers, errors = [], [], 0
    j = 0
    while True:
        if spec["mode"] == "open":
            due = start + (g + j * clients) / rate
            if due >= end:
                break
            wait = due - time.time()
            if wait > 0:
                time.sleep(wait)
        else:
            due = time.time()
            if due >= end:
                break
        body = json.dumps({"service": f"s{PREFIXES[(g + j) % len(PREFIXES)].lower()}",
                           "language": "de"})
        if spec.get("token"):  # as the terminal: every issue carries a new key
            headers["Idempotency-Key"] = str(uuid.uuid4())
        try:
            conn.request("POST", "/api/v1/tickets", body, headers)
            answer = conn.getresponse()
            data = answer.read()
            done = time.time()
            if answer.status == 201:
                numbers.append(json.loads(data)["number"])
                lat.append(done - due)
            else:
                errors += 1
        except (OSError, http.client.HTTPException):
            errors += 1
            conn.close()
            conn = http.client.HTTPConnection(host, port, timeout=30)
        j += 1
    conn.close()
    with lock:
        out.append((lat, numbers, errors))


def load_child(spec: dict) -> None:
    out, lock = [], threading.Lock()
    before = resource.getrusage(resource.RUSAGE_SELF)  # imports and start-up not counted
    threads = [threading.Thread(target=_client, args=(spec["first"] + i, spec, out, lock))
               for i in range(spec["threads"])]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    use = resource.getrusage(resource.RUSAGE_SELF)
    print(LOAD_MARK + json.dumps({"lat": [x for o in out for x in o[0]],
                                  "numbers": [x for o in out for x in o[1]],
                                  "errors": sum(o[2] for o in out),
                                  "cpu": use.ru_utime + use.ru_stime - before.ru_utime
                                  - before.ru_stime}), flush=True)


def offer(url_port: int, token: str | None, mode: str, duration: float,
          rate: float = 0.0) -> dict:
    """Runs the 20 clients in PROCESSES processes; their merged results."""
    start_at = time.time() + 2.0  # every process started and connected before
    procs = []
    for p in range(PROCESSES):
        spec = {"host": "127.0.0.1", "port": url_port, "token": token, "mode": mode,
                "rate": rate, "duration": duration, "start_at": start_at,
                "clients": PROCESSES * THREADS, "threads": THREADS, "first": p * THREADS}
        procs.append(subprocess.Popen([sys.executable, __file__, "--_load", json.dumps(spec)],
                                      stdout=subprocess.PIPE, text=True))
    merged = {"lat": [], "numbers": [], "errors": 0, "client_cpu": 0.0}
    for proc in procs:
        out, _ = proc.communicate(timeout=duration + 120)
        line = next(x for x in out.splitlines() if x.startswith(LOAD_MARK))
        data = json.loads(line[len(LOAD_MARK):])
        merged["lat"] += data["lat"]
        merged["numbers"] += data["numbers"]
        merged["errors"] += data["errors"]
        merged["client_cpu"] += data["cpu"]
    merged["duration"] = duration
    return merged


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process so far (Linux /proc): the server's CPU
    per ticket is a figure the other processes of a shared machine disturb much less
    than its throughput."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pg_cpu_s(data_dir: Path) -> float:
    """CPU seconds of the PostgreSQL server so far: the postmaster, its children alive
    (the backends of both pools, the WAL writer, the checkpointer, autovacuum) and the
    children it has waited for (an autovacuum worker that exited). Both servers idle
    while the other one's phase runs, so a phase's difference is that server's share."""
    with open(data_dir / "postmaster.pid", encoding="ascii") as f:
        master = int(f.readline())
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", encoding="ascii", errors="replace") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        pid, ppid = int(name), int(fields[1])
        if pid == master:
            total += sum(int(x) for x in fields[11:15])  # utime stime cutime cstime
        elif ppid == master:
            total += int(fields[11]) + int(fields[12])
    return total / tick


def wal_stats(dsn: str) -> tuple[int, int, int]:
    """(bytes, full-page images, syncs) of the WAL so far (pg_stat_wal, the whole server)."""
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        row = conn.execute("SELECT wal_bytes, wal_fpi, wal_sync FROM pg_stat_wal").fetchone()
    return int(row[0]), int(row[1]), int(row[2])


def fresh_day(dsn: str, tables: str) -> None:
    """Empties the day's tables before a saturation round, as a new business day starts
    empty: no round runs into the 899 online numbers per prefix and day, and each
    round's queue (which kiosk serve's people-ahead count reads) starts at 0."""
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"TRUNCATE {tables}")
        conn.execute("VACUUM ANALYZE")


def check_numbers(numbers: list[str], earlier: dict[str, set]) -> str:
    """'' when every prefix's numbers (with those of earlier phases) are 1..n without
    a duplicate; else what is wrong."""
    seen: dict[str, list[int]] = defaultdict(list)
    for n in numbers:
        seen[n[0]].append(int(n[1:]))
    problems = []
    for prefix, seqs in seen.items():
        before = earlier.setdefault(prefix, set())
        dup = len(seqs) - len(set(seqs)) + len(before & set(seqs))
        before |= set(seqs)
        gaps = len(set(range(1, max(before) + 1)) - before)
        if dup or gaps:
            problems.append(f"{prefix}: {dup} duplicates, {gaps} gaps")
    return "; ".join(problems)


# -- the minimal app (a child process) -----------------------------------------------------

class TicketRequest(BaseModel):  # module level: the app's annotations are strings
    service: str
    language: str


def minimal_app(dsn: str, port: int, pool_size: int) -> None:
    from datetime import datetime, timezone

    import uvicorn
    from fastapi import FastAPI
    from psycopg_pool import ConnectionPool

    from kiosk.domain.clock import business_day

    pool = ConnectionPool(dsn, min_size=pool_size, max_size=pool_size,
                          kwargs={"autocommit": True}, open=True)
    app = FastAPI()

    @app.post("/api/v1/tickets", status_code=201)
    def issue(body: TicketRequest):
        prefix = body.service[1:].upper()
        day = business_day(datetime.now(timezone.utc))
        with pool.connection() as conn:
            seq = conn.execute(BARE_ISSUE, {"day": day, "prefix": prefix,
                                            "service": body.service}).fetchone()[0]
        return {"number": f"{prefix}{seq:03d}"}

    uvicorn.run(app, host="127.0.0.1", port=port, workers=1, log_level="warning",
                access_log=False)


def wait_port(port: int, proc: subprocess.Popen, timeout_s: float = 60) -> None:
    import socket

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the app exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the app did not start")


# -- the run ---------------------------------------------------------------------------

def pg_has_server_ops() -> bool:
    from kiosk.store.postgres import PostgresStore

    return "below" in inspect.signature(PostgresStore.issue).parameters and \
        hasattr(PostgresStore, "adopt_offline")


def _merged(runs: list[dict]) -> dict:
    """The rounds of one server as one phase: all latencies, their summed time."""
    return {"lat": [x for r in runs for x in r["lat"]],
            "errors": sum(r["errors"] for r in runs),
            "duration": sum(r["duration"] for r in runs)}


def latency_rows(name: str, variant: str, res: dict, mode: str, problems: str,
                 target_p99: bool) -> list[dict]:
    lat = res["lat"]
    p50, p99, worst = (percentile(lat, 50), percentile(lat, 99), max(lat)) if lat else \
        (float("nan"),) * 3
    text = (f"p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, max {worst * 1000:.0f} ms; "
            f"{len(lat)} tickets, {res['errors']} errors")
    if mode == "sat":
        text = f"{len(lat) / res['duration']:.0f} tickets/s; " + text
    text += "; " + (problems or "0 duplicates, 0 gaps")
    ok = not problems and res["errors"] == 0
    if target_p99:
        return [row(name, variant, text, f"p99 <= {TARGET_P99_S * 1000:.0f} ms",
                    verdict(ok and p99 <= TARGET_P99_S))]
    return [row(name, variant, text, "0 duplicates, 0 gaps", verdict(ok))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--open-s", type=float, default=20.0)
    parser.add_argument("--sat-s", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=3,
                        help="saturation rounds, kiosk serve and the minimal app in turn")
    parser.add_argument("--engine", choices=["auto", "postgres", "sqlite"], default="auto")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--_load")
    parser.add_argument("--_minimal", nargs=3)
    args = parser.parse_args()
    if args._load:
        load_child(json.loads(args._load))
        return 0
    if args._minimal:
        minimal_app(args._minimal[0], int(args._minimal[1]), int(args._minimal[2]))
        return 0

    import psycopg

    from tests.pg_server import Unavailable, start_server
    from tests.server_process import ServerProcess, free_port

    notes, rows = [], []
    try:
        pg = start_server()
    except (Unavailable, RuntimeError) as err:
        pg = None
        notes.append(f"no PostgreSQL ({err}): kiosk serve on SQLite, no minimal app")
    engine = args.engine
    if engine == "auto":
        engine = "postgres" if pg is not None and pg_has_server_ops() else "sqlite"
        if pg is not None and engine == "sqlite":
            notes.append("PostgresStore lacks the server's operations (issue(below=), "
                         "adopt_offline): kiosk serve measured on SQLite, the minimal app "
                         "on PostgreSQL -- the ratio compares two engines")
    folder = Path(tempfile.mkdtemp(prefix="kiosk-bench-serve-"))
    srv = app = None
    try:
        dsn_file = None
        if engine == "postgres":
            with psycopg.connect(pg.dsn(), autocommit=True) as conn:
                conn.execute("CREATE DATABASE kiosk_serve")
            dsn_file = folder / "dsn"
            dsn_file.write_text(pg.dsn("kiosk_serve"), encoding="utf-8")
            dsn_file.chmod(0o600)
        srv = ServerProcess(folder, config_text(folder, dsn_file), roles=("terminal",))
        srv.start()
        token = srv.tokens["terminal"]
        if pg is not None:  # both servers up from the start: their rounds alternate
            with psycopg.connect(pg.dsn(), autocommit=True) as conn:
                conn.execute("CREATE DATABASE bare_app")
            with psycopg.connect(pg.dsn("bare_app"), autocommit=True) as conn:
                conn.execute(BARE_SCHEMA)
            port = free_port()
            app = subprocess.Popen([sys.executable, __file__, "--_minimal",
                                    pg.dsn("bare_app"), str(port), "4"])
            wait_port(port, app)
        variant = f"kiosk serve on {engine}, 20 clients"
        log(f"== open loop {args.rate:.0f}/s for {args.open_s:.0f} s ({variant})")
        earlier: dict[str, set] = {}
        res = offer(srv.port, token, "open", args.open_s, args.rate)
        rows += latency_rows(f"issuing latency, open loop {args.rate:.0f}/s", variant,
                             res, "open", check_numbers(res["numbers"], earlier), True)
        # saturation in --rounds rounds, kiosk serve and the minimal app in turn (the
        # order swapped each round): on a shared machine the load drifts, and each
        # round's pair has met about the same machine
        runs = {"ours": [], "bare": []}
        pg_data = Path(pg.folder) / "data" if pg is not None else None
        for r in range(args.rounds):
            order = ["ours", "bare"] if r % 2 == 0 else ["bare", "ours"]
            for who in order:
                if who == "bare" and app is None:
                    continue
                pid, port_, tok = (srv.proc.pid, srv.port, token) if who == "ours" \
                    else (app.pid, port, None)
                log(f"== saturation for {args.sat_s:.0f} s, round {r + 1} "
                    f"({variant if who == 'ours' else 'minimal app'})")
                if who == "bare":
                    fresh_day(pg.dsn("bare_app"), "ticket, counter")
                elif engine == "postgres":
                    fresh_day(pg.dsn("kiosk_serve"), "ticket, ticket_counter, issue_key, "
                              "checkin")
                cpu_before, load = cpu_s(pid), os.getloadavg()[0]
                pg_before = pg_cpu_s(pg_data) if pg_data else 0.0
                wal_before = wal_stats(pg.dsn()) if pg_data else (0, 0, 0)
                sat = offer(port_, tok, "sat", args.sat_s)
                n = max(1, len(sat["numbers"]))
                if pg_data:  # WAL bytes, full-page images, syncs (fsync) per ticket
                    sat["wal"] = [(a - b) / n for a, b in zip(wal_stats(pg.dsn()),
                                                              wal_before)]
                sat["cpu"] = (cpu_s(pid) - cpu_before) / n
                sat["pg_cpu"] = ((pg_cpu_s(pg_data) - pg_before) / n) if pg_data else 0.0
                sat["client_cpu"] /= n
                sat["load"] = load
                # a fresh day (PostgreSQL) checks its numbers on their own; SQLite's
                # go on from the earlier phases'
                sat["problems"] = check_numbers(
                    sat["numbers"], earlier if who == "ours" and engine == "sqlite" else {})
                runs[who].append(sat)
        rows += latency_rows("issuing at saturation", variant, _merged(runs["ours"]), "sat",
                             "; ".join(x["problems"] for x in runs["ours"] if x["problems"]),
                             False)
        if app is not None:
            rows += latency_rows("issuing at saturation", "minimal FastAPI + psycopg pool "
                                 "(4), one-statement CTE, 20 clients",
                                 _merged(runs["bare"]), "sat",
                                 "; ".join(x["problems"] for x in runs["bare"]
                                           if x["problems"]), False)
            pairs = list(zip(runs["ours"], runs["bare"]))
            ratios = [len(o["lat"]) / len(b["lat"]) if b["lat"] else float("nan")
                      for o, b in pairs]
            ratio = statistics.median(ratios)
            rows.append(row("saturation: kiosk serve / minimal app", f"{engine} / postgres",
                            f"{ratio:.2f}x median of {len(ratios)} rounds (" + ", ".join(
                                f"{x:.2f}x: {len(o['lat']) / o['duration']:.0f} vs "
                                f"{len(b['lat']) / b['duration']:.0f}/s"
                                for x, (o, b) in zip(ratios, pairs)) + ")",
                            f">= {TARGET_RATIO}x",
                            verdict(ratio >= TARGET_RATIO) if engine == "postgres"
                            else "— (two engines)"))
            cpu_ratios = [o["cpu"] / b["cpu"] if b["cpu"] else float("nan")
                          for o, b in pairs]
            rows.append(row("server CPU per ticket at saturation", "kiosk serve / minimal "
                            "app", f"{statistics.median(cpu_ratios):.2f}x median of "
                            f"{len(pairs)} rounds (" + ", ".join(
                                f"{o['cpu'] * 1000:.2f} / {b['cpu'] * 1000:.2f} ms at load "
                                f"{o['load']:.1f} / {b['load']:.1f}" for o, b in pairs)
                            + ")", f"<= {TARGET_CPU_RATIO}x",
                            verdict(statistics.median(cpu_ratios) <= TARGET_CPU_RATIO)))
            # on 2 cores the server, PostgreSQL and the clients share the CPU: the
            # total per ticket is what the throughput follows
            for label, key in (("PostgreSQL", "pg_cpu"), ("clients", "client_cpu")):
                rows.append(row(f"{label} CPU per ticket at saturation",
                                "kiosk serve / minimal app",
                                f"{statistics.median(o[key] * 1000 for o, _ in pairs):.2f}"
                                f" / {statistics.median(b[key] * 1000 for _, b in pairs):.2f}"
                                " ms, medians (" + ", ".join(
                                    f"{o[key] * 1000:.2f} / {b[key] * 1000:.2f}"
                                    for o, b in pairs) + ")", "(info)", "—"))
            if all("wal" in x for x in runs["ours"] + runs["bare"]):
                rows.append(row("PostgreSQL WAL per ticket at saturation", "kiosk serve / "
                                "minimal app", "; ".join(
                                    f"{o['wal'][0]:.0f} / {b['wal'][0]:.0f} bytes, "
                                    f"{o['wal'][1]:.2f} / {b['wal'][1]:.2f} full pages, "
                                    f"{o['wal'][2]:.2f} / {b['wal'][2]:.2f} syncs"
                                    for o, b in pairs), "(info)", "—"))
            totals = [(sum(o[k] for k in ("cpu", "pg_cpu", "client_cpu")),
                       sum(b[k] for k in ("cpu", "pg_cpu", "client_cpu"))) for o, b in pairs]
            rows.append(row("total CPU per ticket at saturation (server + PostgreSQL + "
                            "clients)", "kiosk serve / minimal app",
                            f"{statistics.median(o / b for o, b in totals):.2f}x median "
                            "(" + ", ".join(f"{o * 1000:.2f} / {b * 1000:.2f} ms"
                                            for o, b in totals) + ")", "(info)", "—"))
    finally:
        if app is not None:
            app.terminate()
            app.wait(timeout=30)
        if srv is not None:
            srv.stop()
        if pg is not None:
            pg.stop()
        shutil.rmtree(folder, ignore_errors=True)
    notes.append(f"load: {PROCESSES} processes x {THREADS} threads, keep-alive "
                 f"connections; open loop latency from each request's scheduled time")
    notes.append(f"machine load average before the end: {os.getloadavg()[0]:.2f}")
    emit(rows, notes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
