"""Staff mode on the touchscreen, headless with real pixels: the corner gesture, PIN pad,
lockout, each staff function, and the staff idle close. Time is the app's monotonic
clock, moved by hand; wall time for the lockout is a fake too."""

from __future__ import annotations

import pytest

from kiosk.app import find_button, step, tap, wait_until
from tests.ui.conftest import detach

PIN = "482913"


@pytest.fixture
def staff_app(tmp_path, ui_config, ticks, wall, data_dir):
    from kiosk.app import KioskApp, start_embedded
    from kiosk.services.issue_ticket import TicketService
    from kiosk.services.staff import PinFile, StaffClosedTickets, StaffService
    from kiosk.store.sqlite import SqliteStore
    from kiosk.store.staff_sqlite import StaffStore
    from kiosk.wiring import build_printer_supervisor

    made = []

    def make(pin: str | None = PIN):
        store = SqliteStore(tmp_path / "staff.sqlite3", terminal_id=ui_config.terminal_id)
        printer = build_printer_supervisor(ui_config.printer)
        tickets = StaffClosedTickets(TicketService(ui_config, store, printer),
                                     StaffStore(store), ui_config)
        staff = StaffService(ui_config, StaffStore(store), PinFile(data_dir / "staff-pin"),
                             printer=printer, tickets=tickets, wall=wall)
        if pin and not staff.pin.exists():
            staff.pin.set(pin)
        app = KioskApp(ui_config, tickets, monotonic=ticks, printer=printer, staff=staff)
        app.store = store
        made.append(app)
        start_embedded(app)
        return app

    yield make
    for app in made:
        detach(app)
        app.printer.close()
        app.store.close()


def _touch_corner(app):
    from kiosk.widgets.touch import SyntheticTouch

    root = app.root
    touch = SyntheticTouch(root.x + 5, root.top - 5)
    touch.touch_down()
    step(1)
    return touch


def _open_pad(app, ticks):
    touch = _touch_corner(app)
    ticks.t += 3.0
    assert wait_until(lambda: app.root.current == "staff_pin", timeout_s=3)
    touch.touch_up()
    step(2)
    return app.root.get_screen("staff_pin")


def _key(pad, label):
    return next(k for k in pad.ids.keypad.children if k.pin_key == label)


def _enter(app, pin):
    pad = app.root.get_screen("staff_pin")
    for digit in pin:
        pad.press(digit)  # the keys' own tap path is exercised in test_pin_pad_keys
    pad.submit()


def _login(app, ticks):
    _open_pad(app, ticks)
    _enter(app, PIN)
    assert wait_until(lambda: app.root.current == "staff_menu", timeout_s=10)
    menu = app.root.get_screen("staff_menu")
    assert wait_until(lambda: menu.status, timeout_s=10)  # the first reading is in
    return menu


def _press(app, text: str) -> None:
    """Tap a staff menu button, scrolled into view first (the menu is long)."""
    step(3)  # a result on its way rebuilds the menu: find the button after it
    button = find_button(app.root, text)
    view = app.root.get_screen("staff_menu").ids.area.ids.view
    view.scroll_to(button, padding=10, animate=False)
    step(3)
    tap(button)


def _actions(app):
    from kiosk.store.staff_sqlite import StaffStore

    return [a for _at, a, _t, _d in StaffStore(app.store).audit_entries()]


def test_a_short_tap_in_the_corner_does_nothing(staff_app, ticks):
    app = staff_app()
    touch = _touch_corner(app)
    ticks.t += 1.0
    app.root.check_corner()  # what the app's clock runs ten times a second
    step(3)
    assert app.root.current == "language"
    touch.touch_up()
    step(2)
    ticks.t += 5.0  # long after the finger left
    app.root.check_corner()
    step(5)
    assert app.root.current == "language"


def test_a_hold_elsewhere_does_nothing(staff_app, ticks):
    from kiosk.widgets.touch import SyntheticTouch

    app = staff_app()
    touch = SyntheticTouch(app.root.center_x, app.root.center_y)
    touch.touch_down()
    step(1)
    ticks.t += 5.0
    app.root.check_corner()
    step(5)
    touch.touch_up()
    step(2)
    assert app.root.current != "staff_pin"


def test_pin_pad_keys_mask_and_a_wrong_pin_is_refused(staff_app, ticks):
    app = staff_app()
    pad = _open_pad(app, ticks)
    for digit in "7391":
        tap(_key(pad, digit))
    assert pad.digits == "7391" and pad.ids.dots.text == "••••"
    assert "7" not in pad.ids.dots.text
    tap(_key(pad, "del"))
    assert pad.digits == "739"
    tap(_key(pad, "ok"))
    assert wait_until(lambda: pad.ids.message.text == app.tr("Wrong PIN. Please try again."))
    assert app.root.current == "staff_pin" and not app.staff.active and pad.digits == ""


