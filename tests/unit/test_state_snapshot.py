"""The state snapshot: its JSON, the reader's verdict on a stale or dead writer, the
writer's liveness and fault handling, and atomic replacement (no torn reads)."""

from __future__ import annotations

import json
import os
import stat
import threading
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from kiosk.health.snapshot import SCHEMA, DeviceView, Snapshot, SnapshotError
from kiosk.health.state_file import read_view, state_path, write_atomic
from kiosk.health.writer import SnapshotWriter, WatchedDevice
from tests.waiting import wait_for

T0 = datetime(2026, 11, 24, 8, 0, tzinfo=timezone.utc)


def _snapshot(**changes) -> Snapshot:
    devices = (DeviceView("printer", "TM-T88V", "/dev/kiosk-printer", "paper_out",
                          "paper end", T0),
               DeviceView("display", "lobby", "/dev/kiosk-display", "online", "", T0))
    base = Snapshot("bb-01", os.getpid(), T0, T0 + timedelta(seconds=30), 5.0, devices,
                    last_ticket_at=T0 + timedelta(seconds=20), queues={"anmeldung": 3},
                    printed=7, print_failed=1)
    return replace(base, **changes)


# -- the JSON ---------------------------------------------------------------------------


def test_json_round_trip_and_shape():
    snapshot = _snapshot()
    data = json.loads(snapshot.to_json())
    assert data["schema"] == SCHEMA and data["pid"] == os.getpid()
    assert data["written_at"] == "2026-11-24T08:00:30+00:00"
    assert data["devices"][0] == {"kind": "printer", "name": "TM-T88V",
                                  "where": "/dev/kiosk-printer", "state": "paper_out",
                                  "cause": "paper end", "since": "2026-11-24T08:00:00+00:00"}
    assert data["queues"] == {"anmeldung": 3}
    assert data["print_jobs"] == {"printed": 7, "failed": 1}
    assert Snapshot.from_json(snapshot.to_json()) == snapshot


@pytest.mark.parametrize("raw", [b"", b"{", b"[]", b'{"schema": 99}',
                                 b'{"schema": 1, "pid": "x"}'])
def test_foreign_or_broken_files_are_refused(raw):
    with pytest.raises(SnapshotError):
        Snapshot.from_json(raw)


# -- the reader's verdict -----------------------------------------------------------------


def _write(tmp_path, snapshot: Snapshot):
    path = state_path(tmp_path)
    write_atomic(path, snapshot.to_json())
    return path


def test_fresh_snapshot_of_a_live_pid_speaks_for_the_kiosk(tmp_path):
    path = _write(tmp_path, _snapshot())
    view = read_view(path, T0 + timedelta(seconds=40))
    assert view.snapshot is not None and view.problem == ""


@pytest.mark.parametrize("now,alive,words", [
    (T0 + timedelta(seconds=40), lambda pid: False, "is not running"),
    (T0 + timedelta(minutes=5, seconds=30), lambda pid: True, "5 min ago"),
    (T0 - timedelta(minutes=5), lambda pid: True, "in the future"),  # clock set back
])
def test_dead_or_silent_writer_makes_a_stale_file(tmp_path, now, alive, words):
    view = read_view(_write(tmp_path, _snapshot()), now, alive=alive)
    assert view.snapshot is None
    assert view.problem.startswith("the kiosk's state file is stale") and words in view.problem


def test_missing_and_garbled_files_are_named(tmp_path):
    assert "no kiosk state file" in read_view(state_path(tmp_path), T0).problem
    state_path(tmp_path).write_bytes(b'{"schema": 1, "pi')
    assert "not usable" in read_view(state_path(tmp_path), T0).problem


# -- the writer -----------------------------------------------------------------------


class FakeDevice:
    """Stands in for a device worker: a state, a cause and listeners."""

    def __init__(self, state="offline", cause="not checked yet"):
        self.state, self.cause, self.listeners = state, cause, []

    def set(self, state, cause=""):
        self.state, self.cause = state, cause
        for listener in self.listeners:
            listener(state)

    def watched(self, kind="printer", where="/dev/p") -> WatchedDevice:
        return WatchedDevice(kind, "x", where, lambda: (self.state, self.cause),
                             self.listeners.append)


class Clock:
    def __init__(self):
        self.now = T0

    def __call__(self):
        return self.now


class FakeStore:
    def __init__(self):
        self.fail = False

    def waiting_count(self, service, day):
        if self.fail:
            raise OSError(5, "disk I/O error")
        return {"anmeldung": 2}.get(service, 0)

    def last_issued_at(self):
        return T0.replace(microsecond=123456)


def _read(path) -> dict:
    return json.loads(path.read_bytes())


def test_since_is_when_the_state_changed_not_when_it_was_written(tmp_path):
    device, clock = FakeDevice(), Clock()
    writer = SnapshotWriter(state_path(tmp_path), "bb-01", [device.watched()], None, [],
                            clock=clock)
    writer.write_now()
    clock.now = T0 + timedelta(seconds=10)
    device.set("online")  # the listener notes the moment
    clock.now = T0 + timedelta(seconds=12)
    writer.write_now()
    clock.now = T0 + timedelta(seconds=30)
    writer.write_now()
    data = _read(writer.path)
    assert data["devices"][0]["state"] == "online"
    assert data["devices"][0]["since"] == "2026-11-24T08:00:10+00:00"
    assert data["written_at"] == "2026-11-24T08:00:30+00:00"
    assert data["started_at"] == "2026-11-24T08:00:00+00:00"


