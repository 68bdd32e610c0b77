"""Form fields of the intake screens: a caption, an optional hint, the entry (typed on
the screen's on-screen keyboard, a date with unknown day or month allowed, a row of
choices, or a country searched by name) and the message at the field. Fields keep no
data: they read and write the controller's raw values by path."""

from __future__ import annotations

from pathlib import Path

from kivy.app import App
from kivy.lang import Builder
from kivy.properties import BooleanProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout

from kiosk.widgets.common import BigButton, CheckToggle, discard, equalize_heights
from kiosk.widgets.date_entry import DateEntry
from kiosk.widgets.keyboard import KeyField
from kiosk.widgets.masked_field import MaskedEntry

Builder.load_file(str(Path(__file__).with_name("intake_fields.kv")))


class Field(BoxLayout):
    """Caption, hint, entry, message. `path` names the draft's field ("household.
    address.postcode"); a problem whose path starts with it is shown here."""

    path = StringProperty("")
    caption = StringProperty("")
    hint = StringProperty("")
    message = StringProperty("")
    keyboard = ObjectProperty(None, allownone=True)  # the screen's IntakeKeyboard

    def __init__(self, on_change=None, **kwargs):
        self.on_change = on_change  # called with (path, part, text)
        super().__init__(**kwargs)

    def load(self, raw: dict) -> None:
        raise NotImplementedError

    def key_fields(self) -> list:
        """The KeyFields of this field, in typing order (the keyboard's Done moves on)."""
        return []

    def refresh(self) -> None:
        pass


class TextField(Field):
    """One line typed on the on-screen keyboard; `masked` (document number) shows dots
    once the visitor has left it, with a show toggle."""

    masked = BooleanProperty(False)
    digits_only = BooleanProperty(False)
    layout = StringProperty("letters")  # the keyboard's first layout here
    max_length = NumericProperty(80)

    def on_kv_post(self, _base) -> None:
        slot = self.ids.slot
        if self.masked:
            self.masked_entry = MaskedEntry(keep=2)
            self.entry = self.masked_entry.field
            slot.add_widget(self.masked_entry)
        else:
            self.masked_entry = None
            self.entry = KeyField(size_mm=8)
            slot.add_widget(self.entry)
        self.entry.digits_only = self.digits_only
        self.entry.max_length = self.max_length
        self.entry.intake_field = self
        self.entry.bind(value=self._changed)

    def key_fields(self) -> list:
        return [self.entry]

    def _changed(self, _entry, value: str) -> None:
        if self.on_change is not None:
            self.on_change(self.path, "", value)

    def load(self, raw: dict) -> None:
        self.entry.value = raw.get(self.path, "")
        self.entry.active = False
        if self.masked_entry is not None:
            self.masked_entry.toggle.revealed = False

    def refresh(self) -> None:
        if self.masked_entry is not None:
            self.masked_entry.refresh()


class FirstNamesField(TextField):
    """The first names, and below them one toggle per typed first name to mark the one
    in everyday use (the Rufname; optional, tapping it again unmarks it). The marked
    name is kept as text under `everyday_path`."""

    everyday_path = StringProperty("everyday_name")
    everyday_caption = StringProperty("")
    marked = StringProperty("")

    def __init__(self, **kwargs):
        self._buttons: list = []
        super().__init__(**kwargs)

    def on_kv_post(self, base) -> None:
        super().on_kv_post(base)
        message = self.ids.message  # below the names, as in every field
        self.remove_widget(message)
        self.add_widget(message)

    def _changed(self, entry, value: str) -> None:
        super()._changed(entry, value)
        self._show_names()

    def names(self) -> list[str]:
        return self.entry.value.split()

    def mark(self, name: str) -> None:
        self.marked = "" if name == self.marked else name
        self._show_names()
        if self.on_change is not None:
            self.on_change(self.everyday_path, "", self.marked)

    def name_button(self, name: str):
        return next(b for b in self._buttons if b.first_name == name)

    def _show_names(self) -> None:
        names = self.names()
        # one name only: it is the Rufname anyway, nothing to mark
        shown = list(dict.fromkeys(names)) if len(names) > 1 else []
        grid = self.ids.names
        if [b.first_name for b in self._buttons] != shown:
            discard(grid.children)
            grid.clear_widgets()
            self._buttons = []
            for name in shown:
                button = CheckToggle(size_mm=7.5)
                button.first_name = button.text = name
                button.bind(on_tap=lambda b: self.mark(b.first_name))
                self._buttons.append(button)
                grid.add_widget(button)
            equalize_heights(self._buttons)
        self.ids.names_caption.text = self.everyday_caption if shown else ""
        for button in self._buttons:
            button.active = button.first_name == self.marked
            button.on_active()

    def load(self, raw: dict) -> None:
        self.marked = raw.get(self.everyday_path, "")
        super().load(raw)
        self._show_names()

    def refresh(self) -> None:
        super().refresh()
        self._show_names()


