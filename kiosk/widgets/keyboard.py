"""A large on-screen keyboard for names, addresses and numbers: German QWERTZ with ß,
two pages of the accented letters names really carry, a digits layout with / and -
for house numbers, and Arabic and Persian letters for searching a country by its name
(names themselves are typed in Latin letters). It types into a TextInput-like `target`
and fires `on_done`."""

from __future__ import annotations

import weakref
from pathlib import Path

from kivy.app import App
from kivy.clock import Clock
from kivy.graphics import Color, Line
from kivy.lang import Builder
from kivy.properties import (BooleanProperty, ListProperty, NumericProperty,
                             ObjectProperty, OptionProperty, StringProperty)
from kivy.uix.label import Label
from kivy.uix.layout import Layout
from kivy.uix.behaviors import ButtonBehavior

from kiosk.i18n import N_, needs_arabic_font
from kiosk.theme import GAP_MM, TOUCH_TARGET_MM
from kiosk.widgets.common import BigButton, discard

# the step has its own "Next": the key only ends typing in this field
DONE = N_("Done")

KEY_GAP_MM = max(GAP_MM * 0.625, 2.5)  # 2.5 mm between keys (EN 301 549), no more: room
MAX_KEY_MM = 26.0  # on a wide screen keys stop growing; the rows are centred
COLUMNS = 11  # the widest row: q w e r t z u i o p ü

# A row is a list of (key, span); span is in key widths. Keys of one character type it,
# the others are actions: shift, back (backspace), space, done, and `to:<layout>`.
LETTERS = [
    [(c, 1) for c in "qwertzuiopü"],
    [(c, 1) for c in "asdfghjklöä"],
    [("shift", 1.5)] + [(c, 1) for c in "yxcvbnmß"] + [("back", 1.5)],
    [("to:digits", 1.5), ("to:accents", 1.5), ("-", 1), ("'", 1), ("space", 4),
     ("done", 2)],
]

# The letters of names from the visitors' alphabets (Turkish, Polish, Czech, Slovak,
# Croatian, Romanian, Hungarian, Nordic, French, Spanish, Portuguese, Italian), by their
# base letter so they are found where one looks; ä ö ü ß are on the letters layout too.
ACCENTS_1 = "áàâäåæąă" "çćč" "ďđ" "éèêëěę" "ğ" "íìîïıİ"
ACCENTS_2 = "łľĺ" "ñńň" "óòôõöőø" "ř" "śšşșß" "ťţț" "úùûüű" "ý" "źżž"


def _page(letters: str, other: str) -> list:
    per_row = COLUMNS
    rows = [[(c, 1) for c in letters[i:i + per_row]] for i in range(0, per_row * 2, per_row)]
    rows.append([(c, 1) for c in letters[per_row * 2:]] + [("back", 1.5)])
    rows.append([("to:letters", 1.5), (f"to:{other}", 1.5), ("shift", 1.5), ("-", 1),
                 ("'", 1), ("space", 2.5), ("done", 2)])
    return rows


# Arabic letters in the order of the Arabic keyboard, then teh marbuta, alef maksura and
# hamza; the Persian page has the Persian alphabet (with پ چ ژ گ and its own ی ک) in
# alphabetical order, read from the right. The country search folds ی/ي and ک/ك (intake_codes), so either
# page finds a name written with the other's letters.
ARABIC = "ضصثقفغعهخحج" "شسيبلاتنمكط" "ذدزروةىءظ"
PERSIAN = "ابپتثجچحخدذ" "رزژسشصضطظعغ" "فقکگلمنوهی"


def _script_page(letters: str, other: str, from_right: bool = False) -> list:
    per_row = COLUMNS
    parts = [letters[:per_row], letters[per_row:per_row * 2], letters[per_row * 2:]]
    if from_right:  # an alphabet is read from the right in an RTL script
        parts = [p[::-1] for p in parts]
    rows = [[(c, 1) for c in part] for part in parts[:2]]
    rest = parts[2]
    rows.append([(c, 1) for c in rest] + [("back", max(1.0, min(1.5, per_row - len(rest))))])
    # no shift (the script has no capitals), a wide space: a country may have two words
    rows.append([("to:letters", 1.5), (f"to:{other}", 1.5), ("space", 4.5), ("done", 2)])
    return rows


