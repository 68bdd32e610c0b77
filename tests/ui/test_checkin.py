"""Check-in on the screen, tapped through Kivy's input path, with the real store, a file
printer and scans arriving through the real serial scanner worker on a pty: scan ->
ticket, keypad -> ticket, a Wi-Fi code, too late -> walk-in ticket, too early, a scan on
another screen, and the idle reset. Asserts on what the visitor sees."""

from __future__ import annotations

import dataclasses
import time
from datetime import timedelta

import pytest
from kivy.uix.label import Label

from kiosk.app import find_button, step, tap, wait_until
from kiosk.domain.appointment import Booking, BookingStatus
from kiosk.widgets.common import REPEAT_GUARD_S
from tests.conftest import MINIMAL_CONFIG, write_config
from tests.integration.test_scanner_pty import ScannerPty
from tests.ui.conftest import HEIGHT, WIDTH, detach

KEY = bytes(range(32))
REF = "204517"
APPOINTMENTS = '\n[appointments]\noffice_id = "bb-test"\n'
WIFI = "WIFI:T:WPA;S:Buero-Gast;P:geheim123;;"


@pytest.fixture
def scanner_pty(tmp_path):
    pty = ScannerPty(tmp_path / "scanner")
    yield pty
    pty.close()


@pytest.fixture
def checkin_app(tmp_path, clock, ticks, scanner_pty):
    """The app with check-in offered, its scanner worker on a pty, a fixed clock."""
    from kiosk.app import KioskApp, start_embedded
    from kiosk.config import ScannerConfig, load_config
    from kiosk.devices.scanner.handoff import ScanHandoff
    from kiosk.services.issue_ticket import TicketService
    from kiosk.store.sqlite import SqliteStore
    from kiosk.wiring import build_printer, build_scanner, check_in_service

    text = MINIMAL_CONFIG.replace("{printer_path}", str(tmp_path / "printer.bin"))
    config = load_config(write_config(tmp_path, text + APPOINTMENTS))
    config = dataclasses.replace(config, screen=dataclasses.replace(
        config.screen, width_px=WIDTH, height_px=HEIGHT))
    store = SqliteStore(tmp_path / "checkin.sqlite3", terminal_id="ui")
    tickets = TicketService(config, store, build_printer(config.printer), clock=clock)
    service = check_in_service(config, store, tickets=tickets, keys=(KEY,))
    scans = ScanHandoff()
    # the same builder `kiosk run` uses, on the pty
    scanner = build_scanner(ScannerConfig("serial", str(scanner_pty.link)), scans)
    assert wait_until(lambda: scanner.state.value == "online", timeout_s=20)
    app = start_embedded(KioskApp(config, tickets, monotonic=ticks, check_in=service,
                                  scans=scans))
    app.store, app.scanner_pty = store, scanner_pty
    yield app
    detach(app)
    scanner.close()
    store.close()


def book(app, clock, minutes=10, ref=REF):
    booking = Booking(ref, "anmeldung", "bb-test", clock.now + timedelta(minutes=minutes),
                      15, BookingStatus.CONFIRMED)
    app.store.import_bookings([booking], clock.now)


def signed(ref=REF) -> str:
    from kiosk.domain.checkin_code import make_signed_code

    return make_signed_code(ref, KEY, "bb-test")


def scan(app, payload: str) -> None:
    app.scanner_pty.send(payload.encode("utf-8") + b"\r")


def texts(app) -> list[str]:
    """Every text the visitor can see now."""
    return [w.text for w in app.root.walk(restrict=False)
            if isinstance(w, Label) and w.text and w.get_root_window() is not None
            and w.opacity > 0]


def open_check_in(app, lang_button="English"):
    step(5)
    tap(find_button(app.root, lang_button))
    assert app.root.current == "services"
    step(5)
    tap(find_button(app.root, "I have an appointment"))
    assert app.root.current == "checkin_scan"
    step(5)
    assert "Scan your code" in texts(app)


def ticket_rows(app):
    return app.store._db.execute("SELECT number, kind FROM ticket ORDER BY id").fetchall()


