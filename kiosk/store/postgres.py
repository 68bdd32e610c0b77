"""The queue store on PostgreSQL (psycopg 3 with a connection pool) for an office whose
terminals and counters share one queue. Same public interface and rules as SqliteStore.

Issuing is ONE statement at READ COMMITTED: a CTE bumps the (business day, prefix)
counter row with INSERT ... ON CONFLICT DO UPDATE (which takes that row's lock and, for
a waiting writer, re-reads the committed row) and inserts the ticket with the new number.
Concurrent issues of a prefix queue on that row lock and each sees the previous one's
number, so numbers are unique; the bump and the insert commit together or not at all, so
there is no gap. Chosen over SERIALIZABLE with retries: under 20 clients every issue of a
prefix conflicts, so SERIALIZABLE would abort and resend most transactions, while the
row lock costs one round trip and no retry. The quota and the 999 limit are conditions
of the same UPDATE. Only ids, times and states are stored: nothing personal.
"""

from __future__ import annotations

import functools
import logging
import secrets
import threading
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta, timezone
from importlib import resources
from typing import Callable, Iterable, Iterator, Mapping, Sequence, TypeVar

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout

from kiosk.domain.appointment import Booking, BookingStatus
from kiosk.domain.booking_import import OUTCOMES, import_outcome, stored_values
from kiosk.domain.call_order import Waiting, ordered, positions
from kiosk.domain.clock import OFFICE_ZONE, business_day
from kiosk.domain.numbering import MAX_SEQUENCE, format_number, parse_number
from kiosk.domain.ticket import Ticket, TicketState, can_move
from kiosk.store.ahead_sql import count_params, count_sql
from kiosk.store.errors import (QuotaReached, SequenceExhausted, StoreError, TicketNotFound,
                                TransitionRefused)
from kiosk.store.issue_key import KEEP_DAYS, IssueKey, IssuedBefore
from kiosk.store.pg_errors import describe, pg_error
from kiosk.store.pg_errors import guarded as _guarded
from kiosk.store.postgres_server import PostgresServerOps

log = logging.getLogger(__name__)
T = TypeVar("T")

EVENTS = ("started", "finished", "abandoned")
_NO_QUOTA = 2**31 - 1
# one key for every kiosk: migrations of a database run one at a time
_MIGRATION_LOCK = 0x6B696F736B  # "kiosk"
_RESULT_CODE_CHARS = set("abcdefghijklmnopqrstuvwxyz_")

ISSUE = """
WITH bump AS (
    INSERT INTO ticket_counter AS c (business_day, prefix, last_seq, walk_ins)
    VALUES (%(day)s, %(prefix)s, 1, 1)
    ON CONFLICT (business_day, prefix) DO UPDATE
        SET last_seq = c.last_seq + 1, walk_ins = c.walk_ins + 1
        WHERE c.last_seq < %(max)s AND c.walk_ins < %(quota)s
    RETURNING last_seq)
INSERT INTO ticket (business_day, service, prefix, seq, number, reference, terminal, lang,
                    issued_at, state)
SELECT %(day)s, %(service)s, %(prefix)s, last_seq,
       %(prefix)s::text || lpad(last_seq::text, 3, '0'), %(reference)s, %(terminal)s,
       %(lang)s, %(now)s, 'waiting'
FROM bump
RETURNING id, number
"""
# the office server's issue, with or without an Idempotency-Key, and the people ahead
# of the new ticket: one round trip (kiosk/store/pg/002_issue_key.sql)
ISSUE_COUNTED = """
SELECT ticket_id, ticket_number, prior_request, ahead FROM kiosk_issue(
    %(day)s, %(prefix)s, %(service)s, %(reference)s, %(terminal)s, %(lang)s, %(now)s,
    %(max)s, %(quota)s, %(device)s, %(key)s, %(request)s, %(pw)s, %(pe)s, %(pa)s)
"""
PEOPLE_AHEAD = count_sql("pg")
# the same bump for a checked-in appointment: no quota, not a walk-in
BUMP_APPOINTMENT = """
INSERT INTO ticket_counter AS c (business_day, prefix, last_seq, walk_ins)
VALUES (%s, %s, 1, 0)
ON CONFLICT (business_day, prefix) DO UPDATE SET last_seq = c.last_seq + 1
    WHERE c.last_seq < %s
RETURNING last_seq
"""
TICKET_COLUMNS = ("id, number, service, business_day, issued_at, lang, state, reference, "
                  "counter, slot_start, priority_rank, kind")


