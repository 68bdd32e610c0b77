"""The embedded queue store: one SQLite file in WAL mode on the terminal's own disk.

Numbers are issued in one IMMEDIATE transaction, and no write returns before its
transaction is on disk (the WAL file synced), so every process on the terminal gets the
next number exactly once and a power cut never re-issues a number that was already
printed. Kiosk processes queue for writing at a lock file (write_queue.py) and retry
SQLite's lock in short jittered steps, so no writer sleeps past a free moment. Only ids,
times and states are stored: nothing personal. The file and its folder are private
(0600/0700); every SQLite or file error leaves as a one-line StoreError.
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
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Callable, Iterable, Iterator, Mapping, Sequence, TypeVar

from kiosk.domain.appointment import Booking, BookingStatus
from kiosk.domain.booking_import import OUTCOMES, import_outcome, stored_values
from kiosk.domain.call_order import Waiting, ordered
from kiosk.domain.clock import OFFICE_ZONE, business_day
from kiosk.domain.numbering import MAX_SEQUENCE, format_number, parse_number
from kiosk.domain.ticket import Ticket, TicketState, can_move
from kiosk.paths import create_private_file, make_private_dir
from kiosk.store.ahead_sql import count_params, count_sql
from kiosk.store.errors import (NumberTaken, QuotaReached, SequenceExhausted, StoreError,
                                TicketNotFound, TransitionRefused)
from kiosk.store.intake_sqlite import IntakeSqlite
from kiosk.store.issue_key import KEEP_DAYS, IssueKey, IssuedBefore
from kiosk.store.schema import SCHEMA_VERSION, check_version, migrate
from kiosk.store.sqlite_errors import file_error, store_error
from kiosk.store.sqlite_errors import guarded as _guarded
from kiosk.store.sqlite_errors import iso_utc as _iso
from kiosk.store.write_queue import WriteQueue, WriteQueueTimeout, open_write_queue

log = logging.getLogger(__name__)
T = TypeVar("T")

BUSY_TIMEOUT_MS = 10_000  # how long a writer waits for another process's transaction
PAGE_CACHE_KIB = 512  # per connection (SQLite's default is about 2,000 KiB)
# Waiting for SQLite's write lock: its busy handler sleeps in steps growing to 100 ms,
# so a writer that lost the lock a few times slept past many free moments (p99.9 131 ms,
# worst 1.7 s with 4 processes). Kiosk writers queue in the kernel instead
# (write_queue.py); a writer outside the queue is waited for by retrying every 0.1-2 ms,
# jittered so that waiters do not move in step.
RETRY_FIRST_S = 0.0001
RETRY_MAX_S = 0.002
_SQLITE_BUSY = 5
_SQLITE_IOERR_FSYNC = 10 | (4 << 8)  # read by store_error: a disk error
# Two statements, not one INSERT ... SELECT MAX(seq) + 1 ... RETURNING: measured, that
# one costs ~20 us more CPU per issue (SQLite copies the SELECT from the table it
# inserts into to a temporary table first), and this runs under the write lock.
LAST_SEQ = "SELECT COALESCE(MAX(seq), 0) FROM ticket WHERE business_day = ? AND prefix = ?"
# appointment tickets never count against the walk-in quota
COUNT_AND_LAST_SEQ = ("SELECT COALESCE(SUM(kind = 'walk_in'), 0), COALESCE(MAX(seq), 0) "
                      "FROM ticket WHERE business_day = ? AND prefix = ?")
COUNT_AND_LAST_BELOW = ("SELECT COALESCE(SUM(kind = 'walk_in'), 0), "
                        "COALESCE(MAX(seq) FILTER (WHERE seq < ?), 0) "
                        "FROM ticket WHERE business_day = ? AND prefix = ?")
PEOPLE_AHEAD = count_sql("sqlite")
INSERT_TICKET = ("INSERT INTO ticket (business_day, service, prefix, seq, number, reference,"
                 " terminal, lang, issued_at, state) VALUES (?,?,?,?,?,?,?,?,?,?)")
_RESULT_CODE = re.compile(r"^[a-z][a-z_]{0,31}$")  # a print result code: paper_out, offline


def _dt(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


# public names for the store's companions (kiosk/store/staff_sqlite.py): the stored
# text of a moment and back
iso_text = _iso
from_iso_text = _dt


class SqliteStore(IntakeSqlite):
    """Queue store over one SQLite file; safe for threads and for several processes.
    The sealed intakes and their statistics are IntakeSqlite's (store/intake_sqlite.py)."""

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
        self._wal_fd: int | None = None  # the WAL file, synced after each write (_sync_wal)
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
        # NORMAL: COMMIT writes the WAL without syncing it, and _sync_wal() syncs it
        # after the write lock is let go, before the write returns; a number is still
        # on disk before anyone is told it (see _sync_wal)
        self._db.execute("PRAGMA synchronous = NORMAL")
        # deleted rows (an exported or purged sealed intake) are overwritten with zeros,
        # not left in free pages; it is per connection, so set on every open
        self._db.execute("PRAGMA secure_delete = ON")
        # a bounded page cache: SQLite's default of 2 MB per connection filled up as the
        # file grew by each day's tickets, which showed as 2 MiB of memory growth over
        # 10,000 visits; a tap reads a few pages, and the OS caches the file anyway
        self._db.execute(f"PRAGMA cache_size = -{PAGE_CACHE_KIB}")
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
        with self._lock, self._own_retry():
            deadline = time.monotonic() + self.busy_timeout_s
            queue = self._queue
            if queue is None:
                result = self._transaction(work, deadline)
            else:
                try:
                    result = queue.run(functools.partial(self._transaction, work, deadline),
                                       self.busy_timeout_s)
                except WriteQueueTimeout:
                    raise _busy_error() from None  # another kiosk process is stuck in a write
            self._sync_wal()
            return result

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
        """One IMMEDIATE transaction in the calling thread (the appointment and check-in
        writes, tests and tools that write rows directly); the issuing path uses
        _transact(), which lets the write queue's thread run it."""
        with self._lock, self._own_retry():
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
            self._sync_wal()

    def _sync_wal(self) -> None:
        """fdatasync of the WAL file: the committed transaction is on disk when this
        returns. Group commit: with synchronous=FULL SQLite syncs inside COMMIT, while the
        write lock is held, so every other terminal process waited for this process's
        disk; here the sync runs after the lock is let go, beside the next writer's
        transaction, and one sync covers every frame written before it (the WAL is
        appended in commit order). Measured: about 0.5x -> 1.0x the bare counter from 4
        processes (bench/README.md, stop 7). Still on disk before anyone is told: this caller
        returns only after the sync; a writer that read this commit writes after it in
        the WAL, so its own sync covers it too; a checkpoint syncs the WAL before it
        copies it (SQLite, synchronous=NORMAL). A failed sync is a disk error
        (StoreError): the write may be lost at a power cut, so nobody is told it worked.
        Caller holds the store's lock."""
        try:
            if self._wal_fd is None:
                # opened once, after the first commit made it; SQLite removes the WAL
                # only when the last connection closes, and this one is open
                self._wal_fd = os.open(f"{self.path}-wal", os.O_RDONLY | os.O_CLOEXEC)
            os.fdatasync(self._wal_fd)
        except OSError as err:
            failed = sqlite3.OperationalError(f"syncing {self.path.name}-wal: "
                                              f"{err.strerror or err}")
            failed.sqlite_errorcode = _SQLITE_IOERR_FSYNC
            raise failed from err

    @contextmanager
    def _own_retry(self) -> Iterator[None]:
        """SQLite's busy handler off for one write, our retry of BEGIN IMMEDIATE instead
        (_begin_immediate). Switched before the write queue is entered and back after it
        is left, never in between: the stretch in which this process holds the lock,
        which every other terminal waits for, runs only the transaction (two statements
        fewer per write). The caller holds the store's lock, so no read of another thread
        runs without the handler; reads keep it (in WAL they wait only for a crash
        recovery or the last connection's checkpoint). Inside a write transaction no
        statement waits for a lock: the automatic checkpoint after COMMIT is PASSIVE,
        which SQLite runs without the busy handler anyway."""
        self._db.execute("PRAGMA busy_timeout = 0")
        try:
            yield
        finally:
            self._db.execute(f"PRAGMA busy_timeout = {self._busy_timeout_ms}")

    @staticmethod
    def _begin_immediate(db: sqlite3.Connection, deadline: float) -> None:
        """BEGIN IMMEDIATE, retried while another connection writes (one outside the
        queue: sqlite3, a backup, an older kiosk) until the deadline; then the last
        SQLITE_BUSY goes up (_guarded makes it the "locked by another process"
        StoreError). Runs inside _own_retry()."""
        step = RETRY_FIRST_S
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

    # -- the seam for the store's companions (staff_sqlite.py) ----------------------------
    # They keep their own tables in this file and share its locking through these two
    # methods instead of the connection, the lock and the write path themselves.

    def read(self, action: str, work: Callable[[sqlite3.Connection], T]) -> T:
        """work(db) on the shared connection under the store's lock (reads only); an
        sqlite3 error becomes a StoreError naming the file and `action`."""
        try:
            with self._lock:
                return work(self._db)
        except sqlite3.Error as err:
            raise store_error(err, self.path, action, self.busy_timeout_s) from err

    def write(self, action: str, work: Callable[[sqlite3.Connection], T]) -> T:
        """work(db) in one IMMEDIATE transaction through the write queue, as the issuing
        path writes (_transact), committed; its result. Errors as for read()."""
        try:
            return self._transact(work)
        except sqlite3.Error as err:
            raise store_error(err, self.path, action, self.busy_timeout_s) from err

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
            if self._queue is not None:
                self._queue.close()
                self._queue = None
            if self._wal_fd is not None:
                os.close(self._wal_fd)
                self._wal_fd = None

    # -- issuing ---------------------------------------------------------------------

    @_guarded("issuing a number")
    def issue(self, service: str, prefix: str, lang: str, now: datetime, day: date,
              daily_quota: int | None, terminal: str | None = None,
              below: int | None = None, request_key: IssueKey | None = None) -> Ticket:
        """Issue the next number of the day for the service; QuotaReached or
        SequenceExhausted when there is none. `terminal`: who asked (the office server
        names the device; default this store's terminal). `below`: numbers from this
        sequence on are kept for the terminals' offline ranges (the office server), so
        the last one issued is below-1 and tickets adopted there do not count.
        `request_key`: kept with the ticket in the same transaction; IssuedBefore (with
        the first ticket) when the device's key was issued before."""
        reference = secrets.token_urlsafe(9)  # 72 random bits, 12 characters
        day_text, issued_at = day.isoformat(), _iso(now)
        self._expire_once(day_text)
        # the shortest transaction that keeps numbers unique, gapless and in the quota:
        # count and last number read under the write lock, then the insert; the values
        # are made before, the Ticket after (Python work outside the lock all terminals
        # wait for)
        key = (day_text, prefix)
        row = [day_text, service, prefix, 0, "", reference, terminal or self.terminal_id,
               lang, issued_at, TicketState.WAITING.value]
        work = functools.partial(_insert_next, key=key, row=row, quota=daily_quota,
                                 service=service, below=below)
        if request_key is not None:
            work = functools.partial(_keyed, work=work, request_key=request_key,
                                     at=issued_at)
        ticket_id, number = self._transact(work)
        return Ticket(ticket_id, number, service, day, now, lang, TicketState.WAITING,
                      reference)

    def issue_counted(self, service: str, prefix: str, lang: str, now: datetime, day: date,
                      daily_quota: int | None, terminal: str | None = None,
                      below: int | None = None, request_key: IssueKey | None = None,
                      call_orders: Mapping[str, Sequence[str]] | None = None
                      ) -> tuple[Ticket, int]:
        """issue() and people_ahead(ticket, now, call_orders) of the new ticket (as the
        PostgreSQL store offers it in one round trip; here the file is local)."""
        ticket = self.issue(service, prefix, lang, now, day, daily_quota, terminal, below,
                            request_key)
        return ticket, self.people_ahead(ticket, now, call_orders)

    @_guarded("reading the queue")
    def kept_request(self, device: str, key: str) -> str | None:
        """The request hash kept with the device's Idempotency-Key of an issue, or None."""
        with self._lock:
            row = self._db.execute("SELECT request FROM issue_key WHERE device = ? AND "
                                   "idem_key = ?", (device, key)).fetchone()
        return row[0] if row else None

    @_guarded("adopting an offline ticket")
    def adopt_offline(self, number: str, service: str, lang: str, issued_at: datetime,
                      terminal: str) -> Ticket:
        """A ticket a terminal issued from its reserved range while the server was out
        of reach joins the queue of its business day with that number; NumberTaken
        when the day has it already. No quota: the visitor holds the paper."""
        prefix, seq = parse_number(number)
        day = business_day(issued_at)
        day_text = day.isoformat()
        self._expire_once(business_day(datetime.now(timezone.utc)).isoformat())
        reference = secrets.token_urlsafe(9)
        row = [day_text, service, prefix, seq, format_number(prefix, seq), reference,
               terminal, lang, _iso(issued_at), TicketState.WAITING.value]

        def insert(db: sqlite3.Connection) -> int:
            taken = db.execute("SELECT 1 FROM ticket WHERE business_day = ? AND prefix = ? "
                               "AND seq = ?", (day_text, prefix, seq)).fetchone()
            if taken:
                raise NumberTaken(format_number(prefix, seq), day)
            return db.execute(INSERT_TICKET, row).lastrowid
        ticket_id = self._transact(insert)
        return Ticket(ticket_id, format_number(prefix, seq), service, day, issued_at, lang,
                      TicketState.WAITING, reference)

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
            # checked-in appointments do not count against the walk-in quota
            return self._db.execute(
                "SELECT COUNT(*) FROM ticket WHERE business_day = ? AND service = ? "
                "AND kind = 'walk_in'", (day.isoformat(), service)).fetchone()[0]

    @_guarded("reading the queue")
    def last_sequence(self, prefix: str, day: date) -> int:
        """The highest number of the prefix issued on the day (0: none yet)."""
        with self._lock:
            return self._db.execute(
                "SELECT COALESCE(MAX(seq), 0) FROM ticket WHERE business_day = ? "
                "AND prefix = ?", (day.isoformat(), prefix)).fetchone()[0]

    # -- what the screen tells the visitor -----------------------------------------

    @_guarded("reading the queue")
    def people_ahead(self, ticket: Ticket, now: datetime | None = None,
                     call_orders: Mapping[str, Sequence[str]] | None = None) -> int:
        """The waiting tickets of the service called before this one at `now` (calling
        order of kiosk/domain/call_order.py): an emergency case checked in later is
        ahead of waiting walk-ins, an appointment whose slot has not begun is behind.
        Counted in SQL (kiosk/store/ahead_sql.py)."""
        now = now or datetime.now(timezone.utc)
        params = count_params(ticket, now, call_orders, text=_iso)
        with self._lock:
            return self._db.execute(PEOPLE_AHEAD, params).fetchone()[0]

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
    def call_next(self, counter: str, services: list[str], now: datetime, day: date,
                  call_orders: Mapping[str, Sequence[str]] | None = None) -> Ticket | None:
        """The counter calls the first waiting ticket of the given services in the
        calling order (kiosk/domain/call_order.py; walk-ins by issue order, by id: the
        wall clock may have jumped back since)."""
        day_text = day.isoformat()
        self._expire_once(day_text)

        def call(db: sqlite3.Connection) -> Ticket | None:
            waiting = ordered(self._waiting(db, day_text, services), now, call_orders)
            if not waiting:
                return None
            ticket_id = waiting[0].id
            call_seq = db.execute("SELECT COALESCE(MAX(call_seq), 0) + 1 FROM ticket "
                                  "WHERE business_day = ? AND call_seq IS NOT NULL",
                                  (day_text,)).fetchone()[0]
            db.execute("UPDATE ticket SET state = 'called', counter = ?, called_at = ?, "
                       "call_seq = ? WHERE id = ?", (counter, _iso(now), call_seq, ticket_id))
            return self._ticket(db, ticket_id)
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

    @_guarded("calling a ticket")
    def call_number(self, counter: str, number: str, now: datetime, day: date) -> Ticket:
        """The counter calls the given waiting ticket of the day (out of turn);
        TicketNotFound, or TransitionRefused when it is not waiting."""
        prefix, seq = parse_number(number)
        day_text = day.isoformat()
        self._expire_once(day_text)

        def call(db: sqlite3.Connection) -> Ticket:
            row = db.execute("SELECT id, state FROM ticket WHERE business_day = ? AND "
                             "prefix = ? AND seq = ?", (day_text, prefix, seq)).fetchone()
            if row is None:
                raise TicketNotFound(format_number(prefix, seq))
            if TicketState(row[1]) is not TicketState.WAITING:
                raise TransitionRefused(format_number(prefix, seq), TicketState(row[1]),
                                        TicketState.CALLED)
            db.execute("UPDATE ticket SET state = 'called', counter = ?, called_at = ?, "
                       "call_seq = ? WHERE id = ?",
                       (counter, _iso(now), _next_call_seq(db, day_text), row[0]))
            return self._ticket(db, row[0])
        return self._transact(call)

    @_guarded("recalling a ticket")
    def recall(self, counter: str, now: datetime, day: date) -> Ticket | None:
        """The counter's current call (its latest ticket still called today) called
        again: it becomes the newest call; its called_at (the start of the visit for
        the service times) stays. None when the counter has no current call."""
        day_text = day.isoformat()

        def again(db: sqlite3.Connection) -> Ticket | None:
            ticket_id = _current_call(db, day_text, counter)
            if ticket_id is None:
                return None
            db.execute("UPDATE ticket SET call_seq = ? WHERE id = ?",
                       (_next_call_seq(db, day_text), ticket_id))
            return self._ticket(db, ticket_id)
        return self._transact(again)

    @_guarded("finishing a ticket")
    def finish_current(self, counter: str, to: TicketState, now: datetime,
                       day: date) -> Ticket | None:
        """Mark the counter's current call (see recall) done or no-show; None when
        the counter has none."""
        if to not in (TicketState.DONE, TicketState.NO_SHOW):
            raise ValueError(f"a counter finishes a ticket as done or no_show, not {to}")
        day_text = day.isoformat()

        def move(db: sqlite3.Connection) -> Ticket | None:
            ticket_id = _current_call(db, day_text, counter)
            if ticket_id is None:
                return None
            db.execute("UPDATE ticket SET state = ?, finished_at = ? WHERE id = ?",
                       (to.value, _iso(now), ticket_id))
            return self._ticket(db, ticket_id)
        return self._transact(move)

    @_guarded("reading the calls")
    def recent_calls_at(self, day: date, limit: int = 5) -> list[tuple[Ticket, datetime]]:
        """recent_calls() with each ticket's called_at (when its visit began)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, called_at FROM ticket WHERE business_day = ? AND call_seq IS "
                "NOT NULL AND state = 'called' ORDER BY call_seq DESC LIMIT ?",
                (day.isoformat(), limit)).fetchall()
            return [(self._ticket(self._db, i), _dt(at)) for i, at in rows]

    @_guarded("reading the statistics")
    def queue_stats(self, first: date, last: date
                    ) -> list[tuple[date, str, int, int, int, int, list[float]]]:
        """Per business day and service from `first` to `last` (both included), in that
        order: (day, service, issued, called, done, no_show, waits), waits being the
        seconds from issue to first call of each called ticket. Counts and durations
        only: nothing personal."""
        with self._lock:
            rows = self._db.execute(
                "SELECT business_day, service, state, issued_at, called_at FROM ticket "
                "WHERE business_day BETWEEN ? AND ? ORDER BY business_day, service, id",
                (first.isoformat(), last.isoformat())).fetchall()
        out: dict[tuple[str, str], list] = {}
        for day_text, service, state, issued_at, called_at in rows:
            entry = out.setdefault((day_text, service), [0, 0, 0, 0, []])
            entry[0] += 1
            if called_at is not None:
                entry[1] += 1
                entry[4].append((_dt(called_at) - _dt(issued_at)).total_seconds())
            entry[2] += state == TicketState.DONE.value
            entry[3] += state == TicketState.NO_SHOW.value
        return [(date.fromisoformat(d), svc, *e[:4], e[4]) for (d, svc), e in out.items()]

    @_guarded("reading a sealed intake")
    def sealed_intake(self, reference: str) -> tuple[bytes, str, datetime] | None:
        """sealed() with the moment it was stored: (blob, key_id, created_at)."""
        with self._lock:
            row = self._db.execute("SELECT CAST(sealed AS BLOB), key_id, created_at FROM "
                                   "sealed_intake WHERE reference = ?",
                                   (reference,)).fetchone()
        return (bytes(row[0]), row[1], _dt(row[2])) if row else None

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

    @_guarded("reading the queue")
    def ticket(self, ticket_id: int) -> Ticket | None:
        with self._lock:
            found = self._db.execute("SELECT 1 FROM ticket WHERE id = ?",
                                     (ticket_id,)).fetchone()
            return self._ticket(self._db, ticket_id) if found else None

    # -- appointments (check-in) -----------------------------------------------------

    @_guarded("importing bookings")
    def import_bookings(self, bookings: Iterable[Booking], now: datetime) -> dict[str, int]:
        """Insert or update bookings by reference in one transaction (all or nothing).
        A booking already checked in (or further) is left as it is: a re-import of the
        same file changes nothing it need not. Returns counts: added, updated,
        unchanged, kept (checked in, not touched)."""
        counts = dict.fromkeys(OUTCOMES, 0)
        stamp = _iso(now)
        with self._write() as db:
            for b in bookings:
                row = db.execute("SELECT service, office, start, duration_min, status, "
                                 "priority_rank FROM appointment WHERE reference = ?",
                                 (b.reference,)).fetchone()
                values = stored_values(b, _iso(b.start))
                outcome = import_outcome(row, values, lambda: db.execute(
                    "SELECT 1 FROM checkin WHERE reference = ?",
                    (b.reference,)).fetchone() is not None)
                if outcome == "added":
                    db.execute("INSERT INTO appointment (reference, service, office, start, "
                               "duration_min, status, priority_rank, imported_at) "
                               "VALUES (?,?,?,?,?,?,?,?)", (b.reference, *values, stamp))
                elif outcome == "updated":
                    db.execute("UPDATE appointment SET service = ?, office = ?, start = ?, "
                               "duration_min = ?, status = ?, priority_rank = ?, "
                               "imported_at = ? WHERE reference = ?",
                               (*values, stamp, b.reference))
                counts[outcome] += 1
        return counts

    @_guarded("reading the bookings")
    def find_booking(self, reference: str) -> Booking | None:
        with self._lock:
            row = self._db.execute(
                "SELECT reference, service, office, start, duration_min, status, "
                "priority_rank FROM appointment WHERE reference = ?", (reference,)).fetchone()
        if row is None:
            return None
        return Booking(row[0], row[1], row[2], _dt(row[3]), row[4], BookingStatus(row[5]),
                       row[6])

    @_guarded("reading the check-ins")
    def checked_in_ticket(self, reference: str) -> Ticket | None:
        """The ticket a booking was checked in with, or None."""
        with self._lock:
            row = self._db.execute("SELECT ticket_id FROM checkin WHERE reference = ?",
                                   (reference,)).fetchone()
            return self._ticket(self._db, row[0]) if row else None

    @_guarded("checking in")
    def check_in(self, booking: Booking, prefix: str, lang: str, now: datetime, day: date,
                 timing: str | None = None, terminal: str | None = None
                 ) -> tuple[Ticket, bool]:
        """Issue the booking's ticket exactly once, in one write transaction: a second
        check-in of the same reference (another scan, another process at the same
        moment) gets the existing ticket and created=False. The number uses the
        appointment prefix (same 3-digit format; SequenceExhausted after 999); no quota.
        `timing` (early/on_time/late) is counted for the statistics."""
        reference = secrets.token_urlsafe(9)
        day_text, issued_at = day.isoformat(), _iso(now)
        self._expire_once(day_text)
        with self._write() as db:
            row = db.execute("SELECT ticket_id FROM checkin WHERE reference = ?",
                             (booking.reference,)).fetchone()
            if row is not None:
                return self._ticket(db, row[0]), False
            last = db.execute("SELECT COALESCE(MAX(seq), 0) FROM ticket WHERE "
                              "business_day = ? AND prefix = ?", (day_text, prefix)).fetchone()[0]
            if last >= MAX_SEQUENCE:
                raise SequenceExhausted(booking.service, prefix, MAX_SEQUENCE)
            seq = last + 1
            cursor = db.execute(
                "INSERT INTO ticket (business_day, service, prefix, seq, number, reference, "
                "terminal, lang, issued_at, state, kind, slot_start, priority_rank) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,'appointment',?,?)",
                (day_text, booking.service, prefix, seq, format_number(prefix, seq),
                 reference, terminal or self.terminal_id, lang, issued_at,
                 TicketState.WAITING.value, _iso(booking.start), booking.priority_rank))
            ticket_id = cursor.lastrowid
            db.execute("INSERT INTO checkin (reference, ticket_id, business_day, "
                       "checked_in_at) VALUES (?,?,?,?)",
                       (booking.reference, ticket_id, day_text, issued_at))
            _unmiss(db, booking.reference)
            db.execute("UPDATE appointment SET status = ? WHERE reference = ?",
                       (BookingStatus.CHECKED_IN.value, booking.reference))
            if timing:
                _count(db, day_text, booking.service, f"checked_in_{timing}")
            return self._ticket(db, ticket_id), True

    @_guarded("counting a refused check-in")
    def count_checkin(self, day: date, service: str | None, outcome: str) -> None:
        """One more refused check-in of the outcome (service "" when not known)."""
        with self._write() as db:
            _count(db, day.isoformat(), service or "", f"refused_{outcome}")

    @_guarded("marking no-shows")
    def mark_no_shows(self, now: datetime,
                      late_min: Mapping[str, int] | None = None,
                      default_late_min: int = 15) -> int:
        """Bookings not checked in by the end of their window (start + the service's
        late_min) become missed and are counted as no-shows. Returns how many."""
        with self._write() as db:
            return _mark_missed(db, None, now, late_min or {}, default_late_min)

    @_guarded("reading the statistics")
    def checkin_stats(self, day: date) -> list[tuple[str, str, int]]:
        """(service, outcome, count) of the day; outcomes checked_in_early/_on_time/_late,
        refused_<outcome>, no_show."""
        with self._lock:
            return [tuple(r) for r in self._db.execute(
                "SELECT service, outcome, count FROM checkin_stat WHERE business_day = ? "
                "ORDER BY service, outcome", (day.isoformat(),))]

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
        # bookings of earlier days never checked in are no-shows; read first so that a
        # terminal without appointments takes no extra write lock
        midnight = _iso(datetime.combine(date.fromisoformat(today), datetime.min.time(),
                                         OFFICE_ZONE))
        with self._lock:  # the connection is shared by the kiosk's threads
            late = self._db.execute(
                "SELECT 1 FROM appointment WHERE status = ? AND start < ? LIMIT 1",
                (BookingStatus.CONFIRMED.value, midnight)).fetchone()
        if late:
            self._transact(functools.partial(_mark_missed, before_day=today, now=None))
        # the office server's Idempotency-Keys (a terminal replays within hours): read
        # first, so that a terminal takes no extra write lock
        gone = _iso(datetime.combine(date.fromisoformat(today) - timedelta(days=KEEP_DAYS),
                                     datetime.min.time(), OFFICE_ZONE))
        with self._lock:
            old = self._db.execute("SELECT 1 FROM issue_key WHERE at < ? LIMIT 1",
                                   (gone,)).fetchone()
        if old:
            self._transact(lambda db: db.execute("DELETE FROM issue_key WHERE at < ?",
                                                 (gone,)))
        self._expired_before = today

    @staticmethod
    def _expire(db: sqlite3.Connection, today: str) -> None:
        # tickets still waiting from an earlier day will never be called
        db.execute("UPDATE ticket SET state = 'expired' WHERE state = 'waiting' "
                   "AND business_day < ?", (today,))

    @staticmethod
    def _waiting(db: sqlite3.Connection, day_text: str,
                 services: Sequence[str]) -> list[Waiting]:
        marks = ",".join("?" * len(services))
        return [Waiting(r[0], r[1], r[2], _dt(r[3]), r[4]) for r in db.execute(
            f"SELECT id, service, kind, slot_start, priority_rank FROM ticket "
            f"WHERE business_day = ? AND state = 'waiting' AND service IN ({marks})",
            (day_text, *services))]

    @staticmethod
    def _ticket(db: sqlite3.Connection, ticket_id: int) -> Ticket:
        row = db.execute("SELECT id, number, service, business_day, issued_at, lang, state, "
                         "reference, counter, slot_start, priority_rank, kind FROM ticket "
                         "WHERE id = ?", (ticket_id,)).fetchone()
        return Ticket(row[0], row[1], row[2], date.fromisoformat(row[3]), _dt(row[4]), row[5],
                      TicketState(row[6]), row[7], row[8], _dt(row[9]), row[10], row[11])


def _count(db: sqlite3.Connection, day_text: str, service: str, outcome: str,
           n: int = 1) -> None:
    db.execute("INSERT INTO checkin_stat (business_day, service, outcome, count) "
               "VALUES (?,?,?,?) ON CONFLICT (business_day, service, outcome) "
               "DO UPDATE SET count = count + excluded.count", (day_text, service, outcome, n))


def _unmiss(db: sqlite3.Connection, reference: str) -> None:
    """A booking marked missed that checks in after all (a scan in time replayed from a
    terminal's outbox) takes its no-show back: the visit is counted once, as checked in.
    Taken from the day and service _mark_missed counted it under."""
    row = db.execute("SELECT service, start FROM appointment WHERE reference = ? AND "
                     "status = ?", (reference, BookingStatus.MISSED.value)).fetchone()
    if row is None:
        return
    key = (business_day(_dt(row[1])).isoformat(), row[0], "no_show")
    db.execute("UPDATE checkin_stat SET count = count - 1 WHERE business_day = ? AND "
               "service = ? AND outcome = ?", key)
    # no row of 0: the figures list what happened, and nothing else
    db.execute("DELETE FROM checkin_stat WHERE business_day = ? AND service = ? AND "
               "outcome = ? AND count <= 0", key)


def _mark_missed(db: sqlite3.Connection, before_day: str | None, now: datetime | None,
                 late_min: Mapping[str, int] | None = None, default_late_min: int = 15) -> int:
    """Confirmed bookings that can no longer check in become missed (no-show, counted
    per day and service): those whose window has closed at `now`, or all of days before
    `before_day`."""
    rows = db.execute("SELECT reference, service, start FROM appointment WHERE status = ?",
                      (BookingStatus.CONFIRMED.value,)).fetchall()
    missed = 0
    for reference, service, start_text in rows:
        start = _dt(start_text)
        day_text = business_day(start).isoformat()
        if before_day is not None:
            gone = day_text < before_day
        else:
            gone = now > start + timedelta(minutes=(late_min or {}).get(
                service, default_late_min))
        if gone:
            db.execute("UPDATE appointment SET status = ? WHERE reference = ?",
                       (BookingStatus.MISSED.value, reference))
            _count(db, day_text, service, "no_show")
            missed += 1
    return missed


def _insert_next(db: sqlite3.Connection, key: tuple[str, str], row: list,
                 quota: int | None, service: str, below: int | None = None
                 ) -> tuple[int, str]:
    """(id, number) of the ticket inserted with the next number of the day and prefix
    (`row`: INSERT_TICKET's values, seq and number filled in here); QuotaReached or
    SequenceExhausted when there is none. Runs under the write lock."""
    highest = MAX_SEQUENCE if below is None else min(MAX_SEQUENCE, below - 1)
    if below is not None:  # the office server: the offline ranges are not ours
        count, last = db.execute(COUNT_AND_LAST_BELOW, (below, *key)).fetchone()
        if quota is not None and count >= quota:
            raise QuotaReached(service, quota)
    else:  # the last number alone is one index lookup
        last = db.execute(LAST_SEQ, key).fetchone()[0]
        # The walk-ins of the day and prefix are at most `last` tickets (their numbers
        # are distinct and positive), so only near the quota are they counted: that reads
        # every earlier ticket of the prefix, under the write lock.
        if quota is not None and last >= quota:
            count, last = db.execute(COUNT_AND_LAST_SEQ, key).fetchone()
            if count >= quota:
                raise QuotaReached(service, quota)
    if last >= highest:
        raise SequenceExhausted(service, key[1], highest)
    row[3] = seq = last + 1
    row[4] = number = format_number(key[1], seq)
    return db.execute(INSERT_TICKET, row).lastrowid, number


def _keyed(db: sqlite3.Connection, work, request_key: IssueKey, at: str) -> tuple[int, str]:
    """work(db) (the issue) and its Idempotency-Key in one transaction; IssuedBefore,
    nothing written, when the device's key is kept already."""
    prior = db.execute("SELECT ticket_id, request FROM issue_key WHERE device = ? AND "
                       "idem_key = ?", request_key[:2]).fetchone()
    if prior is not None:
        found = db.execute("SELECT 1 FROM ticket WHERE id = ?", (prior[0],)).fetchone()
        raise IssuedBefore(SqliteStore._ticket(db, prior[0]) if found else None, prior[1])
    ticket_id, number = work(db)
    db.execute("INSERT INTO issue_key (device, idem_key, request, ticket_id, at) "
               "VALUES (?, ?, ?, ?, ?)", (*request_key, ticket_id, at))
    return ticket_id, number


def _next_call_seq(db: sqlite3.Connection, day_text: str) -> int:
    return db.execute("SELECT COALESCE(MAX(call_seq), 0) + 1 FROM ticket WHERE "
                      "business_day = ? AND call_seq IS NOT NULL", (day_text,)).fetchone()[0]


def _current_call(db: sqlite3.Connection, day_text: str, counter: str) -> int | None:
    """The id of the counter's latest ticket still called today, or None."""
    row = db.execute("SELECT id FROM ticket WHERE business_day = ? AND counter = ? AND "
                     "state = 'called' ORDER BY call_seq DESC LIMIT 1",
                     (day_text, counter)).fetchone()
    return row[0] if row else None


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
