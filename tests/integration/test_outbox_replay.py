"""The terminal's outbox against a real `kiosk serve` that is killed (SIGKILL) in the
middle of a run of check-ins, sealed intakes and walk-in tickets, and started again on
the same data and port: every check-in, intake and offline number reaches the server, in order, none twice."""

from __future__ import annotations

import os
import threading
from datetime import datetime, timedelta, timezone

import pytest
import requests

import tests.server_process as server_process
from kiosk.domain.clock import OFFICE_ZONE
from tests.midnight import skip_near_midnight
from tests.conftest import MINIMAL_CONFIG
from tests.integration.test_http_backend import HTTP_STORE
from tests.server_process import ServerProcess
from tests.waiting import wait_for

APPOINTMENTS = """
[appointments]
office_id = "bb-test"
early_min = 30
late_min = 30
"""
BOOKINGS = [str(200001 + i) for i in range(10)]


@pytest.fixture
def srv(tmp_path):
    folder = tmp_path / "serve"
    skip_near_midnight()
    server = ServerProcess(folder, MINIMAL_CONFIG + APPOINTMENTS)
    start = (datetime.now(timezone.utc).astimezone(OFFICE_ZONE)
             + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M")
    bookings = folder / "bookings.csv"
    bookings.write_text("reference,service,office,start,duration,status,priority_rank\n"
                        + "".join(f"{ref},ausweis,bb-test,{start},15,confirmed,\n"
                                  for ref in BOOKINGS), encoding="utf-8")
    out = server.kiosk("appointments", "import", str(bookings), "--config",
                       str(server.config))
    assert out.returncode == 0, out.stderr
    with server:
        yield server


def restart_on_the_same_port(srv, monkeypatch) -> None:
    port = srv.port
    monkeypatch.setattr(server_process, "free_port", lambda: port)
    srv.start()


@pytest.fixture
def terminal(srv, tmp_path, monkeypatch):
    from kiosk.config import load_config
    from kiosk.services.remote import RemoteIntakeStore
    from kiosk.wiring import check_in_service, open_store, server_link, ticket_service

    monkeypatch.setenv("KIOSK_DATA_DIR", str(tmp_path / "data"))
    token = tmp_path / "token"
    token.write_text(srv.tokens["terminal"], encoding="utf-8")
    path = tmp_path / "kiosk.toml"
    path.write_text(MINIMAL_CONFIG.replace("{printer_path}", str(tmp_path / "printer.bin"))
                    + APPOINTMENTS + HTTP_STORE.format(url=srv.url, token_file=token,
                                                       offline="local_range")
                    .replace('"900-902"', '"900-999"'),
                    encoding="utf-8")
    config = load_config(path)
    store = open_store(config)
    link = server_link(config)
    tickets = ticket_service(config, store, link=link, min_interval_s=0)
    checkin = check_in_service(config, store, tickets=tickets, link=link)
    intakes = RemoteIntakeStore(store, link.client, link.outbox)
    yield link, checkin, intakes, tickets
    link.close()
    store.close()


def test_server_killed_mid_run_outbox_replays_all_once_in_order(srv, terminal,
                                                                monkeypatch):
    from kiosk.services.check_in_result import CheckInOutcome

    link, checkin, intakes, tickets = terminal
    link.start_replay(probe_s=0.5, backoff_s=(0.1, 0.5))
    outcomes, references, walk_ins = [], [], []
    killed, go_on = threading.Event(), threading.Event()

    def run():
        try:
            walk()
        finally:
            go_on.set()  # a failure ends the wait at once

    def walk():
        for i, booking in enumerate(BOOKINGS):
            if i == 3:
                killed.wait(60)
            if i == 7:
                go_on.set()
            result = checkin.check_in(booking, "de", typed=True)
            outcomes.append(result.outcome)
            reference = f"REF{i:04d}"
            intakes.put_sealed(reference, os.urandom(64), "k1", datetime.now(timezone.utc))
            references.append(reference)
            walk_ins.append(tickets.issue("anmeldung", "de"))

    runner = threading.Thread(target=run)
    runner.start()
    assert wait_for(lambda: len(outcomes) >= 3, 60)
    srv.kill()  # a crash: the check-ins and intakes still running meet no server
    killed.set()
    assert go_on.wait(120)
    restart_on_the_same_port(srv, monkeypatch)
    runner.join(120)
    assert len(outcomes) == len(BOOKINGS)
    assert CheckInOutcome.QUEUED in outcomes  # some waited in the outbox
    assert set(outcomes) <= {CheckInOutcome.CHECKED_IN, CheckInOutcome.QUEUED}
    assert wait_for(lambda: link.outbox.length() == 0, 60), link.outbox.pending()
    assert link.outbox.rejected_count() == 0
    # every booking checked in once at the server, numbered in the order of the run
    numbers = []
    while True:
        r = requests.post(f"{srv.url}/api/v1/counters/1/call", json={},
                          headers=srv.headers("counter"), timeout=20)
        if r.status_code == 404:
            break
        assert r.status_code == 200, r.text
        numbers.append(r.json()["number"])
    assert len(numbers) == 2 * len(BOOKINGS) == len(set(numbers))
    # the walk-ins: the server's numbers and this terminal's offline ones, each once
    issued = [t.ticket.number for t in walk_ins]
    assert any(getattr(t, "offline", False) for t in walk_ins)
    assert sorted(n for n in numbers if n.startswith("A")) == sorted(issued)
    numbers = [n for n in numbers if not n.startswith("A")]
    held = []
    for booking in BOOKINGS:  # the same booking again: already checked in, no new number
        again = requests.post(f"{srv.url}/api/v1/checkins",
                              json={"code": booking, "typed": True, "language": "de"},
                              headers=srv.headers("terminal"), timeout=20).json()
        assert again["outcome"] == "already_checked_in" and again["number"] in numbers
        held.append(again["number"])
    assert held == sorted(held)  # numbered in the order of the run: replayed in order
    for reference in references:
        r = requests.get(f"{srv.url}/api/v1/intakes/{reference}",
                         headers=srv.headers("counter"), timeout=20)
        assert r.status_code == 200, reference


def test_kiosk_checkin_with_backend_http_and_without_the_server(srv, tmp_path):
    import json
    import subprocess
    import sys

    from tests.conftest import kiosk_env

    token = tmp_path / "token"
    token.write_text(srv.tokens["terminal"], encoding="utf-8")
    path = tmp_path / "kiosk.toml"
    path.write_text(MINIMAL_CONFIG.replace("{printer_path}", str(tmp_path / "printer.bin"))
                    + APPOINTMENTS + HTTP_STORE.format(url=srv.url, token_file=token,
                                                       offline="local_range"),
                    encoding="utf-8")
    env = kiosk_env(KIOSK_DATA_DIR=str(tmp_path / "data"))

    def checkin(code):
        return subprocess.run([sys.executable, "-m", "kiosk", "checkin", code, "--json",
                               "--lang", "en", "--config", str(path)],
                              capture_output=True, text=True, timeout=60, env=env)

    out = checkin(BOOKINGS[0])
    assert out.returncode == 0, out.stderr
    answer = json.loads(out.stdout)
    assert answer["outcome"] == "checked_in" and answer["printed"] is True
    assert answer["number"].encode() in (tmp_path / "printer.bin").read_bytes()
    srv.kill()
    out = checkin(BOOKINGS[1])
    assert out.returncode == 1 and json.loads(out.stdout)["outcome"] == "queued"
    assert out.stderr == "kiosk: not checked in: queued\n"
