"""SQLite and file-system errors turned into one-line StoreErrors that say which file,
what is wrong and what to do; callers never see a raw sqlite3 exception."""

from __future__ import annotations

import functools
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

from kiosk.store.errors import StoreError

# primary result codes (https://www.sqlite.org/rescode.html)
_PERM, _BUSY, _LOCKED, _READONLY, _IOERR, _CORRUPT, _FULL, _CANTOPEN, _NOTADB = \
    3, 5, 6, 8, 10, 11, 13, 14, 26


def corrupt_message(path: Path) -> str:
    return f"{path} is not a kiosk database (corrupt?): move it away; a new one is " \
           f"created at start"


def store_error(err: sqlite3.Error, path: Path, action: str,
                busy_timeout_s: float) -> StoreError:
    code = getattr(err, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    if primary == _FULL:
        return StoreError(f"{path}: the disk is full, {action} failed: free space on the "
                          f"terminal's disk", kind="full")
    if primary in (_BUSY, _LOCKED):
        return StoreError(f"{path} is locked by another process (waited "
                          f"{busy_timeout_s:g} s), {action} failed: try again; if it stays "
                          f"locked, restart the kiosk", kind="locked")
    if primary in (_READONLY, _PERM):
        return StoreError(f"{path} is read-only, {action} failed: the kiosk's user must be "
                          f"able to write the file and its folder", kind="read_only")
    if primary in (_CORRUPT, _NOTADB):
        return StoreError(corrupt_message(path), kind="corrupt")
    if primary == _CANTOPEN:
        return StoreError(f"cannot open {path}: its folder is missing or the kiosk's user "
                          f"cannot write there", kind="cannot_open")
    if primary == _IOERR:
        return StoreError(f"{path}: disk error, {action} failed ({err})", kind="io")
    return StoreError(f"{path}: {action} failed: {err}")


def file_error(err: OSError, path: Path) -> StoreError:
    """The store's folder or file could not be created."""
    reason = err.strerror or str(err)
    if err.filename and str(err.filename) != str(path):
        reason = f"{err.filename}: {reason}"
    return StoreError(f"cannot create the queue store {path}: {reason}; set "
                      f"KIOSK_DATA_DIR or [store] path to a folder the kiosk's user can "
                      f"write", kind="cannot_open")


def iso_utc(moment: datetime) -> str:
    """A moment as the store writes it: UTC, ISO 8601 with microseconds."""
    return moment.astimezone(timezone.utc).isoformat(timespec="microseconds")


def guarded(action: str):
    """Any sqlite3 error of the method as a one-line StoreError naming the file (the
    method's object has path and busy_timeout_s)."""
    def wrap(method):
        @functools.wraps(method)
        def inner(self, *args, **kwargs):
            try:
                return method(self, *args, **kwargs)
            except sqlite3.Error as err:
                raise store_error(err, self.path, action, self.busy_timeout_s) from err
        return inner
    return wrap