def _result_code(error: str | None) -> str:
    if error and 1 <= len(error) <= 32 and error[0].isalpha() and \
            set(error) <= _RESULT_CODE_CHARS:
        return error
    return "failed"


def migrations() -> list[tuple[int, str, str]]:
    """(version, name, sql) of kiosk/store/pg/NNN_*.sql in order."""
    out = []
    for item in resources.files("kiosk.store.pg").iterdir():
        name = item.name
        if name.endswith(".sql") and name[:3].isdigit():
            out.append((int(name[:3]), name, item.read_text(encoding="utf-8")))
    out.sort()
    if [v for v, _, _ in out] != list(range(1, len(out) + 1)):
        raise RuntimeError("kiosk/store/pg: migration files must be numbered 001, 002, ...")
    return out


SCHEMA_VERSION = len(migrations())


LOCK_TIMEOUT_S = 10.0  # as SQLite's busy timeout: a row lock held longer is an error


def _configure(conn: psycopg.Connection, lock_timeout_s: float) -> None:
    # times come back in UTC, as the SQLite store gives them
    conn.execute("SET TIME ZONE 'UTC'")
    # a transaction that holds the day's counter row (a stuck client, a session left
    # open in psql) makes issuing fail with "locked" instead of waiting for ever
    conn.execute(f"SET lock_timeout = {int(lock_timeout_s * 1000)}")


