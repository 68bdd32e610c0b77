"""Idempotency-Key for the server's creating POSTs other than a ticket (check-ins,
intakes, offline tickets): the first answer to a device's key is kept in a small SQLite
file beside the tokens, and a retry with that key gets the same answer -- across
restarts of the server too. A ticket's key is kept by the store in the issue's own
transaction (kiosk/store/issue_key.py): nothing between commit and keeping can lose it."""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
import threading
import time
from pathlib import Path
from typing import Callable

log = logging.getLogger(__name__)

KEEP_S = 3 * 24 * 3600  # a terminal's outbox replays within hours, not days
MAX_KEY = 128


class KeyReused(Exception):
    """The key came with a different request (another endpoint or body)."""


class Idempotency:
    """run(device, key, request, work): work() -> (status, body) once per key; answers
    with status < 500 are kept (a 5xx answer means nothing was done: a retry tries
    again). Requests with one key wait for each other (one server process)."""

    def __init__(self, path: Path, keep_s: float = KEEP_S,
                 wall: Callable[[], float] = time.time) -> None:
        self.path, self.keep_s, self.wall = Path(path), keep_s, wall
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode = WAL")
        self._db.execute("PRAGMA synchronous = FULL")  # a kept answer survives a power cut
        self._db.execute("CREATE TABLE IF NOT EXISTS answer (device TEXT NOT NULL, "
                         "key TEXT NOT NULL, request TEXT NOT NULL, status INTEGER NOT NULL,"
                         " body TEXT NOT NULL, at REAL NOT NULL, PRIMARY KEY (device, key))")
        self._db.execute("CREATE INDEX IF NOT EXISTS answer_at ON answer (at)")
        try:
            self.path.chmod(0o600)
        except OSError:
            pass
        self._lock = threading.Lock()          # the connection
        self._keys_lock = threading.Lock()     # the per-key locks
        self._key_locks: dict[tuple[str, str], list] = {}
        self._purged = 0.0

    @staticmethod
    def request_id(method_path: str, body: object) -> str:
        raw = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(f"{method_path}\n{raw}".encode()).hexdigest()

    def run(self, device: str, key: str, request: str,
            work: Callable[[], tuple[int, object]]) -> tuple[int, object, bool]:
        """(status, body, replayed)."""
        lock = self._acquire((device, key))
        try:
            kept = self._find(device, key)
            if kept is not None:
                if kept[0] != request:
                    raise KeyReused(key)
                return kept[1], json.loads(kept[2]), True
            status, body = work()
            if status < 500:
                self._keep(device, key, request, status, body)
            return status, body, False
        finally:
            self._release((device, key), lock)

    def _acquire(self, ident):
        with self._keys_lock:
            entry = self._key_locks.setdefault(ident, [threading.Lock(), 0])
            entry[1] += 1
        entry[0].acquire()
        return entry

    def _release(self, ident, entry) -> None:
        entry[0].release()
        with self._keys_lock:
            entry[1] -= 1
            if entry[1] == 0:
                self._key_locks.pop(ident, None)

    def _find(self, device: str, key: str):
        with self._lock:
            return self._db.execute("SELECT request, status, body FROM answer WHERE "
                                    "device = ? AND key = ? AND at >= ?",
                                    (device, key, self.wall() - self.keep_s)).fetchone()

    def _keep(self, device, key, request, status, body) -> None:
        now = self.wall()
        with self._lock:
            if now - self._purged > 3600:
                self._db.execute("DELETE FROM answer WHERE at < ?", (now - self.keep_s,))
                self._purged = now
            self._db.execute("INSERT OR REPLACE INTO answer VALUES (?, ?, ?, ?, ?, ?)",
                             (device, key, request, status,
                              json.dumps(body, default=str), now))

    def close(self) -> None:
        with self._lock:
            self._db.close()