LAYOUTS = {
    "letters": LETTERS,
    "accents": _page(ACCENTS_1, "accents2"),
    "accents2": _page(ACCENTS_2, "accents"),
    "arabic": _script_page(ARABIC, "persian"),
    "persian": _script_page(PERSIAN, "arabic", from_right=True),
    "digits": [
        [("1", 1.5), ("2", 1.5), ("3", 1.5), ("/", 1.5)],
        [("4", 1.5), ("5", 1.5), ("6", 1.5), ("-", 1.5)],
        [("7", 1.5), ("8", 1.5), ("9", 1.5), ("back", 1.5)],
        [("to:letters", 1.5), ("0", 1.5), ("done", 3)],
    ],
}
STANDARD = ("letters", "accents", "digits")  # offered unless the target asks for others
ROWS = 4  # every layout: switching never changes the keyboard's height
SWITCH_LABELS = {"letters": "abc", "digits": "123", "accents": "áçé", "accents2": "łñž",
                 "arabic": "أبج", "persian": "پچژ"}
# the pages offered together: a switch to the second page is offered with the first
PAGE_OF = {"accents2": "accents", "persian": "arabic"}
# keys that keep their form under shift: ß has no capital in names, İ is a capital
CASELESS = frozenset("ßİ")


def key_text(key: str, upper: bool) -> str:
    """What a character key types (and shows) with or without shift."""
    if key in CASELESS or not upper:
        return key
    return key.upper()


class KeyField(ButtonBehavior, Label):
    """A one-line field the on-screen keyboard types into (never a system keyboard, no
    selection or copy bubble). `value` is what was typed; `text` is what is shown: the
    value left to right as written in the identity document, with a caret at its end
    while `active`, or masked ("••••••78") when `masked` and neither active nor
    `revealed` (shoulder surfing). `max_length` stops typing there; `digits_only` lets
    only 0-9 in. Tapping it fires `on_release` (the screen makes it the keyboard's
    target)."""

    value = StringProperty("")
    size_mm = NumericProperty(8.5)
    max_length = NumericProperty(0)  # 0: no limit
    digits_only = BooleanProperty(False)
    active = BooleanProperty(False)  # the keyboard types here: thick frame and caret
    masked = BooleanProperty(False)
    mask_keep = NumericProperty(0)  # characters left readable at the end when masked
    revealed = BooleanProperty(False)  # the visitor asked to see a masked value
    # the keyboard layouts offered while typing here (empty: the standard ones) and the
    # one to start with (empty: as the screen sets it); a country search offers Arabic
    layouts = ListProperty([])
    first_layout = StringProperty("")
    caret_x = NumericProperty(0)
    fill_rgba = ListProperty([1, 1, 1, 1])
    frame_rgba = ListProperty([0, 0, 0, 1])
    caret_rgba = ListProperty([0, 0, 0, 0])

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.bind(value=self._show, active=self._show, masked=self._show,
                  revealed=self._show, mask_keep=self._show)
        self.bind(text=self._place_caret, size=self._place_caret, pos=self._place_caret,
                  texture_size=self._place_caret)
        self._show()

    @property
    def hidden(self) -> bool:
        """The value is shown masked now."""
        return self.masked and not self.active and not self.revealed and bool(self.value)

    def _show(self, *_args) -> None:
        self.text = mask_text(self.value, int(self.mask_keep)) if self.hidden else self.value

    def insert_text(self, substring: str, from_undo: bool = False) -> None:
        if self.digits_only:
            substring = "".join(c for c in substring if c in "0123456789")
        if self.max_length:
            substring = substring[:max(0, int(self.max_length) - len(self.value))]
        if substring:
            self.value += substring

    def do_backspace(self, *_args) -> None:
        self.value = self.value[:-1]

    def _place_caret(self, *_args) -> None:
        core = getattr(self, "_label", None)
        width = core.get_extents(self.text)[0] if core is not None and self.text else 0
        pad = self.padding[0] if isinstance(self.padding, (list, tuple)) else self.padding
        self.caret_x = min(self.x + pad + width, self.right - pad)