class PostgresStore(PostgresServerOps):
    """Queue store over a PostgreSQL database; safe for threads, processes and machines.
    `dsn`: a libpq connection string (keywords or URI)."""

    engine = "postgres"

    def __init__(self, dsn: str, terminal_id: str = "local", pool_size: int = 4,
                 timeout_s: float = 5.0, lock_timeout_s: float = LOCK_TIMEOUT_S) -> None:
        self._dsn = dsn
        self.terminal_id = terminal_id
        self.timeout_s = float(timeout_s)
        self.location = describe(dsn)
        self.path = self.location  # what messages name the store by, as SqliteStore.path
        self._expired_before: date | None = None
        self._expire_lock = threading.Lock()
        self._pool: ConnectionPool | None = None
        try:
            self._migrate()
            self._pool = ConnectionPool(
                dsn, min_size=1, max_size=max(1, int(pool_size)), open=False,
                timeout=self.timeout_s, kwargs={"autocommit": True,
                                                "connect_timeout": _connect_timeout(timeout_s)},
                configure=functools.partial(_configure, lock_timeout_s=lock_timeout_s),
                name="kiosk-store")
            self._pool.open(wait=True, timeout=self.timeout_s)
        except (psycopg.Error, PoolTimeout) as err:
            self.close()
            raise pg_error(err, dsn, "opening", self.timeout_s) from err
        except BaseException:
            self.close()
            raise

    # -- start: the schema -------------------------------------------------------------

    def _migrate(self) -> None:
        """Apply the missing kiosk/store/pg/*.sql files, each in its own transaction,
        under a session advisory lock (several terminals starting at once migrate once);
        the version is a row in kiosk_schema. A database from a newer kiosk is refused
        untouched."""
        with psycopg.connect(self._dsn, autocommit=True,
                             connect_timeout=_connect_timeout(self.timeout_s)) as conn:
            conn.execute("SELECT pg_advisory_lock(%s)", (_MIGRATION_LOCK,))
            try:
                conn.execute("CREATE TABLE IF NOT EXISTS kiosk_schema "
                             "(version INTEGER NOT NULL)")
                row = conn.execute("SELECT max(version) FROM kiosk_schema").fetchone()
                version = row[0] or 0
                if version > SCHEMA_VERSION:
                    raise StoreError(
                        f"{self.location} was written by a newer kiosk (schema version "
                        f"{version}, this one knows up to {SCHEMA_VERSION}): update this "
                        f"kiosk", kind="newer_schema")
                for number, name, sql in migrations()[version:]:
                    with conn.transaction():
                        conn.execute(sql)
                        conn.execute("DELETE FROM kiosk_schema")
                        conn.execute("INSERT INTO kiosk_schema (version) VALUES (%s)",
                                     (number,))
                    log.info("queue store on %s: applied %s", self.location, name)
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s)", (_MIGRATION_LOCK,))

    # -- connections -------------------------------------------------------------------

    @contextmanager
    def _conn(self) -> Iterator[psycopg.Connection]:
        if self._pool is None:
            raise StoreError(f"{self.location}: the store is closed", kind="other")
        with self._pool.connection(timeout=self.timeout_s) as conn:
            yield conn

    @contextmanager
    def _tx(self) -> Iterator[psycopg.Connection]:
        """One transaction (READ COMMITTED) on a pooled connection."""
        with self._conn() as conn, conn.transaction():
            yield conn

    def read(self, action: str, work: Callable[[psycopg.Connection], T]) -> T:
        """work(conn) on a pooled connection (autocommit); errors become StoreErrors
        naming the server and `action` (the seam for staff_postgres.py, and tests)."""
        try:
            with self._conn() as conn:
                return work(conn)
        except (psycopg.Error, PoolTimeout) as err:
            raise pg_error(err, self._dsn, action, self.timeout_s) from err

    def write(self, action: str, work: Callable[[psycopg.Connection], T]) -> T:
        """work(conn) in one transaction, committed; its result. Errors as for read()."""
        try:
            with self._tx() as conn:
                return work(conn)
        except (psycopg.Error, PoolTimeout) as err:
            raise pg_error(err, self._dsn, action, self.timeout_s) from err

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool = None

    # -- issuing -----------------------------------------------------------------------

    @_guarded("issuing a number")
    def issue(self, service: str, prefix: str, lang: str, now: datetime, day: date,
              daily_quota: int | None, terminal: str | None = None,
              below: int | None = None, request_key: IssueKey | None = None) -> Ticket:
        """Issue the next number of the day for the service; QuotaReached or
        SequenceExhausted when there is none. `terminal` and `below` as in SqliteStore
        (the office server: the device's name; online numbers end at below-1).
        `request_key`: kept with the ticket in the same statement; IssuedBefore (with
        the first ticket) when the device's key was issued before."""
        if request_key is not None:
            return self.issue_counted(service, prefix, lang, now, day, daily_quota,
                                      terminal, below, request_key)[0]
        params = self._issue_params(service, prefix, lang, now, day, daily_quota, terminal,
                                    below)
        with self._conn() as conn:
            row = conn.execute(ISSUE, params).fetchone()
            if row is None:
                self._refused(conn, service, prefix, day, daily_quota, params["max"])
        return Ticket(row[0], row[1], service, day, now, lang, TicketState.WAITING,
                      params["reference"])

    @_guarded("issuing a number")
    def issue_counted(self, service: str, prefix: str, lang: str, now: datetime, day: date,
                      daily_quota: int | None, terminal: str | None = None,
                      below: int | None = None, request_key: IssueKey | None = None,
                      call_orders: Mapping[str, Sequence[str]] | None = None
                      ) -> tuple[Ticket, int]:
        """issue() and people_ahead(ticket, now, call_orders) of the new ticket in one
        statement (the office server's path); raises as issue()."""
        params = self._issue_params(service, prefix, lang, now, day, daily_quota, terminal,
                                    below)
        place = positions(service, call_orders)
        params.update(device=None, key=None, request=None, pw=place["walk_in"],
                      pe=place["emergency"], pa=place["appointment"])
        if request_key is not None:
            params.update(device=request_key.device, key=request_key.key,
                          request=request_key.request)
        with self._conn() as conn:
            try:
                row = conn.execute(ISSUE_COUNTED, params).fetchone()
            except psycopg.errors.UniqueViolation:
                # the same key issued meanwhile (committed now): this call rolled back
                # whole, so it is sent again and finds that key
                row = conn.execute(ISSUE_COUNTED, params).fetchone()
            if row is None:
                self._refused(conn, service, prefix, day, daily_quota, params["max"])
            if row[1] is None:
                first = conn.execute(f"SELECT {TICKET_COLUMNS} FROM ticket WHERE id = %s",
                                     (row[0],)).fetchone()
                raise IssuedBefore(_from_row(first) if first else None, row[2])
        return Ticket(row[0], row[1], service, day, now, lang, TicketState.WAITING,
                      params["reference"]), row[3]

    def _issue_params(self, service, prefix, lang, now, day, daily_quota, terminal,
                      below) -> dict:
        highest = MAX_SEQUENCE if below is None else min(MAX_SEQUENCE, below - 1)
        if daily_quota is not None and daily_quota <= 0:
            raise QuotaReached(service, daily_quota)
        self._expire_once(day)
        return {"day": day, "prefix": prefix, "service": service,
                "reference": secrets.token_urlsafe(9),
                "terminal": terminal or self.terminal_id, "lang": lang, "now": now,
                "max": highest, "quota": _NO_QUOTA if daily_quota is None else daily_quota}

    @staticmethod
    def _refused(conn, service, prefix, day, daily_quota, highest) -> None:
        """Which rule refused the issue (read only on this rare path)."""
        last, walk_ins = conn.execute(
            "SELECT last_seq, walk_ins FROM ticket_counter WHERE business_day = %s "
            "AND prefix = %s", (day, prefix)).fetchone()
        if daily_quota is not None and walk_ins >= daily_quota:
            raise QuotaReached(service, daily_quota)
        raise SequenceExhausted(service, prefix, highest)

    @_guarded("reading the queue")
    def kept_request(self, device: str, key: str) -> str | None:
        """The request hash kept with the device's Idempotency-Key of an issue, or None."""
        with self._conn() as conn:
            row = conn.execute("SELECT request FROM issue_key WHERE device = %s AND "
                               "idem_key = %s", (device, key)).fetchone()
        return row[0] if row else None

    @_guarded("recording the print result")
    def record_print(self, ticket_id: int, printed: bool, error: str | None,
                     at: datetime | None = None) -> None:
        """Whether (and when) the ticket printed and, if not, a short result code such
        as "paper_out"; free text is stored as "failed" (nothing personal)."""
        code = None if printed else _result_code(error)
        when = at if printed and at is not None else None
        with self._conn() as conn:
            conn.execute("UPDATE ticket SET printed = %s, print_error = %s, printed_at = %s "
                         "WHERE id = %s", (printed, code, when, ticket_id))

    @_guarded("reading the queue")
    def issued_today(self, service: str, day: date) -> int:
        with self._conn() as conn:
            return conn.execute("SELECT COUNT(*) FROM ticket WHERE business_day = %s AND "
                                "service = %s AND kind = 'walk_in'",
                                (day, service)).fetchone()[0]

    @_guarded("reading the queue")
    def last_sequence(self, prefix: str, day: date) -> int:
        with self._conn() as conn:
            return conn.execute("SELECT COALESCE(MAX(seq), 0) FROM ticket WHERE "
                                "business_day = %s AND prefix = %s",
                                (day, prefix)).fetchone()[0]

    # -- what the screen tells the visitor --------------------------------------------

    @_guarded("reading the queue")
    def people_ahead(self, ticket: Ticket, now: datetime | None = None,
                     call_orders: Mapping[str, Sequence[str]] | None = None) -> int:
        """The waiting tickets of the service called before this one at `now`: counted
        in SQL by the calling order's rank (kiosk/store/ahead_sql.py)."""
        now = now or datetime.now(timezone.utc)
        with self._conn() as conn:
            return conn.execute(PEOPLE_AHEAD,
                                count_params(ticket, now, call_orders)).fetchone()[0]

    @_guarded("reading the queue")
    def waiting_count(self, service: str, day: date) -> int:
        with self._conn() as conn:
            return conn.execute("SELECT COUNT(*) FROM ticket WHERE business_day = %s AND "
                                "service = %s AND state = 'waiting'",
                                (day, service)).fetchone()[0]

    @_guarded("reading the queue")
    def last_issued_at(self) -> datetime | None:
        with self._conn() as conn:
            row = conn.execute("SELECT issued_at FROM ticket WHERE terminal = %s "
                               "ORDER BY id DESC LIMIT 1", (self.terminal_id,)).fetchone()
        return row[0] if row else None

    @_guarded("reading the queue")
    def active_counters(self, service: str, since: datetime) -> int:
        with self._conn() as conn:
            return conn.execute("SELECT COUNT(DISTINCT counter) FROM ticket WHERE "
                                "service = %s AND called_at >= %s",
                                (service, since)).fetchone()[0]

    @_guarded("reading the queue")
    def service_times_s(self, service: str, day: date) -> list[float]:
        with self._conn() as conn:
            rows = conn.execute("SELECT called_at, finished_at FROM ticket WHERE "
                                "business_day = %s AND service = %s AND state = 'done' "
                                "AND called_at IS NOT NULL", (day, service)).fetchall()
        return [(done - called).total_seconds() for called, done in rows]

    # -- counters ----------------------------------------------------------------------

    @_guarded("calling the next ticket")
    def call_next(self, counter: str, services: list[str], now: datetime, day: date,
                  call_orders: Mapping[str, Sequence[str]] | None = None) -> Ticket | None:
        """The counter calls the first waiting ticket of the services in the calling
        order. Calls of the day take one advisory lock in turn (two counters never call
        the same ticket, and call_seq follows the order the calls were made)."""
        self._expire_once(day)
        with self._tx() as conn:
            conn.execute("SELECT pg_advisory_xact_lock(hashtext('kiosk.call.' || "
                         "current_schema() || %s))", (day.isoformat(),))
            waiting = ordered(_waiting(conn, day, services), now, call_orders)
            if not waiting:
                return None
            ticket_id = waiting[0].id
            call_seq = conn.execute(
                "INSERT INTO call_counter AS c (business_day, last_call) VALUES (%s, 1) "
                "ON CONFLICT (business_day) DO UPDATE SET last_call = c.last_call + 1 "
                "RETURNING last_call", (day,)).fetchone()[0]
            conn.execute("UPDATE ticket SET state = 'called', counter = %s, called_at = %s, "
                         "call_seq = %s WHERE id = %s", (counter, now, call_seq, ticket_id))
            return _ticket(conn, ticket_id)

    @_guarded("finishing a ticket")
    def finish(self, number: str, to: TicketState, now: datetime, day: date) -> Ticket:
        prefix, seq = parse_number(number)
        with self._tx() as conn:
            row = conn.execute("SELECT id, state FROM ticket WHERE business_day = %s AND "
                               "prefix = %s AND seq = %s FOR UPDATE",
                               (day, prefix, seq)).fetchone()
            if row is None:
                raise TicketNotFound(format_number(prefix, seq))
            state = TicketState(row[1])
            if not can_move(state, to):
                raise TransitionRefused(format_number(prefix, seq), state, to)
            conn.execute("UPDATE ticket SET state = %s, finished_at = %s WHERE id = %s",
                         (to.value, now, row[0]))
            return _ticket(conn, row[0])

    @_guarded("reading the calls")
    def recent_calls(self, day: date, limit: int = 5) -> list[Ticket]:
        with self._conn() as conn:
            return [_from_row(r) for r in conn.execute(
                f"SELECT {TICKET_COLUMNS} FROM ticket WHERE business_day = %s AND "
                f"call_seq IS NOT NULL AND state = 'called' ORDER BY call_seq DESC LIMIT %s",
                (day, limit))]

    @_guarded("reading the queue")
    def ticket_by_number(self, number: str, day: date) -> Ticket | None:
        prefix, seq = parse_number(number)
        with self._conn() as conn:
            row = conn.execute(f"SELECT {TICKET_COLUMNS} FROM ticket WHERE business_day = %s "
                               f"AND prefix = %s AND seq = %s", (day, prefix, seq)).fetchone()
        return _from_row(row) if row else None

    @_guarded("reading the queue")
    def all_numbers(self, day: date) -> list[str]:
        with self._conn() as conn:
            return [r[0] for r in conn.execute(
                "SELECT number FROM ticket WHERE business_day = %s ORDER BY prefix, seq",
                (day,))]

    @_guarded("reading the queue")
    def ticket(self, ticket_id: int) -> Ticket | None:
        with self._conn() as conn:
            row = conn.execute(f"SELECT {TICKET_COLUMNS} FROM ticket WHERE id = %s",
                               (ticket_id,)).fetchone()
        return _from_row(row) if row else None

    # -- appointments (check-in) ------------------------------------------------------

    @_guarded("importing bookings")
    def import_bookings(self, bookings: Iterable[Booking], now: datetime) -> dict[str, int]:
        """Insert or update bookings by reference in one transaction (all or nothing);
        one already checked in is kept. Counts: added, updated, unchanged, kept."""
        counts = dict.fromkeys(OUTCOMES, 0)
        with self._tx() as conn:
            for b in bookings:
                row = conn.execute("SELECT service, office, start, duration_min, status, "
                                   "priority_rank FROM appointment WHERE reference = %s "
                                   "FOR UPDATE", (b.reference,)).fetchone()
                values = stored_values(b, b.start)
                outcome = import_outcome(row, values, lambda: conn.execute(
                    "SELECT 1 FROM checkin WHERE reference = %s",
                    (b.reference,)).fetchone() is not None)
                if outcome == "added":
                    conn.execute("INSERT INTO appointment (reference, service, office, start, "
                                 "duration_min, status, priority_rank, imported_at) VALUES "
                                 "(%s,%s,%s,%s,%s,%s,%s,%s)", (b.reference, *values, now))
                elif outcome == "updated":
                    conn.execute("UPDATE appointment SET service = %s, office = %s, "
                                 "start = %s, duration_min = %s, status = %s, "
                                 "priority_rank = %s, imported_at = %s WHERE reference = %s",
                                 (*values, now, b.reference))
                counts[outcome] += 1
        return counts

    @_guarded("reading the bookings")
    def find_booking(self, reference: str) -> Booking | None:
        with self._conn() as conn:
            row = conn.execute("SELECT reference, service, office, start, duration_min, "
                               "status, priority_rank FROM appointment WHERE reference = %s",
                               (reference,)).fetchone()
        if row is None:
            return None
        return Booking(row[0], row[1], row[2], row[3], row[4], BookingStatus(row[5]), row[6])

    @_guarded("reading the check-ins")
    def checked_in_ticket(self, reference: str) -> Ticket | None:
        with self._conn() as conn:
            row = conn.execute(f"SELECT {_prefixed('t')} FROM checkin c JOIN ticket t ON "
                               f"t.id = c.ticket_id WHERE c.reference = %s",
                               (reference,)).fetchone()
        return _from_row(row) if row else None

    @_guarded("checking in")
    def check_in(self, booking: Booking, prefix: str, lang: str, now: datetime, day: date,
                 timing: str | None = None, terminal: str | None = None
                 ) -> tuple[Ticket, bool]:
        """Issue the booking's ticket exactly once: the booking reference's advisory
        lock makes a second check-in (another terminal at the same moment) wait and then
        get the existing ticket with created=False. No quota; SequenceExhausted after
        999."""
        reference = secrets.token_urlsafe(9)
        self._expire_once(day)
        with self._tx() as conn:
            conn.execute("SELECT pg_advisory_xact_lock(hashtext('kiosk.checkin.' || "
                         "current_schema() || %s))", (booking.reference,))
            row = conn.execute("SELECT ticket_id FROM checkin WHERE reference = %s",
                               (booking.reference,)).fetchone()
            if row is not None:
                return _ticket(conn, row[0]), False
            bumped = conn.execute(BUMP_APPOINTMENT, (day, prefix, MAX_SEQUENCE)).fetchone()
            if bumped is None:
                raise SequenceExhausted(booking.service, prefix, MAX_SEQUENCE)
            seq = bumped[0]
            ticket_id = conn.execute(
                "INSERT INTO ticket (business_day, service, prefix, seq, number, reference, "
                "terminal, lang, issued_at, state, kind, slot_start, priority_rank) VALUES "
                "(%s,%s,%s,%s,%s,%s,%s,%s,%s,'waiting','appointment',%s,%s) RETURNING id",
                (day, booking.service, prefix, seq, format_number(prefix, seq), reference,
                 terminal or self.terminal_id, lang, now, booking.start,
                 booking.priority_rank)).fetchone()[0]
            conn.execute("INSERT INTO checkin (reference, ticket_id, business_day, "
                         "checked_in_at) VALUES (%s,%s,%s,%s)",
                         (booking.reference, ticket_id, day, now))
            _unmiss(conn, booking.reference)
            conn.execute("UPDATE appointment SET status = %s WHERE reference = %s",
                         (BookingStatus.CHECKED_IN.value, booking.reference))
            if timing:
                _count(conn, day, booking.service, f"checked_in_{timing}")
            return _ticket(conn, ticket_id), True

    @_guarded("counting a refused check-in")
    def count_checkin(self, day: date, service: str | None, outcome: str) -> None:
        with self._conn() as conn:
            _count(conn, day, service or "", f"refused_{outcome}")

    @_guarded("marking no-shows")
    def mark_no_shows(self, now: datetime, late_min: Mapping[str, int] | None = None,
                      default_late_min: int = 15) -> int:
        with self._tx() as conn:
            return _mark_missed(conn, None, now, late_min or {}, default_late_min)

    @_guarded("reading the statistics")
    def checkin_stats(self, day: date) -> list[tuple[str, str, int]]:
        with self._conn() as conn:
            return [tuple(r) for r in conn.execute(
                "SELECT service, outcome, count FROM checkin_stat WHERE business_day = %s "
                "ORDER BY service, outcome", (day,))]

    # -- sealed intakes (IntakeStore) --------------------------------------------------

    @_guarded("storing a sealed intake")
    def put_sealed(self, reference: str, sealed: bytes, key_id: str, now: datetime) -> None:
        """A reference already stored raises StoreError (the caller draws a new one)."""
        with self._conn() as conn:
            conn.execute("INSERT INTO sealed_intake (reference, sealed, key_id, created_at) "
                         "VALUES (%s, %s, %s, %s)", (reference, bytes(sealed), key_id, now))

    @_guarded("reading a sealed intake")
    def sealed(self, reference: str) -> tuple[bytes, str] | None:
        with self._conn() as conn:
            row = conn.execute("SELECT sealed, key_id FROM sealed_intake WHERE reference = %s",
                               (reference,)).fetchone()
        return (bytes(row[0]), row[1]) if row else None

    @_guarded("counting the sealed intakes")
    def sealed_count(self) -> int:
        with self._conn() as conn:
            return conn.execute("SELECT COUNT(*) FROM sealed_intake").fetchone()[0]

    @_guarded("deleting a sealed intake")
    def delete_sealed(self, reference: str) -> bool:
        with self._conn() as conn:
            deleted = conn.execute("DELETE FROM sealed_intake WHERE reference = %s",
                                   (reference,)).rowcount
            if deleted:
                _vacuum_intakes(conn)
        return bool(deleted)

    @_guarded("purging sealed intakes")
    def purge_sealed(self, older_than: datetime) -> int:
        with self._conn() as conn:
            deleted = conn.execute("DELETE FROM sealed_intake WHERE created_at < %s",
                                   (older_than,)).rowcount
            if deleted:
                _vacuum_intakes(conn)
        return deleted

    @_guarded("counting an intake")
    def count_intake(self, day: date, event: str, step: str | None = None,
                     persons: int | None = None, seconds: float | None = None) -> None:
        if event not in EVENTS:
            raise ValueError(f"unknown intake event {event!r}")
        with self._conn() as conn:
            conn.execute(
                "INSERT INTO intake_stat AS s (business_day, event, step, persons, count, "
                "seconds_total, seconds_count) VALUES (%s, %s, %s, %s, 1, %s, %s) "
                "ON CONFLICT (business_day, event, step, persons) DO UPDATE SET "
                "count = s.count + 1, seconds_total = s.seconds_total + "
                "excluded.seconds_total, seconds_count = s.seconds_count + "
                "excluded.seconds_count",
                (day, event, step or "", persons or 0,
                 max(0.0, float(seconds)) if seconds is not None else 0.0,
                 1 if seconds is not None else 0))

    @_guarded("reading the intake statistics")
    def intake_stats(self, day: date) -> list[tuple[str, str, int, int, float | None]]:
        with self._conn() as conn:
            rows = conn.execute(
                "SELECT event, step, persons, count, seconds_total, seconds_count "
                "FROM intake_stat WHERE business_day = %s ORDER BY event, step, persons",
                (day,)).fetchall()
        return [(event, step, persons, count, total / n if n else None)
                for event, step, persons, count, total, n in rows]

    # -- internals ---------------------------------------------------------------------

    def _expire_once(self, today: date) -> None:
        """Expire earlier days' waiting tickets and mark earlier days' bookings missed,
        once per business day and store, in transactions of their own."""
        if self._expired_before == today:
            return
        with self._expire_lock:
            if self._expired_before == today:
                return
            midnight = datetime.combine(today, time.min, OFFICE_ZONE)
            with self._tx() as conn:
                conn.execute("UPDATE ticket SET state = 'expired' WHERE state = 'waiting' "
                             "AND business_day < %s", (today,))
                conn.execute("DELETE FROM issue_key WHERE at < %s",
                             (midnight - timedelta(days=KEEP_DAYS),))
                late = conn.execute("SELECT 1 FROM appointment WHERE status = %s AND "
                                    "start < %s LIMIT 1",
                                    (BookingStatus.CONFIRMED.value, midnight)).fetchone()
                if late:
                    _mark_missed(conn, today, None)
            self._expired_before = today


