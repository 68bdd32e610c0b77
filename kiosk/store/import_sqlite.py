"""Moving a terminal that ran alone onto the office server (`kiosk serve import-sqlite`):
today's tickets of its SQLite queue file with their check-ins, the bookings still ahead,
the statistics and the office-wide staff settings, copied into the server's PostgreSQL
store in one transaction, once per file. Nothing personal is in any of these tables;
the sealed intakes stay in the file (only counted, for the operator)."""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Callable

import psycopg

from kiosk.domain.clock import OFFICE_ZONE
from kiosk.domain.staff_today import in_force
from kiosk.store.errors import StoreError
from kiosk.store.schema import migrate
from kiosk.store.sqlite import from_iso_text as _dt

# the staff audit log's action that marks a file as copied (with the file's id as its
# detail): a second run finds it and copies nothing
MARK = "imported_sqlite"
TICKET_COLUMNS = ("business_day", "service", "prefix", "seq", "number", "reference",
                  "terminal", "lang", "issued_at", "state", "counter", "called_at",
                  "finished_at", "printed", "print_error", "printed_at", "call_seq", "kind",
                  "slot_start", "priority_rank")
_TIMES = {"issued_at", "called_at", "finished_at", "printed_at", "slot_start"}


class ImportRefused(Exception):
    """Nothing was copied; the message is one line for the operator."""


@dataclass
class ImportReport:
    day: date
    source_id: str
    tickets: int = 0
    checkins: int = 0
    bookings: int = 0
    stat_rows: int = 0
    settings: int = 0
    sealed_left: int = 0                 # sealed intakes in the file, not copied
    prefixes: list[str] = field(default_factory=list)
    already: bool = False                # the file was copied before: nothing done
    dry_run: bool = False


def read_file(path: Path) -> sqlite3.Connection:
    """A consistent copy of the terminal's queue file in memory (the backup API reads it
    as one snapshot, its WAL included), brought to this kiosk's schema: the file itself
    is opened read-only and never changed."""
    if not path.is_file():
        raise ImportRefused(f"{path}: no such file")
    copy = sqlite3.connect(":memory:", isolation_level=None)
    try:
        src = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=10)
        try:
            src.backup(copy)
        finally:
            src.close()
        tables = {r[0] for r in copy.execute("SELECT name FROM sqlite_master "
                                             "WHERE type = 'table'")}
        if "ticket" not in tables:  # migrate() would make an empty queue of it
            raise ImportRefused(f"{path}: " + ("another program's database, not a "
                                               "terminal's queue" if tables else
                                               "an empty file, not a terminal's queue"))
        copy.execute("BEGIN")
        migrate(copy, path)
        copy.execute("COMMIT")
    except sqlite3.Error as err:
        copy.close()
        raise ImportRefused(f"{path}: not readable as a kiosk queue file ({err})") from None
    except StoreError as err:  # a newer kiosk's file, or another program's
        copy.close()
        raise ImportRefused(str(err)) from None
    except ImportRefused:
        copy.close()
        raise
    return copy


def source_id(db: sqlite3.Connection) -> str:
    """What names the file across runs: its first ticket's random reference (hashed),
    which stays while the file lives; a file without tickets, by its statistics."""
    row = db.execute("SELECT reference FROM ticket ORDER BY id LIMIT 1").fetchone()
    if row is not None:
        seed = "ticket:" + row[0]
    else:
        rows = db.execute("SELECT * FROM checkin_stat ORDER BY 1, 2, 3").fetchall() + \
            db.execute("SELECT * FROM intake_stat ORDER BY 1, 2, 3, 4").fetchall() + \
            db.execute("SELECT reference FROM appointment ORDER BY 1").fetchall()
        seed = "rows:" + repr(rows)
    return hashlib.sha256(seed.encode()).hexdigest()[:20]