def test_right_pin_opens_the_menu_with_the_device_status(staff_app, ticks):
    app = staff_app()
    menu = _login(app, ticks)
    assert app.staff.active
    assert wait_until(lambda: menu.status, timeout_s=10)
    texts = [w.text for w in menu.walk() if hasattr(w, "text")]
    assert any(t.startswith(app.tr("Printer")) and app.tr("working") in t for t in texts)
    assert "entry" in _actions(app)


def test_five_wrong_pins_lock_the_pad_and_a_restart_keeps_the_lock(staff_app, ticks, wall):
    app = staff_app()
    pad = _open_pad(app, ticks)
    for attempt in range(5):
        _enter(app, "739104")
        assert wait_until(lambda: pad.refusal in ("wrong", "locked") and
                          not app.staff._busy.locked(), timeout_s=10)
    assert wait_until(lambda: pad.refusal == "locked")
    assert "0:30" in pad.ids.message.text
    _enter(app, PIN)  # refused while locked, without asking the service
    step(3)
    assert app.root.current == "staff_pin"
    app.staff.close()
    detach(app)
    app.printer.close()
    app.store.close()
    app = staff_app()  # the app restarted: the lock is in the store
    pad = _open_pad(app, ticks)
    _enter(app, PIN)
    assert wait_until(lambda: pad.refusal == "locked", timeout_s=10)
    wall.now += 31
    ticks.t += 31
    assert wait_until(lambda: pad.refusal == "", timeout_s=3)
    _enter(app, PIN)
    assert wait_until(lambda: app.root.current == "staff_menu", timeout_s=10)
    assert _actions(app).count("lockout") == 1


def test_staff_mode_closes_itself_after_inactivity(staff_app, ticks):
    app = staff_app()
    menu = _login(app, ticks)
    menu.figures = {"tickets": {}, "checkins": {}, "print_failures": 0,
                    "median_wait_min": None}
    ticks.t += app.kiosk_config.staff.idle_timeout_s - 5
    step(3)
    assert app.root.current == "staff_menu" and not app.root.idle_warning_visible
    ticks.t += 6
    assert wait_until(lambda: app.root.current == "language", timeout_s=3)
    assert not app.staff.active and menu.figures is None and menu.status == []
    assert wait_until(lambda: "idle_close" in _actions(app))


def test_test_print_reaches_the_file_printer(staff_app, ticks, ui_config):
    from pathlib import Path

    app = staff_app()
    menu = _login(app, ticks)
    out = Path(ui_config.printer.path)
    before = out.stat().st_size if out.exists() else 0
    _press(app, app.tr("Test print"))
    assert wait_until(lambda: menu.result == app.tr("Test page printed."), timeout_s=15)
    assert out.stat().st_size > before and b"\x1b@" in out.read_bytes()
    assert "test_print" in _actions(app)


def test_paper_replaced_is_recorded(staff_app, ticks):
    app = staff_app()
    menu = _login(app, ticks)
    _press(app, app.tr("Paper replaced"))
    # the printer (a file here) is read at once and reports paper
    assert wait_until(lambda: menu.result == app.tr("The printer reports paper: OK."))
    assert "paper_replaced" in _actions(app)


def test_closed_service_shows_the_message_and_issues_nothing(staff_app, ticks):
    app = staff_app()
    _login(app, ticks)
    message = app.tr("Closed today")
    buttons = [b for b in app.root.get_screen("staff_menu").walk()
               if getattr(b, "text", None) == message]
    view = app.root.get_screen("staff_menu").ids.area.ids.view
    view.scroll_to(buttons[1], padding=10, animate=False)
    step(3)
    tap(buttons[1])  # the second service's row ("ausweis")
    assert wait_until(lambda: app.staff.settings.closed == {"ausweis": "closed_today"},
                      timeout_s=10)
    _press(app, app.tr("Close staff mode"))
    assert app.root.current == "language" and not app.staff.active
    tap(find_button(app.root, "English"))
    services = app.root.get_screen("services")
    button = next(b for b in services.walk() if getattr(b, "service_id", "") == "ausweis")
    assert "Closed today" in button.text and button.kind == "disabled"
    tap(button)
    assert "Closed today" in services.ids.message.text
    # and the service itself refuses, as a second line of defence (CLI, a stale screen)
    from kiosk.services.issue_ticket import Refused

    with pytest.raises(Refused) as refused:
        app.tickets.issue("ausweis", "en")
    assert refused.value.reason.value == "staff_closed"
    assert app.store.issued_today("ausweis", app.staff.staff.today()) == 0
    assert "service_closed" in _actions(app)


