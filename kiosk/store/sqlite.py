"""The embedded queue store: one SQLite file in WAL mode on the terminal's own disk.

Numbers are issued in one IMMEDIATE transaction with synchronous=FULL, so every process
on the terminal gets the next number exactly once and a power cut never re-issues a
number that was already printed. Kiosk processes queue for writing at a lock file
(write_queue.py) and retry SQLite's lock in short jittered steps, so no writer sleeps
past a free moment. Only ids, times and states are stored: nothing personal.
The file and its folder are private (0600/0700); every SQLite or file error leaves as a
one-line StoreError.
"""

from __future__ import annotations

import functools
import logging
import os
import random
import re
import secrets
import sqlite3
import threading
import time
from contextlib import contextmanager
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Callable, Iterator, TypeVar

from kiosk.domain.numbering import MAX_SEQUENCE, format_number, parse_number
from kiosk.domain.ticket import Ticket, TicketState, can_move
from kiosk.paths import create_private_file, make_private_dir
from kiosk.store.errors import (QuotaReached, SequenceExhausted, StoreError, TicketNotFound,
                                TransitionRefused)
from kiosk.store.schema import SCHEMA_VERSION, check_version, migrate
from kiosk.store.sqlite_errors import file_error, store_error
from kiosk.store.write_queue import WriteQueue, WriteQueueTimeout, open_write_queue

log = logging.getLogger(__name__)
T = TypeVar("T")

BUSY_TIMEOUT_MS = 10_000  # how long a writer waits for another process's transaction
# Waiting for SQLite's write lock: its busy handler sleeps in steps growing to 100 ms,
# so a writer that lost the lock a few times slept past many free moments (p99.9 131 ms,
# worst 1.7 s with 4 processes). Kiosk writers queue in the kernel instead
# (write_queue.py); a writer outside the queue is waited for by retrying every 0.1-2 ms,
# jittered so that waiters do not move in step.
RETRY_FIRST_S = 0.0001
RETRY_MAX_S = 0.002
_SQLITE_BUSY = 5
# Two statements, not one INSERT ... SELECT MAX(seq) + 1 ... RETURNING: measured, that
# one costs ~20 us more CPU per issue (SQLite copies the SELECT from the table it
# inserts into to a temporary table first), and this runs under the write lock.
LAST_SEQ = "SELECT COALESCE(MAX(seq), 0) FROM ticket WHERE business_day = ? AND prefix = ?"
COUNT_AND_LAST_SEQ = ("SELECT COUNT(*), COALESCE(MAX(seq), 0) FROM ticket "
                      "WHERE business_day = ? AND prefix = ?")
INSERT_TICKET = ("INSERT INTO ticket (business_day, service, prefix, seq, number, reference,"
                 " terminal, lang, issued_at, state) VALUES (?,?,?,?,?,?,?,?,?,?)")
_RESULT_CODE = re.compile(r"^[a-z][a-z_]{0,31}$")  # a print result code: paper_out, offline


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="microseconds")


