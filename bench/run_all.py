"""Run every benchmark in bench/ (each in its own process, one after the other) and print
one markdown table with the environment it ran in.

Each script stops by itself (fixed counts and a time budget); this runner also gives each
a hard timeout. Takes about 12 minutes on a 2-core machine, 4 of them the UI session
budget of bench_sessions_rss.py, which then measures memory to about 1,700 visits only;
`--full` lets it run all 10,000 visits issue 9 item 5 asks for (about 45 minutes).

Run: .venv/bin/python bench/run_all.py [--only issue,held,history,print,cold,rss,bytes,uilock,health,
                                                checkin,intake,pg_issue,serve,callup,
                                                office]
                                       [--quick | --full] [--at REV]
  --quick  small counts for a smoke run of the scripts (the numbers are not results)
  --full   bench_sessions_rss.py without its time budget: 10,000 full UI visits
  --at REV measure the kiosk package of commit REV instead of the work tree: a clean
           `git archive REV` snapshot in a temporary directory first on PYTHONPATH (the
           bench scripts themselves stay those of the work tree). Use it when others have
           uncommitted changes in kiosk/, so the results belong to one commit.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time

from _common import (BENCH_DIR, JSON_MARK, describe_environment, environment,
                     markdown_table, source_snapshot)

SCRIPTS = {
    "issue": ("bench_issue_sqlite.py", [], ["--per-process", "300", "--rounds", "1"]),
    "held": ("bench_issue_held.py", [], ["--count", "300", "--rounds", "1"]),
    "history": ("bench_store_history.py", [], []),
    "print": ("bench_print_latency.py", [], ["--runs-115200", "5", "--runs-9600", "3"]),
    "cold": ("bench_cold_start.py", [], ["--runs", "1"]),
    "rss": ("bench_sessions_rss.py", [], ["--budget-s", "30", "--engine-sessions", "1000"]),
    "bytes": ("bench_ticket_bytes.py", [], []),
    "uilock": ("bench_ui_lock.py", [], ["--runs", "1"]),
    "health": ("bench_health.py", [], ["--duration", "3"]),
    "checkin": ("bench_checkin.py", [], ["--runs", "5"]),
    "intake": ("bench_intake.py", [], ["--runs", "30", "--intakes", "100"]),
    "pg_issue": ("bench_pg_issue.py", [], ["--per-client", "40", "--rounds", "1"]),
    "serve": ("bench_serve.py", [], ["--open-s", "3", "--sat-s", "3"]),
    "callup": ("bench_callup.py", [], ["--calls", "20"]),
    "office": ("bench_office.py", [], ["--walk-ins", "5"]),
}
TIMEOUT_S = 1200
FULL = {"rss": (["--budget-s", "3300"], 3600)}  # --full: extra arguments, timeout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated subset of " + ",".join(SCRIPTS))
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true")
    mode.add_argument("--full", action="store_true")
    parser.add_argument("--at", metavar="REV")
    args = parser.parse_args()
    chosen = args.only.split(",") if args.only else list(SCRIPTS)
    unknown = set(chosen) - set(SCRIPTS)
    if unknown:
        parser.error(f"unknown: {', '.join(sorted(unknown))}")

    child_env = dict(os.environ)
    snapshot_dir = None
    if args.at:
        sha, snapshot_dir = source_snapshot(args.at)
        child_env["PYTHONPATH"] = os.pathsep.join(
            [snapshot_dir] + ([child_env["PYTHONPATH"]] if child_env.get("PYTHONPATH") else []))
        child_env["KIOSK_BENCH_SNAPSHOT"] = sha
        os.environ["KIOSK_BENCH_SNAPSHOT"] = sha
        print(f"== measuring a snapshot of {sha[:7]} in {snapshot_dir}", file=sys.stderr)
    try:
        return run(args, chosen, child_env)
    finally:
        if snapshot_dir:
            shutil.rmtree(snapshot_dir, ignore_errors=True)


def run(args, chosen: list[str], child_env: dict) -> int:
    env = environment()
    where = subprocess.run([sys.executable, "-c", "import kiosk; print(kiosk.__file__)"],
                           capture_output=True, text=True, env=child_env, cwd=BENCH_DIR)
    rows, notes, failed = [], [f"kiosk imported from {where.stdout.strip() or '?'}"], []
    for name in chosen:
        script, normal, quick = SCRIPTS[name]
        extra, timeout_s = FULL.get(name, ([], TIMEOUT_S)) if args.full else ([], TIMEOUT_S)
        cmd = [sys.executable, str(BENCH_DIR / script), "--json",
               *(quick if args.quick else normal), *extra]
        print(f"== {script} {' '.join(cmd[3:])}", file=sys.stderr, flush=True)
        started = time.perf_counter()
        try:
            # stderr (progress) goes straight through; stdout carries the result line
            proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, timeout=timeout_s,
                                  cwd=BENCH_DIR, env=child_env)
        except subprocess.TimeoutExpired:
            failed.append(f"{script}: killed after {timeout_s} s")
            continue
        line = next((x for x in proc.stdout.splitlines() if x.startswith(JSON_MARK)), None)
        if proc.returncode != 0 or line is None:
            failed.append(f"{script}: exit {proc.returncode}")
            continue
        data = json.loads(line[len(JSON_MARK):])
        rows += data["rows"]
        notes += data["notes"]
        notes.append(f"{script} took {time.perf_counter() - started:.0f} s; load average "
                     f"at its end {data['loadavg_end']}")

    print(describe_environment(env) + (" · QUICK SMOKE RUN: not results" if args.quick
                                       else ""))
    print()
    print(markdown_table(rows))
    print()
    for note in notes:
        print(f"- {note}")
    for failure in failed:
        print(f"- FAILED: {failure}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