@pytest.mark.parametrize("lang", ["de", "ar"])
def test_notice_shown_on_the_start_screen(staff_app, ticks, lang, tmp_path):
    app = staff_app()
    _login(app, ticks)
    notice = app.tr("Card payment only today.")
    _press(app, notice)
    assert wait_until(lambda: app.staff.settings.notice == "card_only", timeout_s=10)
    _press(app, app.tr("Close staff mode"))
    app.set_language(lang)
    step(3)
    banner = app.root.notice_banner
    assert banner.parent is not None and banner.ids.text.text == app.tr(
        "Card payment only today.")
    assert banner.get_root_window() is not None
    from tests.ui.conftest import screenshot

    screenshot(app, tmp_path / f"notice-{lang}.png")
    tap(find_button(app.root, app.kiosk_config.languages and "English"))
    assert banner.parent is None  # only on the start screen


def test_out_of_service_and_back(staff_app, ticks):
    from kiosk.i18n import gettext_for
    from kiosk.services.staff_texts import OUT_OF_SERVICE

    app = staff_app()
    _login(app, ticks)
    _press(app, app.tr("Out of service"))
    assert wait_until(lambda: app.staff.settings.out_of_service, timeout_s=10)
    _press(app, app.tr("Close staff mode"))
    assert app.root.current == "out_of_service"
    texts = [w.text for w in app.root.get_screen("out_of_service").ids.lines.children]
    for lang in app.kiosk_config.languages:
        assert gettext_for(lang)(OUT_OF_SERVICE) in texts
    ticks.t += 10_000
    step(3)
    assert app.root.current == "out_of_service"  # stays, no visitor timeout
    _login(app, ticks)
    _press(app, app.tr("Back in service"))
    assert wait_until(lambda: not app.staff.settings.out_of_service, timeout_s=10)
    _press(app, app.tr("Close staff mode"))
    assert app.root.current == "language"


def test_figures_and_reprint_audited(staff_app, ticks, ui_config):
    from pathlib import Path

    app = staff_app()
    issued = app.tickets.issue("anmeldung", "de")
    app.tickets.print_ticket(issued)
    app.store.count_checkin(app.staff.staff.today(), "anmeldung", "too_early")
    today = app.staff.staff.today()
    for event, step_name in (("started", "de"), ("started", "ar"), ("started", "de"),
                             ("finished", None), ("finished", None), ("abandoned", "household")):
        app.store.count_intake(today, event, step_name, persons=1 if event == "finished"
                               else None)
    menu = _login(app, ticks)
    _press(app, app.tr("Today's figures"))
    assert wait_until(lambda: menu.figures is not None, timeout_s=10)
    assert menu.figures["tickets"] == {"anmeldung": 1}
    assert menu.figures["checkins"] == {"refused_too_early": 1}
    step(2)
    label = [w.text for w in menu.walk() if "1" in getattr(w, "text", "")
             and app.tr("Check-ins: {count}").split(":")[0] in getattr(w, "text", "")]
    assert label
    assert any(app.tr("Check-ins refused: {count}").format(count=1) in
               getattr(w, "text", "") for w in menu.walk())
    # intakes: finished and abandoned from the store's intake statistics
    assert menu.figures["intakes"] == {"started": 3, "finished": 2, "abandoned": 1}
    texts = [getattr(w, "text", "") for w in menu.walk()]
    assert any(app.tr("Intakes: {count}").format(count=2) in t for t in texts)
    assert any(app.tr("Intakes abandoned: {count}").format(count=1) in t for t in texts)
    out = Path(ui_config.printer.path)
    before = out.stat().st_size
    _press(app, app.tr("Reprint the last ticket"))
    assert wait_until(lambda: menu.result == app.tr("The last ticket was printed again."),
                      timeout_s=15)
    assert out.stat().st_size > before
    assert "reprint" in _actions(app)


def test_restart_asks_the_app_to_stop_with_the_restart_code(staff_app, ticks, monkeypatch):
    from kiosk.screens.staff_controller import RESTART_EXIT_CODE

    app = staff_app()
    _login(app, ticks)
    stopped = []
    monkeypatch.setattr(app, "stop", lambda *a: stopped.append(app.exit_code))
    _press(app, app.tr("Restart the app"))
    assert stopped == [RESTART_EXIT_CODE] and RESTART_EXIT_CODE != 0