def mask_text(value: str, keep: int = 0) -> str:
    """"••••••78": one dot per character, the last `keep` characters readable (none
    when the value is not longer than that)."""
    if keep <= 0 or len(value) <= keep:
        return "\u2022" * len(value)
    return "\u2022" * (len(value) - keep) + value[-keep:]


class Key(BigButton):
    """A key: every press types, however soon after the last one ("ll" in a name) —
    the 0.5 s guard of BigButton is for buttons that act, not for typing."""

    key = StringProperty("")
    span = NumericProperty(1.0)
    key_height = NumericProperty(80)  # px, given by the keyboard

    def on_release(self):
        self.dispatch("on_tap")

    def _draw_icon(self, *_args) -> None:
        if self.icon not in ("backspace", "shift", "shift_lock", "space"):
            return super()._draw_icon(*_args)
        self.canvas.after.clear()
        app = App.get_running_app()
        if app is None:
            return
        mm = app.px_per_mm
        width = max(1.0, 0.6 * mm)
        cx, cy = self.x + self.width / 2, self.y + self.height / 2
        with self.canvas.after:
            Color(*self.color)
            if self.icon == "backspace":
                # a key cap pointing left with a cross in it (no font has to carry ⌫)
                w, h = min(12 * mm, self.width * 0.7), 7 * mm
                x, y, tip = cx - w / 2, cy - h / 2, h / 2
                Line(points=[x, y + h / 2, x + tip, y + h, x + w, y + h, x + w, y,
                             x + tip, y], close=True, width=width)
                mx, c = x + tip + (w - tip) / 2, h * 0.22
                Line(points=[mx - c, cy - c, mx + c, cy + c], width=width)
                Line(points=[mx - c, cy + c, mx + c, cy - c], width=width)
            elif self.icon in ("shift", "shift_lock"):
                # an outlined arrow up; locked: a bar under it as well
                s = 8 * mm
                x, y = cx - s / 2, cy - s / 2 + (0.8 * mm if self.icon == "shift_lock" else 0)
                Line(points=[x + 0.5 * s, y + s, x + s, y + 0.5 * s, x + 0.72 * s,
                             y + 0.5 * s, x + 0.72 * s, y, x + 0.28 * s, y,
                             x + 0.28 * s, y + 0.5 * s, x, y + 0.5 * s], close=True,
                     width=width)
                if self.icon == "shift_lock":
                    Line(points=[x + 0.28 * s, y - 1.6 * mm, x + 0.72 * s, y - 1.6 * mm],
                         width=width * 1.5)
            else:
                # the space bar: an open bracket lying on its back
                w, h = min(16 * mm, self.width * 0.6), 2.5 * mm
                x, y = cx - w / 2, cy - h / 2
                Line(points=[x, y + h, x, y, x + w, y, x + w, y + h], width=width)


