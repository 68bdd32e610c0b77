"""An office on one `kiosk serve` over PostgreSQL (issue 13, "done when"): 5 terminals
on the http backend (ServerClient, RemoteTicketService, RemoteCheckIn: the terminal's
own code path) issuing walk-in tickets and checking in appointments, 20 counters calling
next and finishing at once, and a TV board on the call stream. Every number issued is
called exactly once, the board sees every call, and the server answers no 5xx."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from datetime import datetime, timedelta, timezone

import requests

from kiosk.domain.clock import OFFICE_ZONE
from tests.conftest import MINIMAL_CONFIG
from tests.server_process import ServerProcess, engine_store_toml
from tests.waiting import wait_for

TERMINALS, COUNTERS = 5, 20
WALK_INS, CHECK_INS = 10, 2  # per terminal
API = "/api/v1"
APPOINTMENTS = """
[appointments]
office_id = "bb-test"
early_min = 30
late_min = 30
"""
TERMINAL_STORE = """
[store]
backend = "http"
path = "{folder}/kiosk.sqlite3"
url = "{url}"
token_file = "{folder}/server-token"
timeout_s = 10.0
retries = 2
offline = "ask_at_desk"
"""


def booking_references() -> list[str]:
    return [str(400001 + i) for i in range(TERMINALS * CHECK_INS)]


def import_bookings(srv: ServerProcess) -> None:
    start = (datetime.now(timezone.utc).astimezone(OFFICE_ZONE)
             + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M")
    path = srv.folder / "bookings.csv"
    path.write_text("reference,service,office,start,duration,status,priority_rank\n"
                    + "".join(f"{ref},ausweis,bb-test,{start},15,confirmed,\n"
                              for ref in booking_references()), encoding="utf-8")
    out = srv.kiosk("appointments", "import", str(path), "--config", str(srv.config))
    assert out.returncode == 0, out.stderr


def add_tokens(srv: ServerProcess, prefix: str, role: str, count: int) -> list[str]:
    """Device tokens as `kiosk serve token add` makes them (its TokenFile, here in
    process: 25 CLI runs would cost half a minute); the running server reads the
    file again when it changes."""
    from kiosk.server.auth import TokenFile

    tokens = TokenFile(srv.data / "server-tokens.json")
    return [tokens.add(f"{prefix}-{i + 1}", role) for i in range(count)]


class Terminal(threading.Thread):
    """One terminal: its own config, token, SQLite file and outbox; issues and checks
    in through the http backend as the touchscreen does."""

    def __init__(self, index: int, srv: ServerProcess, token: str, bookings: list[str],
                 start: threading.Event) -> None:
        super().__init__(name=f"terminal-{index}", daemon=True)
        from kiosk.config import load_config

        folder = srv.folder / f"terminal-{index}"
        folder.mkdir()
        (folder / "server-token").write_text(token + "\n", encoding="utf-8")
        text = (MINIMAL_CONFIG.replace("{printer_path}", str(folder / "printer.bin"))
                .replace('id = "test-01"', f'id = "terminal-{index}"')
                .replace("daily_quota = 2\n", "")
                + APPOINTMENTS + TERMINAL_STORE.format(folder=folder, url=srv.url))
        (folder / "kiosk.toml").write_text(text, encoding="utf-8")
        self.config = load_config(folder / "kiosk.toml")
        self.bookings, self.go = bookings, start
        self.numbers: list[str] = []
        self.failures: list[str] = []

    def run(self) -> None:
        from kiosk.services.check_in_result import CheckInOutcome
        from kiosk.wiring import check_in_service, open_store, server_link, ticket_service

        store = open_store(self.config)
        link = server_link(self.config)
        try:
            tickets = ticket_service(self.config, store, link=link, min_interval_s=0)
            checkin = check_in_service(self.config, store, tickets=tickets, link=link)
            self.go.wait(60)
            bookings = list(self.bookings)
            for n in range(WALK_INS):
                try:
                    issued = tickets.issue(("anmeldung", "ausweis")[n % 2], "de")
                    self.numbers.append(issued.ticket.number)
                    assert not getattr(issued, "offline", False)
                    if n % 5 == 4 and bookings:
                        result = checkin.check_in(bookings.pop(), "de", typed=True)
                        assert result.outcome is CheckInOutcome.CHECKED_IN, result.outcome
                        self.numbers.append(result.number)
                except Exception as err:  # noqa: BLE001 - reported by the test
                    self.failures.append(f"{type(err).__name__}: {err}")
            if link.outbox.length():
                self.failures.append(f"{link.outbox.length()} entries left in the outbox")
        finally:
            link.close()
            store.close()


class CounterDesk(threading.Thread):
    """A counter calling the next visitor and finishing them until the terminals are
    done and nobody waits; the counter page's requests."""

    def __init__(self, index: int, srv: ServerProcess, token: str,
                 terminals_done: threading.Event, start: threading.Event) -> None:
        super().__init__(name=f"counter-{index}", daemon=True)
        self.id, self.srv, self.done, self.go = str(index), srv, terminals_done, start
        self.headers = {"Authorization": f"Bearer {token}"}
        # a quarter of the desks serve ID cards only, the rest everything
        self.services = ["ausweis"] if index % 4 == 0 else None
        self.calls: list[str] = []
        self.failures: list[str] = []

    def run(self) -> None:
        base = f"{self.srv.url}{API}/counters/{self.id}"
        self.go.wait(60)
        with requests.Session() as session:
            session.headers.update(self.headers)
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                finished = self.done.is_set()  # before the call: nothing issued after
                body = {"services": self.services} if self.services else {}
                r = session.post(f"{base}/call", json=body, timeout=30)
                if r.status_code == 404 and r.json().get("error") == "nobody_waiting":
                    if finished:
                        return
                    time.sleep(0.05)
                    continue
                if r.status_code != 200:
                    self.failures.append(f"call {r.status_code} {r.text[:120]}")
                    return
                number = r.json()["number"]
                self.calls.append(number)
                r = session.post(f"{base}/done", json={"number": number}, timeout=30)
                if r.status_code != 200:
                    self.failures.append(f"done {r.status_code} {r.text[:120]}")
                    return
            self.failures.append("still calling after 120 s")


