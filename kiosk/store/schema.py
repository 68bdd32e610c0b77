"""The queue store's schema and its migrations. `PRAGMA user_version` says how many of
MIGRATIONS a file has had; opening a file applies the missing ones in one transaction,
so terminals in the field keep their data across updates."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import Callable

from kiosk.store.errors import StoreError

# Version 1 exactly as the first release created it; never edit it, add a migration.
SCHEMA_V1 = """
CREATE TABLE IF NOT EXISTS ticket (
    id INTEGER PRIMARY KEY,
    business_day TEXT NOT NULL,
    service TEXT NOT NULL,
    prefix TEXT NOT NULL,
    seq INTEGER NOT NULL,
    number TEXT NOT NULL,
    reference TEXT NOT NULL UNIQUE,
    terminal TEXT NOT NULL,
    lang TEXT NOT NULL,
    issued_at TEXT NOT NULL,
    state TEXT NOT NULL,
    counter TEXT,
    called_at TEXT,
    finished_at TEXT,
    printed INTEGER,
    print_error TEXT,
    UNIQUE (business_day, prefix, seq)
);
CREATE INDEX IF NOT EXISTS ticket_waiting ON ticket (business_day, service, state, seq);
CREATE INDEX IF NOT EXISTS ticket_number ON ticket (business_day, number);
CREATE INDEX IF NOT EXISTS ticket_state_day ON ticket (state, business_day);
CREATE INDEX IF NOT EXISTS ticket_service_called ON ticket (service, called_at);
"""


def _run_script(db: sqlite3.Connection, script: str) -> None:
    # executescript() would COMMIT the migration's transaction half-way
    for statement in script.strip().split(";"):
        if statement.strip():
            db.execute(statement)


def _to_v1(db: sqlite3.Connection) -> None:
    _run_script(db, SCHEMA_V1)


def _to_v2(db: sqlite3.Connection) -> None:
    """Calls get their own order (call_seq, per day): the call-up sign shows the latest
    call first even after the wall clock jumped back. printed_at: when the paper came
    out."""
    _run_script(db, """
        ALTER TABLE ticket ADD COLUMN call_seq INTEGER;
        ALTER TABLE ticket ADD COLUMN printed_at TEXT;
        UPDATE ticket SET call_seq = ranked.n FROM (
            SELECT id, ROW_NUMBER() OVER (PARTITION BY business_day
                                          ORDER BY called_at, id) AS n
            FROM ticket WHERE called_at IS NOT NULL) AS ranked
        WHERE ticket.id = ranked.id;
        CREATE INDEX ticket_calls ON ticket (business_day, call_seq)
    """)


def _to_v3(db: sqlite3.Connection) -> None:
    """Fewer index pages written by each issue, while the write lock all terminals wait
    for is held: ticket_number was never read (tickets are found by prefix and seq), and
    a ticket enters the call indexes only when it is called."""
    _run_script(db, """
        DROP INDEX IF EXISTS ticket_number;
        DROP INDEX IF EXISTS ticket_service_called;
        CREATE INDEX ticket_service_called ON ticket (service, called_at)
            WHERE called_at IS NOT NULL;
        DROP INDEX IF EXISTS ticket_calls;
        CREATE INDEX ticket_calls ON ticket (business_day, call_seq)
            WHERE call_seq IS NOT NULL
    """)


def _to_v4(db: sqlite3.Connection) -> None:
    """Appointment check-in: imported bookings (embedded source), one check-in row per
    booking reference (its PRIMARY KEY makes a check-in exactly-once, also across
    processes), the ticket's kind, slot and emergency rank, and statistics counters per
    day, service and outcome (no reference, nothing personal)."""
    _run_script(db, """
        CREATE TABLE appointment (
            reference TEXT PRIMARY KEY,
            service TEXT NOT NULL,
            office TEXT NOT NULL,
            start TEXT NOT NULL,
            duration_min INTEGER NOT NULL,
            status TEXT NOT NULL,
            priority_rank INTEGER,
            imported_at TEXT NOT NULL
        );
        CREATE INDEX appointment_open ON appointment (status, start);
        CREATE TABLE checkin (
            reference TEXT PRIMARY KEY,
            ticket_id INTEGER NOT NULL REFERENCES ticket (id),
            business_day TEXT NOT NULL,
            checked_in_at TEXT NOT NULL
        );
        ALTER TABLE ticket ADD COLUMN kind TEXT NOT NULL DEFAULT 'walk_in';
        ALTER TABLE ticket ADD COLUMN slot_start TEXT;
        ALTER TABLE ticket ADD COLUMN priority_rank INTEGER;
        CREATE TABLE checkin_stat (
            business_day TEXT NOT NULL,
            service TEXT NOT NULL,
            outcome TEXT NOT NULL,
            count INTEGER NOT NULL,
            PRIMARY KEY (business_day, service, outcome)
        )
    """)


def _to_v5(db: sqlite3.Connection) -> None:
    """Two b-trees less written by each issue while it holds the write lock all
    terminals wait for (each one a page written and, in the next process's turn, read
    again). The reference is no longer a UNIQUE column: its index put every issue on a
    random page, and nothing looks tickets up by reference; it is 72 random bits, so two
    equal ones are not to be expected in the life of a terminal, and (business_day,
    prefix, seq) stays UNIQUE. SQLite cannot drop a column's UNIQUE, so the table is
    rebuilt from its own stored definition (columns added by other migrations are kept)
    and its indexes are made again, except ticket_waiting and ticket_state_day: one
    index, state first, serves what both did."""
    table = db.execute("SELECT sql FROM sqlite_master WHERE type = 'table' "
                       "AND name = 'ticket'").fetchone()[0]
    unique = re.compile(r"(\breference\s+TEXT\s+NOT\s+NULL)\s+UNIQUE\b", re.IGNORECASE)
    if unique.search(table):
        rebuilt = unique.sub(r"\1", table, count=1)
        rebuilt = re.sub(r"^CREATE TABLE\s+\"?ticket\"?", "CREATE TABLE ticket_rebuilt", rebuilt,
                         count=1, flags=re.IGNORECASE)
        indexes = [row[0] for row in db.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'ticket' "
            "AND sql IS NOT NULL ORDER BY name")]
        db.execute(rebuilt)
        db.execute("INSERT INTO ticket_rebuilt SELECT * FROM ticket")  # same columns and order
        db.execute("DROP TABLE ticket")
        db.execute("ALTER TABLE ticket_rebuilt RENAME TO ticket")
        for sql in indexes:
            if not re.match(r"CREATE INDEX (ticket_waiting|ticket_state_day)\b", sql):
                db.execute(sql)  # those two are replaced below
    db.execute("DROP INDEX IF EXISTS ticket_waiting")
    db.execute("DROP INDEX IF EXISTS ticket_state_day")
    # one index instead of two for the lookups by state: the waiting queue of a day and
    # service (state first, then the same columns as ticket_waiting had) and the
    # expiry of earlier days' waiting tickets (state, then a range of days), so an
    # issue writes one index page less
    db.execute("CREATE INDEX ticket_state ON ticket (state, business_day, service, seq)")


def _staff_settings(db: sqlite3.Connection) -> None:
    """Staff mode: what staff set on the terminal (a service closed for today with its
    message, today's notice, out of service, the PIN lockout) as JSON values by key, and
    the staff audit log (time, action, terminal; never a PIN)."""
    _run_script(db, """
        CREATE TABLE staff_setting (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL,
            for_day TEXT,
            set_at TEXT NOT NULL
        );
        CREATE TABLE staff_audit (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            action TEXT NOT NULL,
            terminal TEXT NOT NULL,
            detail TEXT
        )
    """)


def _intake(db: sqlite3.Connection) -> None:
    """Anmeldung intakes: the sealed blob (only the counter's private key opens it) by
    its random reference, with the id of the key it is sealed to; and statistics per
    day, event (started, finished, abandoned), step and number of persons, with the
    summed seconds taken: counts and durations, nothing personal."""
    _run_script(db, """
        CREATE TABLE sealed_intake (
            reference TEXT PRIMARY KEY,
            sealed BLOB NOT NULL,
            key_id TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE INDEX sealed_intake_created ON sealed_intake (created_at);
        CREATE TABLE intake_stat (
            business_day TEXT NOT NULL,
            event TEXT NOT NULL,
            step TEXT NOT NULL DEFAULT '',
            persons INTEGER NOT NULL DEFAULT 0,
            count INTEGER NOT NULL,
            seconds_total REAL NOT NULL DEFAULT 0,
            seconds_count INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (business_day, event, step, persons)
        )
    """)


def _issue_key(db: sqlite3.Connection) -> None:
    """The office server's Idempotency-Key of an issue, written in the issuing
    transaction: a retry after a crash at any moment finds the first ticket, never a
    second number. Device names, keys and ids only."""
    _run_script(db, """
        CREATE TABLE issue_key (
            device TEXT NOT NULL,
            idem_key TEXT NOT NULL,
            request TEXT NOT NULL,
            ticket_id INTEGER NOT NULL,
            at TEXT NOT NULL,
            PRIMARY KEY (device, idem_key)
        );
        CREATE INDEX issue_key_at ON issue_key (at)
    """)


# MIGRATIONS[i] takes a file from version i to i + 1 (0: a new, empty file).
MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (_to_v1, _to_v2, _to_v3,
                                                                 _to_v4, _to_v5, _staff_settings,
                                                                 _intake, _issue_key)
SCHEMA_VERSION = len(MIGRATIONS)


def file_version(db: sqlite3.Connection) -> int:
    return db.execute("PRAGMA user_version").fetchone()[0]


def check_version(db: sqlite3.Connection, path: Path) -> int:
    """The file's version; refuses a file this code cannot read without touching it."""
    version = file_version(db)
    if version > SCHEMA_VERSION:
        raise StoreError(f"{path} was written by a newer kiosk (schema version {version}, "
                         f"this one knows up to {SCHEMA_VERSION}): update this kiosk, or "
                         f"move the file away to start a new one", kind="newer_schema")
    if version == 0:
        tables = {r[0] for r in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
        if tables and "ticket" not in tables:
            raise StoreError(f"{path} is not a kiosk database (it holds other tables): "
                             f"move it away; a new one is created at start", kind="corrupt")
    return version


def migrate(db: sqlite3.Connection, path: Path) -> int:
    """Apply the missing migrations; call inside a write transaction. Returns the
    version the file had."""
    version = check_version(db, path)  # again: another process may have migrated
    for step in MIGRATIONS[version:]:
        step(db)
    if version != SCHEMA_VERSION:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    return version
