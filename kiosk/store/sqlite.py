"""The embedded queue store: one SQLite file in WAL mode on the terminal's own disk.

Numbers are issued in one IMMEDIATE transaction with synchronous=FULL, so every process
on the terminal gets the next number exactly once and a power cut never re-issues a
number that was already printed. Only ids, times and states are stored: nothing personal.
"""

from __future__ import annotations

import secrets
import sqlite3
import threading
from contextlib import contextmanager
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Iterator

from kiosk.domain.numbering import MAX_SEQUENCE, format_number, parse_number
from kiosk.domain.ticket import Ticket, TicketState, can_move
from kiosk.store.errors import QuotaReached, StoreError, TicketNotFound, TransitionRefused

SCHEMA_VERSION = 1

_SCHEMA = """
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


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="microseconds")


def _dt(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


class SqliteStore:
    """Queue store over one SQLite file; safe for threads and for several processes."""

    def __init__(self, path: str | Path, terminal_id: str = "local",
                 busy_timeout_ms: int = 10_000) -> None:
        self.path = Path(path)
        self.terminal_id = terminal_id
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None,
                                       check_same_thread=False, timeout=busy_timeout_ms / 1000)
            self._db.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            mode = self._db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if mode.lower() != "wal":
                raise StoreError(f"{self.path}: WAL mode not available (got {mode})")
            # FULL: a committed (and so printed) number survives a power cut
            self._db.execute("PRAGMA synchronous = FULL")
            with self._write():
                for statement in _SCHEMA.strip().split(";"):
                    if statement.strip():
                        self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        except sqlite3.Error as err:
            raise StoreError(f"cannot open queue store {self.path}: {err}") from err

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One IMMEDIATE transaction: takes the write lock before reading the counter."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            else:
                self._db.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- issuing ---------------------------------------------------------------------

    def issue(self, service: str, prefix: str, lang: str, now: datetime, day: date,
              daily_quota: int | None) -> Ticket:
        """Issue the next number of the day for the service, or raise QuotaReached."""
        reference = secrets.token_urlsafe(9)  # 72 random bits, 12 characters
        day_text = day.isoformat()
        try:
            with self._write() as db:
                self._expire(db, day_text)
                issued = db.execute(
                    "SELECT COUNT(*), COALESCE(MAX(seq), 0) FROM ticket "
                    "WHERE business_day = ? AND prefix = ?", (day_text, prefix)).fetchone()
                count, last = issued
                if daily_quota is not None and count >= daily_quota:
                    raise QuotaReached(service, daily_quota)
                seq = last + 1
                if seq > MAX_SEQUENCE:
                    raise QuotaReached(service, MAX_SEQUENCE)
                number = format_number(prefix, seq)
                cursor = db.execute(
                    "INSERT INTO ticket (business_day, service, prefix, seq, number, reference,"
                    " terminal, lang, issued_at, state) VALUES (?,?,?,?,?,?,?,?,?,?)",
                    (day_text, service, prefix, seq, number, reference, self.terminal_id,
                     lang, _iso(now), TicketState.WAITING.value))
                ticket_id = cursor.lastrowid
        except sqlite3.Error as err:
            raise StoreError(f"issuing failed: {err}") from err
        return Ticket(ticket_id, number, service, day, now, lang, TicketState.WAITING, reference)

    def record_print(self, ticket_id: int, printed: bool, error: str | None) -> None:
        with self._write() as db:
            db.execute("UPDATE ticket SET printed = ?, print_error = ? WHERE id = ?",
                       (1 if printed else 0, error, ticket_id))

    def issued_today(self, service: str, day: date) -> int:
        with self._lock:
            return self._db.execute(
                "SELECT COUNT(*) FROM ticket WHERE business_day = ? AND service = ?",
                (day.isoformat(), service)).fetchone()[0]

    # -- what the screen tells the visitor -----------------------------------------

    def people_ahead(self, ticket: Ticket) -> int:
        with self._lock:
            return self._db.execute(
                "SELECT COUNT(*) FROM ticket WHERE business_day = ? AND service = ? "
                "AND state = 'waiting' AND id < ?",
                (ticket.business_day.isoformat(), ticket.service, ticket.id)).fetchone()[0]

    def waiting_count(self, service: str, day: date) -> int:
        with self._lock:
            return self._db.execute(
                "SELECT COUNT(*) FROM ticket WHERE business_day = ? AND service = ? "
                "AND state = 'waiting'", (day.isoformat(), service)).fetchone()[0]

    def last_issued_at(self) -> datetime | None:
        """When this terminal last issued a ticket (the newest by issue order), or None."""
        with self._lock:
            row = self._db.execute("SELECT issued_at FROM ticket WHERE terminal = ? "
                                   "ORDER BY id DESC LIMIT 1", (self.terminal_id,)).fetchone()
        return _dt(row[0]) if row else None

    def active_counters(self, service: str, since: datetime) -> int:
        with self._lock:
            return self._db.execute(
                "SELECT COUNT(DISTINCT counter) FROM ticket WHERE service = ? "
                "AND called_at >= ?", (service, _iso(since))).fetchone()[0]

    def service_times_s(self, service: str, day: date) -> list[float]:
        with self._lock:
            rows = self._db.execute(
                "SELECT called_at, finished_at FROM ticket WHERE business_day = ? "
                "AND service = ? AND state = 'done' AND called_at IS NOT NULL",
                (day.isoformat(), service)).fetchall()
        return [(_dt(done) - _dt(called)).total_seconds() for called, done in rows]

    # -- counters ------------------------------------------------------------------

    def call_next(self, counter: str, services: list[str], now: datetime,
                  day: date) -> Ticket | None:
        """The counter calls the oldest waiting ticket of the given services."""
        marks = ",".join("?" * len(services))
        with self._write() as db:
            self._expire(db, day.isoformat())
            row = db.execute(
                f"SELECT id FROM ticket WHERE business_day = ? AND state = 'waiting' "
                f"AND service IN ({marks}) ORDER BY issued_at, id LIMIT 1",
                (day.isoformat(), *services)).fetchone()
            if row is None:
                return None
            db.execute("UPDATE ticket SET state = 'called', counter = ?, called_at = ? "
                       "WHERE id = ?", (counter, _iso(now), row[0]))
            return self._ticket(db, row[0])

    def finish(self, number: str, to: TicketState, now: datetime, day: date) -> Ticket:
        """Mark a called ticket done or no-show."""
        prefix, seq = parse_number(number)
        with self._write() as db:
            row = db.execute("SELECT id, state FROM ticket WHERE business_day = ? AND "
                             "prefix = ? AND seq = ?", (day.isoformat(), prefix, seq)).fetchone()
            if row is None:
                raise TicketNotFound(format_number(prefix, seq))
            state = TicketState(row[1])
            if not can_move(state, to):
                raise TransitionRefused(format_number(prefix, seq), state, to)
            db.execute("UPDATE ticket SET state = ?, finished_at = ? WHERE id = ?",
                       (to.value, _iso(now), row[0]))
            return self._ticket(db, row[0])

    def recent_calls(self, day: date, limit: int = 5) -> list[Ticket]:
        with self._lock:
            ids = [r[0] for r in self._db.execute(
                "SELECT id FROM ticket WHERE business_day = ? AND called_at IS NOT NULL "
                "AND state = 'called' ORDER BY called_at DESC, id DESC LIMIT ?",
                (day.isoformat(), limit))]
            return [self._ticket(self._db, i) for i in ids]

    def ticket_by_number(self, number: str, day: date) -> Ticket | None:
        prefix, seq = parse_number(number)
        with self._lock:
            row = self._db.execute("SELECT id FROM ticket WHERE business_day = ? AND "
                                   "prefix = ? AND seq = ?",
                                   (day.isoformat(), prefix, seq)).fetchone()
            return self._ticket(self._db, row[0]) if row else None

    def all_numbers(self, day: date) -> list[str]:
        with self._lock:
            return [r[0] for r in self._db.execute(
                "SELECT number FROM ticket WHERE business_day = ? ORDER BY prefix, seq",
                (day.isoformat(),))]

    # -- internals -----------------------------------------------------------------

    @staticmethod
    def _expire(db: sqlite3.Connection, today: str) -> None:
        # tickets still waiting from an earlier day will never be called
        db.execute("UPDATE ticket SET state = 'expired' WHERE state = 'waiting' "
                   "AND business_day < ?", (today,))

    @staticmethod
    def _ticket(db: sqlite3.Connection, ticket_id: int) -> Ticket:
        row = db.execute("SELECT id, number, service, business_day, issued_at, lang, state, "
                         "reference, counter FROM ticket WHERE id = ?", (ticket_id,)).fetchone()
        return Ticket(row[0], row[1], row[2], date.fromisoformat(row[3]), _dt(row[4]), row[5],
                      TicketState(row[6]), row[7], row[8])

