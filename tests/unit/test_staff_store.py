"""The staff part of the store shares the queue store's locking through its public
seam (read / write): every staff write is one IMMEDIATE transaction run through the
write queue, every read holds the store's lock, and no module outside sqlite.py reaches
into the store's connection, lock or write path. Real SQLite files."""

from __future__ import annotations

import re
import sqlite3
import threading
from datetime import datetime, timezone
from pathlib import Path

import pytest

import kiosk
from kiosk.domain.clock import business_day
from kiosk.store.errors import StoreError
from kiosk.store.sqlite import SqliteStore
from kiosk.store.staff_sqlite import StaffStore

NOON = datetime(2026, 11, 24, 11, 0, tzinfo=timezone.utc)


@pytest.fixture
def store(tmp_path):
    store = SqliteStore(tmp_path / "q.sqlite3", terminal_id="t1", busy_timeout_ms=1000)
    yield store
    store.close()


def test_staff_writes_are_transactions_and_reads_hold_the_lock(store):
    staff = StaffStore(store)
    seen = []  # (statement, the store's lock held by this thread, a transaction open)
    db = store._db
    db.set_trace_callback(lambda sql: seen.append(
        (sql, store._lock._is_owned(), db.in_transaction)))
    try:
        staff.put("notice", "longer_waits", business_day(NOON), NOON)
        staff.audit(NOON, "notice", "t1", "longer_waits")
        staff.delete("notice")
        assert staff.settings() == {}
        assert [a for _at, a, _t, _d in staff.audit_entries()] == ["notice"]
        staff.figures(business_day(NOON))
        staff.last_ticket_id("t1", business_day(NOON))
    finally:
        db.set_trace_callback(None)
    data = [(sql, locked, in_tx) for sql, locked, in_tx in seen
            if not sql.upper().startswith(("PRAGMA", "BEGIN", "COMMIT"))]
    assert data and all(locked for _sql, locked, _tx in data), data
    writes = [(sql, in_tx) for sql, _locked, in_tx in data
              if sql.upper().startswith(("INSERT", "UPDATE", "DELETE"))]
    assert len(writes) == 3 and all(in_tx for _sql, in_tx in writes), writes
    begins = [sql for sql, _l, _t in seen if sql.upper().startswith("BEGIN IMMEDIATE")]
    assert len(begins) == 3, seen


def test_a_staff_write_waits_for_another_kiosk_process_through_the_write_queue(tmp_path):
    """GIVEN another kiosk store on the same file in the middle of a write WHEN staff
    mode audits THEN the audit waits in the write queue and is stored once the other
    write commits (not refused, not interleaved)."""
    path = tmp_path / "q.sqlite3"
    mine, other = SqliteStore(path, terminal_id="t1"), SqliteStore(path, terminal_id="t2")
    holding, release, done = threading.Event(), threading.Event(), threading.Event()

    def hold(db):
        holding.set()
        assert release.wait(30)

    holder = threading.Thread(target=lambda: other.write("holding", hold), daemon=True)
    holder.start()
    try:
        assert holding.wait(30)
        errors = []

        def audit():
            try:
                StaffStore(mine).audit(NOON, "test_print", "t1")
            except Exception as err:  # noqa: BLE001 - reported below
                errors.append(err)
            done.set()

        threading.Thread(target=audit, daemon=True).start()
        assert not done.wait(0.5)  # still queued behind the other write
        release.set()
        assert done.wait(30) and not errors, errors
        assert [a for _at, a, _t, _d in StaffStore(other).audit_entries()] == ["test_print"]
    finally:
        release.set()
        holder.join(30)
        mine.close()
        other.close()


def test_a_foreign_writer_gives_a_one_line_locked_error_naming_the_staff_action(store):
    holder = sqlite3.connect(store.path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StoreError) as caught:
            StaffStore(store).audit(NOON, "paper_replaced", "t1")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert caught.value.kind == "locked"
    assert "writing the staff audit log failed" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_no_module_outside_sqlite_py_reaches_into_the_store():
    private = re.compile(r"\bstore\._(lock|db|write|transact|queue)\b")
    root = Path(kiosk.__file__).parent
    found = [f"{path.relative_to(root)}:{n}" for path in root.rglob("*.py")
             if path.name != "sqlite.py"
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if private.search(line)]
    assert not found, found
