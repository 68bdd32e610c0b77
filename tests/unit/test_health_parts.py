"""The health endpoint's parts without HTTP: the verdict, schema 1 files, the token check
and its rate limit, the [health] config, and the counters the app feeds."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from kiosk.config import ConfigError, load_config
from kiosk.health.assess import assess, is_ready
from kiosk.health.counting import CountingTickets
from kiosk.health.server import AuthLimiter, TokenCheck
from kiosk.health.snapshot import DeviceView, Snapshot
from kiosk.health.writer import SnapshotWriter, WatchedDevice
from kiosk.services.issue_ticket import Refused, TicketService
from tests.conftest import MINIMAL_CONFIG, write_config
from tests.waiting import wait_for

T0 = datetime(2026, 11, 24, 8, 0, tzinfo=timezone.utc)


def _snapshot(**changes) -> Snapshot:
    base = Snapshot("bb-01", os.getpid(), T0, T0 + timedelta(seconds=60), 5.0,
                    (DeviceView("printer", "TM-T88V", "/dev/p", "online", "", T0),),
                    queues={"anmeldung": 0}, ui_heartbeat_at=T0 + timedelta(seconds=59),
                    first_frame_at=T0 + timedelta(seconds=2))
    return replace(base, **changes)


NOW = T0 + timedelta(seconds=61)


def test_verdicts():
    assert assess(_snapshot(), "", NOW, 30).status == "ok"
    paper = _snapshot(devices=(DeviceView("printer", "TM-T88V", "/dev/p", "paper_out",
                                          "paper end", T0),))
    verdict = assess(paper, "", NOW, 30)
    assert (verdict.status, verdict.reasons, verdict.http_status) == \
        ("degraded", ("printer_paper_out",), 200)
    stuck = assess(_snapshot(ui_heartbeat_at=T0 + timedelta(seconds=20)), "", NOW, 30)
    assert (stuck.status, stuck.reasons, stuck.http_status) == ("down", ("ui_stuck",), 503)
    never = assess(_snapshot(ui_heartbeat_at=None), "", NOW, 30)  # no beat in 61 s
    assert never.reasons == ("ui_stuck",) and "since the start" in never.details[0]
    store = assess(_snapshot(store_error="store not readable: disk I/O error"), "", NOW, 30)
    assert store.status == "down" and store.reasons == ("store_error",)
    assert assess(None, "no kiosk state file (/x)", NOW, 30).reasons == ("snapshot_missing",)
    assert assess(None, "the kiosk's state file is stale (...)", NOW, 30).reasons == \
        ("snapshot_stale",)


def test_ready_needs_a_first_frame_and_a_fresh_snapshot():
    assert is_ready(_snapshot(), NOW)
    assert not is_ready(_snapshot(first_frame_at=None), NOW)
    assert not is_ready(_snapshot(), NOW + timedelta(seconds=60))
    assert not is_ready(None, NOW)


def test_schema_1_files_are_still_read():
    data = json.loads(_snapshot().to_json())
    for key in ("ui_heartbeat_at", "first_frame_at", "counters", "open_services",
                "store_bytes", "errors", "version", "config_hash"):
        del data[key]
    data["schema"] = 1
    old = Snapshot.from_json(json.dumps(data))
    assert old.schema == 1 and old.ui_heartbeat_at is None
    assert old.counters == {"tickets": {}, "print_jobs": {}, "checkins": {}, "intakes": {}}
    # a schema 1 writer had no heartbeat: unknown, not "stuck"
    assert assess(old, "", NOW, 30).status == "ok"


def test_schema_2_fields_are_checked():
    data = json.loads(_snapshot().to_json())
    data["counters"] = {"tickets": {"anmeldung": "many"}}
    with pytest.raises(ValueError, match="counters.tickets"):
        Snapshot.from_json(json.dumps(data))


def test_token_check(tmp_path):
    path = tmp_path / "token"
    path.write_text("s3cret-token-of-some-length\n")
    check = TokenCheck(path)
    assert check.enabled()
    assert check.matches("Bearer s3cret-token-of-some-length")
    assert check.matches("bearer s3cret-token-of-some-length")
    for header in (None, "", "Bearer", "Bearer s3cret", "Basic s3cret-token-of-some-length",
                   "Bearer s3cret-token-of-some-length2"):
        assert not check.matches(header), header
    path.write_text("a-rotated-token-0123456789\n")  # rotation: read again on change
    os.utime(path, ns=(1, 1))
    assert check.enabled() and check.matches("Bearer a-rotated-token-0123456789")
    path.write_text("short\n")
    os.utime(path, ns=(2, 2))
    assert not check.enabled() and "16+" in check.problem
    assert not check.matches("Bearer short")
    assert not TokenCheck(None).enabled()
    missing = TokenCheck(tmp_path / "nope")
    assert not missing.enabled() and "not readable" in missing.problem


def test_auth_limiter_window():
    now = [0.0]
    limiter = AuthLimiter(max_failures=3, window_s=60, clock=lambda: now[0])
    for _ in range(3):
        assert not limiter.blocked("10.0.0.5")
        limiter.failed("10.0.0.5")
    assert limiter.blocked("10.0.0.5") and not limiter.blocked("10.0.0.6")
    now[0] = 61.0
    assert not limiter.blocked("10.0.0.5")


def test_health_config(tmp_path):
    text = MINIMAL_CONFIG.replace("{printer_path}", str(tmp_path / "p.bin"))
    config = load_config(write_config(tmp_path, text))
    assert config.health.stuck_after_s == 30.0
    config = load_config(write_config(tmp_path, text + "\n[health]\nstuck_after_s = 8\n"))
    assert config.health.stuck_after_s == 8.0
    with pytest.raises(ConfigError, match=r"health\.stuck_after_s: must be between 5 and 600"):
        load_config(write_config(tmp_path, text + "\n[health]\nstuck_after_s = 1\n"))


class _Printer:
    def __init__(self, printed: bool) -> None:
        self.printed = printed

    def print_document(self, _document):
        from kiosk.devices.printer.status import PrinterState

        class Outcome:
            printed = self.printed
            error = None if self.printed else "paper out"
            state = PrinterState.ONLINE if self.printed else PrinterState.PAPER_OUT
        return Outcome()


def test_counting_tickets_counts_issued_and_print_results(config, tmp_path):
    from kiosk.store.sqlite import SqliteStore

    counted = []
    store = SqliteStore(tmp_path / "s.sqlite3", terminal_id="t")
    try:
        service = TicketService(config, store, _Printer(True), min_interval_s=0)
        tickets = CountingTickets(service, lambda *args: counted.append(args))
        issued = tickets.issue("anmeldung", "de")
        tickets.print_ticket(issued)
        service.printer = _Printer(False)
        tickets.print_ticket(tickets.issue("anmeldung", "en"))
        with pytest.raises(Refused):
            tickets.issue("nope", "de")  # a refusal is not a ticket
        assert tickets.clock is service.clock  # everything else passes through
    finally:
        store.close()
    assert counted == [("tickets", "anmeldung"), ("print_jobs", "printed"),
                       ("tickets", "anmeldung"), ("print_jobs", "paper_out")]


def test_writer_counts_and_remembers_errors(tmp_path):
    state = ["online", ""]
    writer = SnapshotWriter(tmp_path / "state.json", "t", [WatchedDevice(
        "printer", "TM-T88V", "/dev/p", lambda: tuple(state), lambda _listener: None)],
        None, ["anmeldung"], clock=lambda: T0)
    writer.count("checkins", "early")
    writer.count("checkins", "early")
    writer.count("tickets", "anmeldung")
    state[:] = ["paper_out", "paper end"]
    snapshot = writer.collect()
    assert snapshot.counter("checkins") == {"early": 2}
    assert snapshot.counter("tickets") == {"anmeldung": 1}
    assert snapshot.counter("intakes") == {}
    assert [what for _at, what in snapshot.errors] == ["printer TM-T88V: paper_out (paper end)"]
    assert writer.collect().errors == snapshot.errors  # a state is an error once, not per write


def test_first_frame_wakes_the_writer_once(tmp_path):
    from kiosk.health import heartbeat

    heartbeat.reset()
    writer = SnapshotWriter(tmp_path / "state.json", "t", [], None, [], refresh_s=60)
    writer.start()
    try:
        assert wait_for(lambda: writer.writes == 1, 10)
        heartbeat.frame_drawn()  # the next write comes now, not after refresh_s
        assert wait_for(lambda: writer.writes == 2, 30)
        assert writer.collect().first_frame_at is not None
        heartbeat.frame_drawn()  # only the first frame is news
    finally:
        writer.close()
        heartbeat.reset()
    assert heartbeat._first_frame_listeners == []


def test_answers_are_rendered_once_per_snapshot_second_and_refusal(tmp_path):
    """/health, /ready and /metrics are served as bytes rendered once per snapshot
    file, second and refusal count, not per request (the bench's lever for the UI's
    CPU); a new snapshot, the next second or a refused /status renders them again."""
    from kiosk.health import server as health_server
    from kiosk.health.state_file import write_atomic

    state = tmp_path / "state.json"
    write_atomic(state, _snapshot().to_json())
    now = [NOW]
    app = health_server.HealthApp(state, clock=lambda: now[0], alive=lambda _pid: True)
    renders = []
    collect = app.registry.collect

    def counting_collect():
        renders.append(now[0])
        return collect()

    app.registry.collect = counting_collect
    first = app.answer("/metrics")
    assert first[0] == 200 and b"kiosk_queue_waiting" in first[1]
    for _ in range(50):
        assert app.answer("/metrics") == first
    assert len(renders) == 1
    now[0] += timedelta(seconds=1)  # the ages move with the clock
    app.answer("/metrics")
    assert len(renders) == 2
    write_atomic(state, _snapshot(queues={"anmeldung": 4}).to_json())
    assert b'kiosk_queue_waiting{service="anmeldung"} 4.0' in app.answer("/metrics")[1]
    app.refused()
    assert b"kiosk_health_auth_failures_total 1.0" in app.answer("/metrics")[1]
    assert len(renders) == 4
    code, body, kind = app.answer("/health")
    assert code == 200 and json.loads(body)["status"] == "ok" and kind.startswith(
        "application/json")
    assert app.answer("/nothing") is None
