"""[store] backend "http" against a real `kiosk serve`: tickets issued at the server and
printed at the terminal, `kiosk ticket` through it, offline numbers from the reserved
range or "ask at the desk", and the outbox replayed in order, exactly once, across a
server killed and restarted."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import requests

from tests.conftest import MINIMAL_CONFIG, kiosk_env
from tests.server_process import ServerProcess, free_port

HTTP_STORE = """
[store]
backend = "http"
url = "{url}"
token_file = "{token_file}"
timeout_s = 2.0
retries = 1
offline = "{offline}"
offline_range = "900-902"
"""


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    with ServerProcess(tmp_path_factory.mktemp("serve")) as s:
        yield s


def terminal_config(folder, url: str, token: str, offline: str = "local_range"):
    """A terminal's config file pointing at `url`, its data dir beside it."""
    from kiosk.config import load_config

    folder.mkdir(parents=True, exist_ok=True)
    token_file = folder / "server-token"
    token_file.write_text(token + "\n", encoding="utf-8")
    path = folder / "kiosk.toml"
    path.write_text(MINIMAL_CONFIG.replace("{printer_path}", str(folder / "printer.bin"))
                    + HTTP_STORE.format(url=url, token_file=token_file, offline=offline),
                    encoding="utf-8")
    return path, load_config(path)


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("KIOSK_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def dead_url() -> str:
    return f"http://127.0.0.1:{free_port()}"  # nothing listens there


def call_all(srv, counter: str = "1") -> list[str]:
    """Every number the counter can call now, in calling order."""
    called = []
    while True:
        r = requests.post(f"{srv.url}/api/v1/counters/{counter}/call", json={},
                          headers=srv.headers("counter"), timeout=10)
        if r.status_code == 404:
            return called
        assert r.status_code == 200, r.text
        called.append(r.json()["number"])


def test_ticket_issued_at_the_server_and_printed_here(srv, tmp_path, data_dir):
    from kiosk.wiring import ticket_service

    call_all(srv)  # an empty queue to start from
    _, config = terminal_config(tmp_path, srv.url, srv.tokens["terminal"])
    tickets = ticket_service(config, min_interval_s=0)
    first = tickets.issue("anmeldung", "en")
    second = tickets.issue("anmeldung", "en")
    assert first.ticket.number[0] == "A" and second.ticket.number != first.ticket.number
    assert second.people_ahead == first.people_ahead + 1
    report = tickets.print_ticket(second)
    assert report.printed, report.error
    assert second.ticket.number.encode() in (tmp_path / "printer.bin").read_bytes()
    # the server's queue holds them: a counter calls them, in order
    assert call_all(srv) == [first.ticket.number, second.ticket.number]


def test_kiosk_ticket_with_backend_http(srv, tmp_path):
    path, _ = terminal_config(tmp_path, srv.url, srv.tokens["terminal"])
    env = kiosk_env(KIOSK_DATA_DIR=str(tmp_path / "data"))
    out = subprocess.run([sys.executable, "-m", "kiosk", "ticket", "ausweis", "--json",
                          "--config", str(path)], capture_output=True, text=True,
                         timeout=60, env=env)
    assert out.returncode == 0, out.stderr
    number = json.loads(out.stdout)["number"]
    assert number.startswith("P") and json.loads(out.stdout)["printed"] is True
    assert call_all(srv) == [number]


def test_the_servers_refusal_reaches_the_visitor(srv, tmp_path, data_dir):
    from kiosk.services.issue_ticket import Refusal, Refused
    from kiosk.wiring import ticket_service

    _, config = terminal_config(tmp_path, srv.url, srv.tokens["terminal"])
    tickets = ticket_service(config, min_interval_s=0)
    with pytest.raises(Refused) as refused:
        for _ in range(3):  # "ausweis" has a daily quota of 2 (one went to the CLI test)
            tickets.issue("ausweis", "de")
    assert refused.value.reason is Refusal.QUOTA_REACHED


def test_offline_numbers_from_the_reserved_range(tmp_path, data_dir):
    from kiosk.services.issue_ticket import Refusal, Refused
    from kiosk.store.outbox import Outbox
    from kiosk.wiring import outbox_path, ticket_service

    _, config = terminal_config(tmp_path, dead_url(), "no-server")
    tickets = ticket_service(config, min_interval_s=0)
    numbers = [tickets.issue("anmeldung", "de") for _ in range(3)]
    assert [i.ticket.number for i in numbers] == ["A900", "A901", "A902"]
    assert all(getattr(i, "offline", False) for i in numbers)
    assert numbers[0].people_ahead is None  # the queue is not known here
    assert tickets.print_ticket(numbers[0]).printed
    with pytest.raises(Refused) as refused:  # the reserved range is used up
        tickets.issue("anmeldung", "de")
    assert refused.value.reason is Refusal.OFFLINE
    # another process (a restart) continues, never gives a number twice
    again = ticket_service(config, min_interval_s=0)
    assert again.issue("ausweis", "de").ticket.number == "P900"
    outbox = Outbox(outbox_path(config))
    queued = [(e.kind, e.body["number"]) for e in outbox.pending()]
    assert queued == [("offline_ticket", n) for n in ("A900", "A901", "A902", "P900")]


def test_offline_ask_at_the_desk(tmp_path, data_dir):
    from kiosk.services.issue_ticket import Refusal, Refused
    from kiosk.wiring import ticket_service

    _, config = terminal_config(tmp_path, dead_url(), "no-server", offline="ask_at_desk")
    with pytest.raises(Refused) as refused:
        ticket_service(config).issue("anmeldung", "de")
    assert refused.value.reason is Refusal.OFFLINE


def test_kiosk_ticket_offline_ask_at_desk_exits_1(tmp_path):
    path, _ = terminal_config(tmp_path, dead_url(), "no-server", offline="ask_at_desk")
    env = kiosk_env(KIOSK_DATA_DIR=str(tmp_path / "data"))
    out = subprocess.run([sys.executable, "-m", "kiosk", "ticket", "anmeldung",
                          "--config", str(path)], capture_output=True, text=True,
                         timeout=60, env=env)
    assert out.returncode == 1
    assert out.stderr.count("\n") == 1 and "Traceback" not in out.stderr
    assert "cannot be reached" in out.stderr


def test_health_snapshot_reports_the_link(tmp_path, data_dir):
    from kiosk.health.snapshot import Snapshot
    from kiosk.wiring import server_link, ticket_service

    _, config = terminal_config(tmp_path, dead_url(), "no-server")
    link = server_link(config)
    ticket_service(config, link=link).issue("anmeldung", "de")
    figures = link.snapshot()
    assert figures["reachable"] is False and figures["outbox"] == 1
    assert figures["outbox_oldest_s"] >= 0
    text = json.dumps(figures)
    assert "A900" not in text  # counts and ages only
    snap = Snapshot(terminal_id="t", pid=1, started_at=_now(), written_at=_now(),
                    refresh_s=5.0, server=figures)
    assert Snapshot.from_json(snap.to_json()).server == figures
    link.close()


def _now():
    from datetime import datetime, timezone

    return datetime.now(timezone.utc)


def test_an_answer_lost_after_the_server_issued_is_retried_without_a_second_number(
        srv, tmp_path, data_dir):
    from kiosk.wiring import ticket_service
    from tests.lossy_proxy import LossyProxy

    call_all(srv)
    with LossyProxy(srv.port) as proxy:
        _, config = terminal_config(tmp_path, proxy.url, srv.tokens["terminal"])
        tickets = ticket_service(config, min_interval_s=0)
        proxy.lose(1)  # the server issues, the terminal never hears it
        issued = tickets.issue("anmeldung", "de")
        assert proxy.forwarded == 2  # asked twice ...
    assert not getattr(issued, "offline", False)
    assert call_all(srv) == [issued.ticket.number]  # ... one number


def test_a_kind_the_server_does_not_take_yet_holds_back_only_its_own_kind(srv, tmp_path,
                                                                          data_dir):
    """An offline ticket first in line, the server answers it "not yet" (404 from a
    server without that endpoint, or 429): the intake behind it still goes."""
    import base64

    from kiosk.store.replay import ReplayWorker
    from kiosk.wiring import server_link

    _, config = terminal_config(tmp_path, srv.url, srv.tokens["terminal"])
    link = server_link(config)
    link.outbox.put("offline_ticket", {"number": "A900", "service": "anmeldung",
                                       "language": "de", "issued_at": _now().isoformat()})
    link.outbox.put("offline_ticket", {"number": "A901", "service": "nonexistent-path",
                                       "language": "de", "issued_at": _now().isoformat()})
    blob = base64.b64encode(b"\x01" * 48).decode()
    link.outbox.put("intake", {"reference": "LANE0001", "key_id": "k1", "sealed": blob})
    # the offline endpoint is asked at a path the server does not have: 404, not now
    from kiosk.store import http as http_module

    original = http_module.PATHS["offline_ticket"]
    http_module.PATHS["offline_ticket"] = "/api/v1/no-such-endpoint"
    try:
        ReplayWorker(link.outbox, link.client).replay_once()
    finally:
        http_module.PATHS["offline_ticket"] = original
    assert [(e.kind, e.body.get("number")) for e in link.outbox.pending()] == [
        ("offline_ticket", "A900"), ("offline_ticket", "A901")]
    r = requests.get(f"{srv.url}/api/v1/intakes/LANE0001", headers=srv.headers("counter"),
                     timeout=10)
    assert r.status_code == 200
    link.close()


def test_kiosk_ticket_offline_from_the_range_warns_and_check_config_says_so(tmp_path):
    path, _ = terminal_config(tmp_path, dead_url(), "no-server")
    env = kiosk_env(KIOSK_DATA_DIR=str(tmp_path / "data"))
    out = subprocess.run([sys.executable, "-m", "kiosk", "ticket", "anmeldung", "--json",
                          "--config", str(path)], capture_output=True, text=True,
                         timeout=60, env=env)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["number"] == "A900"
    assert out.stderr.startswith("kiosk: warning: the office server cannot be reached: "
                                 "A900 is from this terminal's reserved range")
    out = subprocess.run([sys.executable, "-m", "kiosk", "check-config", str(path)],
                         capture_output=True, text=True, timeout=60, env=env)
    assert out.returncode == 0
    assert "when it cannot be reached: numbers 900-902 of each prefix" in out.stdout
