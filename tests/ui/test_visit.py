"""A visitor's walk: language -> service -> ticket, tapped through Kivy's input path."""

from __future__ import annotations

import threading

from kiosk.app import find_button, step, tap, wait_until
from kiosk.config import PrinterConfig
from tests.ui.conftest import screenshot


def _ticket_rows(app):
    return app.store._db.execute("SELECT number, lang, printed FROM ticket").fetchall()


def test_language_service_ticket(make_app, tmp_path):
    app = make_app()
    assert app.root.current == "language"
    tap(find_button(app.root, "English"))
    assert app.root.current == "services" and app.lang == "en"
    tap(find_button(app.root, "Address registration"))
    ticket = app.root.get_screen("ticket")
    assert wait_until(lambda: ticket.printed is not None)
    assert app.root.current == "ticket"
    assert ticket.ids.number.text == "A001"
    # large figures under small captions
    assert (ticket.ids.ahead.text, ticket.ids.ahead_value.text) == ("People ahead of you", "0")
    assert (ticket.ids.estimate.text, ticket.ids.estimate_value.text) == \
        ("Waiting time", "not known yet")
    assert ticket.ids.ahead_value.font_size > 1.5 * ticket.ids.ahead.font_size
    assert ticket.ids.status.text == "Please take your ticket from the printer below."
    assert _ticket_rows(app) == [("A001", "en", 1)]
    printed = (tmp_path / "printer.bin").read_bytes()
    assert b"A001" in printed and printed.endswith(b"\x1dV\x01")
    image = screenshot(app, tmp_path / "ticket.png")
    assert len(image.getcolors(maxcolors=100_000) or []) > 10  # real pixels, not a blank frame


def test_double_tap_issues_one_ticket(make_app):
    """Two touches on the service button before the next frame: one ticket."""
    from kiosk.widgets.touch import SyntheticTouch

    app = make_app()
    tap(find_button(app.root, "Deutsch"))
    button = find_button(app.root, "Anmeldung einer Wohnung")
    x, y = button.to_window(*button.center)
    for _ in range(2):
        touch = SyntheticTouch(x, y)
        touch.touch_down()
        touch.touch_up()
    ticket = app.root.get_screen("ticket")
    assert wait_until(lambda: ticket.printed is not None)
    step(5)
    assert [row[0] for row in _ticket_rows(app)] == ["A001"]


def test_button_ignores_a_second_press_within_half_a_second(make_app):
    app = make_app()
    button = find_button(app.root, "English")
    taps = []
    button.bind(on_tap=lambda *_: taps.append(1))
    button.dispatch("on_release")
    button.dispatch("on_release")
    assert taps == [1]


def test_second_request_while_issuing_is_ignored(make_app, tmp_path):
    app = make_app()
    app.set_language("de")
    gate = threading.Event()
    original = app.tickets.issue

    def slow_issue(*args):
        gate.wait(5)
        return original(*args)

    app.tickets.issue = slow_issue
    assert app.request_ticket("anmeldung") is True
    assert app.request_ticket("anmeldung") is False
    gate.set()
    ticket = app.root.get_screen("ticket")
    assert wait_until(lambda: ticket.printed is not None)
    assert len(_ticket_rows(app)) == 1


def test_dead_printer_still_gives_the_number(make_app, tmp_path):
    """GIVEN a printer that is not there WHEN a ticket is taken THEN the number is on
    screen, the visitor is told to note it, and the ticket is in the queue."""
    dead = PrinterConfig(transport="serial", device=str(tmp_path / "no-such-printer"))
    app = make_app(printer_config=dead)
    tap(find_button(app.root, "English"))
    tap(find_button(app.root, "Address registration"))
    ticket = app.root.get_screen("ticket")
    assert wait_until(lambda: ticket.printed is not None)
    assert ticket.printed is False
    assert ticket.ids.number.text == "A001"
    assert "could not be printed" in ticket.ids.status.text and "A001" in ticket.ids.status.text
    assert _ticket_rows(app) == [("A001", "en", 0)]


