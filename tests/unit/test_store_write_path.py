"""How the store writes (issue 9 item 2): a short issuing transaction, its own retry of
SQLite's write lock with a deadline, the kiosk's write queue, durability unchanged.
Real SQLite files and a real second connection; no timing is asserted."""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
from datetime import datetime, timedelta, timezone

import pytest

from kiosk.domain.appointment import Booking, BookingStatus
from kiosk.domain.clock import business_day
from kiosk.domain.ticket import TicketState
from kiosk.store.errors import StoreError
from kiosk.store.sqlite import SqliteStore

NOON = datetime(2026, 11, 24, 11, 0, tzinfo=timezone.utc)
DAY = business_day(NOON)
YESTERDAY = NOON - timedelta(days=1)


@pytest.fixture
def path(tmp_path):
    return tmp_path / "q.sqlite3"


def _issue(store, at=NOON):
    return store.issue("anmeldung", "A", "de", at, business_day(at), None)


def _transactions(statements):
    """The statements between each BEGIN IMMEDIATE and its COMMIT (without PRAGMAs:
    connection settings, no data)."""
    found, current = [], None
    for sql in statements:
        word = sql.split()[0].upper()
        if sql.upper().startswith("BEGIN IMMEDIATE"):
            current = []
        elif word == "COMMIT" and current is not None:
            found.append(current)
            current = None
        elif current is not None and word != "PRAGMA":
            current.append(" ".join(sql.split()[:3]).upper())
    return found


def test_the_issuing_transaction_only_reads_the_counter_and_inserts(path):
    """GIVEN a waiting ticket of yesterday WHEN today's tickets are issued THEN the
    expiry runs once, in a transaction of its own, and each issuing transaction holds
    the write lock for the counter read and the insert only."""
    store = SqliteStore(path)
    try:
        old = _issue(store, YESTERDAY)
        statements = []
        store._db.set_trace_callback(statements.append)
        _issue(store)
        _issue(store)
        store._db.set_trace_callback(None)
        transactions = _transactions(statements)
        assert transactions[0] == ["UPDATE TICKET SET"], transactions  # the expiry
        issuing = ["SELECT COALESCE(MAX(SEQ), 0)", "INSERT INTO TICKET"]
        assert transactions[1:] == [issuing, issuing], transactions
        assert store.ticket_by_number(old.number, old.business_day).state is \
            TicketState.EXPIRED
    finally:
        store.close()


def test_a_counter_calling_expires_yesterdays_waiting_tickets(path):
    """GIVEN a ticket left waiting yesterday WHEN a counter (its own process, which never
    issued) calls today THEN yesterday's ticket is expired, not called."""
    kiosk = SqliteStore(path, terminal_id="kiosk")
    counter = SqliteStore(path, terminal_id="counter")
    try:
        old = _issue(kiosk, YESTERDAY)
        assert counter.call_next("1", ["anmeldung"], NOON, DAY) is None
        assert counter.ticket_by_number(old.number, old.business_day).state is \
            TicketState.EXPIRED
    finally:
        kiosk.close()
        counter.close()


def test_waits_for_a_foreign_writer_by_retrying_then_says_locked(path):
    """GIVEN another connection (not a kiosk: sqlite3, a backup) holding the write lock
    WHEN the store issues THEN it retries BEGIN IMMEDIATE itself, SQLite's own busy
    handler off, and after its busy timeout fails with the one-line "locked" StoreError;
    nothing was issued and the connection's busy timeout for reads is back."""
    store = SqliteStore(path, busy_timeout_ms=1000)  # a second: room to retry on a busy CI
    _issue(store)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    statements = []
    try:
        store._db.set_trace_callback(statements.append)
        with pytest.raises(StoreError) as caught:
            _issue(store)
        store._db.set_trace_callback(None)
        assert caught.value.kind == "locked"
        message = str(caught.value)
        assert "is locked by another process (waited 1 s), issuing a number failed" \
            in message and "\n" not in message
        attempts = [s for s in statements if s.upper().startswith("BEGIN IMMEDIATE")]
        assert len(attempts) > 1, statements  # our retry, not one call blocking in SQLite
        assert statements[0] == "PRAGMA busy_timeout = 0"
        assert store._db.execute("PRAGMA busy_timeout").fetchone()[0] == 1000
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    try:
        assert _issue(store).number == "A002"  # nothing was taken by the failed call
    finally:
        store.close()


