"""Staff mode's part of the SQLite store: settings by key (JSON, optionally for one
business day), the staff audit log, and the day's figures for the staff screen. It works
through the queue store's public read() and write(), so it shares its connection,
locking and write queue without reaching into them."""

from __future__ import annotations

import json
import statistics
from datetime import date, datetime

from kiosk.store.sqlite import SqliteStore, from_iso_text, iso_text


class StaffStore:
    def __init__(self, store: SqliteStore) -> None:
        self.store = store

    # -- settings ------------------------------------------------------------------

    def settings(self) -> dict[str, tuple[object, str | None]]:
        """key -> (value, for_day) of every stored setting; a value that is not JSON
        is left out (the caller validates the rest)."""
        rows = self.store.read("reading the staff settings", lambda db: db.execute(
            "SELECT key, value, for_day FROM staff_setting").fetchall())
        out = {}
        for key, value, for_day in rows:
            try:
                out[key] = (json.loads(value), for_day)
            except ValueError:
                continue
        return out

    def put(self, key: str, value: object, for_day: date | None, now: datetime) -> None:
        row = (key, json.dumps(value), for_day.isoformat() if for_day else None,
               iso_text(now))
        self.store.write("saving a staff setting", lambda db: db.execute(
            "INSERT INTO staff_setting (key, value, for_day, set_at) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET "
            "value = excluded.value, for_day = excluded.for_day, "
            "set_at = excluded.set_at", row))

    def delete(self, key: str) -> None:
        self.store.write("saving a staff setting", lambda db: db.execute(
            "DELETE FROM staff_setting WHERE key = ?", (key,)))

    # -- audit -----------------------------------------------------------------------

    def audit(self, now: datetime, action: str, terminal: str,
              detail: str | None = None) -> None:
        row = (iso_text(now), action, terminal, detail)
        self.store.write("writing the staff audit log", lambda db: db.execute(
            "INSERT INTO staff_audit (at, action, terminal, detail) "
            "VALUES (?, ?, ?, ?)", row))

    def audit_entries(self, limit: int = 1000) -> list[tuple[datetime, str, str, str | None]]:
        """The newest `limit` entries, oldest first."""
        rows = self.store.read("reading the staff audit log", lambda db: db.execute(
            "SELECT at, action, terminal, detail FROM staff_audit "
            "ORDER BY id DESC LIMIT ?", (limit,)).fetchall())
        return [(from_iso_text(at), action, terminal, detail)
                for at, action, terminal, detail in reversed(rows)]

    # -- figures -----------------------------------------------------------------------

    def figures(self, day: date) -> dict:
        """Tickets per service, print failures and the median wait (issue to call, in
        minutes; None before the first call) of the business day."""
        day_text = day.isoformat()

        def read(db):
            per_service = dict(db.execute(
                "SELECT service, COUNT(*) FROM ticket WHERE business_day = ? "
                "GROUP BY service ORDER BY service", (day_text,)).fetchall())
            failures = db.execute(
                "SELECT COUNT(*) FROM ticket WHERE business_day = ? AND printed = 0",
                (day_text,)).fetchone()[0]
            waits = db.execute(
                "SELECT issued_at, called_at FROM ticket WHERE business_day = ? "
                "AND called_at IS NOT NULL", (day_text,)).fetchall()
            return per_service, failures, waits

        per_service, failures, waits = self.store.read("reading today's figures", read)
        minutes = [(from_iso_text(called) - from_iso_text(issued)).total_seconds() / 60
                   for issued, called in waits]
        minutes = [m for m in minutes if m >= 0]  # a clock that went back
        return {"tickets": per_service, "print_failures": failures,
                "median_wait_min": statistics.median(minutes) if minutes else None}

    def last_ticket_id(self, terminal: str, day: date) -> int | None:
        """This terminal's newest ticket of the day."""
        row = self.store.read("reading the queue", lambda db: db.execute(
            "SELECT id FROM ticket WHERE terminal = ? AND business_day = ? "
            "ORDER BY id DESC LIMIT 1", (terminal, day.isoformat())).fetchone())
        return row[0] if row else None