def test_a_scan_through_the_serial_scanner_checks_in_and_prints(checkin_app, clock,
                                                                 tmp_path):
    app = checkin_app
    book(app, clock)
    open_check_in(app)
    scan(app, signed())
    screen = app.root.get_screen("checkin_ticket")
    assert wait_until(lambda: app.root.current == "checkin_ticket" and
                      screen.printed is not None, timeout_s=30)
    ids = screen.ids
    assert ids.number.text == "T001"
    assert "Your appointment: 09:10" in ids.service.text
    assert ids.ahead.text == "People ahead of you" and ids.ahead_value.text == "0"
    assert ids.status.text == "Please take your ticket from the printer below."
    assert b"T001" in (tmp_path / "printer.bin").read_bytes()
    assert ticket_rows(app) == [("T001", "appointment")]
    step(5)  # a screen shown for the first time is placed over the next frames
    tap(find_button(app.root, "Finish"))
    assert app.root.current == "language" and app.lang == "de"


def test_the_start_screen_entry_opens_the_scan_screen(checkin_app):
    app = checkin_app
    entry = next(w for w in app.root.walk(restrict=False)
                 if getattr(w, "checkin_entry", False) and w.get_root_window() is not None)
    assert "I have an appointment" in entry.text  # English under the default language
    tap(entry)
    assert app.root.current == "checkin_scan"
    tap(find_button(app.root, app.tr("Back")))
    assert app.root.current == "language"


def test_keypad_validates_as_you_type_and_checks_in(checkin_app, clock):
    app = checkin_app
    book(app, clock)
    open_check_in(app)
    tap(find_button(app.root, "Type the booking code instead"))
    keypad = app.root.get_screen("checkin_keypad")
    assert app.root.current == "checkin_keypad"
    step(5)
    keys = keypad.keys
    mm = app.px_per_mm
    assert min(k.height for k in keys.values()) >= 15 * mm
    assert min(k.width for k in keys.values()) >= 15 * mm
    for digit in "204":
        tap(keys[digit])
    assert keypad.ids.code.text == "204" and keys["ok"].kind == "disabled"
    tap(keys["ok"])  # three digits are no booking code: nothing happens
    assert app.root.current == "checkin_keypad"
    for digit in "5179":
        tap(keys[digit])
    tap(keys["delete"])
    assert keypad.ids.code.text == REF and keys["ok"].kind == "primary"
    assert keypad.ids.state.text == "Tap OK to check in."
    time.sleep(REPEAT_GUARD_S)  # OK was pressed before: not a bounce of that press
    tap(keys["ok"])
    screen = app.root.get_screen("checkin_ticket")
    assert wait_until(lambda: app.root.current == "checkin_ticket" and
                      screen.printed is not None, timeout_s=30)
    assert screen.ids.number.text == "T001" and screen.printed is True


def test_a_thirteenth_digit_is_not_taken_and_says_why(checkin_app):
    app = checkin_app
    open_check_in(app)
    tap(find_button(app.root, "Type the booking code instead"))
    keypad = app.root.get_screen("checkin_keypad")
    for _ in range(13):
        keypad.press("1")  # the keys themselves ignore presses within 0.5 s
    step(2)
    assert keypad.ids.code.text == "1" * 12
    assert keypad.ids.state.text == "A booking code has at most 12 digits."


def test_a_wifi_code_is_refused_with_what_it_is_and_never_shown(checkin_app):
    app = checkin_app
    open_check_in(app)
    scan(app, WIFI)
    screen = app.root.get_screen("checkin_result")
    assert wait_until(lambda: screen.result is not None, timeout_s=30)
    step(5)
    assert app.root.current == "checkin_result"
    message = screen.ids.message.text
    assert message.startswith("This is a Wi-Fi code, not an appointment confirmation.")
    shown = " ".join(texts(app))
    assert "geheim123" not in shown and "Buero-Gast" not in shown
    tap(find_button(app.root, "Try again"))
    assert app.root.current == "checkin_scan"
    assert ticket_rows(app) == []


def test_too_late_offers_a_walk_in_ticket_in_one_tap(checkin_app, clock, tmp_path):
    app = checkin_app
    book(app, clock, minutes=-30)
    open_check_in(app)
    scan(app, signed())
    screen = app.root.get_screen("checkin_result")
    assert wait_until(lambda: screen.result is not None, timeout_s=30)
    assert "too late" in screen.ids.message.text
    step(5)
    tap(find_button(app.root, "Take a walk-in ticket"))
    ticket = app.root.get_screen("ticket")
    assert wait_until(lambda: app.root.current == "ticket" and ticket.printed is not None,
                      timeout_s=30)
    assert ticket.ids.number.text == "A001"
    assert ticket_rows(app) == [("A001", "walk_in")]


