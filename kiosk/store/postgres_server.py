"""The office server's store operations on PostgreSQL (mixed into PostgresStore): a
counter's call of a given number, recall and finishing of its current call, the calls
with their times, statistics per day and service, tickets a terminal issued offline,
a sealed intake with its time. The same rules as their SQLite versions in sqlite.py."""

from __future__ import annotations

from datetime import date, datetime

import psycopg

from kiosk.domain.clock import business_day
from kiosk.domain.numbering import format_number, parse_number
from kiosk.domain.ticket import Ticket, TicketState
from kiosk.store.errors import NumberTaken, TicketNotFound, TransitionRefused
from kiosk.store.pg_errors import guarded as _guarded

# calls of a day take one advisory lock in turn, as PostgresStore.call_next does: two
# counters never call the same ticket, and call_seq follows the order of the calls
_CALL_LOCK = ("SELECT pg_advisory_xact_lock(hashtext('kiosk.call.' || current_schema() "
              "|| %s))")
_NEXT_CALL = ("INSERT INTO call_counter AS c (business_day, last_call) VALUES (%s, 1) "
              "ON CONFLICT (business_day) DO UPDATE SET last_call = c.last_call + 1 "
              "RETURNING last_call")
_CURRENT = ("SELECT id FROM ticket WHERE business_day = %s AND counter = %s AND "
            "state = 'called' ORDER BY call_seq DESC LIMIT 1 FOR UPDATE")


