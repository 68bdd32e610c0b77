"""The terminal on the office server ([store] backend "http") when the server cannot be
reached, on the screen: "ask at the desk", a number from the reserved range with a
plain note, and a check-in kept in the outbox with an honest answer."""

from __future__ import annotations

import dataclasses

import pytest

from kiosk.app import find_button, tap, wait_until
from tests.conftest import MINIMAL_CONFIG, write_config
from tests.server_process import free_port
from tests.ui.conftest import HEIGHT, WIDTH, detach

APPOINTMENTS = '\n[appointments]\noffice_id = "bb-test"\n'
HTTP = """
[store]
backend = "http"
url = "http://127.0.0.1:{port}"
token_file = "{token}"
timeout_s = 1.0
retries = 0
offline = "{offline}"
offline_range = "900-999"
"""


@pytest.fixture
def offline_app(tmp_path, ticks):
    """make(offline): the app wired as `kiosk run` wires backend "http", with nothing
    listening at the server's address."""
    from kiosk.app import KioskApp, start_embedded
    from kiosk.config import load_config
    from kiosk.wiring import build_printer, check_in_service, open_store, server_link
    from kiosk.wiring import ticket_service

    made = []

    def make(offline: str):
        token = tmp_path / "token"
        token.write_text("terminal-token\n", encoding="utf-8")
        text = MINIMAL_CONFIG.replace("{printer_path}", str(tmp_path / "printer.bin")) \
            + APPOINTMENTS + HTTP.format(port=free_port(), token=token, offline=offline)
        config = load_config(write_config(tmp_path, text))
        config = dataclasses.replace(config, screen=dataclasses.replace(
            config.screen, width_px=WIDTH, height_px=HEIGHT))
        store = open_store(config)
        link = server_link(config)
        tickets = ticket_service(config, store, build_printer(config.printer), link=link)
        check_in = check_in_service(config, store, tickets=tickets, link=link)
        app = start_embedded(KioskApp(config, tickets, monotonic=ticks, check_in=check_in))
        app.store, app.link = store, link
        made.append(app)
        return app

    yield make
    for app in made:
        detach(app)
        app.link.close()
        app.store.close()


def test_ask_at_the_desk_is_shown_plainly(offline_app, tmp_path):
    app = offline_app("ask_at_desk")
    tap(find_button(app.root, "English"))
    tap(find_button(app.root, "Address registration"))
    services = app.root.get_screen("services")
    assert wait_until(lambda: app.root.current == "services" and
                      "cannot reach the office server" in services.ids.message.text,
                      timeout_s=30)
    assert services.ids.message.text == (
        "No number can be issued here right now: this terminal cannot reach the office "
        "server. Please ask at the information desk.")
    assert not (tmp_path / "printer.bin").exists()  # nothing printed, no number
    assert app.link.outbox.length() == 0


def test_a_number_from_the_reserved_range_says_so(offline_app, tmp_path):
    app = offline_app("local_range")
    tap(find_button(app.root, "English"))
    tap(find_button(app.root, "Address registration"))
    ticket = app.root.get_screen("ticket")
    assert wait_until(lambda: ticket.printed is not None, timeout_s=30)
    assert ticket.ids.number.text == "A900" and ticket.printed is True
    assert ticket.ids.watch.text.startswith(
        "This terminal cannot reach the office server right now. Your number is valid all "
        "the same.")
    assert ticket.ids.ahead_value.text == "not known yet"
    assert b"A900" in (tmp_path / "printer.bin").read_bytes()
    assert [e.body["number"] for e in app.link.outbox.pending()] == ["A900"]
    # the next visitor's ticket screen has no note (a number of the server)
    ticket.show_ticket("A001", "anmeldung", 0, None, printed=True)
    assert "office server" not in ticket.ids.watch.text


def test_a_check_in_waits_in_the_outbox_and_the_visitor_is_told(offline_app):
    app = offline_app("local_range")
    tap(find_button(app.root, "English"))
    assert app.check_in.submit("204517", typed=True)
    screen = app.root.get_screen("checkin_result")
    assert wait_until(lambda: app.root.current == "checkin_result" and
                      screen.result is not None, timeout_s=30)
    assert screen.ids.message.text.startswith("Your check-in has been recorded.")
    assert "ask at the information desk" in screen.ids.message.text
    with pytest.raises(LookupError):  # it is done: nothing to try again
        find_button(app.root, "Try again")
    entries = app.link.outbox.pending()
    assert [(e.kind, e.body["typed"]) for e in entries] == [("checkin", True)]


def test_a_walk_in_instead_of_a_late_check_in_from_the_range_says_so(offline_app):
    from kiosk.services.check_in_result import CheckInOutcome, CheckInResult

    app = offline_app("local_range")
    tap(find_button(app.root, "English"))
    late = CheckInResult(CheckInOutcome.TOO_LATE, service="anmeldung")
    assert app.check_in.walk_in_instead(late)
    ticket = app.root.get_screen("ticket")
    assert wait_until(lambda: ticket.printed is not None, timeout_s=30)
    assert ticket.ids.number.text == "A900"
    assert ticket.ids.watch.text.startswith("This terminal cannot reach the office server")
