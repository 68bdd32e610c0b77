"""Country and nationality picker: a search field typed on the on-screen keyboard and up
to six result buttons from a `search(query) -> [(code, label)]` callable the screen gives
(names in the visitor's language and in German). Several may be chosen for nationalities
(at most four), shown as chips that remove themselves when tapped."""

from __future__ import annotations

import logging
from pathlib import Path

from kivy.app import App
from kivy.graphics import Color, Line
from kivy.lang import Builder
from kivy.properties import (BooleanProperty, ListProperty, NumericProperty,
                             ObjectProperty)
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout

from kiosk.i18n import N_
from kiosk.theme import ICON_MARGIN_MM, ICON_MM
from kiosk.widgets.common import BigButton, KLabel, discard
from kiosk.widgets.keyboard import KeyField

log = logging.getLogger(__name__)

TYPE_HINT = N_("Type the first letters of the name, in your language or in German.")
NO_MATCH = N_("Nothing found. Try fewer letters or the German name.")
AT_MOST = N_("You can choose at most {max}. Remove one to choose another.")


def _tr(text: str) -> str:
    app = App.get_running_app()
    return app.tr(text) if app is not None and hasattr(app, "tr") else text


class Chip(BigButton):
    """A chosen country; a cross on its start side says a tap removes it."""

    def _draw_icon(self, *_args) -> None:
        if self.icon != "remove":
            return super()._draw_icon(*_args)
        self.canvas.after.clear()
        app = App.get_running_app()
        if app is None:
            return
        mm = app.px_per_mm
        side, margin = ICON_MM * mm, ICON_MARGIN_MM * mm
        x = self.x + self.width - margin - side if app.rtl else self.x + margin
        y = self.y + (self.height - side) / 2
        self.icon_box = (x, y, side, side)
        width = max(1.0, 0.6 * mm)
        with self.canvas.after:
            Color(*self.color)
            Line(points=[x, y, x + side, y + side], width=width)
            Line(points=[x, y + side, x + side, y], width=width)


class ResultGrid(GridLayout):
    """The result buttons, two columns where they fit."""


class CountryPicker(BoxLayout):
    """`search`: callable(query) -> list of (code, label). `multi`: several may be
    chosen (`max_selected`, 4 for nationalities), else a choice replaces the last one.
    `selected`: the chosen (code, label) pairs; `codes()` their codes. `keyboard`: the
    screen's IntakeKeyboard, given the search field when it is tapped. Events:
    `on_change(codes)`. `refresh()`: texts again in the visitor's language (the screen
    should also search again: labels are in that language)."""

    search = ObjectProperty(None, allownone=True)
    multi = BooleanProperty(False)
    max_selected = NumericProperty(4)
    max_results = NumericProperty(6)
    selected = ListProperty([])
    results = ListProperty([])
    keyboard = ObjectProperty(None, allownone=True)
    mirrored = BooleanProperty(False)  # app.rtl (country_picker.kv)

    def __init__(self, **kwargs):
        self.register_event_type("on_change")
        self.field = KeyField()
        self.hint = KLabel(size_mm=7, role="muted_text")
        self.chips = ResultGrid()
        self.grid = ResultGrid()
        super().__init__(**kwargs)
        for widget in (self.chips, self.field, self.hint, self.grid):
            self.add_widget(widget)
        self.field.bind(value=self._on_query, on_release=lambda *_: self.activate())
        self.bind(selected=self._show_chips, results=self._show_results,
                  search=self._on_query)
        self.refresh()

    def activate(self) -> None:
        """The keyboard types into the search field."""
        if self.keyboard is not None:
            self.keyboard.layout = "letters"
            self.keyboard.target = self.field
        self.field.active = True
        if self.keyboard is not None:
            self.keyboard.bind(target=self._target_moved)

    def _target_moved(self, keyboard, target) -> None:
        if target is not self.field:
            self.field.active = False
            keyboard.unbind(target=self._target_moved)

    # -- searching -----------------------------------------------------------------

    def _on_query(self, *_args) -> None:
        query = self.field.value.strip()
        found: list[tuple[str, str]] = []
        if query and self.search is not None:
            try:
                found = list(self.search(query))[:int(self.max_results)]
            except Exception as exc:  # a broken list must not take the screen down
                # the type only: a message or traceback could carry what was typed
                log.error("country search failed: %s", type(exc).__name__)
        self.results = found
        self._show_hint()

    def _show_hint(self) -> None:
        if self.multi and len(self.selected) >= self.max_selected:
            text = _tr(AT_MOST).format(max=int(self.max_selected))
        elif self.field.value.strip() and not self.results:
            text = _tr(NO_MATCH)
        elif not self.field.value.strip():
            text = _tr(TYPE_HINT)
        else:
            text = ""
        self.hint.text = text

    def _show_results(self, *_args) -> None:
        discard(self.grid.children)
        self.grid.clear_widgets()
        chosen = {code for code, _ in self.selected}
        full = self.multi and len(self.selected) >= self.max_selected
        for code, label in self.results:
            button = BigButton(text=label, size_mm=8)
            button.code = code
            if code in chosen:
                button.icon = "check_on"
            elif full:
                button.kind = "disabled"
            button.bind(on_tap=self._on_result)
            self.grid.add_widget(button)

    def _on_result(self, button) -> None:
        code = button.code
        label = button.text
        if any(c == code for c, _ in self.selected):
            self.remove(code)
            return
        if not self.multi:
            self.selected = [(code, label)]
        elif len(self.selected) < self.max_selected:
            self.selected = self.selected + [(code, label)]
        else:
            return  # full: the hint says so
        if self.multi:
            self.field.value = ""  # ready for the next one
        self.dispatch("on_change", self.codes())

    # -- the choice ----------------------------------------------------------------

    def codes(self) -> list[str]:
        return [code for code, _ in self.selected]

    def remove(self, code: str) -> None:
        self.selected = [(c, label) for c, label in self.selected if c != code]
        self.dispatch("on_change", self.codes())

    def clear(self) -> None:
        self.field.value = ""
        self.selected = []

    def _show_chips(self, *_args) -> None:
        discard(self.chips.children)
        self.chips.clear_widgets()
        for code, label in self.selected:
            chip = Chip(text=label, kind="secondary", icon="remove", size_mm=8)
            chip.code = code
            chip.bind(on_tap=lambda c: self.remove(c.code))
            self.chips.add_widget(chip)
        self._show_results()
        self._show_hint()

    def refresh(self) -> None:
        self._show_hint()
        for button in list(self.chips.children) + list(self.grid.children):
            button._draw_icon()  # the icon's side follows the text direction

    def on_change(self, codes):
        pass


Builder.load_file(str(Path(__file__).with_name("country_picker.kv")))