class PostgresServerOps:
    """Uses the PostgresStore's _tx, _conn, _expire_once, _dsn and timeout_s."""

    def _server_ticket(self, conn, ticket_id: int) -> Ticket:
        from kiosk.store.postgres import _ticket

        return _ticket(conn, ticket_id)

    @_guarded("calling a ticket")
    def call_number(self, counter: str, number: str, now: datetime, day: date) -> Ticket:
        """The counter calls the given waiting ticket of the day (out of turn);
        TicketNotFound, or TransitionRefused when it is not waiting."""
        prefix, seq = parse_number(number)
        self._expire_once(day)
        with self._tx() as conn:
            conn.execute(_CALL_LOCK, (day.isoformat(),))
            row = conn.execute("SELECT id, state FROM ticket WHERE business_day = %s AND "
                               "prefix = %s AND seq = %s", (day, prefix, seq)).fetchone()
            if row is None:
                raise TicketNotFound(format_number(prefix, seq))
            if TicketState(row[1]) is not TicketState.WAITING:
                raise TransitionRefused(format_number(prefix, seq), TicketState(row[1]),
                                        TicketState.CALLED)
            call_seq = conn.execute(_NEXT_CALL, (day,)).fetchone()[0]
            conn.execute("UPDATE ticket SET state = 'called', counter = %s, called_at = %s, "
                         "call_seq = %s WHERE id = %s", (counter, now, call_seq, row[0]))
            return self._server_ticket(conn, row[0])

    @_guarded("recalling a ticket")
    def recall(self, counter: str, now: datetime, day: date) -> Ticket | None:
        """The counter's current call (its latest ticket still called today) becomes
        the newest call; called_at stays. None without a current call."""
        with self._tx() as conn:
            conn.execute(_CALL_LOCK, (day.isoformat(),))
            row = conn.execute(_CURRENT, (day, counter)).fetchone()
            if row is None:
                return None
            call_seq = conn.execute(_NEXT_CALL, (day,)).fetchone()[0]
            conn.execute("UPDATE ticket SET call_seq = %s WHERE id = %s", (call_seq, row[0]))
            return self._server_ticket(conn, row[0])

    @_guarded("finishing a ticket")
    def finish_current(self, counter: str, to: TicketState, now: datetime,
                       day: date) -> Ticket | None:
        """The counter's current call done or no-show; None without one."""
        if to not in (TicketState.DONE, TicketState.NO_SHOW):
            raise ValueError(f"a counter finishes a ticket as done or no_show, not {to}")
        with self._tx() as conn:
            row = conn.execute(_CURRENT, (day, counter)).fetchone()
            if row is None:
                return None
            conn.execute("UPDATE ticket SET state = %s, finished_at = %s WHERE id = %s",
                         (to.value, now, row[0]))
            return self._server_ticket(conn, row[0])

    @_guarded("reading the calls")
    def recent_calls_at(self, day: date, limit: int = 5) -> list[tuple[Ticket, datetime]]:
        with self._conn() as conn:
            rows = conn.execute("SELECT id, called_at FROM ticket WHERE business_day = %s "
                                "AND call_seq IS NOT NULL AND state = 'called' ORDER BY "
                                "call_seq DESC LIMIT %s", (day, limit)).fetchall()
            return [(self._server_ticket(conn, i), at) for i, at in rows]

    @_guarded("reading the statistics")
    def queue_stats(self, first: date, last: date
                    ) -> list[tuple[date, str, int, int, int, int, list[float]]]:
        """(day, service, issued, called, done, no_show, waits in s from issue to
        call) per business day and service, ordered; counts and durations only."""
        with self._conn() as conn:
            rows = conn.execute(
                "SELECT business_day, service, COUNT(*), COUNT(called_at), "
                "COUNT(*) FILTER (WHERE state = 'done'), "
                "COUNT(*) FILTER (WHERE state = 'no_show'), "
                "COALESCE(array_agg(EXTRACT(EPOCH FROM called_at - issued_at)::float8 "
                "ORDER BY id) FILTER (WHERE called_at IS NOT NULL), '{}') "
                "FROM ticket WHERE business_day BETWEEN %s AND %s "
                "GROUP BY business_day, service ORDER BY business_day, service",
                (first, last)).fetchall()
        return [(d, s, issued, called, done, no_show, [float(w) for w in waits])
                for d, s, issued, called, done, no_show, waits in rows]

    @_guarded("reading a sealed intake")
    def sealed_intake(self, reference: str) -> tuple[bytes, str, datetime] | None:
        with self._conn() as conn:
            row = conn.execute("SELECT sealed, key_id, created_at FROM sealed_intake WHERE "
                               "reference = %s", (reference,)).fetchone()
        return (bytes(row[0]), row[1], row[2]) if row else None

    @_guarded("adopting an offline ticket")
    def adopt_offline(self, number: str, service: str, lang: str, issued_at: datetime,
                      terminal: str) -> Ticket:
        """A ticket a terminal issued from its reserved range joins the queue of its
        business day with that number (NumberTaken when the day has it). It counts
        for the walk-in quota but does not move the day's counter: online numbering
        goes on below the reserved range."""
        import secrets

        prefix, seq = parse_number(number)
        day = business_day(issued_at)
        reference = secrets.token_urlsafe(9)
        try:
            with self._tx() as conn:
                ticket_id = conn.execute(
                    "INSERT INTO ticket (business_day, service, prefix, seq, number, "
                    "reference, terminal, lang, issued_at, state) VALUES "
                    "(%s,%s,%s,%s,%s,%s,%s,%s,%s,'waiting') RETURNING id",
                    (day, service, prefix, seq, format_number(prefix, seq), reference,
                     terminal, lang, issued_at)).fetchone()[0]
                conn.execute("INSERT INTO ticket_counter AS c (business_day, prefix, "
                             "last_seq, walk_ins) VALUES (%s, %s, 0, 1) ON CONFLICT "
                             "(business_day, prefix) DO UPDATE SET walk_ins = c.walk_ins + 1",
                             (day, prefix))
        except psycopg.errors.UniqueViolation:
            raise NumberTaken(format_number(prefix, seq), day) from None
        return Ticket(ticket_id, format_number(prefix, seq), service, day, issued_at, lang,
                      TicketState.WAITING, reference)
