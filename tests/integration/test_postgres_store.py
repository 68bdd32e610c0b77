"""What only the PostgreSQL store has, on the session's real server: its schema files
applied once under the advisory lock, a newer database refused, one-line errors that
never show the password, and `[store] backend = "postgres"` through open_store and the
`kiosk ticket` command."""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import datetime, timezone

import psycopg
import pytest

from kiosk.domain.clock import business_day
from kiosk.store.errors import StoreError
from kiosk.store.postgres import SCHEMA_VERSION, PostgresStore
from tests.conftest import MINIMAL_CONFIG, kiosk_env, write_config
from tests.pg_server import PASSWORD, free_port

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=timezone.utc)


def _one_line(err: StoreError) -> str:
    text = str(err)
    assert "\n" not in text and text.strip() == text
    return text


def test_schema_files_are_applied_once_by_stores_starting_together(pg_dsn):
    """GIVEN an empty schema WHEN six terminals open the store at the same moment THEN
    every one opens (the advisory lock lets one migrate, the others find it done) and
    the version table holds the newest version once."""
    barrier, opened, failed = threading.Barrier(6), [], []

    def open_one(i):
        barrier.wait(timeout=30)
        try:
            opened.append(PostgresStore(pg_dsn, terminal_id=f"t{i}", pool_size=1))
        except Exception as err:  # named by the assertion
            failed.append(f"{type(err).__name__}: {err}")

    threads = [threading.Thread(target=open_one, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    try:
        assert not failed, failed
        assert len(opened) == 6
        with psycopg.connect(pg_dsn) as conn:
            assert conn.execute("SELECT version FROM kiosk_schema").fetchall() == \
                [(SCHEMA_VERSION,)]
        numbers = [s.issue("anmeldung", "A", "de", NOW, business_day(NOW), None).number
                   for s in opened]
        assert sorted(numbers) == [f"A{i:03d}" for i in range(1, 7)]
    finally:
        for s in opened:
            s.close()


def test_a_database_of_a_newer_kiosk_is_refused_untouched(pg_dsn):
    PostgresStore(pg_dsn).close()
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute("UPDATE kiosk_schema SET version = 99")
    with pytest.raises(StoreError) as caught:
        PostgresStore(pg_dsn)
    assert caught.value.kind == "newer_schema"
    assert "schema version 99" in _one_line(caught.value)
    with psycopg.connect(pg_dsn) as conn:
        assert conn.execute("SELECT version FROM kiosk_schema").fetchall() == [(99,)]


def test_an_unreachable_server_is_one_line_naming_where(pg_server):
    port = free_port()  # nothing listens there
    with pytest.raises(StoreError) as caught:
        PostgresStore(f"postgresql://kiosk:{PASSWORD}@127.0.0.1:{port}/kiosk",
                      timeout_s=2)
    text = _one_line(caught.value)
    assert caught.value.kind == "unreachable"
    assert f"PostgreSQL at 127.0.0.1:{port}/kiosk is unreachable" in text
    assert PASSWORD not in text and PASSWORD not in repr(caught.value.args)


def test_a_wrong_password_is_an_authentication_error_without_the_password(pg_server):
    wrong = "Wr0ng-Pass-For-The-Test"
    with pytest.raises(StoreError) as caught:
        PostgresStore(pg_server.tcp_dsn(password=wrong))
    text = _one_line(caught.value)
    assert caught.value.kind == "auth"
    assert "authentication failed" in text and "dsn_file" in text
    assert wrong not in text


def test_a_missing_database_is_named_without_the_password(pg_server):
    with pytest.raises(StoreError) as caught:
        PostgresStore(pg_server.tcp_dsn(dbname="no_such_db"))
    text = _one_line(caught.value)
    assert caught.value.kind == "cannot_open"
    assert "/no_such_db: the database does not exist" in text
    assert PASSWORD not in text


def test_a_server_stopped_under_the_store_is_a_store_error(pg_server, pg_dsn):
    """GIVEN an open store WHEN its connections are terminated by the server (a restart,
    a failover) THEN the next call is a one-line StoreError or succeeds on a new
    connection; never a raw psycopg error."""
    store = PostgresStore(pg_dsn, pool_size=1)
    try:
        store.issue("anmeldung", "A", "de", NOW, business_day(NOW), None)
        with psycopg.connect(pg_server.dsn(), autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE application_name = '' AND pid <> pg_backend_pid() "
                          "AND backend_type = 'client backend'")
        try:
            ticket = store.issue("anmeldung", "A", "de", NOW, business_day(NOW), None)
        except StoreError as err:
            assert err.kind == "unreachable", err
            _one_line(err)
            ticket = store.issue("anmeldung", "A", "de", NOW, business_day(NOW), None)
        assert ticket.number == "A002"
    finally:
        store.close()


def _postgres_config(tmp_path, dsn: str):
    dsn_file = tmp_path / "dsn"
    dsn_file.write_text(dsn + "\n")
    dsn_file.chmod(0o600)
    text = MINIMAL_CONFIG.replace("{printer_path}", str(tmp_path / "printer.bin"))
    return write_config(tmp_path, text + f'\n[store]\nbackend = "postgres"\n'
                                          f'dsn_file = "{dsn_file}"\n')


def test_open_store_builds_the_postgres_store_from_the_dsn_file(tmp_path, pg_dsn):
    from kiosk.config import load_config
    from kiosk.wiring import open_store, staff_store

    config = load_config(_postgres_config(tmp_path, pg_dsn))
    store = open_store(config)
    try:
        assert isinstance(store, PostgresStore) and store.terminal_id == "test-01"
        assert type(staff_store(store)).__name__ == "PostgresStaffStore"
        assert store.issue("anmeldung", "A", "de", NOW, business_day(NOW), 2).number == "A001"
    finally:
        store.close()
    (tmp_path / "dsn").write_text("")
    with pytest.raises(StoreError, match="dsn_file .* is empty"):
        open_store(config)
    (tmp_path / "dsn").unlink()
    with pytest.raises(StoreError, match="cannot read the \\[store\\] dsn_file"):
        open_store(config)
    assert not (tmp_path / "data" / "kiosk.sqlite3").exists()  # no local fallback


def _kiosk(*args):
    return subprocess.run([sys.executable, "-m", "kiosk", *args], capture_output=True,
                          text=True, timeout=90, env=kiosk_env())


def test_kiosk_ticket_issues_on_postgres_and_fails_in_one_line(tmp_path, pg_server, pg_dsn):
    good = _postgres_config(tmp_path, pg_dsn)
    first = _kiosk("ticket", "anmeldung", "--lang", "de", "--json", "--config", str(good))
    assert first.returncode == 0, first.stderr
    assert '"number": "A001"' in first.stdout
    second = _kiosk("ticket", "anmeldung", "--lang", "de", "--json", "--config", str(good))
    assert '"number": "A002"' in second.stdout, second.stderr

    wrong = "Another-Wrong-Pass"
    bad = _postgres_config(tmp_path, pg_server.tcp_dsn(password=wrong))
    failed = _kiosk("ticket", "anmeldung", "--lang", "de", "--config", str(bad))
    assert failed.returncode == 1
    lines = failed.stderr.strip().splitlines()
    assert len(lines) == 1 and "authentication failed" in lines[0], failed.stderr
    assert wrong not in failed.stderr + failed.stdout
    assert "Traceback" not in failed.stderr


def test_a_counter_row_held_by_another_session_is_a_locked_error(pg_dsn):
    """GIVEN another session holding the day's counter row of prefix A (a stuck client,
    psql left in a transaction) WHEN a terminal issues an A number THEN it fails after
    the lock timeout with a one-line "locked" StoreError instead of waiting for ever,
    and issues again once the other session ends; other prefixes are not held up."""
    store = PostgresStore(pg_dsn, pool_size=2, lock_timeout_s=1)
    day = business_day(NOW)
    try:
        store.issue("anmeldung", "A", "de", NOW, day, None)
        with psycopg.connect(pg_dsn) as holder:
            holder.execute("SELECT * FROM ticket_counter WHERE prefix = 'A' FOR UPDATE")
            outcome = []

            def issue_a():
                try:
                    outcome.append(store.issue("anmeldung", "A", "de", NOW, day, None))
                except StoreError as err:
                    outcome.append(err)

            waiter = threading.Thread(target=issue_a, daemon=True)
            waiter.start()
            waiter.join(30)  # generous: the lock timeout is 1 s
            assert outcome, "issue() still waits for the held row after 30 s"
            assert isinstance(outcome[0], StoreError), outcome
            assert outcome[0].kind == "locked"
            assert "issuing a number failed" in _one_line(outcome[0])
            assert store.issue("ausweis", "P", "de", NOW, day, None).number == "P001"
            holder.rollback()
        assert store.issue("anmeldung", "A", "de", NOW, day, None).number == "A002"
    finally:
        store.close()
