"""Where the visitor flows (check-in, the Anmeldung intake) lead back to: the screen they
were entered from (the start or the services screen), also after the flow was opened
again from inside it; from any other screen, the start. Tapped through Kivy's input
path with the real store."""

from __future__ import annotations

from kiosk.app import find_button, step, tap
from tests.ui.test_checkin import checkin_app, open_check_in, scanner_pty  # noqa: F401
from tests.ui.test_intake_flow import enter_intake, intake_app  # noqa: F401
from tests.ui.test_intake_flow import tap as tap_waiting


def test_check_in_back_returns_to_the_services_screen(checkin_app):  # noqa: F811
    app = checkin_app
    open_check_in(app)  # from the services screen
    tap(find_button(app.root, "Type the booking code instead"))
    assert app.root.current == "checkin_keypad"
    app.check_in.open()  # opened again from inside the flow: still entered from services
    assert app.root.current == "checkin_scan"
    step(5)
    tap(find_button(app.root, app.tr("Back")))
    assert app.root.current == "services"


def test_check_in_entered_from_elsewhere_leads_back_to_the_start(checkin_app):  # noqa: F811
    app = checkin_app
    app.root.show("ticket")
    app.check_in.open()
    step(5)
    tap(find_button(app.root, app.tr("Back")))
    assert app.root.current == "language"


def test_intake_opened_again_inside_cancels_to_the_services_screen(intake_app):  # noqa: F811
    app = intake_app
    enter_intake(app, "Deutsch")
    app.intake.next_from("intake_bring")
    assert app.root.current == "intake_privacy"
    app.intake.open()  # again from inside: a new draft, still entered from services
    assert app.root.current == "intake_bring"
    app.intake.cancel()
    assert app.root.current == "services" and app.intake.draft is None


def test_intake_entered_from_elsewhere_cancels_to_the_start(intake_app):  # noqa: F811
    app = intake_app
    tap_waiting(find_button(app.root, "Deutsch"))
    app.root.show("ticket")
    app.intake.open()
    assert app.root.current == "intake_bring"
    app.intake.cancel()
    assert app.root.current == "language"