class Board(threading.Thread):
    """The TV board's stream: every `call` event's (number, counter)."""

    def __init__(self, srv: ServerProcess, token: str) -> None:
        super().__init__(name="board", daemon=True)
        self.url = f"{srv.url}{API}/calls/stream"
        self.headers = {"Authorization": f"Bearer {token}"}
        self.seen: list[tuple[str, str]] = []
        self.connected = threading.Event()
        self.stop = threading.Event()

    def run(self) -> None:
        with requests.get(self.url, headers=self.headers, stream=True, timeout=60) as r:
            assert r.headers["content-type"].startswith("text/event-stream")
            self.connected.set()
            kind = None
            for line in r.iter_lines(decode_unicode=True):
                if self.stop.is_set():
                    return
                if line.startswith("event:"):
                    kind = line.split(":", 1)[1].strip()
                elif line.startswith("data:") and kind == "call":
                    event = json.loads(line.split(":", 1)[1])
                    self.seen.append((event["number"], event["counter"]))


def test_an_office_of_5_terminals_20_counters_and_a_board_on_postgresql(tmp_path, request):
    config = (MINIMAL_CONFIG.replace("daily_quota = 2\n", "") + APPOINTMENTS
              + engine_store_toml("postgres", tmp_path, request))
    with ServerProcess(tmp_path, config, roles=("board", "counter", "terminal")) as srv:
        import_bookings(srv)
        terminal_tokens = add_tokens(srv, "terminal", "terminal", TERMINALS)
        counter_tokens = add_tokens(srv, "counter", "counter", COUNTERS)
        board = Board(srv, srv.tokens["board"])
        board.start()
        assert board.connected.wait(30)
        # the stream subscribes once its headers are out: a first call (and recalls of
        # it) until the board shows it, then the office opens
        warm = requests.post(f"{srv.url}{API}/tickets", headers=srv.headers("terminal"),
                             json={"service": "anmeldung", "language": "de"}, timeout=30)
        assert warm.status_code == 201, warm.text
        first = warm.json()["number"]
        r = requests.post(f"{srv.url}{API}/counters/0/call", json={"number": first},
                          headers=srv.headers("counter"), timeout=30)
        assert r.status_code == 200, r.text
        for _ in range(100):
            if wait_for(lambda: board.seen, 0.3):
                break
            requests.post(f"{srv.url}{API}/counters/0/recall",
                          headers=srv.headers("counter"), timeout=30)
        assert board.seen and board.seen[0] == (first, "0")  # warm-up events: left out
        requests.post(f"{srv.url}{API}/counters/0/done", json={"number": first},
                      headers=srv.headers("counter"), timeout=30)

        go, terminals_done = threading.Event(), threading.Event()
        refs = booking_references()
        terminals = [Terminal(i + 1, srv, token, refs[i * CHECK_INS:(i + 1) * CHECK_INS],
                              go) for i, token in enumerate(terminal_tokens)]
        counters = [CounterDesk(i + 1, srv, token, terminals_done, go)
                    for i, token in enumerate(counter_tokens)]
        for thread in terminals + counters:
            thread.start()
        go.set()
        for thread in terminals:
            thread.join(120)
        terminals_done.set()
        for thread in counters:
            thread.join(150)
        issued = [n for t in terminals for n in t.numbers]
        calls = [(n, c.id) for c in counters for n in c.calls]
        def office_events():
            return [e for e in board.seen if e[0] != first]
        wait_for(lambda: len(office_events()) >= len(calls), 30)
        board.stop.set()
        log = srv.output()

    assert [f for t in terminals + counters for f in t.failures] == []
    assert not any(t.is_alive() for t in terminals + counters)
    assert len(issued) == TERMINALS * (WALK_INS + CHECK_INS) == len(set(issued))
    called = [n for n, _ in calls]
    assert [n for n, k in Counter(called).items() if k > 1] == []  # nobody called twice
    assert sorted(called) == sorted(issued)  # every number issued called once
    assert Counter(office_events()) == Counter(calls)  # the board saw every call
    # the ID-card desks called ID cards and their appointments only
    assert not [n for n, c in calls if int(c) % 4 == 0 and n.startswith("A")]
    assert "internal_error" not in log and "Traceback" not in log
