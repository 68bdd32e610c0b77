"""Shared helpers for the benchmark scripts: percentiles, the environment header, the
stock python-escpos ticket used as the alternative, and how a script hands its result
rows to run_all.py (one `BENCH_JSON {...}` line on stdout with --json).

Not a test helper: nothing here asserts; benchmarks are run by hand."""

from __future__ import annotations

import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
JSON_MARK = "BENCH_JSON "


# -- statistics --------------------------------------------------------------------------

def percentile(values, p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of a non-empty sequence."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def median(values) -> float:
    ordered = sorted(values)
    n = len(ordered)
    if n == 0:
        return float("nan")
    mid = n // 2
    return ordered[mid] if n % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 10 else f"{seconds:.1f} s"


# -- environment ----------------------------------------------------------------------

def fs_type(path: str | Path) -> str:
    """Filesystem type holding `path` (tmpfs would make fsync free and FULL meaningless)."""
    path = os.path.realpath(path)
    best, kind = "", "?"
    try:
        with open("/proc/mounts", encoding="utf-8") as mounts:
            for line in mounts:
                parts = line.split()
                if len(parts) >= 3 and (path == parts[1] or path.startswith(
                        parts[1].rstrip("/") + "/")) and len(parts[1]) > len(best):
                    best, kind = parts[1], f"{parts[2]} ({parts[0]})"
    except OSError:
        pass
    return kind


def git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True,
                              timeout=10).stdout.rstrip("\n")
    except (OSError, subprocess.SubprocessError):
        return "?"


def environment() -> dict:
    snapshot = os.environ.get("KIOSK_BENCH_SNAPSHOT")
    dirty = [] if snapshot else [
        line[3:] for line in git("status", "--porcelain").splitlines()
        if line[3:] and not line[3:].startswith("bench/")]
    cpu = "?"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            cpu = next((line.split(":", 1)[1].strip() for line in info
                        if line.startswith("model name")), "?")
    except OSError:
        pass
    return {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "sqlite": __import__("sqlite3").sqlite_version,
        "commit": snapshot[:7] if snapshot else git("rev-parse", "--short", "HEAD").strip(),
        "snapshot": bool(snapshot),
        "uncommitted_outside_bench": dirty,
        "tmp_fs": fs_type(tempfile.gettempdir()),
        "loadavg": "%.2f %.2f %.2f" % os.getloadavg(),
    }


def describe_environment(env: dict) -> str:
    if env.get("snapshot"):
        source = f"commit {env['commit']} (clean `git archive` snapshot, not the work tree)"
    else:
        dirty = ", ".join(env["uncommitted_outside_bench"]) or "none"
        source = f"commit {env['commit']} + work tree (uncommitted outside bench/: {dirty})"
    return (f"{env['date']} · nproc {env['nproc']} ({env['cpu']}) · Python {env['python']} · "
            f"SQLite {env['sqlite']} · {source} · temp dir on {env['tmp_fs']} · "
            f"load average {env['loadavg']}")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- result rows ----------------------------------------------------------------------

def row(measurement: str, variant: str, result: str, target: str = "—",
        verdict: str = "—") -> dict:
    return {"measurement": measurement, "variant": variant, "result": result,
            "target": target, "verdict": verdict}


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def markdown_table(rows: list[dict]) -> str:
    head = "| measurement | variant | result | target | verdict |\n|---|---|---|---|---|\n"
    return head + "\n".join(
        f"| {r['measurement']} | {r['variant']} | {r['result']} | {r['target']} | "
        f"{r['verdict']} |" for r in rows)


def emit(rows: list[dict], notes: list[str] | None = None) -> None:
    """Print the rows: markdown for a person, one JSON line for run_all.py (--json)."""
    load = "%.2f %.2f %.2f" % os.getloadavg()
    if "--json" in sys.argv:
        print(JSON_MARK + json.dumps({"rows": rows, "notes": notes or [],
                                      "loadavg_end": load}), flush=True)
        return
    print(describe_environment(environment()))
    print()
    print(markdown_table(rows))
    for note in notes or []:
        print(f"- {note}")
    print(f"- load average at the end: {load}")


