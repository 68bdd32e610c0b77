"""Store, file-system and printer faults through the real `kiosk` command: each ends in
one line on stderr and the documented exit code, never a traceback, and no issued
number is lost or hidden."""

from __future__ import annotations

import ctypes
import json
import os
import sqlite3
import subprocess
import sys
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from kiosk.domain.clock import business_day
from kiosk.store.sqlite import INSERT_TICKET, SqliteStore
from tests.conftest import MINIMAL_CONFIG, ROOT, write_config

CORRUPT = "is not a kiosk database (corrupt?): move it away; a new one is created at start"


def _drop_root_file_override() -> None:
    """Run as root the way the kiosk runs in the field: file modes apply (drop
    CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH from the child's capability bounding set)."""
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (1, 2):
        if libc.prctl(24, cap, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def _kiosk(*args, faults: str | None = None, modes_apply: bool = False):
    command = [sys.executable, "-m", "tests.faults", faults, "--", *args] if faults else \
        [sys.executable, "-m", "kiosk", *args]
    preexec = _drop_root_file_override if modes_apply and os.geteuid() == 0 else None
    return subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=ROOT,
                          preexec_fn=preexec)


def _one_line(result) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


@pytest.fixture
def config(tmp_path) -> str:
    text = MINIMAL_CONFIG.replace("{printer_path}", str(tmp_path / "printer.bin"))
    return str(write_config(tmp_path, text))


@pytest.fixture
def db(data_dir) -> Path:
    return data_dir / "kiosk.sqlite3"


def _queue_commands(config):
    return [("ticket", "anmeldung", "--json", "--config", config),
            ("call", "--counter", "2", "--config", config),
            ("done", "A001", "--config", config),
            ("noshow", "A001", "--config", config)]


def _today() -> date:
    return business_day(datetime.now(timezone.utc))


def _two_tickets_one_called(config) -> None:
    for _ in range(2):
        assert _kiosk("ticket", "anmeldung", "--config", config).returncode == 0
    assert _kiosk("call", "--counter", "1", "--config", config).returncode == 0


def test_data_dir_that_cannot_be_created(tmp_path, monkeypatch, config):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("KIOSK_DATA_DIR", str(blocker / "data"))
    for args in _queue_commands(config):
        result = _kiosk(*args)
        assert result.returncode == 1, (args, result.stderr)
        line = _one_line(result)
        assert "cannot create the data folder" in line and str(blocker) in line
        assert "KIOSK_DATA_DIR" in line
    out = json.loads(_kiosk(*_queue_commands(config)[0]).stdout)
    assert out["number"] is None and out["error"] == "store_error"


def test_data_dir_that_is_not_writable(data_dir, config):
    data_dir.mkdir(mode=0o700)
    os.chmod(data_dir, 0o500)
    try:
        for args in _queue_commands(config):
            result = _kiosk(*args, modes_apply=True)
            assert result.returncode == 1, (args, result.stderr)
            line = _one_line(result)
            assert str(data_dir) in line and "Permission denied" in line
    finally:
        os.chmod(data_dir, 0o700)


def test_read_only_database_file(db, config):
    _two_tickets_one_called(config)
    os.chmod(db, 0o400)
    try:
        for args in _queue_commands(config):
            result = _kiosk(*args, modes_apply=True)
            assert result.returncode == 1, (args, result.stderr)
            line = _one_line(result)
            assert str(db) in line and "read-only" in line
    finally:
        os.chmod(db, 0o600)
    store = SqliteStore(db)
    assert store.all_numbers(_today()) == ["A001", "A002"]
    store.close()


def test_corrupt_database_file(db, config):
    db.parent.mkdir(mode=0o700)
    db.write_bytes(b"garbage, not SQLite " * 500)
    for args in _queue_commands(config):
        result = _kiosk(*args)
        assert result.returncode == 1, (args, result.stderr)
        assert _one_line(result) == f"kiosk: {db} {CORRUPT}"
    assert db.read_bytes() == b"garbage, not SQLite " * 500


