""""Paper replaced" with the printer simulator on a pseudo-terminal: the printer worker
reads the status at once (its regular poll is an hour away here), the visitors' notice
goes when the printer reports paper, staff are told what the printer says, and the
press is audited with that state."""

from __future__ import annotations

import dataclasses

import pytest

from kiosk.app import step, wait_until
from kiosk.devices.printer.simulator import SimPrinter
from kiosk.devices.printer.status import PrinterState
from tests.ui.conftest import detach
from tests.ui.test_staff import PIN, _login, _press


@pytest.fixture
def paper_kiosk(tmp_path, ui_config, ticks, wall, data_dir):
    from kiosk.app import KioskApp, start_embedded
    from kiosk.devices.printer.supervisor import PrinterSupervisor
    from kiosk.services.issue_ticket import TicketService
    from kiosk.services.staff import PinFile, StaffClosedTickets, StaffService
    from kiosk.store.sqlite import SqliteStore
    from kiosk.store.staff_sqlite import StaffStore
    from kiosk.wiring import build_transport, printer_profile

    link = tmp_path / "printer"
    with SimPrinter(out_dir=tmp_path / "out", pty_link=link, preview=False) as sim:
        sim.set_fault(paper_out=True)
        printer_config = dataclasses.replace(ui_config.printer, transport="serial",
                                             device=str(link), baudrate=115200)
        config = dataclasses.replace(ui_config, printer=printer_config)
        # the next regular poll an hour away: only "paper replaced" can find the paper
        printer = PrinterSupervisor(build_transport(printer_config),
                                    printer_profile(printer_config),
                                    poll_interval_s=3600).start()
        store = SqliteStore(tmp_path / "staff.sqlite3", terminal_id=config.terminal_id)
        tickets = StaffClosedTickets(TicketService(config, store, printer),
                                     StaffStore(store), config)
        staff = StaffService(config, StaffStore(store), PinFile(data_dir / "staff-pin"),
                             printer=printer, tickets=tickets, wall=wall)
        staff.pin.set(PIN)
        app = KioskApp(config, tickets, monotonic=ticks, printer=printer, staff=staff)
        app.store = store
        start_embedded(app)
        try:
            yield app, sim, printer
        finally:
            detach(app)
            printer.close()
            store.close()


def _paper_entries(app):
    from kiosk.store.staff_sqlite import StaffStore

    return [d for _at, a, _t, d in StaffStore(app.store).audit_entries()
            if a == "paper_replaced"]


def test_paper_replaced_reads_the_printer_now_and_clears_the_notice(paper_kiosk, ticks):
    app, sim, printer = paper_kiosk
    assert wait_until(lambda: printer.status.state is PrinterState.PAPER_OUT, timeout_s=10)
    step(2)
    assert app.printer_ok is False
    assert app.root.get_screen("language").ids.notice.text  # visitors are told

    menu = _login(app, ticks)
    # pressed before the roll is in: staff hear that the printer still has none
    _press(app, app.tr("Paper replaced"))
    still = app.tr("The printer still reports no paper: check the roll.")
    assert wait_until(lambda: menu.result == still, timeout_s=15), menu.result
    assert app.printer_ok is False

    sim.set_fault(paper_out=False)  # the new roll
    _press(app, app.tr("Paper replaced"))
    assert wait_until(lambda: menu.result == app.tr("The printer reports paper: OK."),
                      timeout_s=15), menu.result
    assert printer.status.state is PrinterState.ONLINE
    assert wait_until(lambda: app.printer_ok, timeout_s=5)
    _press(app, app.tr("Close staff mode"))
    step(3)
    assert app.root.current == "language"
    assert app.root.get_screen("language").ids.notice.text == ""
    assert _paper_entries(app) == ["paper_out", "online"]