def test_too_early_says_when_to_come_back(checkin_app, clock):
    app = checkin_app
    book(app, clock, minutes=120)
    open_check_in(app)
    scan(app, signed())
    screen = app.root.get_screen("checkin_result")
    assert wait_until(lambda: screen.result is not None, timeout_s=30)
    assert screen.ids.come_back.text == "10:30"
    assert "10:30" in screen.ids.message.text
    step(5)
    tap(find_button(app.root, "Back to start"))
    assert app.root.current == "language"
    assert ticket_rows(app) == []


def test_a_scan_on_another_screen_only_shows_the_hint(checkin_app, clock):
    app = checkin_app
    book(app, clock)
    tap(find_button(app.root, "English"))
    scan(app, signed())
    assert wait_until(lambda: any("tap “I have an appointment” first" in t
                                  for t in texts(app)), timeout_s=30)
    step(10)
    assert app.root.current == "services" and ticket_rows(app) == []


def test_the_idle_reset_wipes_the_typed_code_and_the_result(checkin_app, clock, ticks):
    app = checkin_app
    open_check_in(app)
    scan(app, WIFI)
    result = app.root.get_screen("checkin_result")
    assert wait_until(lambda: result.result is not None, timeout_s=30)
    step(5)
    tap(find_button(app.root, "Try again"))
    tap(find_button(app.root, "Type the booking code instead"))
    keypad = app.root.get_screen("checkin_keypad")
    for digit in "2045":
        keypad.press(digit)
    assert keypad.ids.code.text == "2045"
    ticks.t += app.kiosk_config.idle_timeout_s + 1  # the visitor walked away
    assert wait_until(lambda: app.root.current == "language", timeout_s=5)
    assert keypad.ids.code.text == "" and keypad.digits == ""
    assert result.result is None
    open_check_in(app)
    tap(find_button(app.root, "Type the booking code instead"))
    assert keypad.ids.code.text == "" and app.lang == "en"


def test_no_store_call_of_a_check_in_runs_on_the_ui_thread(checkin_app, clock):
    """Scan -> ticket: the source, the store and the printer are only used in workers."""
    from tests.ui.test_never_waits import StoreWatch

    app = checkin_app
    book(app, clock)  # the test's own set-up, on this thread
    watch = StoreWatch(app.store)
    open_check_in(app)
    scan(app, signed())
    screen = app.root.get_screen("checkin_ticket")
    assert wait_until(lambda: screen.printed is not None, timeout_s=30)
    assert screen.ids.number.text == "T001" and watch.ui_calls == []


@pytest.fixture
def window_kept():
    """render_screenshot sizes the window for its screen: the next tests expect theirs."""
    from kivy.core.window import Window

    size = tuple(Window.size)
    yield
    Window.size = size


@pytest.mark.parametrize("screen,state", [
    ("checkin_scan", {}), ("checkin_keypad", {"code": "2045"}),
    ("checkin_result", {"outcome": "checking"}),
    ("checkin_result", {"outcome": "not_a_booking", "refusal": "boarding_pass"}),
    ("checkin_result", {"outcome": "checked_in", "printed": "false"}),
])
def test_kiosk_screenshot_renders_the_check_in_screens(tmp_path, window_kept, screen,
                                                       state):
    from PIL import Image

    from kiosk.config import load_config
    from kiosk.paths import config_resource
    from kiosk.ui_runner import render_screenshot

    config = load_config(config_resource("demo.toml"))
    out = render_screenshot(config, screen, "ar", tmp_path / "shot.png", (1280, 800),
                            dict(state, large_text="true"), (217.0, 136.0))
    assert len(Image.open(out).convert("RGB").getcolors(maxcolors=100_000) or []) > 10


