"""Schema versions: a file from the first release is migrated at start with its data
kept; a file from a newer kiosk, a corrupt file or a foreign database is refused with a
clear message and left untouched."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone

import pytest

from kiosk.domain.clock import business_day
from kiosk.domain.ticket import TicketState
from kiosk.store.errors import StoreError
from kiosk.store.schema import SCHEMA_VERSION
from kiosk.store.sqlite import SqliteStore

NOON = datetime(2026, 11, 24, 11, 0, tzinfo=timezone.utc)
DAY = business_day(NOON)

# The schema the first release created (kiosk/store/sqlite.py at d05d996), copied
# here on purpose: the migration must take exactly this to the current version.
RELEASE_1_SCHEMA = """
CREATE TABLE IF NOT EXISTS ticket (
    id INTEGER PRIMARY KEY,
    business_day TEXT NOT NULL,
    service TEXT NOT NULL,
    prefix TEXT NOT NULL,
    seq INTEGER NOT NULL,
    number TEXT NOT NULL,
    reference TEXT NOT NULL UNIQUE,
    terminal TEXT NOT NULL,
    lang TEXT NOT NULL,
    issued_at TEXT NOT NULL,
    state TEXT NOT NULL,
    counter TEXT,
    called_at TEXT,
    finished_at TEXT,
    printed INTEGER,
    print_error TEXT,
    UNIQUE (business_day, prefix, seq)
);
CREATE INDEX IF NOT EXISTS ticket_waiting ON ticket (business_day, service, state, seq);
CREATE INDEX IF NOT EXISTS ticket_number ON ticket (business_day, number);
CREATE INDEX IF NOT EXISTS ticket_state_day ON ticket (state, business_day);
CREATE INDEX IF NOT EXISTS ticket_service_called ON ticket (service, called_at);
"""


def _release_1_file(path):
    """A file as a terminal of the first release leaves it: three tickets today, the
    first two called (at counters 1 and 2), one of them done."""
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode = WAL")
    db.executescript(RELEASE_1_SCHEMA)
    db.execute("PRAGMA user_version = 1")
    rows = [(1, "A001", "done", "1", "2026-11-24T10:00:00.000000+00:00",
             "2026-11-24T10:06:00.000000+00:00", 1),
            (2, "A002", "called", "2", "2026-11-24T10:05:00.000000+00:00", None, 1),
            (3, "A003", "waiting", None, None, None, None)]
    for seq, number, state, counter, called, finished, printed in rows:
        db.execute("INSERT INTO ticket (business_day, service, prefix, seq, number, "
                   "reference, terminal, lang, issued_at, state, counter, called_at, "
                   "finished_at, printed) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                   (DAY.isoformat(), "anmeldung", "A", seq, number, f"ref{seq}", "t1",
                    "de", "2026-11-24T09:00:00.000000+00:00", state, counter, called,
                    finished, printed))
    db.commit()
    db.close()


def test_a_release_1_file_is_migrated_with_its_data(tmp_path):
    path = tmp_path / "old.sqlite3"
    _release_1_file(path)
    store = SqliteStore(path)
    try:
        assert store._db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert store.all_numbers(DAY) == ["A001", "A002", "A003"]
        assert store.ticket_by_number("A001", DAY).state is TicketState.DONE
        assert store.service_times_s("anmeldung", DAY) == [360.0]
        assert [t.number for t in store.recent_calls(DAY)] == ["A002"]
        # the queue goes on where it was: next number, next call, newest call first
        assert store.issue("anmeldung", "A", "de", NOON, DAY, None).number == "A004"
        assert store.call_next("3", ["anmeldung"], NOON, DAY).number == "A003"
        assert [t.number for t in store.recent_calls(DAY)] == ["A003", "A002"]
    finally:
        store.close()
    SqliteStore(path).close()  # a second start migrates nothing and keeps everything
    again = SqliteStore(path)
    assert len(again.all_numbers(DAY)) == 4
    again.close()


def test_a_file_from_a_newer_kiosk_is_refused_untouched(tmp_path):
    path = tmp_path / "newer.sqlite3"
    SqliteStore(path).close()
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.execute("CREATE TABLE future_feature (id INTEGER PRIMARY KEY)")
    db.commit()
    db.close()
    before = path.read_bytes()
    with pytest.raises(StoreError) as caught:
        SqliteStore(path)
    message = str(caught.value)
    assert str(path) in message and "newer kiosk" in message
    assert f"schema version {SCHEMA_VERSION + 1}" in message and "\n" not in message
    assert caught.value.kind == "newer_schema"
    assert path.read_bytes() == before


def test_a_corrupt_file_is_named_with_what_to_do(tmp_path):
    path = tmp_path / "kiosk.sqlite3"
    path.write_bytes(b"this is not SQLite at all " * 200)
    with pytest.raises(StoreError) as caught:
        SqliteStore(path)
    assert str(caught.value) == (f"{path} is not a kiosk database (corrupt?): move it "
                                 f"away; a new one is created at start")
    assert caught.value.kind == "corrupt"


def test_a_foreign_database_is_not_taken_over(tmp_path):
    path = tmp_path / "other.sqlite3"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY)")
    db.commit()
    db.close()
    with pytest.raises(StoreError) as caught:
        SqliteStore(path)
    assert "is not a kiosk database" in str(caught.value)
    db = sqlite3.connect(path)
    assert [r[0] for r in db.execute("SELECT name FROM sqlite_master")] == ["invoices"]
    db.close()


def test_a_new_file_gets_the_current_version(tmp_path):
    store = SqliteStore(tmp_path / "new.sqlite3")
    assert store._db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert store.issue("anmeldung", "A", "de", NOON, DAY, None).number == "A001"
    store.close()


def _indexes(db) -> dict[str, str]:
    return {name: " ".join(sql.split()) for name, sql in db.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        "AND tbl_name = 'ticket'")}


def test_a_migrated_file_has_the_indexes_of_a_new_one(tmp_path):
    """Version 3: an issue writes fewer index pages while it holds the write lock (the
    unused ticket_number index is gone; a ticket enters the call indexes when called)."""
    old = tmp_path / "old.sqlite3"
    _release_1_file(old)
    migrated, new = SqliteStore(old), SqliteStore(tmp_path / "new.sqlite3")
    try:
        indexes = _indexes(migrated._db)
        assert indexes == _indexes(new._db)
        assert "ticket_number" not in indexes
        assert indexes["ticket_calls"].endswith("WHERE call_seq IS NOT NULL")
        assert indexes["ticket_service_called"].endswith("WHERE called_at IS NOT NULL")
    finally:
        migrated.close()
        new.close()


def _unique_columns(db) -> list[list[str]]:
    return sorted([row[2] for row in db.execute(f"PRAGMA index_info('{name}')")]
                  for _, name, unique, *_ in db.execute("PRAGMA index_list('ticket')")
                  if unique)


def test_version_5_writes_two_b_trees_less_per_issue_and_keeps_the_data(tmp_path):
    """Version 5: the random reference is no longer UNIQUE (its index put every issue
    on a random page while the write lock was held) and one index on the state replaces
    ticket_waiting and ticket_state_day; the numbers stay UNIQUE, the rows, their ids
    and the call indexes are kept."""
    old = tmp_path / "old.sqlite3"
    _release_1_file(old)
    before = sqlite3.connect(old)
    rows = before.execute("SELECT * FROM ticket ORDER BY id").fetchall()
    assert ["reference"] in _unique_columns(before)
    before.close()
    migrated, new = SqliteStore(old), SqliteStore(tmp_path / "new.sqlite3")
    try:
        for store in (migrated, new):
            assert _unique_columns(store._db) == [["business_day", "prefix", "seq"]]
        # the v1 columns as they were (v2 added call_seq and printed_at at the end)
        kept = migrated._db.execute("SELECT * FROM ticket ORDER BY id").fetchall()
        assert [row[:len(rows[0])] for row in kept] == rows
        assert _indexes(migrated._db) == _indexes(new._db)
        assert sorted(_indexes(migrated._db)) == ["ticket_calls", "ticket_service_called",
                                                  "ticket_state"]
        assert _indexes(migrated._db)["ticket_state"] == (
            "CREATE INDEX ticket_state ON ticket (state, business_day, service, seq)")
        with pytest.raises(sqlite3.IntegrityError):  # a number still exists only once
            migrated._db.execute(
                "INSERT INTO ticket (business_day, service, prefix, seq, number, reference,"
                " terminal, lang, issued_at, state) SELECT business_day, service, prefix,"
                " seq, number, 'other', terminal, lang, issued_at, state FROM ticket"
                " WHERE id = 1")
        assert migrated.issue("anmeldung", "A", "de", NOON, DAY, None).number == "A004"
    finally:
        migrated.close()
        new.close()
