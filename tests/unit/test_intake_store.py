"""The store's sealed intakes: put / read / delete, purge by age and statistics on both
engines; SQLite only: migration of a v6 file (its tickets kept), and that a deleted blob is gone from the file
and the WAL (secure_delete and the checkpoint), not only from the table."""

from __future__ import annotations

import os
import sqlite3
from datetime import date, datetime, timedelta, timezone

import pytest

from kiosk.store.errors import StoreError
from kiosk.store.schema import MIGRATIONS, SCHEMA_VERSION
from kiosk.store.sqlite import SqliteStore

NOON = datetime(2026, 11, 24, 11, 0, tzinfo=timezone.utc)
DAY = date(2026, 11, 24)
BLOB = os.urandom(3000)  # a sealed intake is random-looking bytes of a few KB


@pytest.fixture
def store(engine_store):
    return engine_store


@pytest.fixture
def sqlite_store(tmp_path):
    s = SqliteStore(tmp_path / "kiosk.sqlite3")
    yield s
    s.close()


def _v6_file(path):
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("BEGIN")
    for step in MIGRATIONS[:6]:
        step(db)
    db.execute("PRAGMA user_version = 6")
    db.execute("INSERT INTO ticket (business_day, service, prefix, seq, number, reference, "
               "terminal, lang, issued_at, state) VALUES (?,?,?,?,?,?,?,?,?,?)",
               (DAY.isoformat(), "anmeldung", "A", 1, "A001", "r1", "t1", "de",
                "2026-11-24T09:00:00.000000+00:00", "waiting"))
    db.execute("COMMIT")
    db.close()


def test_a_v6_file_is_migrated_and_keeps_its_tickets(tmp_path):
    path = tmp_path / "v6.sqlite3"
    _v6_file(path)
    store = SqliteStore(path)
    try:
        assert SCHEMA_VERSION >= 7
        assert store._db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert store.all_numbers(DAY) == ["A001"]
        store.put_sealed("REF", BLOB, "abc", NOON)
        assert store.sealed("REF") == (BLOB, "abc")
    finally:
        store.close()


def test_put_read_delete(store):
    assert store.sealed("NOPE") is None
    store.put_sealed("R1", BLOB, "k1", NOON)
    assert store.sealed("R1") == (BLOB, "k1") and store.sealed_count() == 1
    with pytest.raises(StoreError) as err:
        store.put_sealed("R1", b"other", "k1", NOON)  # never overwrites a waiting intake
    assert "\n" not in str(err.value)
    assert store.sealed("R1") == (BLOB, "k1")
    assert store.delete_sealed("R1") is True
    assert store.delete_sealed("R1") is False
    assert store.sealed("R1") is None


def test_purge_by_age(store):
    store.put_sealed("OLD", b"o" * 100, "k", NOON - timedelta(days=15))
    store.put_sealed("EDGE", b"e" * 100, "k", NOON - timedelta(days=14))
    store.put_sealed("NEW", b"n" * 100, "k", NOON)
    assert store.purge_sealed(NOON - timedelta(days=14)) == 1
    assert store.sealed("OLD") is None and store.sealed("EDGE") and store.sealed("NEW")
    assert store.purge_sealed(NOON + timedelta(seconds=1)) == 2
    assert store.sealed_count() == 0


def _files_containing(folder, needle: bytes) -> list[str]:
    return [p.name for p in folder.iterdir() if p.is_file() and needle in p.read_bytes()]


@pytest.mark.parametrize("how", ["delete", "purge"])
def test_a_deleted_blob_is_gone_from_the_file_and_the_wal(tmp_path, how):
    store = SqliteStore(tmp_path / "kiosk.sqlite3")
    try:
        store.put_sealed("R1", BLOB, "k1", NOON)
        store.put_sealed("R2", b"x" * 500, "k1", NOON + timedelta(days=1))
        store._db.execute("PRAGMA wal_checkpoint(PASSIVE)")  # the blob in the main file too
        needle = BLOB[1000:1032]
        assert _files_containing(tmp_path, needle)  # the search does find it
        if how == "delete":
            assert store.delete_sealed("R1")
        else:
            assert store.purge_sealed(NOON + timedelta(hours=1)) == 1
        assert _files_containing(tmp_path, needle) == []
        assert store.sealed("R2") is not None
    finally:
        store.close()


def test_statistics(store):
    store.count_intake(DAY, "started")
    store.count_intake(DAY, "started")
    store.count_intake(DAY, "abandoned", step="intake_person", seconds=90)
    store.count_intake(DAY, "finished", persons=2, seconds=300)
    store.count_intake(DAY, "finished", persons=2, seconds=500)
    store.count_intake(DAY, "finished", persons=1, seconds=-5)  # a clock that went back
    assert store.intake_stats(DAY) == [
        ("abandoned", "intake_person", 0, 1, 90.0),
        ("finished", "", 1, 1, 0.0),
        ("finished", "", 2, 2, 400.0),
        ("started", "", 0, 2, None),
    ]
    assert store.intake_stats(DAY + timedelta(days=1)) == []
    with pytest.raises(ValueError):
        store.count_intake(DAY, "name: Erika")


def test_a_blob_written_as_text_is_read_as_bytes(sqlite_store):
    """Another tool may write the column as TEXT: it is read back as bytes (which then
    fail to open), never as an error message quoting the value."""
    store = sqlite_store
    store.put_sealed("R1", BLOB, "k1", NOON)
    db = sqlite3.connect(store.path)
    db.execute("UPDATE sealed_intake SET sealed = CAST(x'c3a9ff41' AS TEXT)")
    db.commit()
    db.close()
    assert store.sealed("R1") == (b"\xc3\xa9\xffA", "k1")
