"""The queue store's file, its WAL and shared-memory files and its folder are private
(0600/0700) whatever the process umask; so is the data dir."""

from __future__ import annotations

import os
import stat
from datetime import datetime, timezone

import pytest

from kiosk.domain.clock import business_day
from kiosk.paths import data_dir
from kiosk.store.sqlite import SqliteStore

NOON = datetime(2026, 11, 24, 11, 0, tzinfo=timezone.utc)


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture(params=[0o022, 0o000], ids=["umask022", "umask000"])
def umask(request):
    old = os.umask(request.param)
    yield request.param
    os.umask(old)


def test_store_file_wal_shm_and_folders_are_private(tmp_path, umask):
    path = tmp_path / "new" / "deeper" / "q.sqlite3"
    store = SqliteStore(path)
    store.issue("anmeldung", "A", "de", NOON, business_day(NOON), None)
    try:
        for file in (path, path.with_name("q.sqlite3-wal"), path.with_name("q.sqlite3-shm")):
            assert _mode(file) == 0o600, (file.name, oct(_mode(file)))
        assert _mode(tmp_path / "new") == 0o700
        assert _mode(path.parent) == 0o700
    finally:
        store.close()


def test_data_dir_is_created_private(tmp_path, monkeypatch, umask):
    monkeypatch.setenv("KIOSK_DATA_DIR", str(tmp_path / "kiosk-data" / "x"))
    made = data_dir()
    assert _mode(made) == 0o700 and _mode(made.parent) == 0o700


def test_an_existing_folder_keeps_the_mode_the_operator_chose(tmp_path, umask):
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o750)
    SqliteStore(shared / "q.sqlite3").close()
    assert _mode(shared) == 0o750
    assert _mode(shared / "q.sqlite3") == 0o600


def test_a_file_left_readable_by_everyone_loses_that(tmp_path, umask):
    """GIVEN a store file an older kiosk created 0644 WHEN the store opens it THEN
    others lose read access (a group keeps its bits)."""
    path = tmp_path / "old.sqlite3"
    SqliteStore(path).close()
    os.chmod(path, 0o644)
    SqliteStore(path).close()
    assert _mode(path) == 0o640
