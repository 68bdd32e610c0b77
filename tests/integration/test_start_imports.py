"""The start screen's first frame imports only what the start screen needs (issue 9 item
3): a fresh process builds the app alone, as the UI tests do, and as `kiosk run` does
with the terminal's store, printer worker and services (demo configuration, its printer
absent), and notes sys.modules when the window's first frame is drawn; the screens a
first tap opens, and with a printer python-escpos, come right after that frame, before
anyone taps. No timing here: which modules and which screens, at which frame."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import kiosk_env

# Each is what only a later screen, another process or a device needs: the general
# font lookup (fontpkg scans every installed distribution through importlib.metadata),
# the other screens and the Anmeldung's model, the printer's and the sealing libraries,
# the office server's stack.
NOT_BEFORE_FIRST_FRAME = (
    "importlib.metadata", "fontpkg",
    "kiosk.screens.services", "kiosk.screens.ticket", "kiosk.screens.staff",
    "kiosk.screens.intake", "kiosk.screens.check_in_screens", "kiosk.domain.intake",
    "kiosk.domain.intake_rules",
    "escpos", "qrcode", "nacl", "fpdf", "uharfbuzz", "argon2",
    "psycopg", "fastapi", "pydantic", "httpx", "uvicorn",
    # only for wording a configuration mistake
    "difflib",
)

_CHILD = """
import json, sys
from kiosk import kivy_env
from kiosk.config import load_config
from kiosk.paths import config_resource

config = load_config(config_resource("demo.toml"))
kivy_env.prepare(640, 400, fullscreen=False, headless=True)
from kivy.core.window import Window
from kiosk.app import KioskApp, start_embedded, step
from kiosk.services.issue_ticket import TicketService
from kiosk.store.sqlite import SqliteStore

seen = {}

def flipped(*_args):
    Window.unbind(on_flip=flipped)
    seen["modules"] = sorted(sys.modules)
    seen["screens"] = list(app.root.manager.screen_names)

Window.bind(on_flip=flipped)
terminal = None
if sys.argv[1] == "run":  # as `kiosk run`: the terminal's store, printer worker, ...
    from kiosk.wiring import Terminal

    terminal = Terminal(config)
    app = KioskApp(config, terminal.tickets, printer=terminal.printer,
                   check_in=terminal.checkin, scans=terminal.scans, staff=terminal.staff,
                   intake=terminal.intake)
else:  # the app alone, as the UI tests and the cold-start bench make it
    app = KioskApp(config, TicketService(config, SqliteStore(sys.argv[2], terminal_id="t"),
                                         None))
start_embedded(app)
step(8)
seen["later"] = list(app.root.manager.screen_names)
seen["later_modules"] = sorted(sys.modules)
app.detach()
if terminal is not None:
    terminal.close()
print("SEEN " + json.dumps(seen))
"""


@pytest.fixture(scope="module", params=["app", "run"])
def first_frame(request, tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp(f"start-{request.param}")
    result = subprocess.run([sys.executable, "-c", _CHILD, request.param,
                             str(folder / "start.sqlite3")], capture_output=True,
                            text=True, timeout=120,
                            env=kiosk_env(KIOSK_DATA_DIR=str(folder / "data")))
    line = next((x for x in result.stdout.splitlines() if x.startswith("SEEN ")), None)
    assert result.returncode == 0 and line, result.stderr[-3000:]
    return {"kind": request.param, **json.loads(line[len("SEEN "):])}


def test_first_frame_imports_nothing_a_later_screen_needs(first_frame):
    """GIVEN a fresh process WHEN the start screen's first frame is drawn THEN none of
    the heavy modules is loaded yet."""
    loaded = set(first_frame["modules"])
    # a checkout whose catalogs are not compiled (or older than their .po) compiles them
    # with Babel at start, and Babel's catalog module imports difflib; an installed kiosk
    # reads the .mo files
    later = [name for name in NOT_BEFORE_FIRST_FRAME
             if not (name == "difflib" and "babel" in loaded)]
    early = [name for name in later
             if name in loaded or any(m.startswith(name + ".") for m in loaded)]
    assert early == []


def test_first_tap_screens_are_built_after_the_first_frame(first_frame):
    """GIVEN a fresh app WHEN its first frame is drawn THEN only the start screen was
    built for it, AND in the idle frames after it the services and ticket screens are
    built, so a visitor's first tap does not wait for them."""
    assert first_frame["screens"] == ["language"]
    assert {"services", "ticket"} <= set(first_frame["later"])


def test_the_first_ticket_does_not_wait_for_python_escpos(first_frame):
    """GIVEN the app with the terminal's printer WHEN the idle frames after the first one
    have passed THEN python-escpos is imported (the first ticket's rendering needs it)."""
    assert "escpos" not in first_frame["modules"]
    # without a printer (the app alone) there is no ticket to print, nothing to import
    assert ("escpos" in first_frame["later_modules"]) == (first_frame["kind"] == "run")