def import_sqlite(path: Path, store, now: datetime, day: date, *, dry_run: bool = False,
                  setting_keys: Callable[[str], bool] = lambda key: False) -> ImportReport:
    """Copy the file's business day `day` into the PostgreSQL `store` (a PostgresStore).
    ImportRefused when the server has tickets of that day with one of the file's
    prefixes already (numbers would be given twice); the report says already=True when
    this file was copied before. dry_run: the same work, rolled back. `setting_keys`:
    which staff settings apply to the whole office (the caller knows their names)."""
    db = read_file(path)
    try:
        report = ImportReport(day, source_id(db), dry_run=dry_run)
        report.sealed_left = db.execute("SELECT COUNT(*) FROM sealed_intake").fetchone()[0]
        rows = db.execute(f"SELECT {', '.join(TICKET_COLUMNS)}, id FROM ticket "
                          f"WHERE business_day = ? ORDER BY id", (day.isoformat(),)).fetchall()
        tickets = [dict(zip(TICKET_COLUMNS, row[:-1])) for row in rows]
        ids = [row[-1] for row in rows]
        report.prefixes = sorted({t["prefix"] for t in tickets})
        midnight = datetime.combine(day, time.min, OFFICE_ZONE)
        bookings = [row for row in db.execute(
            "SELECT reference, service, office, start, duration_min, status, priority_rank, "
            "imported_at FROM appointment ORDER BY reference") if _dt(row[3]) >= midnight]
        checkins = db.execute("SELECT reference, ticket_id, business_day, checked_in_at "
                              "FROM checkin WHERE business_day = ?",
                              (day.isoformat(),)).fetchall()
        checkin_stats = db.execute("SELECT business_day, service, outcome, count "
                                   "FROM checkin_stat").fetchall()
        intake_stats = db.execute("SELECT business_day, event, step, persons, count, "
                                  "seconds_total, seconds_count FROM intake_stat").fetchall()
        settings = [row for row in db.execute(
            "SELECT key, value, for_day, set_at FROM staff_setting ORDER BY key")
            if setting_keys(row[0]) and in_force(row[2], day)]
        terminal = (tickets[0]["terminal"] if tickets else "") or "import"
    finally:
        db.close()

    def copy(conn: psycopg.Connection) -> None:
        # one import at a time: the check for the day's prefixes holds until the commit
        conn.execute("SELECT pg_advisory_xact_lock(hashtext('kiosk.import_sqlite'))")
        if conn.execute("SELECT 1 FROM staff_audit WHERE action = %s AND detail = %s",
                        (MARK, report.source_id)).fetchone():
            report.already = True
            return
        taken = [r[0] for r in conn.execute(
            "SELECT DISTINCT prefix FROM ticket WHERE business_day = %s AND prefix = ANY(%s) "
            "ORDER BY prefix", (day, report.prefixes))]
        if taken:
            raise ImportRefused(
                f"the server already has tickets of {day} with the prefix "
                f"{', '.join(taken)}: copying {path} would give those numbers twice; "
                f"nothing copied")
        _copy_tickets(conn, tickets, ids, checkins, day, report)
        for row in bookings:
            done = conn.execute(
                "INSERT INTO appointment (reference, service, office, start, duration_min, "
                "status, priority_rank, imported_at) VALUES (%s,%s,%s,%s,%s,%s,%s,%s) "
                "ON CONFLICT (reference) DO NOTHING",
                (row[0], row[1], row[2], _dt(row[3]), row[4], row[5], row[6], _dt(row[7])))
            report.bookings += done.rowcount
        for day_text, service, outcome, count in checkin_stats:
            conn.execute("INSERT INTO checkin_stat AS s (business_day, service, outcome, "
                         "count) VALUES (%s,%s,%s,%s) ON CONFLICT (business_day, service, "
                         "outcome) DO UPDATE SET count = s.count + excluded.count",
                         (date.fromisoformat(day_text), service, outcome, count))
        for day_text, event, step, persons, count, total, n in intake_stats:
            conn.execute("INSERT INTO intake_stat AS s (business_day, event, step, persons, "
                         "count, seconds_total, seconds_count) VALUES (%s,%s,%s,%s,%s,%s,%s) "
                         "ON CONFLICT (business_day, event, step, persons) DO UPDATE SET "
                         "count = s.count + excluded.count, seconds_total = s.seconds_total "
                         "+ excluded.seconds_total, seconds_count = s.seconds_count + "
                         "excluded.seconds_count",
                         (date.fromisoformat(day_text), event, step, persons, count, total, n))
        report.stat_rows = len(checkin_stats) + len(intake_stats)
        for key, value, for_day, set_at in settings:
            # the server's own setting of the same key stays: it is the newer word
            done = conn.execute(
                "INSERT INTO staff_setting (key, value, for_day, set_at) VALUES "
                "(%s,%s,%s,%s) ON CONFLICT (key) DO NOTHING",
                (key, value, date.fromisoformat(for_day) if for_day else None, _dt(set_at)))
            report.settings += done.rowcount
        conn.execute("INSERT INTO staff_audit (at, action, terminal, detail) VALUES "
                     "(%s,%s,%s,%s)", (now, MARK, terminal, report.source_id))
        if dry_run:
            raise psycopg.Rollback()

    store.write("copying the terminal's queue", copy)
    return report