def test_a_foreign_writer_that_finishes_in_time_is_waited_for(path):
    store = SqliteStore(path)
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("INSERT INTO ticket (business_day, service, prefix, seq, number, reference,"
                   " terminal, lang, issued_at, state) VALUES (?,?,?,?,?,?,?,?,?,?)",
                   (DAY.isoformat(), "anmeldung", "A", 1, "A001", "foreign", "x", "de",
                    NOON.isoformat(), "waiting"))
    waiting = threading.Event()
    result = {}

    def issue():
        waiting.set()
        result["number"] = _issue(store).number

    worker = threading.Thread(target=issue)
    worker.start()
    try:
        assert waiting.wait(30)
        holder.execute("COMMIT")  # at whatever moment: the store must then get the lock
        worker.join(60)
        assert not worker.is_alive()
        assert result == {"number": "A002"}  # read after the foreign commit: no duplicate
    finally:
        holder.close()
        store.close()


def _lock_file(path):
    return os.open(f"{path}-lock", os.O_RDONLY)


def test_kiosk_writers_queue_at_the_lock_file_and_give_up_after_the_timeout(path):
    """GIVEN another kiosk process holding the write queue (the lock file next to the
    store) WHEN the store issues THEN it waits there, not at SQLite's lock, and after its
    busy timeout fails with the same "locked" StoreError."""
    store = SqliteStore(path, busy_timeout_ms=300)
    other = _lock_file(path)
    fcntl.flock(other, fcntl.LOCK_EX)
    try:
        with pytest.raises(StoreError) as caught:
            _issue(store)
        assert caught.value.kind == "locked"
        assert "is locked by another process (waited 0.3 s)" in str(caught.value)
    finally:
        fcntl.flock(other, fcntl.LOCK_UN)
    try:
        assert _issue(store).number == "A001"
        # the helper that waited for the caller who gave up let the lock go again:
        # another kiosk can take it while this store is idle
        released = threading.Event()

        def take():
            fcntl.flock(other, fcntl.LOCK_EX)  # blocks while the store's helper holds it
            released.set()

        taker = threading.Thread(target=take, daemon=True)
        taker.start()
        assert released.wait(30)
        fcntl.flock(other, fcntl.LOCK_UN)
    finally:
        os.close(other)
        store.close()


def test_a_queued_writer_gets_the_lock_when_the_other_kiosk_lets_go(path):
    store = SqliteStore(path)
    other = _lock_file(path)
    fcntl.flock(other, fcntl.LOCK_EX)
    result = {}
    started = threading.Event()

    def issue():
        started.set()
        result["number"] = _issue(store).number

    worker = threading.Thread(target=issue)
    worker.start()
    try:
        assert started.wait(30)
        fcntl.flock(other, fcntl.LOCK_UN)
        worker.join(60)
        assert result == {"number": "A001"}
    finally:
        os.close(other)
        store.close()


def test_the_lock_file_is_private(path):
    old = os.umask(0)
    try:
        SqliteStore(path).close()
    finally:
        os.umask(old)
    assert os.stat(f"{path}-lock").st_mode & 0o777 == 0o600


def test_durability_is_unchanged_on_the_issuing_connection(path):
    """WAL on the connection that issues, also after a write that had to wait; every
    write opens with BEGIN IMMEDIATE; COMMIT leaves the sync to the store
    (synchronous=NORMAL, see test_every_write_returns_after_its_wal_is_synced)."""
    store = SqliteStore(path, busy_timeout_ms=300)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    with pytest.raises(StoreError):
        _issue(store)
    holder.execute("ROLLBACK")
    holder.close()
    statements = []
    store._db.set_trace_callback(statements.append)
    try:
        _issue(store)
        store.call_next("1", ["anmeldung"], NOON, DAY)
        store._db.set_trace_callback(None)
        assert store._db.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
        assert store._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        begins = [s for s in statements if s.upper().startswith("BEGIN")]
        assert begins and all(s.upper() == "BEGIN IMMEDIATE" for s in begins)
        assert len(_transactions(statements)) == len(begins)  # each one committed
    finally:
        store.close()


def _booking():
    return Booking("204517", "anmeldung", "bb-test", NOON, 15, BookingStatus.CONFIRMED)