def _connect_timeout(timeout_s: float) -> int:
    return max(2, int(round(timeout_s)))  # libpq: whole seconds, 2 at least


def _vacuum_intakes(conn: psycopg.Connection) -> None:
    """The deleted blob's row version stays in the table until a vacuum: run it now
    (autocommit connection). A failure is logged; autovacuum does it later."""
    try:
        conn.execute("VACUUM sealed_intake")
    except psycopg.Error as err:
        log.warning("sealed intakes: vacuum after a deletion failed (%s); autovacuum "
                    "removes the old row versions later", type(err).__name__)


def _prefixed(alias: str) -> str:
    return ", ".join(f"{alias}.{c.strip()}" for c in TICKET_COLUMNS.split(","))


def _from_row(row) -> Ticket:
    return Ticket(row[0], row[1], row[2], row[3], row[4], row[5], TicketState(row[6]),
                  row[7], row[8], row[9], row[10], row[11])


def _ticket(conn: psycopg.Connection, ticket_id: int) -> Ticket:
    return _from_row(conn.execute(f"SELECT {TICKET_COLUMNS} FROM ticket WHERE id = %s",
                                  (ticket_id,)).fetchone())


def _waiting(conn: psycopg.Connection, day: date, services: Sequence[str]) -> list[Waiting]:
    return [Waiting(r[0], r[1], r[2], r[3], r[4]) for r in conn.execute(
        "SELECT id, service, kind, slot_start, priority_rank FROM ticket WHERE "
        "business_day = %s AND state = 'waiting' AND service = ANY(%s)",
        (day, list(services)))]


