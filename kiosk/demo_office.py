"""`kiosk demo --office`: one office on this machine -- `kiosk serve` on a SQLite store in
the demo folder (or a PostgreSQL database with --dsn-file), a simulated call-up sign
attached to it, two terminals on its http backend (windows with a display, else each
walks one visit offscreen), and the URLs and tokens of the counter page and the TV
board. Ctrl-C stops everything."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from kiosk.paths import config_resource, data_dir

TERMINALS = ("demo-01", "demo-02")
OFFLINE_RANGES = ("900-949", "950-999")  # each terminal its own, as the example says
COUNTER = "3"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _toml(path: Path) -> str:
    return '"' + str(path).replace("\\", "\\\\").replace('"', '\\"') + '"'


def server_config(out: Path, port: int, sign: Path, dsn_file: Path | None = None) -> Path:
    """The server's config: the demo's office, its store in the demo folder (SQLite) or
    in PostgreSQL (`dsn_file`, as [store] dsn_file), the simulated sign."""
    text = config_resource("demo.toml").read_text(encoding="utf-8")
    text = text.replace("[store]\n", f"[store]\npath = {_toml(out / 'server.sqlite3')}\n", 1)
    if dsn_file is not None:
        text = text.replace('backend = "sqlite"', 'backend = "postgres"\n'
                            f'dsn_file = {_toml(dsn_file)}', 1)
    text += (f"\n[server]\nhost = \"127.0.0.1\"\nport = {port}\n"
             f"tokens_file = {_toml(out / 'server-tokens.json')}\n"
             f"\n[[display]]\nid = \"lobby\"\ndevice = {_toml(sign)}\nframing = \"alpha\"\n")
    path = out / "server.toml"
    path.write_text(text, encoding="utf-8")
    return path


def terminal_config(out: Path, name: str, url: str, token: str, printer: Path,
                    offline_range: str) -> Path:
    folder = out / name
    folder.mkdir(parents=True, exist_ok=True)
    token_file = folder / "server-token"
    fd = os.open(token_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(token + "\n")
    text = config_resource("demo.toml").read_text(encoding="utf-8")
    text = text.replace('id = "demo-01"', f'id = "{name}"', 1)
    text = text.replace('device = "kiosk-demo-printer"', f"device = {_toml(printer)}", 1)
    text = text.replace('backend = "sqlite"',
                        f'backend = "http"\nurl = "{url}"\ntoken_file = {_toml(token_file)}\n'
                        f'path = {_toml(folder / "kiosk.sqlite3")}\n'
                        f'offline = "local_range"\noffline_range = "{offline_range}"', 1)
    # check-in needs the server's booking keys; the office demo walks walk-ins only
    text = text.replace("[appointments]\n", "[appointments]\nenabled = false\n", 1)
    path = folder / "kiosk.toml"
    path.write_text(text, encoding="utf-8")
    return path


class Office:
    """The processes and simulators of the demo; stop() ends them all, children first."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.children: list[subprocess.Popen] = []
        self.sims: list = []

    def spawn(self, args: list[str], name: str, env: dict | None = None) -> subprocess.Popen:
        log = open(self.out / f"{name}.log", "w", encoding="utf-8")
        # own process group: the Ctrl-C of the terminal reaches this process only, which
        # then stops each child in order (the server last)
        proc = subprocess.Popen([sys.executable, "-m", "kiosk", *args], stdout=log,
                                stderr=subprocess.STDOUT, env=dict(os.environ, **(env or {})),
                                start_new_session=True)
        proc.log_file = log  # type: ignore[attr-defined]
        self.children.append(proc)
        return proc

    def stop(self, grace_s: float = 15) -> None:
        for proc in reversed(self.children):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        # one deadline for all: a child that does not end in time (a headless Kivy
        # process hands SIGTERM to SDL as a quit event nobody reads) must not make the
        # next one wait longer, or Ctrl-C would take minutes
        deadline = time.monotonic() + grace_s
        for proc in reversed(self.children):
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
            proc.log_file.close()
        for sim in self.sims:
            sim.close()


def _wait_ready(url: str, proc: subprocess.Popen, timeout_s: float = 60) -> bool:
    import requests

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if requests.get(url + "/openapi.json", timeout=2).status_code == 200:
                return True
        except requests.RequestException:
            pass
        time.sleep(0.2)
    return False