class _SyncWatch:
    """os.fdatasync as it is, noting for each call: the file synced, how long the WAL
    was, and whether another process could have taken the kiosk's write queue and
    SQLite's write lock at that moment."""

    def __init__(self, path, monkeypatch):
        self.path = path
        self.calls = []
        self._real = os.fdatasync
        monkeypatch.setattr(os, "fdatasync", self)

    def __call__(self, fd):
        wal = os.stat(f"{self.path}-wal")
        synced = os.fstat(fd)
        self.calls.append({"wal": (synced.st_dev, synced.st_ino) == (wal.st_dev, wal.st_ino),
                           "size": wal.st_size, "queue_free": self._queue_free(),
                           "sqlite_free": self._sqlite_free()})
        self._real(fd)

    def _queue_free(self):
        probe = os.open(f"{self.path}-lock", os.O_RDONLY)
        try:
            fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            return False
        finally:
            os.close(probe)

    def _sqlite_free(self):
        other = sqlite3.connect(self.path, isolation_level=None, timeout=0)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            return True
        except sqlite3.OperationalError:
            return False
        finally:
            other.close()


def test_every_write_returns_after_its_wal_is_synced_outside_the_lock(path, monkeypatch):
    """GIVEN the store WHEN it issues (through the write queue), calls a number and
    checks in a booking (the calling thread's write path) THEN before each returns, the
    WAL file is synced, holding at least what the write committed, and at that moment
    another process could already write: the sync is not in the locked stretch (group
    commit)."""
    store = SqliteStore(path)
    try:
        booking = _booking()
        store.import_bookings([booking], NOON)
        watch = _SyncWatch(path, monkeypatch)
        writes = {
            "issue": lambda: _issue(store),
            "call": lambda: store.call_next("1", ["anmeldung"], NOON, DAY),
            "check in": lambda: store.check_in(booking, "T", "de", NOON, DAY),
        }
        for name, write in writes.items():
            watch.calls.clear()
            write()
            committed = os.stat(f"{path}-wal").st_size
            synced = [c for c in watch.calls if c["wal"]]
            assert synced, f"{name}: returned without syncing the WAL"
            assert synced[-1]["size"] >= committed, name
            assert synced[-1]["queue_free"] and synced[-1]["sqlite_free"], \
                f"{name}: synced while holding the write lock"
    finally:
        store.close()


def test_a_failed_sync_is_a_disk_error_and_the_number_is_not_handed_out(path, monkeypatch):
    """GIVEN a disk that fails to sync WHEN a number is issued THEN the caller gets a
    one-line disk error naming the file instead of the number (it may not survive a
    power cut), and the next issue works again once the disk does."""
    store = SqliteStore(path)
    try:
        _issue(store)
        real = os.fdatasync

        def failing(_fd):
            raise OSError(5, "Input/output error")

        monkeypatch.setattr(os, "fdatasync", failing)
        with pytest.raises(StoreError) as caught:
            _issue(store)
        assert caught.value.kind == "io"
        assert "q.sqlite3-wal" in str(caught.value) and "Input/output error" in str(caught.value)
        monkeypatch.setattr(os, "fdatasync", real)
        assert _issue(store).number == "A003"
    finally:
        store.close()


def test_a_file_system_without_flock_leaves_the_writers_to_sqlites_lock(path, monkeypatch):
    """GIVEN flock failing with ENOLCK (the only mock here: the system call at the edge)
    WHEN numbers are issued, also by a second store on the file THEN they are issued in
    order, each exactly once, and no OSError reaches the caller."""
    import errno

    import kiosk.store.write_queue as write_queue

    def no_locks(fd, operation):
        raise OSError(errno.ENOLCK, "No locks available")

    monkeypatch.setattr(write_queue.fcntl, "flock", no_locks)
    first, second = SqliteStore(path), SqliteStore(path)
    try:
        numbers = [_issue(store).number for store in (first, second, first, second)]
        assert numbers == ["A001", "A002", "A003", "A004"]
    finally:
        first.close()
        second.close()


