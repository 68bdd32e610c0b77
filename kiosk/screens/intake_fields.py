"""Form fields of the intake screens: a caption, an optional hint, the entry (text,
a date with unknown day or month allowed, or a row of choices) and the message at the
field. Fields keep no data: they read and write the controller's raw values by path."""

from __future__ import annotations

from pathlib import Path

from kivy.app import App
from kivy.lang import Builder
from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.textinput import TextInput

from kiosk.widgets.common import CheckToggle, KLabel, discard, equalize_heights

Builder.load_file(str(Path(__file__).with_name("intake_fields.kv")))


class IntakeInput(TextInput):
    """A large single-line entry; `masked` hides what was typed once the visitor leaves
    the field (document number, birth date: shoulder surfing)."""

    masked = BooleanProperty(False)

    def on_focus(self, _instance, focused) -> None:
        self.password = self.masked and not focused and bool(self.text)
        app = App.get_running_app()
        if app is not None:
            app.touch()

    def on_masked(self, *_args) -> None:
        self.password = self.masked and not self.focus and bool(self.text)


class Field(BoxLayout):
    """Caption, hint, entry, message. `path` names the draft's field ("household.
    address.postcode"); a problem whose path starts with it is shown here."""

    path = StringProperty("")
    caption = StringProperty("")
    hint = StringProperty("")
    message = StringProperty("")
    warning = BooleanProperty(False)

    def __init__(self, on_change=None, **kwargs):
        self.on_change = on_change  # called with (path, part, text)
        super().__init__(**kwargs)

    def load(self, raw: dict) -> None:
        raise NotImplementedError

    def matches(self, problem_path: str) -> bool:
        p = self.path
        return problem_path == p or problem_path.startswith(p + ".") or \
            problem_path.startswith(p + "[")


class TextField(Field):
    masked = BooleanProperty(False)
    input_filter = StringProperty("")  # "" | "int"
    max_chars = 80

    def on_kv_post(self, _base) -> None:
        entry = self.ids.entry
        entry.masked = self.masked
        entry.input_filter = self.input_filter or None
        entry.bind(text=self._changed)

    def _changed(self, _entry, text: str) -> None:
        if len(text) > self.max_chars:
            self.ids.entry.text = text[:self.max_chars]
            return
        if self.on_change is not None:
            self.on_change(self.path, "", text)

    def load(self, raw: dict) -> None:
        self.ids.entry.text = raw.get(self.path, "")
        self.ids.entry.on_masked()


class DateField(Field):
    """Day, month, year in three entries; an unknown day or month is left empty when
    `partial` is allowed (a birth date: 00.00.1980)."""

    masked = BooleanProperty(False)

    def on_kv_post(self, _base) -> None:
        for part in ("day", "month", "year"):
            entry = self.ids[part]
            entry.masked = self.masked
            entry.bind(text=lambda e, t, part=part: self._changed(e, part, t))

    def _changed(self, entry, part: str, text: str) -> None:
        limit = 4 if part == "year" else 2
        if len(text) > limit:
            entry.text = text[:limit]
            return
        if self.on_change is not None:
            self.on_change(self.path, part, text)

    def load(self, raw: dict) -> None:
        for part in ("day", "month", "year"):
            self.ids[part].text = raw.get(f"{self.path}#{part}", "")
            self.ids[part].on_masked()


class ChoiceField(Field):
    """One of a few answers, as large toggles with a drawn check box."""

    value = StringProperty("")

    def __init__(self, **kwargs):
        self._buttons: list = []
        self._codes: tuple = ()
        super().__init__(**kwargs)

    def set_choices(self, choices: list[tuple[str, str]], cols: int) -> None:
        grid: GridLayout = self.ids.grid
        grid.cols = cols
        codes = tuple(code for code, _ in choices)
        if codes != self._codes:
            discard(grid.children)
            grid.clear_widgets()
            self._buttons = []
            for code, _label in choices:
                button = CheckToggle(size_mm=7.5)
                button.code = code
                button.bind(on_tap=lambda b: self.choose(b.code))
                self._buttons.append(button)
                grid.add_widget(button)
            equalize_heights(self._buttons)
            self._codes = codes
        for button, (_code, label) in zip(self._buttons, choices):
            button.text = label
        self._show()

    def choose(self, code: str) -> None:
        self.value = "" if code == self.value else code
        self._show()
        if self.on_change is not None:
            self.on_change(self.path, "", self.value)

    def _show(self) -> None:
        for button in self._buttons:
            button.active = button.code == self.value
            button.on_active()

    def button(self, code: str):
        return next(b for b in self._buttons if b.code == code)

    def load(self, raw: dict) -> None:
        self.value = raw.get(self.path, "")
        self._show()


def message_label() -> KLabel:
    return KLabel(size_mm=7.5, role="warning_text")
