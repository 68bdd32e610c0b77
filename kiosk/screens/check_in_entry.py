"""The way into check-in: an "I have an appointment" button on the start screen (with an
English line, like the language prompt) and at the top of the services screen, in the
visitor's language. Light on purpose: the start screen imports it before its first frame."""

from __future__ import annotations

from kiosk.i18n import N_, gettext_for
from kiosk.widgets.common import BigButton, discard

ENTRY = N_("I have an appointment")


def place_entry(slot, app, bilingual: bool) -> None:
    """Put the button into `slot` (a BoxLayout) when check-in is offered, else leave the
    slot empty (zero high)."""
    check_in = getattr(app, "check_in", None)
    if check_in is None or not check_in.enabled:
        discard(slot.children)
        slot.clear_widgets()
        return
    text = app.tr(ENTRY)
    if bilingual and app.lang != "en":
        # one line where it fits: the start screen keeps the entry above the fold
        text += "  ·  " + gettext_for("en")(ENTRY)
    kept = [w for w in slot.children if getattr(w, "checkin_entry", False)]
    if kept:  # refreshed, not rebuilt: a new button costs its kv rules and a texture
        kept[0].text = text
        return
    button = BigButton(text=text, kind="secondary", size_mm=9)
    button.checkin_entry = True
    button.bind(on_tap=lambda *_: app.check_in.open())
    slot.add_widget(button)
