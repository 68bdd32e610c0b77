"""`kiosk serve import-sqlite --from FILE`: a terminal that ran alone moves onto the
office server the same day. A real SQLite queue file (walk-ins, a call, a checked-in
booking, a refused check-in, intake statistics, a sealed intake, staff settings) is
copied by the CLI into a PostgreSQL store on the tests' own server: the same numbers and
states, the server's next number after the file's last, statistics added once, a second
run copying nothing, a clash with the server's own tickets refused, a dry run writing
nothing."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from kiosk.domain.appointment import Booking, BookingStatus
from kiosk.domain.clock import business_day, utc_now
from kiosk.domain.ticket import TicketState
from tests.conftest import MINIMAL_CONFIG

ROOT = Path(__file__).resolve().parents[2]


def _terminal_file(path: Path, terminal: str = "terminal-7"):
    """A terminal's own queue file with a morning's work in it; returns what it holds."""
    from kiosk.store.sqlite import SqliteStore
    from kiosk.store.staff_sqlite import StaffStore

    now = utc_now()
    day = business_day(now)
    store = SqliteStore(path, terminal_id=terminal)
    try:
        for _ in range(3):
            store.issue("anmeldung", "A", "de", now, day, None)
        store.issue("ausweis", "P", "en", now, day, 2)
        store.call_next("2", ["anmeldung"], now, day)
        store.finish_current("2", TicketState.DONE, now, day)
        store.call_next("2", ["anmeldung"], now, day)
        booking = Booking("40001", "anmeldung", "bb-test", now + timedelta(minutes=5), 15,
                          BookingStatus.CONFIRMED)
        later = Booking("40002", "anmeldung", "bb-test", now + timedelta(days=3), 15,
                        BookingStatus.CONFIRMED)
        gone = Booking("40003", "anmeldung", "bb-test", now - timedelta(days=3), 15,
                       BookingStatus.CONFIRMED)
        store.import_bookings([booking, later, gone], now)
        store.check_in(booking, "T", "de", now, day, timing="on_time")
        store.count_checkin(day, "anmeldung", "too_early")
        store.count_intake(day, "finished", persons=2, seconds=300.0)
        store.put_sealed("R-one", b"\x01sealed", "key-1", now)
        staff = StaffStore(store)
        staff.put("service:ausweis", "closed_today", day, now)
        staff.put("lockout", {"failures": 2}, None, now)
        staff.put("service:anmeldung", "closed_today", day - timedelta(days=1), now)
        numbers = sorted((t.number, t.state.value) for t in (
            store.ticket_by_number(n, day) for n in store.all_numbers(day)))
        stats = sorted(store.checkin_stats(day))
        intakes = store.intake_stats(day)
    finally:
        store.close()
    return day, numbers, stats, intakes


@pytest.fixture
def server_config(tmp_path, pg_dsn):
    dsn_file = tmp_path / "pg-dsn"
    dsn_file.write_text(pg_dsn, encoding="utf-8")
    dsn_file.chmod(0o600)
    config = tmp_path / "server.toml"
    config.write_text(MINIMAL_CONFIG.replace("{printer_path}", str(tmp_path / "p.bin"))
                      + f'\n[store]\nbackend = "postgres"\ndsn_file = "{dsn_file}"\n',
                      encoding="utf-8")
    return config


@pytest.fixture
def server_store(pg_dsn):
    from kiosk.store.postgres import PostgresStore

    store = PostgresStore(pg_dsn, terminal_id="server")
    yield store
    store.close()


def kiosk(*args, env_dir: Path):
    import os

    env = dict(os.environ, PYTHONPATH=str(ROOT), KIOSK_DATA_DIR=str(env_dir))
    return subprocess.run([sys.executable, "-m", "kiosk", *args], capture_output=True,
                          text=True, timeout=120, env=env)


def _numbers(store, day):
    return sorted((t.number, t.state.value) for t in (
        store.ticket_by_number(n, day) for n in store.all_numbers(day)))


def _settings(store):
    from kiosk.store.staff_postgres import PostgresStaffStore

    return PostgresStaffStore(store).settings()


def test_a_terminals_file_is_copied_once_and_the_server_goes_on_from_it(
        tmp_path, server_config, server_store):
    file = tmp_path / "terminal" / "queue.sqlite3"
    file.parent.mkdir()
    day, numbers, stats, intakes = _terminal_file(file)
    before = file.read_bytes()

    dry = kiosk("serve", "import-sqlite", "--from", str(file), "--config",
                str(server_config), "--dry-run", env_dir=tmp_path)
    assert dry.returncode == 0, dry.stderr
    assert f"would copy 5 tickets of {day} (A, P, T), 1 check-ins, 2 bookings" in dry.stdout
    assert server_store.all_numbers(day) == [] and server_store.checkin_stats(day) == []

    done = kiosk("serve", "import-sqlite", "--from", str(file), "--config",
                 str(server_config), env_dir=tmp_path)
    assert done.returncode == 0, done.stderr
    assert f"copied 5 tickets of {day} (A, P, T), 1 check-ins, 2 bookings, 3 statistics " \
           f"rows, 1 staff settings" in done.stdout
    # the sealed intake is personal: it stays in the file, and the operator is told
    assert "1 sealed intakes stay in" in done.stderr and "Traceback" not in done.stderr
    assert server_store.sealed_count() == 0
    assert file.read_bytes() == before  # the terminal's file is only read

    assert _numbers(server_store, day) == numbers
    assert sorted(server_store.checkin_stats(day)) == stats
    assert server_store.intake_stats(day) == intakes
    assert server_store.checked_in_ticket("40001").number == "T001"
    assert server_store.find_booking("40002") is not None
    assert server_store.find_booking("40003") is None  # an earlier day's booking
    settings = _settings(server_store)
    assert settings == {"service:ausweis": ("closed_today", day.isoformat())}
    # the counter that was serving A002 finishes it on the server
    assert server_store.finish_current("2", TicketState.DONE, utc_now(), day).number == "A002"
    # the server's next numbers follow the file's, and its calls come after the file's
    now = utc_now()
    assert server_store.issue("anmeldung", "A", "de", now, day, None).number == "A004"
    with pytest.raises(Exception) as quota:  # the file's P001 counts for the quota of 2
        server_store.issue("ausweis", "P", "de", now, day, 2)
        server_store.issue("ausweis", "P", "de", now, day, 2)
    assert type(quota.value).__name__ == "QuotaReached"
    called = server_store.call_next("3", ["anmeldung"], now, day)
    assert called.number == "A003"
    assert server_store.recent_calls(day)[0].number == "A003"

    again = kiosk("serve", "import-sqlite", "--from", str(file), "--config",
                  str(server_config), env_dir=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "copied to the server before" in again.stdout
    assert sorted(server_store.checkin_stats(day)) == stats  # not added twice
    assert server_store.intake_stats(day) == intakes
    assert len(server_store.all_numbers(day)) == 7


def test_a_day_the_server_already_numbers_with_the_same_prefix_is_refused(
        tmp_path, server_config, server_store):
    file = tmp_path / "queue.sqlite3"
    day, _numbers_, _stats, _intakes = _terminal_file(file)
    server_store.issue("anmeldung", "A", "de", utc_now(), day, None)  # the server's A001
    for extra in ([], ["--dry-run"]):
        out = kiosk("serve", "import-sqlite", "--from", str(file), "--config",
                    str(server_config), *extra, env_dir=tmp_path)
        assert out.returncode == 1, out.stderr
        lines = out.stderr.strip().splitlines()
        assert len(lines) == 1 and "already has tickets of" in lines[0] \
            and "prefix A:" in lines[0] and "nothing copied" in lines[0], out.stderr
    assert server_store.all_numbers(day) == ["A001"]
    assert server_store.checkin_stats(day) == [] and server_store.intake_stats(day) == []
    assert server_store.find_booking("40002") is None


def test_what_is_not_a_queue_file_or_not_a_postgres_server_is_one_line(tmp_path,
                                                                       server_config):
    import sqlite3

    junk = tmp_path / "notes.sqlite3"
    junk.write_bytes(b"this is not a database" * 100)
    out = kiosk("serve", "import-sqlite", "--from", str(junk), "--config",
                str(server_config), env_dir=tmp_path)
    assert out.returncode == 1 and len(out.stderr.strip().splitlines()) == 1, out.stderr
    assert "not readable as a kiosk queue file" in out.stderr
    out = kiosk("serve", "import-sqlite", "--from", str(tmp_path / "missing.sqlite3"),
                "--config", str(server_config), env_dir=tmp_path)
    assert out.returncode == 1 and "no such file" in out.stderr
    empty = tmp_path / "empty.sqlite3"
    empty.touch()
    other = tmp_path / "other.sqlite3"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE note (text TEXT)")
    for path, words in ((empty, "an empty file"), (other, "another program's database")):
        before = path.read_bytes()
        out = kiosk("serve", "import-sqlite", "--from", str(path), "--config",
                    str(server_config), env_dir=tmp_path)
        assert out.returncode == 1 and words in out.stderr, out.stderr
        assert len(out.stderr.strip().splitlines()) == 1, out.stderr
        assert path.read_bytes() == before
    sqlite_config = tmp_path / "terminal.toml"
    sqlite_config.write_text(MINIMAL_CONFIG.replace("{printer_path}",
                                                    str(tmp_path / "p.bin")),
                             encoding="utf-8")
    out = kiosk("serve", "import-sqlite", "--from", str(junk), "--config",
                str(sqlite_config), env_dir=tmp_path)
    assert out.returncode == 2 and "PostgreSQL" in out.stderr and \
        len(out.stderr.strip().splitlines()) == 1, out.stderr


def test_a_file_of_an_older_kiosk_is_read_as_it_is_and_left_so(tmp_path, server_store):
    """A terminal of the first release (schema version 1): its file is brought to this
    kiosk's schema in memory only; the copy has the day's tickets and calls."""
    import sqlite3

    from kiosk.store.import_sqlite import import_sqlite
    from tests.unit.test_store_schema import DAY, _release_1_file

    file = tmp_path / "old.sqlite3"
    _release_1_file(file)
    report = import_sqlite(file, server_store, utc_now(), DAY)
    assert (report.tickets, report.prefixes, report.already) == (3, ["A"], False)
    assert _numbers(server_store, DAY) == [("A001", "done"), ("A002", "called"),
                                           ("A003", "waiting")]
    assert server_store.service_times_s("anmeldung", DAY) == [360.0]
    with sqlite3.connect(file) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 1
    assert import_sqlite(file, server_store, utc_now(), DAY).already
