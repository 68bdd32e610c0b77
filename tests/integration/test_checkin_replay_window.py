"""A check-in kept in the terminal's outbox while the office server was out of reach is
judged at the moment the visitor scanned (arrived_at), not when the line is back; an
arrived_at no terminal can have recorded is refused with a clear 422. The server runs in
this process (uvicorn on a free port) on a clock the test moves; the terminal is the
real http backend (ServerClient, RemoteCheckIn, the outbox and its replay)."""

from __future__ import annotations

import threading
from datetime import timedelta, timezone

import pytest
import requests

from kiosk.domain.appointment import Booking, BookingStatus
from tests.conftest import MINIMAL_CONFIG, FakeClock, write_config
from tests.integration.test_http_backend import HTTP_STORE
from tests.server_process import free_port
from tests.waiting import wait_for

APPOINTMENTS = """
[appointments]
office_id = "bb-test"
early_min = 30
late_min = 30
"""
REF = "300001"


class InProcessServer:
    """create_app over a store (SQLite or PostgreSQL) on a FakeClock, served by uvicorn in a thread on
    `port` once start() is called (before that nothing listens there: the server is
    out of reach)."""

    def __init__(self, folder, clock: FakeClock, port: int, store) -> None:
        from kiosk.config import load_config
        from kiosk.server.app import create_app
        from kiosk.server.auth import TokenFile
        from kiosk.server.idempotency import Idempotency

        folder.mkdir(parents=True, exist_ok=True)
        text = MINIMAL_CONFIG.replace("{printer_path}", str(folder / "printer.bin"))
        self.config = load_config(write_config(folder, text + APPOINTMENTS, "server.toml"))
        self.store = store
        tokens = TokenFile(folder / "tokens.json")
        self.tokens = {role: tokens.add(f"test-{role}", role)
                       for role in ("terminal", "counter")}
        self.app = create_app(self.config, self.store, tokens=tokens, clock=clock,
                              idempotency=Idempotency(folder / "requests.sqlite3"))
        self.port, self.url = port, f"http://127.0.0.1:{port}"
        self._server = self._thread = None

    def headers(self, role: str, **extra) -> dict:
        return {"Authorization": f"Bearer {self.tokens[role]}", **extra}

    def start(self) -> "InProcessServer":
        import uvicorn

        self._server = uvicorn.Server(uvicorn.Config(self.app, host="127.0.0.1",
                                                     port=self.port, log_level="warning"))
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        assert wait_for(lambda: self._server.started, 30), "uvicorn did not start"
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
            self._thread.join(30)
        self.store.close()


@pytest.fixture
def clock():
    from datetime import datetime

    # 09:00 in Berlin, a Tuesday
    return FakeClock(datetime(2026, 11, 24, 8, 0, tzinfo=timezone.utc))


@pytest.fixture
def server(tmp_path, clock, request):
    """On SQLite; on PostgreSQL too where a test asks for it (indirect parameter)."""
    if getattr(request, "param", "sqlite") == "postgres":
        from kiosk.store.postgres import PostgresStore

        store = PostgresStore(request.getfixturevalue("pg_dsn"), terminal_id="server")
    else:
        from kiosk.store.sqlite import SqliteStore

        store = SqliteStore(tmp_path / "server.sqlite3", terminal_id="server")
    srv = InProcessServer(tmp_path / "server", clock, free_port(), store)
    # the slot at 09:10: the window is open from 08:40 to 09:40
    srv.store.import_bookings([Booking(REF, "anmeldung", "bb-test",
                                       clock.now + timedelta(minutes=10), 15,
                                       BookingStatus.CONFIRMED)], clock.now)
    yield srv
    srv.stop()


@pytest.fixture
def terminal(server, tmp_path, clock):
    """The terminal's check-in over the http backend, pointed at the server's port."""
    from kiosk.config import load_config
    from kiosk.wiring import check_in_service, open_store, server_link, ticket_service

    folder = tmp_path / "terminal"
    folder.mkdir()
    token = folder / "server-token"
    token.write_text(server.tokens["terminal"], encoding="utf-8")
    text = (MINIMAL_CONFIG.replace("{printer_path}", str(folder / "printer.bin"))
            + APPOINTMENTS + HTTP_STORE.format(url=server.url, token_file=token,
                                               offline="local_range"))
    config = load_config(write_config(folder, text))
    store = open_store(config)
    link = server_link(config)
    tickets = ticket_service(config, store, link=link, clock=clock, min_interval_s=0)
    yield check_in_service(config, store, tickets=tickets, link=link), link
    link.close()
    store.close()


