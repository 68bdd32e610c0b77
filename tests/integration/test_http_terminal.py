"""The running Terminal with [store] backend "http" and [intake] on, against a real
`kiosk serve`: intakes sealed here reach the server, the ticket on them is the
server's; with the server killed the intake waits in the outbox (the submission says
so) and the ticket comes from the reserved range; the health snapshot reports the link;
after the restart the replay worker delivers what waited."""

from __future__ import annotations

import base64
import json
import time

import pytest
import requests

import tests.server_process as server_process
from kiosk.config import load_config
from kiosk.domain.clock import business_day, utc_now
from kiosk.health.state_file import state_path
from kiosk.services.intake_seal import write_keypair
from kiosk.wiring import Terminal
from tests.conftest import MINIMAL_CONFIG, write_config
from tests.integration.test_http_backend import HTTP_STORE
from tests.intake_people import two_persons
from tests.server_process import ServerProcess
from tests.waiting import wait_for


@pytest.fixture
def srv(tmp_path):
    with ServerProcess(tmp_path / "serve") as s:
        yield s


def intake_at_server(srv, reference: str) -> int:
    return requests.get(f"{srv.url}/api/v1/intakes/{reference}",
                        headers=srv.headers("counter"), timeout=20).status_code


def test_terminal_on_the_server_then_without_it(srv, tmp_path, data_dir, monkeypatch):
    from kiosk.store.outbox import Outbox
    from kiosk.wiring import outbox_path

    _, public = write_keypair(tmp_path / "office")
    token = tmp_path / "token"
    token.write_text(srv.tokens["terminal"], encoding="utf-8")
    config = load_config(write_config(tmp_path, MINIMAL_CONFIG.replace(
        "{printer_path}", str(tmp_path / "printer.bin"))
        + f'\n[intake]\npublic_key_files = ["{public}"]\nticket_service = "anmeldung"\n'
        + HTTP_STORE.format(url=srv.url, token_file=token, offline="local_range")))
    # left from before (a crash, `kiosk ticket`): sent once the terminal runs
    before = Outbox(outbox_path(config))
    before.put("intake", {"reference": "LEFT0001", "key_id": "k",
                          "sealed": base64.b64encode(b"x" * 64).decode()})
    before.close()
    terminal = Terminal(config)
    try:
        assert wait_for(lambda: intake_at_server(srv, "LEFT0001") == 200, 30)
        day = business_day(utc_now())
        online = terminal.intake.submit(two_persons(day))
        assert online.accepted and not getattr(online, "queued", False)
        assert intake_at_server(srv, online.reference) == 200
        assert online.ticket.ticket.number == "A001"  # the server's first number today
        assert terminal.intake.print_receipt(online, "de").printed

        srv.kill()
        time.sleep(0.6)  # the ticket path's debounce (0.5 s) between two visitors
        away = terminal.intake.submit(two_persons(day))
        assert away.accepted and away.queued  # the visitor can be told it waits
        assert away.ticket.ticket.number == "A900"  # from this terminal's range
        assert terminal.intake.print_receipt(away, "de").printed
        kinds = [e.kind for e in terminal.link.outbox.pending()]
        assert sorted(kinds) == ["intake", "offline_ticket"]

        def server_state():
            snap = json.loads(state_path(data_dir).read_text(encoding="utf-8"))
            return snap.get("server") or {}
        terminal.state.poke()
        assert wait_for(lambda: server_state().get("reachable") is False
                        and server_state().get("outbox") == 2, 30), server_state()
        text = state_path(data_dir).read_text(encoding="utf-8")
        snap = json.loads(text)
        assert snap["queues"] is None  # the server's queue, not the local file's zeros
        assert snap["counters"]["tickets"] == {"anmeldung": 2}  # this process issued two
        assert away.reference not in text and "A900" not in text  # counts only

        port = srv.port
        monkeypatch.setattr(server_process, "free_port", lambda: port)
        srv.start()
        terminal.link.replay.outbox.wake()
        assert wait_for(lambda: intake_at_server(srv, away.reference) == 200, 60)
        # the offline number reconciled: the server knows it, a counter calls it
        assert wait_for(lambda: terminal.link.outbox.length() == 0, 60), \
            terminal.link.outbox.pending()
        assert terminal.link.outbox.rejected_count() == 0
        called = []
        for _ in range(3):
            r = requests.post(f"{srv.url}/api/v1/counters/1/call", json={},
                              headers=srv.headers("counter"), timeout=20)
            if r.status_code == 404:
                break
            called.append(r.json()["number"])
        assert called == ["A001", "A900"]
    finally:
        terminal.close()