class DateField(Field):
    """Day, month, year (kiosk.widgets.date_entry); `partial`: day or month may be
    unknown (a birth date: 00.00.1980); `masked`: dots once left."""

    masked = BooleanProperty(False)
    partial = BooleanProperty(False)

    def on_kv_post(self, _base) -> None:
        self.entry = DateEntry(masked=self.masked)
        self.entry.bind(on_change=self._changed)
        if not self.partial:
            # a move-in or expiry date is known to the day: no "unknown" toggles (taken
            # out of the tree: hidden but present, they would catch the boxes' touches)
            self.entry.remove_widget(self.entry.toggles)
        for field in self.entry.fields.values():
            field.intake_field = self
        self.ids.slot.add_widget(self.entry)

    def on_keyboard(self, _self, keyboard) -> None:
        self.entry.keyboard = keyboard

    def key_fields(self) -> list:
        return [self.entry.fields[p] for p in ("day", "month", "year")
                if not self.entry.fields[p].disabled]

    def _changed(self, _entry, day: str, month: str, year: str) -> None:
        if self.on_change is None or self._loading:
            return
        for part, text in (("day", day), ("month", month), ("year", year)):
            self.on_change(self.path, part, text)

    _loading = False

    def load(self, raw: dict) -> None:
        self._loading = True
        try:
            self.entry.clear()
            day, month, year = (raw.get(f"{self.path}#{p}", "") for p in
                                ("day", "month", "year"))
            if self.partial:
                self.entry.set_parts(day, month, year)
            else:
                for part, text in (("day", day), ("month", month), ("year", year)):
                    self.entry.fields[part].value = text
        finally:
            self._loading = False

    def refresh(self) -> None:
        self.entry.refresh()


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


# the countries most visitors at a Stuttgart office name, roughly by how many of its
# residents hold that nationality; shown as buttons before anything is typed, so a
# visitor who cannot type the name in Latin letters needs no keyboard at all
COMMON_COUNTRIES = ("DE", "TR", "GR", "HR", "IT", "UA", "RO", "SY", "AF", "IQ", "IR",
                    "PL", "RS", "XK")
# the country search's keyboard: Latin letters, and the Arabic and Persian alphabet
# (the CLDR names in Arabic and Persian are searchable, intake_codes)
SEARCH_LAYOUTS = ["letters", "accents", "arabic"]
SCRIPT_LAYOUT = {"ar": "arabic", "fa": "persian"}


