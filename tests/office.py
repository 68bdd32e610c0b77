"""An office's devices around one running `kiosk serve` (tests/server_process.py), for
the office test and bench: terminals on the http backend (the terminal's own code path:
ServerClient, RemoteTicketService, RemoteCheckIn), counters calling next and finishing
as the counter page does, and a TV board reading the call stream. Each records what it
did and when (time.perf_counter), nothing is asserted here."""

from __future__ import annotations

import json
import threading
import time
from datetime import datetime, timedelta, timezone

import requests

from kiosk.domain.clock import OFFICE_ZONE
from tests.midnight import skip_near_midnight
from tests.conftest import MINIMAL_CONFIG
from tests.server_process import ServerProcess

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


def server_config(store_toml: str) -> str:
    """The office's config: the tests' two services without a quota, appointments."""
    return MINIMAL_CONFIG.replace("daily_quota = 2\n", "") + APPOINTMENTS + store_toml


def import_bookings(srv: ServerProcess, references: list[str]) -> None:
    """Bookings for ID cards in five minutes (in their window), with the CLI."""
    skip_near_midnight()
    start = (datetime.now(timezone.utc).astimezone(OFFICE_ZONE)
             + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M")
    path = srv.folder / "bookings.csv"
    path.write_text("reference,service,office,start,duration,status,priority_rank\n"
                    + "".join(f"{ref},ausweis,bb-test,{start},15,confirmed,\n"
                              for ref in references), encoding="utf-8")
    out = srv.kiosk("appointments", "import", str(path), "--config", str(srv.config))
    if out.returncode:
        raise RuntimeError(out.stderr)


def add_tokens(srv: ServerProcess, prefix: str, role: str, count: int) -> list[str]:
    """Device tokens as `kiosk serve token add` makes them (its TokenFile, here in
    process: 25 CLI runs would cost half a minute); the running server reads the
    file again when it changes."""
    from kiosk.server.auth import TokenFile

    tokens = TokenFile(srv.data / "server-tokens.json")
    return [tokens.add(f"{prefix}-{i + 1}", role) for i in range(count)]


class Terminal(threading.Thread):
    """One terminal: its own config, token, SQLite file and outbox; issues `walk_ins`
    tickets and checks in one of its bookings after every fifth, as the touchscreen
    does."""

    def __init__(self, index: int, srv: ServerProcess, token: str, bookings: list[str],
                 start: threading.Event, walk_ins: int) -> None:
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
        self.bookings, self.go, self.walk_ins = list(bookings), start, walk_ins
        self.numbers: list[str] = []
        self.issue_s: list[float] = []  # each tap's wait for its number
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
            for n in range(self.walk_ins):
                try:
                    began = time.perf_counter()
                    issued = tickets.issue(("anmeldung", "ausweis")[n % 2], "de")
                    self.issue_s.append(time.perf_counter() - began)
                    self.numbers.append(issued.ticket.number)
                    if getattr(issued, "offline", False):
                        self.failures.append(f"{issued.ticket.number} issued offline")
                    if n % 5 == 4 and self.bookings:
                        result = checkin.check_in(self.bookings.pop(), "de", typed=True)
                        if result.outcome is not CheckInOutcome.CHECKED_IN:
                            self.failures.append(f"check-in: {result.outcome.value}")
                        else:
                            self.numbers.append(result.number)
                except Exception as err:  # noqa: BLE001 - reported by the caller
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
                 terminals_done: threading.Event, start: threading.Event,
                 services: list[str] | None = None, budget_s: float = 120) -> None:
        super().__init__(name=f"counter-{index}", daemon=True)
        self.id, self.srv, self.done, self.go = str(index), srv, terminals_done, start
        self.headers = {"Authorization": f"Bearer {token}"}
        self.services, self.budget_s = services, budget_s
        self.calls: list[str] = []
        self.clicked: dict[str, float] = {}  # number -> when *Call next* was sent
        self.failures: list[str] = []

    def run(self) -> None:
        base = f"{self.srv.url}{API}/counters/{self.id}"
        self.go.wait(60)
        with requests.Session() as session:
            session.headers.update(self.headers)
            deadline = time.monotonic() + self.budget_s
            while time.monotonic() < deadline:
                finished = self.done.is_set()  # before the call: nothing issued after
                body = {"services": self.services} if self.services else {}
                clicked = time.perf_counter()
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
                self.clicked[number] = clicked
                r = session.post(f"{base}/done", json={"number": number}, timeout=30)
                if r.status_code != 200:
                    self.failures.append(f"done {r.status_code} {r.text[:120]}")
                    return
            self.failures.append(f"still calling after {self.budget_s:.0f} s")