def run_office_demo(out: Path | None, windowed: bool = True,
                    dsn_file: Path | None = None) -> int:
    """The office on this machine; with `dsn_file` the server's queue is in that
    PostgreSQL database (an empty one made for the demo: its tickets stay there)."""
    from kiosk import kivy_env
    from kiosk.devices.display.simulator import SimDisplay
    from kiosk.devices.printer.simulator import SimPrinter
    from kiosk.server.auth import TokenFile

    if dsn_file is not None:
        dsn_file = Path(dsn_file).resolve()
        if not dsn_file.is_file():
            print(f"kiosk demo: --dsn-file {dsn_file}: no such file", file=sys.stderr)
            return 2
    out = (out or data_dir() / "demo-office").resolve()
    out.mkdir(parents=True, exist_ok=True)
    for old in ("server.sqlite3", "server-tokens.json"):  # a fresh office each run
        for path in out.glob(old + "*"):
            path.unlink()
    office = Office(out)
    try:
        sign_link = out / "sign.pty"
        sign = SimDisplay(pty_link=sign_link, framing="alpha").start()
        office.sims.append(sign)
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        config = server_config(out, port, sign_link, dsn_file)
        tokens = TokenFile(out / "server-tokens.json")
        terminal_tokens = [tokens.add(name, "terminal") for name in TERMINALS]
        counter_token = tokens.add("counter-3", "counter")
        board_token = tokens.add("board-lobby", "board")
        server = office.spawn(["serve", "--config", str(config)], "server",
                              {"KIOSK_DATA_DIR": str(out / "server-data")})
        if not _wait_ready(url, server):
            print(f"kiosk demo: the server did not start; see {out / 'server.log'}",
                  file=sys.stderr)
            return 1
        store = (f"PostgreSQL store from {dsn_file}" if dsn_file is not None
                 else f"SQLite store {out / 'server.sqlite3'}")
        print(f"kiosk demo: office server on {url} ({store}), "
              f"simulated call-up sign on {sign_link}")

        headless = not kivy_env.has_display()
        walkers = []
        for name, token, offline_range in zip(TERMINALS, terminal_tokens, OFFLINE_RANGES):
            printer_link = out / name / "printer.pty"
            (out / name / "tickets").mkdir(parents=True, exist_ok=True)
            office.sims.append(SimPrinter(out_dir=out / name / "tickets",
                                          pty_link=printer_link, baudrate=115200))
            cfg = terminal_config(out, name, url, token, printer_link, offline_range)
            env = {"KIOSK_DATA_DIR": str(out / name / "data")}
            if headless:
                walkers.append(office.spawn(["demo", "--office-walk", str(cfg)],
                                            f"{name}", env))
            else:
                office.spawn(["run", "--config", str(cfg)] +
                             (["--windowed"] if windowed else []), name, env)
        print(f"kiosk demo: counter page  {url}/counter  (counter number {COUNTER}; "
              f"paste the counter token {counter_token})")
        print(f"kiosk demo: TV board      {url}/board#token={board_token}")
        if headless:
            print("kiosk demo: no display found, each terminal walks one visit offscreen")
            walked = [_finished(w, 300) for w in walkers]
            for name in TERMINALS:
                said = [line for line in (out / f"{name}.log").read_text(
                    encoding="utf-8").splitlines() if line.startswith(name + ":")]
                print(f"kiosk demo: {said[-1] if said else name + ': no ticket'}; "
                      f"screenshots in {out / name / 'screens'}")
            if not all(walked):
                print(f"kiosk demo: a terminal's visit failed; see {out}/demo-0*.log",
                      file=sys.stderr)
                return 1
            _call_once(url, counter_token, sign, out)
        print("kiosk demo: office running; Ctrl-C stops everything", flush=True)
        while server.poll() is None:
            time.sleep(0.5)
        print(f"kiosk demo: the server stopped; see {out / 'server.log'}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("kiosk demo: stopping", file=sys.stderr)
        return 0
    finally:
        office.stop()


def _finished(proc: subprocess.Popen, timeout_s: float) -> bool:
    try:
        return proc.wait(timeout=timeout_s) == 0
    except subprocess.TimeoutExpired:
        return False  # stopped with the others by Office.stop()


def _call_once(url: str, token: str, sign, out: Path) -> None:
    """Counter 3 calls the next visitor, as its page would; the sign shows it."""
    import requests

    r = requests.post(f"{url}/api/v1/counters/{COUNTER}/call", json={},
                   headers={"Authorization": f"Bearer {token}"}, timeout=10)
    if r.status_code != 200:
        print(f"kiosk demo: counter {COUNTER} could not call: {r.json().get('reason')}",
              file=sys.stderr)
        return
    number = r.json()["number"]
    sign.wait_until(lambda s: any(number in line for line in s.shown), timeout_s=10)
    sign.render_png(out / "sign.png")
    print(f"kiosk demo: counter {COUNTER} called {number}; the sign shows: "
          f"{' | '.join(sign.shown) or 'nothing'} (picture {out / 'sign.png'})")


def walk_one_visit(config_path: Path) -> int:
    """One terminal, offscreen: language, first service, the ticket from the server,
    printed on the terminal's simulated printer; screenshots beside its config."""
    from kiosk import kivy_env
    from kiosk.config import load_config

    config = load_config(config_path)
    kivy_env.prepare(config.screen.width_px, config.screen.height_px, fullscreen=False,
                     headless=True)
    from kiosk.app import KioskApp, export_png, find_button, start_embedded, tap, wait_until
    from kiosk.i18n import LANGUAGES
    from kiosk.wiring import Terminal

    shots = config_path.parent / "screens"
    terminal = Terminal(config)
    try:
        app = start_embedded(KioskApp(config, terminal.tickets, printer=terminal.printer,
                                      check_in=terminal.checkin, scans=terminal.scans))
        export_png(app, shots / "1-language.png")
        tap(find_button(app.root, LANGUAGES["de"].native_name))
        service = config.services[0]
        tap(find_button(app.root, service.name("de", config.default_language)))
        ticket = app.root.get_screen("ticket")
        done = wait_until(lambda: ticket.printed is not None, timeout_s=30)
        export_png(app, shots / "2-ticket.png")
        app.detach()
    finally:
        terminal.close()
    print(f"{config.terminal_id}: issued {ticket.number} by the office server, "
          f"{'printed' if ticket.printed else 'NOT printed'}")
    return 0 if done and ticket.printed else 1