def _copy_tickets(conn: psycopg.Connection, tickets: list[dict], ids: list[int],
                  checkins: list, day: date, report: ImportReport) -> None:
    """The day's tickets under new ids, their check-ins pointing at them, and the day's
    counters moved past them: the server's next number of a prefix follows the file's
    last, and its calls come after the file's."""
    if not tickets:
        return
    last_call = conn.execute("SELECT last_call FROM call_counter WHERE business_day = %s",
                             (day,)).fetchone()
    offset = last_call[0] if last_call else 0
    new_ids: dict[int, int] = {}
    marks = ", ".join(["%s"] * len(TICKET_COLUMNS))
    for old_id, ticket in zip(ids, tickets):
        values = {k: (_dt(v) if k in _TIMES and v is not None else v)
                  for k, v in ticket.items()}
        values["business_day"] = day
        values["printed"] = None if ticket["printed"] is None else bool(ticket["printed"])
        if ticket["call_seq"] is not None:
            values["call_seq"] = ticket["call_seq"] + offset
        new_ids[old_id] = conn.execute(
            f"INSERT INTO ticket ({', '.join(TICKET_COLUMNS)}) VALUES ({marks}) RETURNING id",
            [values[k] for k in TICKET_COLUMNS]).fetchone()[0]
    report.tickets = len(tickets)
    for prefix in report.prefixes:
        mine = [t for t in tickets if t["prefix"] == prefix]
        conn.execute(
            "INSERT INTO ticket_counter AS c (business_day, prefix, last_seq, walk_ins) "
            "VALUES (%s,%s,%s,%s) ON CONFLICT (business_day, prefix) DO UPDATE SET "
            "last_seq = GREATEST(c.last_seq, excluded.last_seq), "
            "walk_ins = c.walk_ins + excluded.walk_ins",
            (day, prefix, max(t["seq"] for t in mine),
             sum(1 for t in mine if t["kind"] != "appointment")))
    calls = [t["call_seq"] for t in tickets if t["call_seq"] is not None]
    if calls:
        conn.execute("INSERT INTO call_counter AS c (business_day, last_call) VALUES (%s,%s) "
                     "ON CONFLICT (business_day) DO UPDATE SET last_call = "
                     "GREATEST(c.last_call, excluded.last_call)", (day, offset + max(calls)))
    for reference, ticket_id, _day, checked_in_at in checkins:
        if ticket_id in new_ids:
            done = conn.execute("INSERT INTO checkin (reference, ticket_id, business_day, "
                                "checked_in_at) VALUES (%s,%s,%s,%s) "
                                "ON CONFLICT (reference) DO NOTHING",
                                (reference, new_ids[ticket_id], day, _dt(checked_in_at)))
            report.checkins += done.rowcount