class IntakeKeyboard(Layout):
    """The keyboard: keys of at least 20 mm height (and width, where the screen is wide
    enough for eleven keys of 20 mm), always four rows so switching layouts never moves
    the screen above. Letter rows stay left to right in RTL (names are typed in Latin
    script); the bottom row's controls mirror.

    Eleven keys of 20 mm and their gaps need 245 mm: on the 10.1" screen (217 mm) the
    keys are about 17 mm wide (20 mm high), and the keyboard's 88 mm with the
    accessibility bar leave about 10 mm of the 136 mm at larger text: a screen there
    has to give the keyboard the bar's place, or scroll what is above it.

    Properties: `target` (a KeyField, or anything with `value` or `text`), `layout`,
    `layouts` (the ones offered), `done_text` (label of the done key, translated by the
    caller; empty: "Done"), `auto_caps` (capital after the start, a space or a hyphen),
    `shift` ("off", "once", "lock": a screen may lock it for document numbers).
    Event `on_done` when the done key is pressed; `on_key(key)` after every key."""

    target = ObjectProperty(None, allownone=True)
    layout = OptionProperty("letters", options=tuple(LAYOUTS))
    layouts = ListProperty(list(STANDARD))
    shift = OptionProperty("off", options=("off", "once", "lock"))
    auto_caps = BooleanProperty(True)
    done_text = StringProperty("")
    key_mm = NumericProperty(TOUCH_TARGET_MM)  # key height (and widest key width target)
    gap_mm = NumericProperty(KEY_GAP_MM)
    mirrored = BooleanProperty(False)  # set from app.rtl in keyboard.kv

    def __init__(self, **kwargs):
        self.register_event_type("on_done")
        self.register_event_type("on_key")
        self.keys: list[Key] = []
        self._made: dict[str, list[Key]] = {}  # layout -> its keys
        self._made_for = None  # (layouts offered, mirrored) the keys were made for
        self._previous_target = None
        super().__init__(**kwargs)
        self._rebuild = Clock.create_trigger(self._build, -1)
        self.bind(layout=self._rebuild, layouts=self._rebuild, mirrored=self._rebuild,
                  done_text=self._relabel, shift=self._relabel)
        self.bind(pos=self._trigger_layout, size=self._trigger_layout,
                  key_mm=self._trigger_layout, gap_mm=self._trigger_layout)
        self._build()

    # -- building ---------------------------------------------------------------

    def _tr(self, text: str) -> str:
        app = App.get_running_app()
        return app.tr(text) if app is not None and hasattr(app, "tr") else text

    def rows(self) -> list[list[tuple[str, float]]]:
        """The current layout's rows, left to right on the screen."""
        rows = []
        for row in LAYOUTS[self.layout]:
            original = row
            # a switch to a layout not offered becomes a blank key of the same width
            row = [(k, s) if not k.startswith("to:") or self._offered(k[3:])
                   else ("", s) for k, s in row]
            if self.mirrored and self.layout != "digits" and original is LAYOUTS[self.layout][-1]:
                row = _mirror_controls(row)  # the controls' row; letters stay as they are
            rows.append(row)
        return rows

    def _offered(self, layout: str) -> bool:
        return PAGE_OF.get(layout, layout) in self.layouts

    def _build(self, *_args) -> None:
        # each layout's keys are made once and kept: switching while typing is instant
        wanted = (tuple(self.layouts), self.mirrored)
        if self._made_for != wanted:
            for keys in self._made.values():
                discard(keys)
            self._made = {}
            self._made_for = wanted
        if self.layout not in self._made:
            self._made[self.layout] = self._make_keys()
        self.clear_widgets()
        self.keys = self._made[self.layout]
        for key in self.keys:
            self.add_widget(key)
        self._relabel()
        self._trigger_layout()

    def _make_keys(self) -> list[Key]:
        keys = []
        for row_index, row in enumerate(self.rows()):
            for name, span in row:
                key = Key(key=name, span=span)
                key.row = row_index
                if not name:
                    key.opacity = 0
                    key.disabled = True
                else:
                    key.bind(on_tap=self._on_key_tap)
                self._dress(key)
                keys.append(key)
        return keys

    def _dress(self, key: Key) -> None:
        name = key.key
        if len(name) == 1:
            return
        key.kind = "secondary"
        if name == "back":
            key.icon = "backspace"
        elif name == "space":
            key.icon = "space"
            key.kind = "primary"
        elif name == "done":
            key.kind = "primary"
            key.size_mm = 7.5
        elif name.startswith("to:"):
            key.text = SWITCH_LABELS[name[3:]]
            key.size_mm = 6.5 if needs_arabic_font(key.text) else 7.5

    def _relabel(self, *_args) -> None:
        upper = self.shift != "off"
        for key in self.keys:
            if len(key.key) == 1:
                key.text = key_text(key.key, upper) if key.key.isalpha() else key.key
                # the Arabic font's line is taller: its letters smaller, or they would
                # not fit a 20 mm key at larger text
                key.size_mm = 6.5 if needs_arabic_font(key.key) else 8.5
            elif key.key == "shift":
                key.icon = "shift_lock" if self.shift == "lock" else "shift"
                key.kind = "primary" if upper else "secondary"
            elif key.key == "done":
                key.text = self.done_text or self._tr(DONE)
                # "تم" / "انجام شد" in the Arabic font's taller line: as the letters
                key.size_mm = 6.5 if needs_arabic_font(key.text) else 7.5

    def refresh(self) -> None:
        """Texts again in the visitor's language (the screen calls this on refresh)."""
        self._relabel()

    def reset(self) -> None:
        """Letters, no target: the next visitor starts afresh."""
        self.target = None
        self.layout = "letters"
        self.shift = "off"

    # -- layout ---------------------------------------------------------------------

    def unit_px(self) -> float:
        app = App.get_running_app()
        mm = app.px_per_mm if app is not None else 4.0
        gap = self.gap_mm * mm
        fit = (self.width - (COLUMNS - 1) * gap) / COLUMNS
        return max(1.0, min(MAX_KEY_MM * mm, fit))

    def do_layout(self, *_args) -> None:
        app = App.get_running_app()
        mm = app.px_per_mm if app is not None else 4.0
        gap = self.gap_mm * mm
        unit = self.unit_px()
        height = self.key_mm * mm
        rows: dict[int, list[Key]] = {}
        for key in self.keys:
            rows.setdefault(key.row, []).append(key)
        for index, keys in rows.items():
            total = sum(k.span * unit + (k.span - 1) * gap for k in keys) + gap * (len(keys) - 1)
            x = self.x + (self.width - total) / 2
            y = self.top - (index + 1) * height - index * gap
            for key in keys:
                w = key.span * unit + (key.span - 1) * gap
                key.key_height = height
                key.size = (w, height)
                key.pos = (x, y)
                x += w + gap

    # -- typing ---------------------------------------------------------------------

    def _on_key_tap(self, key: Key) -> None:
        self.press(key.key)

    def press(self, name: str) -> None:
        """What a key does (the keys call this; tests may too)."""
        target = self.target
        if name == "done":
            self.dispatch("on_done")
        elif name == "shift":
            self.shift = {"off": "once", "once": "lock", "lock": "off"}[self.shift]
        elif name.startswith("to:"):
            self.layout = name[3:]
        elif target is not None:
            if name == "back":
                _backspace(target)
            else:
                char = " " if name == "space" else key_text(name, self.shift != "off")
                _insert(target, char)
                if self.shift == "once":
                    self.shift = "off"
            self.caps_from_target()
        self.dispatch("on_key", name)

    def caps_from_target(self, *_args) -> None:
        """Capital next where a name part starts: an empty field, after space or hyphen."""
        if not self.auto_caps or self.shift == "lock" or self.layout == "digits":
            return
        text = _value(self.target) if self.target is not None else ""
        self.shift = "once" if (not text or text[-1] in " -") else "off"

    def on_target(self, _self, target) -> None:
        # the field typed into is drawn so (frame and caret); the one left is not
        previous = self._previous_target() if self._previous_target else None
        if previous is not None and previous is not target and hasattr(previous, "active"):
            previous.active = False
        if target is not None and hasattr(target, "active"):
            target.active = True
        self._previous_target = weakref.ref(target.__self__ if hasattr(
            target, "__self__") else target) if target is not None else None
        if target is not None:
            # only the field asks for another script: names stay in Latin letters
            wanted = list(getattr(target, "layouts", None) or STANDARD)
            if list(self.layouts) != wanted:
                self.layouts = wanted
            first = getattr(target, "first_layout", "")
            if first:
                self.layout = first
            elif not self._offered(self.layout):
                self.layout = "letters"
        self.caps_from_target()

    def on_layout(self, *_args) -> None:
        if self.shift == "once":
            self.caps_from_target()

    def on_done(self):
        pass

    def on_key(self, name):
        pass


def _mirror_controls(row):
    """RTL: reverse the order of a row's controls, keeping runs of characters (the
    letters, "- '") in their left-to-right order."""
    groups: list[list] = []
    for item in row:
        single = len(item[0]) == 1
        if single and groups and groups[-1] and len(groups[-1][-1][0]) == 1:
            groups[-1].append(item)
        else:
            groups.append([item])
    return [item for group in reversed(groups) for item in group]


def _value(target) -> str:
    return target.value if hasattr(target, "value") else target.text


def _insert(target, char: str) -> None:
    if hasattr(target, "insert_text"):
        target.insert_text(char)
    else:
        target.text += char


def _backspace(target) -> None:
    if hasattr(target, "do_backspace"):
        target.do_backspace()
    else:
        target.text = target.text[:-1]


Builder.load_file(str(Path(__file__).with_name("keyboard.kv")))