# -- the obvious alternative: stock python-escpos --------------------------------------

def stock_escpos_ticket(printer, document, native_qr: bool = False) -> None:
    """The same ticket content through plain python-escpos calls with their defaults:
    set() + text() per line (the library's own encoding), qr() (image unless native),
    cut(). Sizes: set(custom_size=True, width=n, height=n) for the huge number."""
    from kiosk.domain.documents import Feed, QrCode, Rule, Text

    for block in document.blocks:
        if isinstance(block, Text):
            size = block.size.value
            if size > 1:
                printer.set(align=block.align.value, bold=block.bold, custom_size=True,
                            width=min(size, 8), height=min(size, 8))
            else:
                printer.set(align=block.align.value, bold=block.bold, normal_textsize=True)
            printer.text(block.text + "\n")
        elif isinstance(block, QrCode):
            printer.set(align="center", normal_textsize=True)
            printer.qr(block.data, native=native_qr)
        elif isinstance(block, Rule):
            printer.text("-" * 42 + "\n")
        elif isinstance(block, Feed):
            printer.ln(block.lines)
    if document.cut:
        printer.cut()


def demo_config(tmp: Path, printer=None, **printer_changes):
    """The shipped demo configuration (6 services, 12 languages), store in `tmp`."""
    import dataclasses

    from kiosk.config import load_config
    from kiosk.paths import config_resource

    config = load_config(config_resource("demo.toml"))
    store = dataclasses.replace(config.store, path=str(tmp / "kiosk.sqlite3"))
    printer_config = printer or dataclasses.replace(config.printer, **printer_changes)
    return dataclasses.replace(config, store=store, printer=printer_config)


class Ticks:
    """A monotonic clock that moves only by hand (the debounce and idle timer read it)."""

    def __init__(self, start: float = 1000.0) -> None:
        self.t = start

    def __call__(self) -> float:
        return self.t


class StepClock:
    """A wall clock for TicketService that moves `step_s` per reading (fake time)."""

    def __init__(self, start: datetime, step_s: float) -> None:
        from datetime import timedelta

        self.now, self.step = start, timedelta(seconds=step_s)

    def __call__(self) -> datetime:
        current = self.now
        self.now = current + self.step
        return current


def now_s() -> float:
    return time.perf_counter()


def fill_history(db, before_day, days: int, per_day: int) -> int:
    """`days` x `per_day` finished tickets (done / expired / no-show) on the days before
    `before_day`, as an office leaves them behind; one transaction, then a checkpoint."""
    from datetime import timedelta

    rows = []
    ref = 0
    for d in range(days, 0, -1):
        day = (before_day - timedelta(days=d)).isoformat()
        for seq in range(1, per_day + 1):
            ref += 1
            prefix = "ABCDEF"[seq % 6]
            state = ("done", "done", "done", "expired", "no_show")[seq % 5]
            at = f"{day}T09:00:00.000000+00:00"
            rows.append((day, f"svc-{prefix}", prefix, seq, f"{prefix}{seq % 1000:03d}",
                         f"h{ref:015x}", "bench", "de", at, state, "1", at, at, 1))
    db.execute("BEGIN")
    db.executemany(
        "INSERT INTO ticket (business_day, service, prefix, seq, number, reference, terminal,"
        " lang, issued_at, state, counter, called_at, finished_at, printed)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
    db.execute("COMMIT")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return len(rows)


def source_snapshot(rev: str, prefix: str = "kiosk-bench-src-") -> tuple[str, str]:
    """(full sha, folder) of a clean `git archive` of commit `rev`, for measuring that
    commit's kiosk package (first on PYTHONPATH) instead of the work tree."""
    import io
    import tarfile

    sha = subprocess.run(["git", "rev-parse", "--verify", rev + "^{commit}"], cwd=REPO,
                         capture_output=True, text=True, check=True).stdout.strip()
    archive = subprocess.run(["git", "archive", "--format=tar", sha], cwd=REPO,
                             capture_output=True, check=True).stdout
    folder = tempfile.mkdtemp(prefix=prefix)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    return sha, folder
