"""The http backend's durable local outbox and offline numbers, in the terminal's own
SQLite file: what could not reach the office server (check-ins, sealed intakes, tickets
issued from the reserved range) waits here, in order, each with the Idempotency-Key it
is sent with, until the server has taken it exactly once."""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

from kiosk.store.errors import StoreError

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,  -- the order they are replayed in
    kind TEXT NOT NULL,                    -- offline_ticket | checkin | intake
    idem_key TEXT NOT NULL UNIQUE,         -- Idempotency-Key: the server applies it once
    body TEXT NOT NULL,                    -- the JSON request body; deleted once sent
    created_at TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT                        -- a status or error code, never the body
);
-- what the server refused for good (a 4xx other than auth/not-found/limits): kept for
-- staff by kind and key only, the body is gone
CREATE TABLE IF NOT EXISTS outbox_rejected (
    idem_key TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    error TEXT NOT NULL,
    at TEXT NOT NULL
);
-- the last number this terminal gave out of its reserved range, per prefix and day
CREATE TABLE IF NOT EXISTS offline_numbers (
    prefix TEXT NOT NULL,
    day TEXT NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (prefix, day)
);
"""


@dataclass(frozen=True)
class Entry:
    id: int
    kind: str
    key: str
    body: dict
    created_at: datetime
    attempts: int


def _now() -> datetime:
    return datetime.now(timezone.utc)


class Outbox:
    """Thread-safe; every write is its own committed transaction (synchronous=FULL), so
    an entry acknowledged to the visitor survives a crash or a power cut."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(self.path), timeout=10, isolation_level=None,
                                       check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            # a sent check-in code or intake blob is overwritten, not left in free pages
            self._db.execute("PRAGMA secure_delete=ON")
            self._db.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as err:
            raise StoreError(f"cannot open the outbox {self.path}: {err}",
                             kind="cannot_open") from err
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _write(self, sql: str, args=()) -> sqlite3.Cursor:
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                cur = self._db.execute(sql, args)
                self._db.execute("COMMIT")
                return cur
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        except sqlite3.Error as err:
            raise StoreError(f"outbox {self.path}: {err}", kind="io") from err

    # -- entries ------------------------------------------------------------------------

    def put(self, kind: str, body: dict, key: str | None = None,
            now: datetime | None = None) -> str:
        """Queue one request; its Idempotency-Key (a new uuid4 unless given)."""
        key = key or str(uuid.uuid4())
        with self._changed:
            self._write("INSERT INTO outbox (kind, idem_key, body, created_at) "
                        "VALUES (?, ?, ?, ?)",
                        (kind, key, json.dumps(body, separators=(",", ":")),
                         (now or _now()).isoformat()))
            self._changed.notify_all()
        return key

    def pending(self, limit: int = 50, skip_kinds=()) -> list[Entry]:
        """The first `limit` entries in order, without those of `skip_kinds`."""
        skip = sorted(set(skip_kinds))
        where = f"WHERE kind NOT IN ({','.join('?' * len(skip))}) " if skip else ""
        with self._lock:
            rows = self._db.execute("SELECT id, kind, idem_key, body, created_at, attempts "
                                    f"FROM outbox {where}ORDER BY id LIMIT ?",
                                    (*skip, limit)).fetchall()
        return [Entry(r[0], r[1], r[2], json.loads(r[3]), datetime.fromisoformat(r[4]), r[5])
                for r in rows]

    def sent(self, entry: Entry) -> None:
        """The server has it: the entry (and its body) is gone."""
        with self._lock:
            self._write("DELETE FROM outbox WHERE id = ?", (entry.id,))

    def failed(self, entry: Entry, error: str) -> None:
        """Not sent this time; stays first in line."""
        with self._lock:
            self._write("UPDATE outbox SET attempts = attempts + 1, last_error = ? "
                        "WHERE id = ?", (error[:80], entry.id))

    def rejected(self, entry: Entry, error: str, now: datetime | None = None) -> None:
        """The server refused it for good: out of the line, kept without its body."""
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                self._db.execute("INSERT OR REPLACE INTO outbox_rejected VALUES (?, ?, ?, ?)",
                                 (entry.key, entry.kind, error[:80],
                                  (now or _now()).isoformat()))
                self._db.execute("DELETE FROM outbox WHERE id = ?", (entry.id,))
                self._db.execute("COMMIT")
            except sqlite3.Error as err:
                self._db.execute("ROLLBACK")
                raise StoreError(f"outbox {self.path}: {err}", kind="io") from err

    def rejected_count(self) -> int:
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM outbox_rejected").fetchone()[0]

    def length(self) -> int:
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]

    def oldest_age_s(self, now: datetime | None = None) -> float | None:
        """Seconds the first waiting entry has waited; None when the outbox is empty."""
        with self._lock:
            row = self._db.execute("SELECT created_at FROM outbox ORDER BY id "
                                   "LIMIT 1").fetchone()
        if row is None:
            return None
        return max(0.0, ((now or _now()) - datetime.fromisoformat(row[0])).total_seconds())

    def wait_for_entry(self, timeout_s: float) -> None:
        """Block until something is put (or the timeout): wakes the replay worker."""
        with self._changed:
            self._changed.wait(timeout_s)

    def wake(self) -> None:
        with self._changed:
            self._changed.notify_all()

    # -- offline numbers ---------------------------------------------------------------

    def next_offline_sequence(self, prefix: str, day: date, first: int,
                              last: int) -> int | None:
        """The next sequence number of the reserved range for prefix and day (committed
        before it is shown, so a crash never gives it out twice); None when used up."""
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                row = self._db.execute("SELECT seq FROM offline_numbers WHERE prefix = ? "
                                       "AND day = ?", (prefix, day.isoformat())).fetchone()
                seq = first if row is None else max(row[0] + 1, first)
                if seq > last:
                    self._db.execute("ROLLBACK")
                    return None
                self._db.execute("INSERT OR REPLACE INTO offline_numbers VALUES (?, ?, ?)",
                                 (prefix, day.isoformat(), seq))
                self._db.execute("COMMIT")
                return seq
            except sqlite3.Error as err:
                self._db.execute("ROLLBACK")
                raise StoreError(f"outbox {self.path}: {err}", kind="io") from err