def _issue_while_another_kiosk_writes(store, path, **kwargs):
    """Issue while another kiosk holds the write queue; let it go once the store waits.
    Returns (result or exception, names of the threads that ran each statement)."""
    other = _lock_file(path)
    fcntl.flock(other, fcntl.LOCK_EX)
    ran_in = []
    store._db.set_trace_callback(
        lambda sql: ran_in.append((threading.current_thread().name, sql.split()[0])))
    outcome = {}

    def issue():
        try:
            outcome["result"] = store.issue("anmeldung", "A", "de", NOON, DAY, **kwargs)
        except Exception as err:  # noqa: BLE001 - handed to the test
            outcome["result"] = err

    worker = threading.Thread(target=issue, name="visitor")
    try:
        worker.start()
        # the store waits at the lock file once its helper thread is there
        for _ in range(3000):
            if store._queue._helper_busy:
                break
            threading.Event().wait(0.01)
        assert store._queue._helper_busy
        fcntl.flock(other, fcntl.LOCK_UN)
        worker.join(60)
        assert not worker.is_alive()
    finally:
        store._db.set_trace_callback(None)
        os.close(other)
    return outcome["result"], ran_in


def test_a_queued_issue_runs_in_the_thread_the_lock_wakes(path):
    """GIVEN another kiosk process writing WHEN a visitor's issue waits for it THEN the
    thread that the kernel wakes when the lock comes free runs the whole transaction
    (one wake-up in the stretch all terminals wait for, not two); the visitor's thread
    gets the ticket afterwards."""
    store = SqliteStore(path)
    try:
        _issue(store)  # the day's expiry is behind us
        ticket, ran_in = _issue_while_another_kiosk_writes(store, path, daily_quota=None)
        assert ticket.number == "A002"
        transaction = [(thread, word) for thread, word in ran_in if word != "PRAGMA"]
        assert [word for _, word in transaction] == ["BEGIN", "SELECT", "INSERT",
                                                     "COMMIT"], ran_in
        assert {thread for thread, _ in transaction} == {"kiosk-store-write-queue"}
        assert store.all_numbers(DAY) == ["A001", "A002"]
        # the lock is free again: another kiosk takes it without waiting
        other = _lock_file(path)
        try:
            fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
        finally:
            os.close(other)
    finally:
        store.close()


def test_a_refusal_in_the_helper_reaches_the_caller_and_leaves_nothing(path):
    """GIVEN the day's quota reached WHEN an issue that waited at the write queue is
    refused in the helper thread THEN the visitor's call gets QuotaReached, the
    transaction was rolled back and the lock is free again."""
    from kiosk.store.errors import QuotaReached

    store = SqliteStore(path)
    try:
        _issue(store)
        refused, ran_in = _issue_while_another_kiosk_writes(store, path, daily_quota=1)
        assert isinstance(refused, QuotaReached)
        assert ("kiosk-store-write-queue", "ROLLBACK") in ran_in
        assert store.all_numbers(DAY) == ["A001"]
        assert _issue(store).number == "A002"  # no quota: the store writes on
    finally:
        store.close()


def _held_by_someone(path):
    """True while some open file holds the write queue's lock (here: the store's)."""
    probe = _lock_file(path)
    try:
        fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(probe)  # closing drops a lock the probe took
    return False


def test_the_locked_stretch_runs_the_transaction_only(path):
    """GIVEN a store issuing, once with the write queue free and once after waiting for
    another kiosk WHEN its statements are traced THEN every statement of the transaction
    runs while this process holds the queue's lock, and the connection settings around
    it (SQLite's busy handler off for our own retry, and back on) run before the lock is
    taken and after it is let go: every other terminal waits for that stretch."""
    store = SqliteStore(path)
    try:
        _issue(store)  # the day's expiry is behind us
        seen = []
        store._db.set_trace_callback(
            lambda sql: seen.append((sql.split()[0].upper(), _held_by_someone(path))))
        _issue(store)
        store._db.set_trace_callback(None)
        assert seen == [("PRAGMA", False), ("BEGIN", True), ("SELECT", True),
                        ("INSERT", True), ("COMMIT", True), ("PRAGMA", False)], seen
        # waiting for another kiosk: the helper thread runs the transaction, holding it
        ticket, ran_in = _issue_while_another_kiosk_writes(store, path, daily_quota=None)
        assert ticket.number == "A003"
        helper = [word for thread, word in ran_in if thread == "kiosk-store-write-queue"]
        assert helper == ["BEGIN", "SELECT", "INSERT", "COMMIT"], ran_in
        assert [word for thread, word in ran_in if thread == "visitor"] == ["PRAGMA",
                                                                           "PRAGMA"], ran_in
        assert store._db.execute("PRAGMA busy_timeout").fetchone()[0] == 10_000
    finally:
        store.close()