def _count(conn: psycopg.Connection, day: date, service: str, outcome: str,
           n: int = 1) -> None:
    conn.execute("INSERT INTO checkin_stat AS s (business_day, service, outcome, count) "
                 "VALUES (%s, %s, %s, %s) ON CONFLICT (business_day, service, outcome) "
                 "DO UPDATE SET count = s.count + excluded.count", (day, service, outcome, n))


def _unmiss(conn: psycopg.Connection, reference: str) -> None:
    """As the SQLite store: a missed booking that checks in after all takes back the
    no-show _mark_missed counted (the visit is counted once, as checked in)."""
    row = conn.execute("SELECT service, start FROM appointment WHERE reference = %s AND "
                       "status = %s FOR UPDATE", (reference, BookingStatus.MISSED.value)
                       ).fetchone()
    if row is None:
        return
    key = (business_day(row[1]), row[0], "no_show")
    conn.execute("UPDATE checkin_stat SET count = count - 1 WHERE business_day = %s AND "
                 "service = %s AND outcome = %s", key)
    conn.execute("DELETE FROM checkin_stat WHERE business_day = %s AND service = %s AND "
                 "outcome = %s AND count <= 0", key)


def _mark_missed(conn: psycopg.Connection, before_day: date | None, now: datetime | None,
                 late_min: Mapping[str, int] | None = None,
                 default_late_min: int = 15) -> int:
    """As the SQLite store: confirmed bookings whose window closed at `now`, or all of
    days before `before_day`, become missed and are counted as no-shows."""
    rows = conn.execute("SELECT reference, service, start FROM appointment WHERE status = %s "
                        "FOR UPDATE", (BookingStatus.CONFIRMED.value,)).fetchall()
    missed = 0
    for reference, service, start in rows:
        day = business_day(start)
        if before_day is not None:
            gone = day < before_day
        else:
            gone = now > start + timedelta(minutes=(late_min or {}).get(service,
                                                                         default_late_min))
        if gone:
            conn.execute("UPDATE appointment SET status = %s WHERE reference = %s",
                         (BookingStatus.MISSED.value, reference))
            _count(conn, day, service, "no_show")
            missed += 1
    return missed