def _dt(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _guarded(action: str):
    """Turn any sqlite3 error of the method into a StoreError naming the file."""
    def wrap(method):
        @functools.wraps(method)
        def inner(self, *args, **kwargs):
            try:
                return method(self, *args, **kwargs)
            except sqlite3.Error as err:
                raise store_error(err, self.path, action, self.busy_timeout_s) from err
        return inner
    return wrap


class SqliteStore:
    """Queue store over one SQLite file; safe for threads and for several processes."""

    def __init__(self, path: str | Path, terminal_id: str = "local",
                 busy_timeout_ms: int | None = None) -> None:
        self.path = Path(path)
        self.terminal_id = terminal_id
        busy_timeout_ms = BUSY_TIMEOUT_MS if busy_timeout_ms is None else busy_timeout_ms
        self._busy_timeout_ms = int(busy_timeout_ms)
        self.busy_timeout_s = busy_timeout_ms / 1000
        self._lock = threading.RLock()
        self._db: sqlite3.Connection | None = None
        self._queue: WriteQueue | None = None
        self._expired_before: str | None = None  # the day up to which _expire has run
        try:
            make_private_dir(self.path.parent)
            create_private_file(self.path)  # SQLite gives -wal and -shm the file's mode
            _tighten(self.path)
        except OSError as err:
            raise file_error(err, self.path) from err
        self._queue = open_write_queue(self.path)
        try:
            self._open(busy_timeout_ms)
        except sqlite3.Error as err:
            self.close()
            raise store_error(err, self.path, "opening", self.busy_timeout_s) from err
        except StoreError:
            self.close()
            raise

    def _open(self, busy_timeout_ms: int) -> None:
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False,
                                   timeout=busy_timeout_ms / 1000)
        self._db.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        # read before writing anything: a corrupt file or one from a newer kiosk is
        # refused untouched
        current = check_version(self._db, self.path) == SCHEMA_VERSION
        mode = self._db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode.lower() != "wal":
            raise StoreError(f"{self.path}: WAL mode not available (got {mode}); keep the "
                             f"file on the terminal's own disk")
        # FULL: a committed (and so printed) number survives a power cut
        self._db.execute("PRAGMA synchronous = FULL")
        if current:
            return  # no write lock needed to start
        before = self._transact(functools.partial(migrate, path=self.path))
        if before not in (0, SCHEMA_VERSION):
            log.info("queue store migrated from schema version %d to %d", before,
                     SCHEMA_VERSION)

    def _transact(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """work(db) in one IMMEDIATE transaction (the write lock taken before anything
        is read), committed; its result. When another kiosk process writes, the write
        queue's helper thread runs it the moment that process lets go, while this
        thread waits (holding the store's lock, so no other thread uses the
        connection meanwhile)."""
        with self._lock:
            deadline = time.monotonic() + self.busy_timeout_s
            queue = self._queue
            if queue is None:
                return self._transaction(work, deadline)
            try:
                return queue.run(functools.partial(self._transaction, work, deadline),
                                 self.busy_timeout_s)
            except WriteQueueTimeout:
                raise _busy_error() from None  # another kiosk process is stuck in a write

    def _transaction(self, work: Callable[[sqlite3.Connection], T], deadline: float) -> T:
        db = self._db
        self._begin_immediate(db, deadline)
        try:
            result = work(db)
            db.execute("COMMIT")
            return result
        except BaseException:
            _rollback(db)
            raise

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One IMMEDIATE transaction in the calling thread, for tests and tools that
        write rows directly; the store's own writes use _transact()."""
        with self._lock:
            deadline = time.monotonic() + self.busy_timeout_s
            queue = self._queue
            if queue is not None and not queue.acquire(self.busy_timeout_s):
                raise _busy_error()
            try:
                db = self._db
                self._begin_immediate(db, deadline)
                try:
                    yield db
                    db.execute("COMMIT")
                except BaseException:
                    _rollback(db)
                    raise
            finally:
                if queue is not None:
                    queue.release()

    def _begin_immediate(self, db: sqlite3.Connection, deadline: float) -> None:
        """BEGIN IMMEDIATE, retried while another connection writes (one outside the
        queue: sqlite3, a backup, an older kiosk) until the deadline; then the last
        SQLITE_BUSY goes up (_guarded makes it the "locked by another process"
        StoreError)."""
        step = RETRY_FIRST_S
        # SQLite's own handler off for this statement only: reads keep it (in WAL they
        # wait only for a crash recovery or the last connection's checkpoint)
        db.execute("PRAGMA busy_timeout = 0")
        try:
            while True:
                try:
                    db.execute("BEGIN IMMEDIATE")
                    return
                except sqlite3.OperationalError as err:
                    code = getattr(err, "sqlite_errorcode", None)
                    busy = isinstance(code, int) and code & 0xFF == _SQLITE_BUSY
                    left = deadline - time.monotonic()
                    if not busy or left <= 0:
                        raise
                time.sleep(min(left, random.uniform(step / 2, step)))
                step = min(step * 2, RETRY_MAX_S)
        finally:
            db.execute(f"PRAGMA busy_timeout = {self._busy_timeout_ms}")

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
            if self._queue is not None:
                self._queue.close()
                self._queue = None

    # -- issuing ---------------------------------------------------------------------

    @_guarded("issuing a number")
    def issue(self, service: str, prefix: str, lang: str, now: datetime, day: date,
              daily_quota: int | None) -> Ticket:
        """Issue the next number of the day for the service; QuotaReached or
        SequenceExhausted when there is none."""
        reference = secrets.token_urlsafe(9)  # 72 random bits, 12 characters
        day_text, issued_at = day.isoformat(), _iso(now)
        self._expire_once(day_text)
        # the shortest transaction that keeps numbers unique, gapless and in the quota:
        # count and last number read under the write lock, then the insert; the values
        # are made before, the Ticket after (Python work outside the lock all terminals
        # wait for)
        key = (day_text, prefix)
        row = [day_text, service, prefix, 0, "", reference, self.terminal_id, lang,
               issued_at, TicketState.WAITING.value]
        ticket_id, number = self._transact(functools.partial(
            _insert_next, key=key, row=row, quota=daily_quota, service=service))
        return Ticket(ticket_id, number, service, day, now, lang, TicketState.WAITING,
                      reference)

    @_guarded("recording the print result")
    def record_print(self, ticket_id: int, printed: bool, error: str | None,
                     at: datetime | None = None) -> None:
        """Store whether (and when) the ticket printed and, if not, a short result code
        such as "paper_out". Free text (an exception's message may quote a document) is
        stored as "failed": nothing personal reaches the file."""
        code = None if printed else (error if error and _RESULT_CODE.match(error) else "failed")
        when = _iso(at) if printed and at is not None else None
        self._transact(lambda db: db.execute(
            "UPDATE ticket SET printed = ?, print_error = ?, printed_at = ? WHERE id = ?",
            (1 if printed else 0, code, when, ticket_id)))

    @_guarded("reading the queue")
    def issued_today(self, service: str, day: date) -> int:
        with self._lock:
            return self._db.execute(
                "SELECT COUNT(*) FROM ticket WHERE business_day = ? AND service = ?",
                (day.isoformat(), service)).fetchone()[0]

    @_guarded("reading the queue")
    def last_sequence(self, prefix: str, day: date) -> int:
        """The highest number of the prefix issued on the day (0: none yet)."""
        with self._lock:
            return self._db.execute(
                "SELECT COALESCE(MAX(seq), 0) FROM ticket WHERE business_day = ? "
                "AND prefix = ?", (day.isoformat(), prefix)).fetchone()[0]

    # -- what the screen tells the visitor -----------------------------------------

    @_guarded("reading the queue")
    def people_ahead(self, ticket: Ticket) -> int:
        with self._lock:
            return self._db.execute(
                "SELECT COUNT(*) FROM ticket WHERE business_day = ? AND service = ? "
                "AND state = 'waiting' AND id < ?",
                (ticket.business_day.isoformat(), ticket.service, ticket.id)).fetchone()[0]

    @_guarded("reading the queue")
    def waiting_count(self, service: str, day: date) -> int:
        with self._lock:
            return self._db.execute(
                "SELECT COUNT(*) FROM ticket WHERE business_day = ? AND service = ? "
                "AND state = 'waiting'", (day.isoformat(), service)).fetchone()[0]

    @_guarded("reading the queue")
    def last_issued_at(self) -> datetime | None:
        """When this terminal last issued a ticket (the newest by issue order), or None."""
        with self._lock:
            row = self._db.execute("SELECT issued_at FROM ticket WHERE terminal = ? "
                                   "ORDER BY id DESC LIMIT 1", (self.terminal_id,)).fetchone()
        return _dt(row[0]) if row else None

    @_guarded("reading the queue")
    def active_counters(self, service: str, since: datetime) -> int:
        with self._lock:
            return self._db.execute(
                "SELECT COUNT(DISTINCT counter) FROM ticket WHERE service = ? "
                "AND called_at >= ?", (service, _iso(since))).fetchone()[0]

    @_guarded("reading the queue")
    def service_times_s(self, service: str, day: date) -> list[float]:
        """Seconds from call to done of today's completed tickets, as recorded (the
        estimate drops non-positive ones left by a clock that went back)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT called_at, finished_at FROM ticket WHERE business_day = ? "
                "AND service = ? AND state = 'done' AND called_at IS NOT NULL",
                (day.isoformat(), service)).fetchall()
        return [(_dt(done) - _dt(called)).total_seconds() for called, done in rows]

    # -- counters ------------------------------------------------------------------

    @_guarded("calling the next ticket")
    def call_next(self, counter: str, services: list[str], now: datetime,
                  day: date) -> Ticket | None:
        """The counter calls the first waiting ticket of the given services, in the order
        they were issued (by id: the wall clock may have jumped back since)."""
        marks = ",".join("?" * len(services))
        day_text = day.isoformat()
        self._expire_once(day_text)

        def call(db: sqlite3.Connection) -> Ticket | None:
            row = db.execute(
                f"SELECT id FROM ticket WHERE business_day = ? AND state = 'waiting' "
                f"AND service IN ({marks}) ORDER BY id LIMIT 1",
                (day_text, *services)).fetchone()
            if row is None:
                return None
            call_seq = db.execute("SELECT COALESCE(MAX(call_seq), 0) + 1 FROM ticket "
                                  "WHERE business_day = ? AND call_seq IS NOT NULL",
                                  (day_text,)).fetchone()[0]
            db.execute("UPDATE ticket SET state = 'called', counter = ?, called_at = ?, "
                       "call_seq = ? WHERE id = ?", (counter, _iso(now), call_seq, row[0]))
            return self._ticket(db, row[0])
        return self._transact(call)

    @_guarded("finishing a ticket")
    def finish(self, number: str, to: TicketState, now: datetime, day: date) -> Ticket:
        """Mark a called ticket done or no-show."""
        prefix, seq = parse_number(number)

        def move(db: sqlite3.Connection) -> Ticket:
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
        return self._transact(move)

    @_guarded("reading the calls")
    def recent_calls(self, day: date, limit: int = 5) -> list[Ticket]:
        """The latest calls first, in the order they were made (not by wall time)."""
        with self._lock:
            ids = [r[0] for r in self._db.execute(
                "SELECT id FROM ticket WHERE business_day = ? AND call_seq IS NOT NULL "
                "AND state = 'called' ORDER BY call_seq DESC LIMIT ?",
                (day.isoformat(), limit))]
            return [self._ticket(self._db, i) for i in ids]

    @_guarded("reading the queue")
    def ticket_by_number(self, number: str, day: date) -> Ticket | None:
        prefix, seq = parse_number(number)
        with self._lock:
            row = self._db.execute("SELECT id FROM ticket WHERE business_day = ? AND "
                                   "prefix = ? AND seq = ?",
                                   (day.isoformat(), prefix, seq)).fetchone()
            return self._ticket(self._db, row[0]) if row else None

    @_guarded("reading the queue")
    def all_numbers(self, day: date) -> list[str]:
        with self._lock:
            return [r[0] for r in self._db.execute(
                "SELECT number FROM ticket WHERE business_day = ? ORDER BY prefix, seq",
                (day.isoformat(),))]

    # -- internals -----------------------------------------------------------------

    def _expire_once(self, today: str) -> None:
        """Expire earlier days' waiting tickets in a transaction of its own, once per
        business day and connection: the issuing transaction (which holds the lock all
        terminals wait for) stays short. Another day's ticket issued later (a clock that
        went back) is expired on the next day change; no call or count of today sees
        it."""
        if self._expired_before == today:
            return
        self._transact(functools.partial(self._expire, today=today))
        self._expired_before = today

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


def _insert_next(db: sqlite3.Connection, key: tuple[str, str], row: list,
                 quota: int | None, service: str) -> tuple[int, str]:
    """(id, number) of the ticket inserted with the next number of the day and prefix
    (`row`: INSERT_TICKET's values, seq and number filled in here); QuotaReached or
    SequenceExhausted when there is none. Runs under the write lock."""
    if quota is None:  # the last number alone is one index lookup
        last = db.execute(LAST_SEQ, key).fetchone()[0]
    else:
        count, last = db.execute(COUNT_AND_LAST_SEQ, key).fetchone()
        if count >= quota:
            raise QuotaReached(service, quota)
    if last >= MAX_SEQUENCE:
        raise SequenceExhausted(service, key[1], MAX_SEQUENCE)
    row[3] = seq = last + 1
    row[4] = number = format_number(key[1], seq)
    return db.execute(INSERT_TICKET, row).lastrowid, number


def _rollback(db: sqlite3.Connection) -> None:
    # SQLite may have rolled back by itself (disk full); a second ROLLBACK would hide
    # the real error
    if db.in_transaction:
        try:
            db.execute("ROLLBACK")
        except sqlite3.Error:
            pass


def _busy_error() -> sqlite3.OperationalError:
    err = sqlite3.OperationalError("database is locked")
    err.sqlite_errorcode = _SQLITE_BUSY  # read by store_error, as SQLite's own
    return err


def _tighten(path: Path) -> None:
    """Files left by an older kiosk under a lax umask lose the access of others
    (a group the operator chose keeps its bits)."""
    for file in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-lock")):
        try:
            mode = file.stat().st_mode & 0o777
            if mode & 0o007 and file.stat().st_uid == os.geteuid():
                os.chmod(file, mode & ~0o007)
                log.info("queue store: removed access of others from %s", file.name)
        except FileNotFoundError:
            continue
