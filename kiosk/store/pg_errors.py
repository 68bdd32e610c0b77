"""psycopg and pool errors turned into one-line StoreErrors for staff: where (host, port,
database; never the password), what failed, what to do."""

from __future__ import annotations

import functools

import psycopg
from psycopg.conninfo import conninfo_to_dict
from psycopg_pool import PoolTimeout

from kiosk.store.errors import StoreError

_UNREACHABLE = ("connection refused", "could not connect", "timeout expired",
                "no such file or directory", "could not translate host name",
                "name or service not known", "no route to host", "network is unreachable",
                "server closed the connection", "connection is lost", "consuming input failed",
                "the connection is closed", "connection timed out", "is the server running")
_AUTH = ("password authentication failed", "no password supplied",
         "authentication failed", "no pg_hba.conf entry", "role \"")


def describe(dsn: str) -> str:
    """'PostgreSQL at host:port/database' from a DSN, without user or password; a DSN
    that cannot be parsed is named as such (its text may hold the password)."""
    try:
        parts = conninfo_to_dict(dsn)
    except psycopg.Error:
        return "PostgreSQL (unreadable connection string)"
    host = parts.get("host") or parts.get("hostaddr") or "localhost"
    port = parts.get("port") or "5432"
    db = parts.get("dbname") or parts.get("user") or "?"
    return f"PostgreSQL at {host}:{port}/{db}"


def password_of(dsn: str) -> str | None:
    try:
        return conninfo_to_dict(dsn).get("password") or None
    except psycopg.Error:
        return None


def _first_line(err: BaseException, secret: str | None) -> str:
    text = " ".join(str(err).split())
    if secret:
        text = text.replace(secret, "***")
    # libpq repeats "connection to server at ... failed:" before the reason
    if "failed: " in text:
        text = text.rsplit("failed: ", 1)[-1]
    text = text.replace("FATAL: ", "").replace("ERROR: ", "").strip()
    return text[:200]


def pg_error(err: BaseException, dsn: str, action: str, timeout_s: float) -> StoreError:
    """The StoreError for a psycopg / pool error while doing `action`."""
    where = describe(dsn)
    secret = password_of(dsn)
    if isinstance(err, PoolTimeout):
        return StoreError(f"{where} is unreachable or busy (no connection within "
                          f"{timeout_s:g} s), {action} failed: check that the server runs "
                          f"and the network", kind="unreachable")
    state = getattr(err, "sqlstate", None) or ""
    low = str(err).lower()
    reason = _first_line(err, secret)
    if state in ("28P01", "28000") or any(a in low for a in _AUTH):
        return StoreError(f"{where}: authentication failed ({reason}), {action} failed: "
                          f"check the user and password in the [store] dsn_file", kind="auth")
    if state == "3D000" or ("database" in low and "does not exist" in low):
        return StoreError(f"{where}: the database does not exist, {action} failed: create "
                          f"it (createdb) or fix dbname in the [store] dsn_file",
                          kind="cannot_open")
    if state in ("57P01", "57P02", "57P03", "08000", "08003", "08006", "08001") or \
            any(u in low for u in _UNREACHABLE):
        return StoreError(f"{where} is unreachable ({reason}), {action} failed: check that "
                          f"the server runs and the network", kind="unreachable")
    if state == "53100":
        return StoreError(f"{where}: the server's disk is full, {action} failed",
                          kind="full")
    if state == "25006":
        return StoreError(f"{where} is read-only (a standby?), {action} failed: point the "
                          f"[store] dsn_file at the primary", kind="read_only")
    if state in ("40001", "40P01", "55P03", "57014"):
        return StoreError(f"{where} is locked by another session ({reason}), {action} "
                          f"failed: try again; if it stays locked, end the session that "
                          f"holds the lock", kind="locked")
    if state == "42501":
        return StoreError(f"{where}: permission denied ({reason}), {action} failed: grant "
                          f"the kiosk's database user its tables", kind="read_only")
    return StoreError(f"{where}: {action} failed: {reason}")


def guarded(action: str):
    """Any psycopg or pool error of the method as a one-line StoreError (never the
    password); the method's object has _dsn and timeout_s."""
    def wrap(method):
        @functools.wraps(method)
        def inner(self, *args, **kwargs):
            try:
                return method(self, *args, **kwargs)
            except (psycopg.Error, PoolTimeout) as err:
                raise pg_error(err, self._dsn, action, self.timeout_s) from err
        return inner
    return wrap
