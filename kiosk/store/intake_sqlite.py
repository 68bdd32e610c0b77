"""The SQLite store's IntakeStore part (kiosk/services/ports.py): sealed intakes by
reference and the intake statistics. SqliteStore inherits it, so every write goes
through the store's own _transact; deletions are overwritten in place (PRAGMA
secure_delete, set when the store opens) and the WAL is checkpointed and truncated
after them, so a removed blob lingers neither in free pages nor in the log."""

from __future__ import annotations

import logging
import sqlite3
from datetime import date, datetime

from kiosk.store.sqlite_errors import guarded as _guarded
from kiosk.store.sqlite_errors import iso_utc as _iso

log = logging.getLogger(__name__)

EVENTS = ("started", "finished", "abandoned")


class IntakeSqlite:
    """Mixed into SqliteStore (which provides path, _lock, _db and _transact)."""

    @_guarded("storing a sealed intake")
    def put_sealed(self, reference: str, sealed: bytes, key_id: str, now: datetime) -> None:
        """Store the sealed blob; a reference already stored raises StoreError (the
        caller draws a new one)."""
        self._transact(lambda db: db.execute(
            "INSERT INTO sealed_intake (reference, sealed, key_id, created_at) "
            "VALUES (?, ?, ?, ?)", (reference, sqlite3.Binary(sealed), key_id, _iso(now))))

    @_guarded("reading a sealed intake")
    def sealed(self, reference: str) -> tuple[bytes, str] | None:
        with self._lock:
            # CAST: a value someone wrote as TEXT comes back as bytes, not as a
            # decoding error quoting it
            row = self._db.execute("SELECT CAST(sealed AS BLOB), key_id FROM sealed_intake "
                                   "WHERE reference = ?", (reference,)).fetchone()
        return (bytes(row[0]), row[1]) if row else None

    @_guarded("counting the sealed intakes")
    def sealed_count(self) -> int:
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM sealed_intake").fetchone()[0]

    @_guarded("deleting a sealed intake")
    def delete_sealed(self, reference: str) -> bool:
        deleted = self._transact(lambda db: db.execute(
            "DELETE FROM sealed_intake WHERE reference = ?", (reference,)).rowcount)
        if deleted:
            self._truncate_wal()
        return bool(deleted)

    @_guarded("purging sealed intakes")
    def purge_sealed(self, older_than: datetime) -> int:
        """Delete the sealed intakes stored before older_than; how many."""
        deleted = self._transact(lambda db: db.execute(
            "DELETE FROM sealed_intake WHERE created_at < ?", (_iso(older_than),)).rowcount)
        if deleted:
            self._truncate_wal()
        return deleted

    @_guarded("counting an intake")
    def count_intake(self, day: date, event: str, step: str | None = None,
                     persons: int | None = None, seconds: float | None = None) -> None:
        if event not in EVENTS:
            raise ValueError(f"unknown intake event {event!r}")
        self._transact(lambda db: db.execute(
            "INSERT INTO intake_stat (business_day, event, step, persons, count, "
            "seconds_total, seconds_count) VALUES (?, ?, ?, ?, 1, ?, ?) "
            "ON CONFLICT (business_day, event, step, persons) DO UPDATE SET "
            "count = count + 1, seconds_total = seconds_total + excluded.seconds_total, "
            "seconds_count = seconds_count + excluded.seconds_count",
            (day.isoformat(), event, step or "", persons or 0,
             max(0.0, float(seconds)) if seconds is not None else 0.0,
             1 if seconds is not None else 0)))

    @_guarded("reading the intake statistics")
    def intake_stats(self, day: date) -> list[tuple[str, str, int, int, float | None]]:
        """(event, step, persons, count, mean seconds or None) of the day."""
        with self._lock:
            rows = self._db.execute(
                "SELECT event, step, persons, count, seconds_total, seconds_count "
                "FROM intake_stat WHERE business_day = ? ORDER BY event, step, persons",
                (day.isoformat(),)).fetchall()
        return [(event, step, persons, count, total / n if n else None)
                for event, step, persons, count, total, n in rows]

    def _truncate_wal(self) -> None:
        """Copy the overwritten pages into the file and empty the WAL, which still
        holds the frames with the blob. Another process reading at this moment keeps
        the log (busy): then the next checkpoint does it; logged, not an error."""
        with self._lock:
            busy, _, _ = self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        if busy:
            log.warning("%s: the write-ahead log could not be truncated after a "
                        "deletion (another process reads); the next checkpoint does it",
                        self.path)