@pytest.mark.parametrize("server", ["sqlite", "postgres"], indirect=True)
@pytest.mark.parametrize("counter_called_meanwhile", [False, True])
def test_scanned_in_the_window_replayed_after_it_closed_is_checked_in(
        server, terminal, clock, counter_called_meanwhile):
    from kiosk.services.check_in_result import CheckInOutcome
    from kiosk.store.replay import ReplayWorker

    checkin, link = terminal
    scanned = clock.now + timedelta(minutes=5)  # 09:05, in the window
    clock.now = scanned
    assert checkin.check_in(REF, "de", typed=True).outcome is CheckInOutcome.QUEUED
    assert link.outbox.length() == 1
    clock.advance(hours=1)  # 10:05: the window closed at 09:40; the line comes back
    server.start()
    if counter_called_meanwhile:
        # a counter's call marks the bookings whose window closed as missed
        r = requests.post(f"{server.url}/api/v1/counters/1/call", json={},
                          headers=server.headers("counter"), timeout=10)
        assert r.status_code == 404, r.text
        assert server.store.find_booking(REF).status is BookingStatus.MISSED
    assert ReplayWorker(link.outbox, link.client).replay_once()
    assert link.outbox.length() == 0 and link.outbox.rejected_count() == 0
    ticket = server.store.checked_in_ticket(REF)
    assert ticket is not None, "the replayed check-in was judged at the replay"
    assert ticket.issued_at == scanned  # the wait counts from the scan
    r = requests.post(f"{server.url}/api/v1/counters/1/call", json={},
                      headers=server.headers("counter"), timeout=10)
    assert r.status_code == 200 and r.json()["number"] == ticket.number


def _post_checkin(server, arrived_at=None, key=None, code=REF):
    body = {"code": code, "typed": True, "language": "de"}
    if arrived_at is not None:
        body["arrived_at"] = arrived_at
    headers = server.headers("terminal", **({"Idempotency-Key": key} if key else {}))
    return requests.post(f"{server.url}/api/v1/checkins", json=body, headers=headers,
                         timeout=10)


@pytest.mark.parametrize("shift, words", [
    (timedelta(hours=1), "ahead of the server's clock"),
    (timedelta(days=-2), "more than 24 h ago"),
    (timedelta(days=-3650), "more than 24 h ago"),
])
def test_an_arrived_at_no_terminal_can_have_recorded_is_422(server, clock, shift, words):
    server.start()
    r = _post_checkin(server, (clock.now + shift).isoformat())
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["error"] == "invalid_request" and words in body["reason"]
    assert body["detail"][0]["loc"] == "body.arrived_at"
    assert server.store.checked_in_ticket(REF) is None


def test_arrived_at_needs_its_time_zone(server, clock):
    server.start()
    r = _post_checkin(server, clock.now.replace(tzinfo=None).isoformat())
    assert r.status_code == 422 and "arrived_at" in r.json()["reason"]


def test_a_terminal_clock_a_little_ahead_is_judged_at_the_servers_clock(server, clock):
    server.start()
    r = _post_checkin(server, (clock.now + timedelta(seconds=90)).isoformat())
    assert r.status_code == 200 and r.json()["outcome"] == "checked_in", r.text
    assert server.store.checked_in_ticket(REF).issued_at == clock.now


def test_the_replay_of_a_check_in_that_did_arrive_gets_its_first_answer(server, clock):
    """The online try carries no arrived_at, the outbox's replay under the same key
    does: the same request, answered once (not 422 idempotency_key_reused)."""
    server.start()
    first = _post_checkin(server, key="k-300001")
    assert first.status_code == 200 and first.json()["outcome"] == "checked_in"
    clock.advance(hours=2)
    again = _post_checkin(server, (clock.now - timedelta(hours=2)).isoformat(),
                          key="k-300001")
    assert again.status_code == 200 and again.json() == first.json()
    assert again.headers.get("Idempotent-Replayed") == "true"


@pytest.mark.parametrize("server", ["sqlite", "postgres"], indirect=True)
def test_a_missed_booking_checked_in_by_the_replay_is_counted_once(server, terminal, clock):
    """The counter's call counted the booking as a no-show; the replayed check-in of the
    scan in time takes that back: the store's figures (the metrics' and the staff
    screen's source) and the statistics export count the visit once, as checked in."""
    from kiosk.domain.clock import business_day
    from kiosk.store.replay import ReplayWorker

    checkin, link = terminal
    clock.now += timedelta(minutes=5)  # 09:05, in the window
    checkin.check_in(REF, "de", typed=True)
    clock.advance(hours=1)
    server.start()
    requests.post(f"{server.url}/api/v1/counters/1/call", json={},
                  headers=server.headers("counter"), timeout=10)
    day = business_day(clock.now)
    assert ("anmeldung", "no_show", 1) in server.store.checkin_stats(day)  # the fault
    assert ReplayWorker(link.outbox, link.client).replay_once()
    assert server.store.checked_in_ticket(REF) is not None
    outcomes = {outcome: n for _service, outcome, n in server.store.checkin_stats(day)}
    assert outcomes == {"checked_in_on_time": 1}, outcomes
    r = requests.get(f"{server.url}/api/v1/statistics.csv",
                     params={"from": day.isoformat(), "to": day.isoformat()},
                     headers=server.headers("counter"), timeout=10)
    assert r.status_code == 200, r.text
    rows = [line.split(",") for line in r.text.splitlines()]
    row = dict(zip(rows[0], next(x for x in rows[1:] if x[1] == "anmeldung")))
    assert (row["checkins"], row["no_show"]) == ("1", "0"), row