def test_database_from_a_newer_kiosk(db, config):
    _two_tickets_one_called(config)
    raw = sqlite3.connect(db)
    raw.execute("PRAGMA user_version = 99")
    raw.commit()
    raw.close()
    for args in _queue_commands(config):
        result = _kiosk(*args)
        assert result.returncode == 1
        line = _one_line(result)
        assert "newer kiosk (schema version 99" in line and str(db) in line


def test_full_disk(db, config):
    """GIVEN a disk that is full when the command starts WHEN a ticket is issued, called,
    finished THEN each command says so in one line, exit 1, and nothing is lost."""
    _two_tickets_one_called(config)
    for args in _queue_commands(config):
        result = _kiosk(*args, faults="full-at-start")
        assert result.returncode == 1, (args, result.stdout, result.stderr)
        line = _one_line(result)
        assert str(db) in line and "the disk is full" in line, line
    store = SqliteStore(db)
    assert store.all_numbers(_today()) == ["A001", "A002"]
    assert store.ticket_by_number("A001", _today()).state.value == "called"
    store.close()


def test_database_locked_beyond_the_busy_timeout(db, config):
    _two_tickets_one_called(config)
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process writes and does not finish
    try:
        for args in _queue_commands(config):
            result = _kiosk(*args, faults="short-busy-timeout")
            assert result.returncode == 1, (args, result.stderr)
            line = _one_line(result)
            assert "is locked by another process (waited 0.3 s)" in line, line
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert _kiosk("ticket", "anmeldung", "--config", config).returncode == 0


def test_a_printer_that_raises_still_shows_the_number(config, tmp_path):
    """Item 7: an unexpected exception from the printer after the number was issued."""
    result = _kiosk("ticket", "anmeldung", "--json", "--config", config,
                    faults="printer-raises")
    assert result.returncode == 1
    out = json.loads(result.stdout)
    assert out["number"] == "A001" and out["printed"] is False
    assert out["print_error"].startswith("printer failed: RuntimeError: driver bug")
    line = _one_line(result)
    assert line.startswith("kiosk: ticket A001 issued but not printed: printer failed")
    plain = _kiosk("ticket", "anmeldung", "--config", config, faults="printer-raises")
    assert plain.returncode == 1 and "ticket A002 for anmeldung" in plain.stdout
    assert "not printed: printer failed: RuntimeError" in plain.stdout
    _one_line(plain)


def test_printed_ticket_stays_printed_when_the_disk_fills_before_recording(config,
                                                                          tmp_path, db):
    """Item 11: the bytes went out, then the disk was full: printed, exit 0, a warning."""
    result = _kiosk("ticket", "anmeldung", "--json", "--config", config,
                    faults="full-after-print")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["number"] == "A001" and out["printed"] is True
    assert out["print_error"] is None
    line = _one_line(result)
    assert line.startswith("kiosk: warning: ticket A001 printed, but the print result "
                           "could not be recorded:") and "disk is full" in line
    assert (tmp_path / "printer.bin").stat().st_size > 0
    plain = _kiosk("ticket", "anmeldung", "--config", config, faults="full-after-print")
    assert plain.returncode == 0 and plain.stdout.strip().endswith("printed")
    assert "A002 printed, but" in _one_line(plain)


def test_number_999_through_the_command(db, config):
    store = SqliteStore(db)
    day = _today().isoformat()
    with store._write() as conn:
        conn.executemany(INSERT_TICKET, [(day, "anmeldung", "A", seq, f"A{seq:03d}",
                                          f"ref{seq:09d}", "t", "de",
                                          "2026-11-24T08:00:00+00:00", "waiting")
                                         for seq in range(1, 999)])
    store.close()
    assert json.loads(_kiosk("ticket", "anmeldung", "--json", "--config",
                             config).stdout)["number"] == "A999"
    result = _kiosk("ticket", "anmeldung", "--json", "--config", config)
    assert result.returncode == 1
    line = _one_line(result)
    assert "all 999 numbers of prefix A are used today" in line and "quota" not in line
    out = json.loads(result.stdout)
    assert out["number"] is None and out["error"] == "exhausted"
