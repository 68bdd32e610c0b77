"""Themed label and big touch button. Sizes come from the app in millimetres; a second
press within 0.5 s is ignored (EN 301 549 5.8)."""

from __future__ import annotations

import time
from pathlib import Path

from kivy.lang import Builder
from kivy.properties import NumericProperty, StringProperty
from kivy.uix.button import Button
from kivy.uix.label import Label

from kiosk.widgets import bidi_text

bidi_text.install()  # lines in their paragraph's direction (before any Label is made)
Builder.load_file(str(Path(__file__).with_name("common.kv")))

REPEAT_GUARD_S = 0.5


class KLabel(Label):
    """A label in the app's font, colour and text scale that wraps to its width."""

    size_mm = NumericProperty(8.5)
    role = StringProperty("text")  # a Theme attribute: text, muted_text, number, ...
    align = StringProperty("start")  # start | center | end: start is right in RTL


class BigButton(Button):
    """A filled touch target at least 20 mm high. Screens listen to `on_tap`, which a
    second press within 0.5 s does not fire."""

    size_mm = NumericProperty(8.5)
    min_height_mm = NumericProperty(20.0)  # touch target, EN 301 549
    kind = StringProperty("primary")  # primary | secondary | disabled
    _last_tap = -REPEAT_GUARD_S

    def __init__(self, **kwargs):
        self.register_event_type("on_tap")
        super().__init__(**kwargs)

    def on_release(self):
        now = time.monotonic()
        if now - self._last_tap < REPEAT_GUARD_S:
            return  # a bounce or an impatient second press; the service debounces too
        self._last_tap = now
        self.dispatch("on_tap")

    def on_tap(self):
        pass


def equalize_heights(buttons: list[BigButton], px_per_mm: float) -> None:
    """Give buttons that share rows one height: scripts differ in line height (Arabic is
    taller), and a grid row of uneven buttons looks broken."""

    def apply(*_args):
        tallest = max((b.texture_size[1] for b in buttons), default=0)
        needed = (tallest / px_per_mm) + 6 if px_per_mm else 20
        for button in buttons:
            button.min_height_mm = max(20.0, needed)

    for button in buttons:
        button.bind(texture_size=apply)
    apply()
