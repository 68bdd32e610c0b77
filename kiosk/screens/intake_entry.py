"""The way into the Anmeldung intake: a "Register your new address" button at the top of
the services screen, in the visitor's language, when [intake] is enabled."""

from __future__ import annotations

from kiosk.i18n import N_
from kiosk.widgets.common import BigButton, discard

ENTRY = N_("Register your new address (Anmeldung)")


def place_intake_entry(slot, app) -> None:
    """Put the button into `slot` when the intake is offered, else leave it empty."""
    intake = getattr(app, "intake", None)
    if intake is None or not intake.enabled:
        discard(slot.children)
        slot.clear_widgets()
        return
    text = app.tr(ENTRY)
    kept = [w for w in slot.children if getattr(w, "intake_entry", False)]
    if kept:
        kept[0].text = text
        return
    button = BigButton(text=text, kind="secondary", size_mm=9)
    button.intake_entry = True
    button.bind(on_tap=lambda *_: app.intake.open())
    slot.add_widget(button)