def test_a_device_change_is_written_without_waiting_for_the_refresh(tmp_path):
    device = FakeDevice("online", "")
    writer = SnapshotWriter(state_path(tmp_path), "bb-01", [device.watched()], None, [],
                            refresh_s=3600).start()
    try:
        assert wait_for(lambda: writer.writes >= 1)
        device.set("paper_out", "paper end")
        assert wait_for(lambda: _read(writer.path)["devices"][0]["state"] == "paper_out")
    finally:
        writer.close()


def test_written_at_moves_on_without_any_change(tmp_path):
    writer = SnapshotWriter(state_path(tmp_path), "bb-01", [], None, [], refresh_s=0.05,
                            min_gap_s=0).start()
    try:
        assert wait_for(lambda: writer.writes >= 3)
    finally:
        writer.close()


def test_store_fault_is_reported_and_the_writer_goes_on(tmp_path):
    store = FakeStore()
    writer = SnapshotWriter(state_path(tmp_path), "bb-01", [], store, ["anmeldung", "pass"])
    writer.write_now()
    data = _read(writer.path)
    assert data["queues"] == {"anmeldung": 2, "pass": 0} and data["store_error"] is None
    assert data["last_ticket_at"] == "2026-11-24T08:00:00+00:00"  # seconds only
    store.fail = True
    assert writer.write_now()
    data = _read(writer.path)
    assert data["queues"] is None and data["last_ticket_at"] is None
    assert data["store_error"] == "store not readable: [Errno 5] disk I/O error"


def test_unwritable_data_dir_is_logged_once_and_retried(tmp_path, caplog):
    folder = tmp_path / "gone"
    writer = SnapshotWriter(state_path(folder), "bb-01", [], None, [])
    assert not writer.write_now() and not writer.write_now()
    assert sum("cannot write" in r.getMessage() for r in caplog.records) == 1
    folder.mkdir()
    assert writer.write_now() and _read(writer.path)["terminal_id"] == "bb-01"
    assert [p.name for p in folder.iterdir()] == ["state.json"]  # no temp files left


def test_file_mode_is_0640_whatever_the_umask(tmp_path):
    old = os.umask(0o000)
    try:
        writer = SnapshotWriter(state_path(tmp_path), "bb-01", [], None, [])
        writer.write_now()
    finally:
        os.umask(old)
    assert stat.S_IMODE(writer.path.stat().st_mode) == 0o640


def test_a_reader_never_sees_a_torn_file(tmp_path):
    """Write many snapshots of changing size while another thread reads: every read
    is one whole snapshot (a plain overwrite shows empty or cut files here)."""
    path = state_path(tmp_path)
    write_atomic(path, _snapshot().to_json())
    done = threading.Event()
    bad: list[str] = []
    reads = [0]

    def reader():
        while not done.is_set():
            try:
                Snapshot.from_json(path.read_bytes())
            except SnapshotError as err:
                bad.append(str(err))
            reads[0] += 1

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for i in range(2000):
            queues = {f"service-{n}": n for n in range(i % 200)}
            write_atomic(path, _snapshot(queues=queues, printed=i).to_json())
    finally:
        done.set()
        thread.join()
    assert reads[0] > 10  # the reader really overlapped the writes
    assert bad == []
    assert Snapshot.from_json(path.read_bytes()).printed == 1999


def test_ticket_and_check_in_figures_are_the_stores_of_the_day(tmp_path):
    """GIVEN tickets and check-in refusals written to the store by another process (a
    second store object) WHEN the writer collects THEN the tickets and check-ins
    families are the store's figures of the business day; this process's count() of
    them does not add to them; a store that fails leaves the last figures."""
    from kiosk.domain.clock import business_day
    from kiosk.store.sqlite import SqliteStore

    noon = datetime(2026, 11, 24, 11, 0, tzinfo=timezone.utc)
    day = business_day(noon)
    mine = SqliteStore(tmp_path / "q.sqlite3", terminal_id="t1")
    other = SqliteStore(tmp_path / "q.sqlite3", terminal_id="t1")
    try:
        other.issue("anmeldung", "A", "de", noon, day, None)
        other.issue("anmeldung", "A", "de", noon, day, None)
        other.count_checkin(day, "anmeldung", "too_early")
        writer = SnapshotWriter(state_path(tmp_path), "t1", [], mine,
                                ["anmeldung", "ausweis"], clock=lambda: noon)
        writer.count("tickets", "anmeldung")  # this process's own: the store has it too
        snapshot = writer.collect()
        assert snapshot.counter("tickets") == {"anmeldung": 2, "ausweis": 0}
        assert snapshot.counter("checkins") == {"refused_too_early": 1}
        mine.close()  # the store fails: the figures stay, the error is reported
        later = writer.collect()
        assert later.store_error and later.counter("tickets") == {"anmeldung": 2,
                                                                  "ausweis": 0}
    finally:
        mine.close()
        other.close()