def test_kiosk_screenshot_refuses_an_unknown_outcome(tmp_path, window_kept):
    from kiosk.config import load_config
    from kiosk.paths import config_resource
    from kiosk.ui_runner import render_screenshot

    from kivy.app import App

    config = load_config(config_resource("demo.toml"))
    before = App.get_running_app()
    with pytest.raises(KeyError, match="outcomes: checking"):
        render_screenshot(config, "checkin_result", "de", tmp_path / "x.png", None,
                          {"outcome": "lost"})
    # refused before an app was made: an app torn down before its first frame left its
    # pending layout work to the next test's frames, which pinned kv's `app` to it
    assert App.get_running_app() is before


def test_a_result_that_comes_after_the_idle_reset_is_not_shown_to_the_next_visitor(
        checkin_app, clock, ticks):
    """GIVEN the booking look-up is slow and the visitor walks away while it runs WHEN
    the screen has started over and the answer comes THEN the start screen stays (the
    ticket is still issued and printed: the check-in happened)."""
    import threading

    app = checkin_app
    book(app, clock)
    gate = threading.Event()
    source = app.check_in.service.source
    real_find = source.find

    def slow_find(code):
        gate.wait(30)
        return real_find(code)

    source.find = slow_find
    open_check_in(app)
    scan(app, signed())
    assert wait_until(lambda: app.root.current == "checkin_result", timeout_s=30)
    assert "Checking your booking…" in texts(app)
    ticks.t += app.kiosk_config.idle_timeout_s + 1
    assert wait_until(lambda: app.root.current == "language", timeout_s=5)
    gate.set()
    assert wait_until(lambda: ticket_rows(app) == [("T001", "appointment")], timeout_s=30)
    assert wait_until(lambda: not app.check_in.busy, timeout_s=30)
    step(10)
    assert app.root.current == "language"
    assert "T001" not in " ".join(texts(app))


def test_no_entry_when_the_check_in_service_could_not_be_built(tmp_path, ticks):
    """[appointments] is on but the service failed at start (the terminal logged why):
    no "I have an appointment" that could only answer "not possible"; scans get the
    hint that codes are not checked in here."""
    from kiosk.app import KioskApp, start_embedded
    from kiosk.config import load_config
    from kiosk.services.issue_ticket import TicketService
    from kiosk.store.sqlite import SqliteStore
    from kiosk.widgets.scan_hint import NOT_OFFERED

    text = MINIMAL_CONFIG.replace("{printer_path}", str(tmp_path / "printer.bin"))
    config = load_config(write_config(tmp_path, text + APPOINTMENTS))
    config = dataclasses.replace(config, screen=dataclasses.replace(
        config.screen, width_px=WIDTH, height_px=HEIGHT))
    store = SqliteStore(tmp_path / "none.sqlite3", terminal_id="ui")
    app = start_embedded(KioskApp(config, TicketService(config, store, None),
                                  monotonic=ticks, check_in=None))
    try:
        step(5)
        assert not any(getattr(w, "checkin_entry", False)
                       for w in app.root.walk(restrict=False))
        app.check_in.scan(WIFI)
        step(2)
        assert app.tr(NOT_OFFERED) in texts(app)  # in the screen's language
        assert app.root.current == "language"
    finally:
        detach(app)
        store.close()


@pytest.mark.parametrize("lang, state", [
    ("fa", {"notice": "longer_waits"}), ("el", {"notice": "longer_waits"}),
    ("de", {"large_text": "true"}), ("el", {"large_text": "true"}),
])
def test_the_check_in_entry_is_in_view_on_the_start_screen(make_app, ui_config, lang,
                                                           state):
    """On the largest configured screen a visitor with an appointment sees "I have an
    appointment" without scrolling, also under today's notice or with larger text (the
    greeting gives way, the English line shares the entry's line)."""
    import dataclasses

    from kiosk.app import step
    from kiosk.config import load_config
    from kiosk.paths import config_resource
    from kiosk.ui_runner import apply_state

    config = load_config(config_resource("demo.toml"))  # all 12 languages, 1920x1080
    app = make_app(config=dataclasses.replace(config, screen=ui_config.screen))
    apply_state(app, "language", lang, {"checkin": "true", **state})
    step(5)
    screen = app.root.get_screen("language")
    entry = next(w for w in screen.walk(restrict=False) if getattr(w, "checkin_entry", False))
    area = screen.ids.area
    assert entry.to_window(entry.x, entry.y)[1] >= area.to_window(area.x, area.y)[1], \
        "the entry is below the fold"