class CountryField(Field):
    """A country (or several: nationalities) found by typing its name in the visitor's
    language or in German, on Latin or Arabic keys; before anything is typed the most
    common countries are buttons; the matches are buttons, the chosen ones are toggles
    that a tap removes. The raw value is the ISO codes, comma-separated."""

    many = NumericProperty(1)  # how many may be chosen (nationalities: 4)
    nationality = BooleanProperty(False)

    def __init__(self, **kwargs):
        self.codes: list[str] = []
        super().__init__(**kwargs)

    def on_kv_post(self, _base) -> None:
        self.entry = KeyField(size_mm=8)
        self.entry.intake_field = self
        self.entry.layouts = SEARCH_LAYOUTS
        self.entry.bind(value=lambda *_: self._suggest())
        # bound before the screen's handler, so called after it (Kivy calls the last
        # bound first): a second tap, which sets the letters, keeps the visitor's script
        self.entry.bind(on_release=self._tapped)
        self.ids.slot.add_widget(self.entry)

    def _tapped(self, entry) -> None:
        keyboard = self.keyboard
        if keyboard is not None and keyboard.target is entry and entry.first_layout:
            keyboard.layout = entry.first_layout

    def key_fields(self) -> list:
        return [self.entry] if len(self.codes) < self.many else []

    def _lang(self) -> str:
        app = App.get_running_app()
        return app.lang if app is not None else "de"

    def _suggest(self) -> None:
        from kiosk.services.intake_codes import search_countries

        lang = self._lang()
        self.entry.first_layout = SCRIPT_LAYOUT.get(lang, "")
        box = self.ids.matches
        discard(box.children)
        box.clear_widgets()
        query = self.entry.value.strip()
        self._common(lang, shown=not query and not self.codes)
        if not query or len(self.codes) >= self.many:
            return
        for code, name in search_countries(query, lang, limit=4,
                                           nationality=self.nationality):
            if code in self.codes:
                continue
            box.add_widget(self._button(code, name, "primary"))

    def _button(self, code: str, name: str, kind: str):
        button = BigButton(text=name, kind=kind, size_mm=7.5)
        button.code = code
        button.bind(on_tap=lambda b: self.choose(b.code))
        return button

    def _common(self, lang: str, shown: bool) -> None:
        """The common countries while nothing is typed or chosen (afterwards they
        would only lengthen the page)."""
        from kiosk.services.intake_codes import country_name

        box = self.ids.common
        names = [country_name(code, lang) for code in COMMON_COUNTRIES] if shown else []
        if [b.text for b in reversed(box.children)] == names:
            return
        discard(box.children)
        box.clear_widgets()
        for code, name in zip(COMMON_COUNTRIES, names):
            box.add_widget(self._button(code, name, "secondary"))

    def common_button(self, code: str):
        return next(b for b in self.ids.common.children if b.code == code)

    def choose(self, code: str) -> None:
        if code not in self.codes and len(self.codes) < self.many:
            self.codes.append(code)
        self.entry.value = ""
        if self.keyboard is not None and self.keyboard.target is self.entry and \
                len(self.codes) >= self.many:
            self.keyboard.target = None
            self.entry.active = False
        self._changed()

    def remove(self, code: str) -> None:
        if code in self.codes:
            self.codes.remove(code)
        self._changed()

    def _changed(self) -> None:
        self._show_chosen()
        self._suggest()
        if self.on_change is not None:
            self.on_change(self.path, "", ",".join(self.codes))

    def _show_chosen(self) -> None:
        from kiosk.services.intake_codes import country_name

        box = self.ids.chosen
        discard(box.children)
        box.clear_widgets()
        for code in self.codes:
            button = CheckToggle(size_mm=7.5)
            button.text = country_name(code, self._lang())
            button.active = True
            button.on_active()
            button.code = code
            button.bind(on_tap=lambda b: self.remove(b.code))
            box.add_widget(button)
        # all chosen: no entry (taken out: no gap, no touch)
        full = len(self.codes) >= self.many
        self.entry.disabled = full
        slot = self.ids.slot
        if full and self.entry.parent is not None:
            slot.remove_widget(self.entry)
        elif not full and self.entry.parent is None:
            slot.add_widget(self.entry)

    def load(self, raw: dict) -> None:
        self.codes = [c for c in raw.get(self.path, "").split(",") if c]
        self.entry.value = ""
        self.entry.active = False
        self._show_chosen()
        self._suggest()

    def refresh(self) -> None:
        self._show_chosen()
        self._suggest()
