"""A printer that is off or missing when the kiosk starts is announced on the first
screen a visitor reaches, before anyone waits for a ticket (issue 7, item 5)."""

from __future__ import annotations

import dataclasses
import logging

import pytest

from kiosk.app import KioskApp, find_button, start_embedded, step, tap
from kiosk.devices.printer.simulator import SimPrinter
from kiosk.devices.printer.status import PrinterState
from kiosk.services.issue_ticket import TicketService
from kiosk.store.sqlite import SqliteStore
from kiosk.wiring import build_printer_supervisor
from tests.ui.conftest import detach

NOTICE = "The ticket printer is not working at the moment."


@pytest.fixture
def start_kiosk(tmp_path, ui_config, ticks):
    opened = []

    def start(device: str):
        printer_config = dataclasses.replace(ui_config.printer, transport="serial",
                                             device=device, baudrate=115200)
        config = dataclasses.replace(ui_config, printer=printer_config)
        printer = build_printer_supervisor(printer_config)  # as Terminal does: started
        store = SqliteStore(tmp_path / "start.sqlite3", terminal_id="ui")
        app = KioskApp(config, TicketService(config, store, printer), monotonic=ticks,
                       printer=printer)
        opened.append((app, printer, store))
        return app, printer

    yield start
    for app, printer, store in opened:
        if app.root is not None:
            detach(app)
        printer.close()
        store.close()


@pytest.mark.parametrize("printer_is", ["silent", "missing"])
def test_a_printer_off_at_start_is_announced_before_anyone_taps(tmp_path, start_kiosk,
                                                                 caplog, printer_is):
    caplog.set_level(logging.INFO, logger="kiosk.devices.printer")
    link = tmp_path / "printer"
    with SimPrinter(out_dir=tmp_path / "out", pty_link=link, preview=False) as sim:
        sim.set_fault(silent=True)
        device = str(link) if printer_is == "silent" else str(tmp_path / "no-such-printer")
        app, printer = start_kiosk(device)
        # no waiting, no listener call yet: the app starts from the worker's real status
        assert printer.status.state is PrinterState.OFFLINE
        assert app.printer_ok is False
        start_embedded(app)
        # the start screen says so before anyone taps, in German and in English
        assert app.root.current == "language"
        start_notice = app.root.get_screen("language").ids.notice.text
        assert start_notice.startswith("Der Drucker für Wartemarken funktioniert zurzeit "
                                       "nicht."), start_notice
        assert NOTICE in start_notice
        tap(find_button(app.root, "English"))
        assert app.root.current == "services"
        assert app.root.get_screen("services").ids.message.text.startswith(NOTICE)
    said = [r.getMessage() for r in caplog.records if r.name.endswith("supervisor")]
    assert any(m.startswith("printer: offline (") and m.endswith("at start") for m in said)


def test_a_working_printer_shows_no_notice(tmp_path, start_kiosk):
    link = tmp_path / "printer"
    with SimPrinter(out_dir=tmp_path / "out", pty_link=link, preview=False):
        app, printer = start_kiosk(str(link))
        assert printer.status.state is PrinterState.ONLINE and app.printer_ok is True
        start_embedded(app)
        assert app.root.get_screen("language").ids.notice.text == ""
        tap(find_button(app.root, "English"))
        step(2)
        assert app.root.get_screen("services").ids.message.text == ""
