"""Staff mode's part of the PostgreSQL store, the same methods as StaffStore
(staff_sqlite.py): settings by key (JSON, optionally for one business day), the staff
audit log and the day's figures. It works through PostgresStore's read() and write()."""

from __future__ import annotations

import json
import statistics
from datetime import date, datetime

from kiosk.store.postgres import PostgresStore


class PostgresStaffStore:
    def __init__(self, store: PostgresStore) -> None:
        self.store = store

    def settings(self) -> dict[str, tuple[object, str | None]]:
        """key -> (value, for_day as ISO text) of every stored setting; a value that is
        not JSON is left out."""
        rows = self.store.read("reading the staff settings", lambda db: db.execute(
            "SELECT key, value, for_day FROM staff_setting").fetchall())
        out = {}
        for key, value, for_day in rows:
            try:
                out[key] = (json.loads(value), for_day.isoformat() if for_day else None)
            except ValueError:
                continue
        return out

    def put(self, key: str, value: object, for_day: date | None, now: datetime) -> None:
        row = (key, json.dumps(value), for_day, now)
        self.store.write("saving a staff setting", lambda db: db.execute(
            "INSERT INTO staff_setting (key, value, for_day, set_at) "
            "VALUES (%s, %s, %s, %s) ON CONFLICT (key) DO UPDATE SET "
            "value = excluded.value, for_day = excluded.for_day, "
            "set_at = excluded.set_at", row))

    def delete(self, key: str) -> None:
        self.store.write("saving a staff setting", lambda db: db.execute(
            "DELETE FROM staff_setting WHERE key = %s", (key,)))

    def audit(self, now: datetime, action: str, terminal: str,
              detail: str | None = None) -> None:
        self.store.write("writing the staff audit log", lambda db: db.execute(
            "INSERT INTO staff_audit (at, action, terminal, detail) "
            "VALUES (%s, %s, %s, %s)", (now, action, terminal, detail)))

    def audit_entries(self, limit: int = 1000) -> list[tuple[datetime, str, str, str | None]]:
        """The newest `limit` entries, oldest first."""
        rows = self.store.read("reading the staff audit log", lambda db: db.execute(
            "SELECT at, action, terminal, detail FROM staff_audit "
            "ORDER BY id DESC LIMIT %s", (limit,)).fetchall())
        return [tuple(r) for r in reversed(rows)]

    def figures(self, day: date) -> dict:
        """Tickets per service, print failures and the median wait (issue to call, in
        minutes; None before the first call) of the business day."""
        def read(db):
            per_service = dict(db.execute(
                "SELECT service, COUNT(*) FROM ticket WHERE business_day = %s "
                "GROUP BY service ORDER BY service", (day,)).fetchall())
            failures = db.execute(
                "SELECT COUNT(*) FROM ticket WHERE business_day = %s AND printed = false",
                (day,)).fetchone()[0]
            waits = db.execute(
                "SELECT issued_at, called_at FROM ticket WHERE business_day = %s "
                "AND called_at IS NOT NULL", (day,)).fetchall()
            return per_service, failures, waits

        per_service, failures, waits = self.store.read("reading today's figures", read)
        minutes = [(called - issued).total_seconds() / 60 for issued, called in waits]
        minutes = [m for m in minutes if m >= 0]  # a clock that went back
        return {"tickets": per_service, "print_failures": failures,
                "median_wait_min": statistics.median(minutes) if minutes else None}

    def last_ticket_id(self, terminal: str, day: date) -> int | None:
        row = self.store.read("reading the queue", lambda db: db.execute(
            "SELECT id FROM ticket WHERE terminal = %s AND business_day = %s "
            "ORDER BY id DESC LIMIT 1", (terminal, day)).fetchone())
        return row[0] if row else None
