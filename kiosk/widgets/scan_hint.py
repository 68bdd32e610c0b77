"""A short hint laid over any screen that is not part of the check-in flow when a code
is scanned there: how to check in (or, where check-in is not offered, where to ask).
It takes no touches and goes away by itself."""

from __future__ import annotations

from kivy.clock import Clock
from kivy.lang import Builder

from kiosk.i18n import N_
from kiosk.widgets.root import ThemedBox

HINT_S = 6.0

# the button's own text (kiosk.screens.check_in_screens.ENTRY) is quoted in the hint
HINT = N_("To check in for your appointment, please tap “I have an appointment” first.")
NOT_OFFERED = N_("Codes cannot be checked in at this terminal. Please ask at the "
                 "information desk.")

Builder.load_string("""
<ScanHint>:
    orientation: 'vertical'
    bg_key: 'warning_bg'
    line_key: 'warning_text'
    size_hint: 0.8, None
    height: self.minimum_height
    pos_hint: {'center_x': 0.5, 'top': 0.97}
    padding: app.px_per_mm * 4
    canvas.before:
        Color:
            rgba: self.bg_rgba
        Rectangle:
            pos: self.pos
            size: self.size
        Color:
            rgba: self.line_rgba
        Line:
            rectangle: self.x, self.y, self.width, self.height
            width: 3
    KLabel:
        id: text
        role: 'warning_text'
        size_mm: 8.5
        align: 'center'
""")


class ScanHint(ThemedBox):
    _timer = None

    def on_touch_down(self, touch):
        return False  # a hint, not a wall: the screen below keeps its taps


def show_scan_hint(root, app, offered: bool) -> ScanHint:
    """Show (or renew) the hint on `root` (the KioskRoot) for HINT_S seconds."""
    hint = getattr(root, "_scan_hint", None)
    if hint is None:
        hint = root._scan_hint = ScanHint()
    hint.ids.text.text = app.tr(HINT if offered else NOT_OFFERED)
    if hint.parent is None:
        root.add_widget(hint)
    if hint._timer is not None:
        hint._timer.cancel()
    hint._timer = Clock.schedule_once(lambda _dt: hide_scan_hint(root), HINT_S)
    return hint


def hide_scan_hint(root) -> None:
    hint = getattr(root, "_scan_hint", None)
    if hint is not None and hint.parent is not None:
        hint.parent.remove_widget(hint)