def test_quota_reached_button_says_so_and_issues_nothing(make_app, ui_config):
    app = make_app()
    for _ in range(2):
        app.tickets.issue("ausweis", "de")
        app.tickets._last_issue = float("-inf")
    tap(find_button(app.root, "English"))
    # the screen draws at once and its states follow from a worker's reading
    assert wait_until(lambda: "No more tickets today" in find_button(app.root, "ID card").text)
    button = find_button(app.root, "ID card")
    tap(button)
    assert app.root.current == "services"
    assert "All tickets for this service" in app.root.get_screen("services").ids.message.text
    assert len(_ticket_rows(app)) == 2


def test_finish_returns_to_start_and_forgets(make_app):
    app = make_app()
    tap(find_button(app.root, "English"))
    tap(find_button(app.root, "Larger text"))
    tap(find_button(app.root, "Address registration"))
    ticket = app.root.get_screen("ticket")
    assert wait_until(lambda: ticket.printed is not None)
    tap(find_button(app.root, "Finish"))
    assert app.root.current == "language" and app.lang == "de"
    assert not app.large_text and ticket.number == ""


def test_arabic_mirrors_the_layout(make_app):
    app = make_app()
    tap(find_button(app.root, "العربية"))
    assert app.rtl
    services = app.root.get_screen("services")
    assert services.ids.back.x > services.ids.heading.x  # back button on the right
    assert services.ids.heading.halign == "right"
    app.set_language("en")
    step(3)
    assert services.ids.back.x < services.ids.heading.x


def test_kiosk_keys_do_nothing(make_app):
    from kivy.core.window import Window

    app = make_app()
    tap(find_button(app.root, "English"))
    for key in (27, 282):  # Escape, F1
        Window.dispatch("on_keyboard", key, 0, None, [])
    step(3)
    assert app.root.current == "services"
    assert app.open_settings() is False


def test_printer_trouble_is_announced_before_choosing(make_app):
    from kiosk.devices.printer.status import PrinterState, PrinterStatus

    app = make_app()
    tap(find_button(app.root, "English"))
    app._on_printer_status(PrinterStatus(PrinterState.PAPER_OUT, "paper end"))
    step(3)
    message = app.root.get_screen("services").ids.message.text
    assert "printer is not working" in message and "number on the screen" in message
    app._on_printer_status(PrinterStatus(PrinterState.ONLINE))
    step(3)
    assert app.root.get_screen("services").ids.message.text == ""


def test_all_999_numbers_used_shows_exhausted_not_quota(make_app):
    """GIVEN number 999 of prefix A is issued today (no quota is set for the service)
    THEN its button says all numbers are given out, and a tap explains it, no ticket."""
    from kiosk.domain.clock import business_day

    app = make_app()
    now = app.tickets.clock()
    app.store._db.execute(
        "INSERT INTO ticket (business_day, service, prefix, seq, number, reference, terminal,"
        " lang, issued_at, state) VALUES (?, 'anmeldung', 'A', 999, 'A999', 'ref-999', 'ui',"
        " 'en', ?, 'waiting')", (business_day(now).isoformat(), now.isoformat()))
    tap(find_button(app.root, "English"))
    assert wait_until(lambda: "All numbers given out today" in
                      find_button(app.root, "Address registration").text)
    button = find_button(app.root, "Address registration")
    assert "No more tickets" not in button.text
    tap(button)
    message = app.root.get_screen("services").ids.message.text
    assert message.startswith("All numbers for this service have been given out today.")
    assert len(_ticket_rows(app)) == 1