class Board(threading.Thread):
    """The TV board's stream: every `call` event's (number, counter), and when each
    number first arrived."""

    def __init__(self, srv: ServerProcess, token: str) -> None:
        super().__init__(name="board", daemon=True)
        self.url = f"{srv.url}{API}/calls/stream"
        self.headers = {"Authorization": f"Bearer {token}"}
        self.seen: list[tuple[str, str]] = []
        self.arrived: dict[str, float] = {}
        self.connected = threading.Event()
        self.stop = threading.Event()

    def run(self) -> None:
        with requests.get(self.url, headers=self.headers, stream=True, timeout=60) as r:
            if not r.headers.get("content-type", "").startswith("text/event-stream"):
                return
            self.connected.set()
            kind = None
            for line in r.iter_lines(decode_unicode=True):
                if self.stop.is_set():
                    return
                if line.startswith("event:"):
                    kind = line.split(":", 1)[1].strip()
                elif line.startswith("data:") and kind == "call":
                    event = json.loads(line.split(":", 1)[1])
                    self.arrived.setdefault(event["number"], time.perf_counter())
                    self.seen.append((event["number"], event["counter"]))


def board_subscribed(srv: ServerProcess, board: Board, headers: dict) -> str:
    """The stream subscribes once its headers are out: a first ticket called (and
    called again) until the board shows it; its number, to leave out of the counts."""
    from tests.waiting import wait_for

    r = requests.post(f"{srv.url}{API}/tickets", headers=srv.headers("terminal"),
                      json={"service": "anmeldung", "language": "de"}, timeout=30)
    r.raise_for_status()
    first = r.json()["number"]
    r = requests.post(f"{srv.url}{API}/counters/0/call", json={"number": first},
                      headers=headers, timeout=30)
    r.raise_for_status()
    for _ in range(100):
        if wait_for(lambda: board.seen, 0.3):
            break
        requests.post(f"{srv.url}{API}/counters/0/recall", headers=headers, timeout=30)
    requests.post(f"{srv.url}{API}/counters/0/done", json={"number": first},
                  headers=headers, timeout=30)
    return first


def run_office(srv: ServerProcess, terminals: int, counters: int, walk_ins: int,
               check_ins: int) -> dict:
    """The office's run on a started server with bookings imported (booking_refs):
    {terminals, counters, board, first, wall_s}; the threads are done or given up."""
    terminal_tokens = add_tokens(srv, "terminal", "terminal", terminals)
    counter_tokens = add_tokens(srv, "counter", "counter", counters)
    board = Board(srv, srv.tokens["board"])
    board.start()
    if not board.connected.wait(30):
        raise RuntimeError("the board's stream did not open")
    first = board_subscribed(srv, board, srv.headers("counter"))
    go, terminals_done = threading.Event(), threading.Event()
    refs = booking_refs(terminals, check_ins)
    desks = [Terminal(i + 1, srv, token, refs[i * check_ins:(i + 1) * check_ins], go,
                      walk_ins) for i, token in enumerate(terminal_tokens)]
    # a quarter of the counters serve ID cards (and their appointments) only
    tables = [CounterDesk(i + 1, srv, token, terminals_done, go,
                          ["ausweis"] if (i + 1) % 4 == 0 else None)
              for i, token in enumerate(counter_tokens)]
    for thread in desks + tables:
        thread.start()
    began = time.perf_counter()
    go.set()
    for thread in desks:
        thread.join(120)
    terminals_done.set()
    for thread in tables:
        thread.join(150)
    wall_s = time.perf_counter() - began
    calls = sum(len(t.calls) for t in tables)

    def office_events() -> list:
        return [e for e in board.seen if e[0] != first]
    deadline = time.monotonic() + 30
    while len(office_events()) < calls and time.monotonic() < deadline:
        time.sleep(0.05)
    board.stop.set()
    return {"terminals": desks, "counters": tables, "board": board,
            "board_events": office_events(), "wall_s": wall_s}


def booking_refs(terminals: int, check_ins: int) -> list[str]:
    return [str(400001 + i) for i in range(terminals * check_ins)]