def test_unreadable_queue_shows_services_unavailable_not_a_crash(make_app, caplog):
    """GIVEN the queue file cannot be read when the services screen is drawn THEN every
    service says it is not available at the moment, a tap sends the visitor to the desk,
    and the reason is in the log for staff."""
    app = make_app()
    app.store.close()  # every later store call fails (as a vanished or broken file does)
    tap(find_button(app.root, "English"))
    assert wait_until(lambda: "Not available at the moment" in
                      find_button(app.root, "Address registration").text)
    button = find_button(app.root, "Address registration")
    tap(button)
    assert app.root.current == "services"
    assert "Please ask at the information desk" in \
        app.root.get_screen("services").ids.message.text
    assert "availability of anmeldung not readable" in caplog.text


def test_people_ahead_unknown_is_said_in_words(make_app):
    """The number was issued but the queue could not be read: 'not known yet', not None."""
    app = make_app()
    ticket = app.root.get_screen("ticket")
    ticket.show_ticket(number="A001", service="anmeldung", people_ahead=None,
                       estimate_min=None, printed=True)
    assert ticket.ids.ahead_value.text == "noch nicht bekannt"
    assert ticket.ids.number.text == "A001"


def test_next_visitor_taps_the_same_language_at_once(make_app):
    """The language buttons are kept from visit to visit (issue 9 item 4): the repeat
    guard of a tap by the last visitor does not swallow the next visitor's tap."""
    app = make_app()
    tap(find_button(app.root, "English"))
    assert app.root.current == "services"
    app.reset_visit()
    step(2)
    tap(find_button(app.root, "English"))
    assert app.root.current == "services" and app.lang == "en"


def _statuses(ticket) -> list[str]:
    """Every text the ticket screen's status line is given from now on."""
    seen: list[str] = []
    ticket.ids.status.bind(text=lambda _label, text: seen.append(text))
    return seen


def test_a_quick_printer_answers_with_the_number(make_app):
    """GIVEN a printer that answers at once WHEN a visitor takes a ticket THEN the number
    comes with "take your ticket from the printer": the status line is not first set to
    "being printed" (one more frame and one more layout for every visit, issue 9 item 4)."""
    app = make_app()
    ticket = app.root.get_screen("ticket")
    tap(find_button(app.root, "English"))
    statuses = _statuses(ticket)
    tap(find_button(app.root, "Address registration"))
    assert wait_until(lambda: ticket.printed is not None)
    assert ticket.ids.number.text == "A001"
    assert [s for s in statuses if s] == ["Please take your ticket from the printer below."]


def test_a_slow_printer_shows_the_number_first(make_app, ticks, monkeypatch):
    """GIVEN a printer that takes long WHEN a visitor takes a ticket THEN the number comes
    once the short hold for the printer's answer has passed, with "being printed", and
    "take your ticket" when the printer has answered."""
    from kiosk.devices.printer.transports import FileTransport
    from kiosk.screens.walk_in import PRINT_HOLD_S

    release, writing = threading.Event(), threading.Event()
    write = FileTransport.write

    def slow_write(transport, data):  # the device, at the very edge
        writing.set()
        release.wait(30)
        write(transport, data)

    monkeypatch.setattr(FileTransport, "write", slow_write)
    app = make_app()
    ticket = app.root.get_screen("ticket")
    tap(find_button(app.root, "English"))
    statuses = _statuses(ticket)
    tap(find_button(app.root, "Address registration"))
    try:
        assert wait_until(writing.is_set), "no write"
        assert wait_until(lambda: app.walk_in._held is not None), (ticket.ids.number.text, ticket.printed)
        step(3)
        assert ticket.ids.number.text == "" and ticket.printed is None  # held, briefly
        ticks.t += 2 * PRINT_HOLD_S
        assert wait_until(lambda: ticket.ids.number.text == "A001")
        assert ticket.ids.status.text == "Your ticket is being printed…"
    finally:
        release.set()
    assert wait_until(lambda: ticket.printed is not None)
    assert [s for s in statuses if s] == ["Your ticket is being printed…",
                                          "Please take your ticket from the printer below."]
